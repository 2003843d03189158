//! Photos: decode (never trust the extension or the sniffed type), refuse
//! decompression bombs, re-encode as JPEG (which drops EXIF, GPS included),
//! make a thumbnail, and name the result by its SHA-256 so the same photo is
//! stored once.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};

use crate::error::{Error, Msg, Result};

/// What a prepared photo is: the store's record of it.
pub use crate::store::media::Photo;

/// Largest upload accepted, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// Largest width or height decoded; bigger is refused before pixels are allocated.
pub const MAX_SIDE_PX: u32 = 12_000;
/// Most memory a decoder may allocate.
pub const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
/// Longest side of a stored photo (phone photos are scaled down to this).
pub const STORED_SIDE_PX: u32 = 2560;
/// Longest side of a thumbnail.
pub const THUMB_SIDE_PX: u32 = 320;

fn refuse(zh: impl Into<String>, en: impl Into<String>) -> Error {
    Error::invalid("file", zh, en)
}

fn jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&image.to_rgb8())
        .map_err(|e| Error::Internal(anyhow::anyhow!("JPEG encoding failed: {e}")))?;
    Ok(out)
}

/// Decodes an uploaded JPEG, PNG or WebP and prepares it for storage.
pub fn prepare(upload: &[u8]) -> Result<Photo> {
    if upload.len() > MAX_UPLOAD_BYTES {
        return Err(Error::TooLarge(Msg::new("照片不能超过 10 MB", "a photo may not exceed 10 MB")));
    }
    let reader = ImageReader::new(Cursor::new(upload))
        .with_guessed_format()
        .map_err(|e| refuse(format!("无法读取文件：{e}"), format!("cannot read the file: {e}")))?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) => {}
        _ => return Err(refuse("只接受 JPEG、PNG 或 WebP 图片", "only JPEG, PNG or WebP images are accepted")),
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE_PX);
    limits.max_image_height = Some(MAX_SIDE_PX);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut reader = reader;
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| {
        refuse(
            format!("图片无法解码（损坏、截断或尺寸过大）：{e}"),
            format!("the image cannot be decoded (damaged, truncated or too large): {e}"),
        )
    })?;
    let stored = if decoded.width().max(decoded.height()) > STORED_SIDE_PX {
        decoded.resize(STORED_SIDE_PX, STORED_SIDE_PX, image::imageops::FilterType::Triangle)
    } else {
        decoded
    };
    let bytes = jpeg(&stored, 85)?;
    let thumbnail = jpeg(&stored.thumbnail(THUMB_SIDE_PX, THUMB_SIDE_PX), 75)?;
    let id = crate::domain::audit::sha256_hex(&bytes);
    Ok(Photo { id, width: stored.width(), height: stored.height(), bytes, thumbnail })
}

/// Stores a prepared photo once (a second upload of the same content is a no-op).
pub fn save(conn: &rusqlite::Connection, photo: &Photo, by: i64, now: &str) -> Result<()> {
    crate::store::media::insert(conn, photo, by, now)
}

/// A stored photo's bytes (or its thumbnail's), to whoever uploaded it, the
/// town office, and those who may read a case it belongs to. Anyone else gets
/// 404: photos of sites and people are personal information.
pub fn readable_bytes(
    conn: &rusqlite::Connection,
    maps: &crate::spatial::Maps,
    actor: &crate::service::accounts::Actor,
    id: &str,
    thumbnail: bool,
) -> Result<Vec<u8>> {
    use crate::service::cases;
    let allowed = actor.scope.admin
        || crate::store::media::uploader(conn, id)? == Some(actor.person.id)
        || crate::store::cases::with_photo(conn, id)?
            .iter()
            .any(|case| cases::readable(&actor.scope, actor.person.id, &cases::facts(maps, case)));
    let bytes = if allowed { crate::store::media::bytes(conn, id, thumbnail)? } else { None };
    bytes.ok_or_else(|| Error::not_found(format!("没有照片 {id}"), format!("no photo {id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = DynamicImage::new_rgb8(width, height);
        let mut out = Vec::new();
        image.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn a_png_becomes_a_jpeg_with_a_thumbnail_and_a_stable_id() {
        let a = prepare(&png(800, 600)).unwrap();
        assert_eq!((a.width, a.height), (800, 600));
        assert_eq!(&a.bytes[..2], &[0xFF, 0xD8]);
        assert!(a.thumbnail.len() < a.bytes.len());
        assert_eq!(prepare(&png(800, 600)).unwrap().id, a.id, "the same photo must get the same id");
    }

    #[test]
    fn non_images_truncated_images_and_bombs_are_refused() {
        assert!(matches!(prepare(b"%PDF-1.7 not a photo"), Err(Error::Invalid { .. })));
        let whole = png(64, 64);
        assert!(matches!(prepare(&whole[..whole.len() / 2]), Err(Error::Invalid { .. })));
        // A PNG header claiming 100000 x 100000 pixels: refused before decoding.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(matches!(prepare(&bomb), Err(Error::Invalid { .. })));
        assert!(matches!(prepare(&vec![0u8; MAX_UPLOAD_BYTES + 1]), Err(Error::TooLarge(_))));
    }
}
