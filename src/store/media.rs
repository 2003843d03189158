//! The `media` table: photos by content hash.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

/// A photo ready to store.
#[derive(Debug, Clone)]
pub struct Photo {
    /// Hex SHA-256 of `bytes`.
    pub id: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The re-encoded JPEG, without metadata.
    pub bytes: Vec<u8>,
    /// A small JPEG for lists and documents.
    pub thumbnail: Vec<u8>,
}

/// Stores a photo once; a second upload of the same content is a no-op.
pub fn insert(conn: &Connection, photo: &Photo, by: i64, now: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO media (id, content_type, width, height, bytes, thumbnail, uploaded_by, created_at)
         VALUES (?1, 'image/jpeg', ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![photo.id, photo.width, photo.height, photo.bytes, photo.thumbnail, by, now])?;
    Ok(())
}

/// A photo's bytes (or its thumbnail's).
pub fn bytes(conn: &Connection, id: &str, thumbnail: bool) -> Result<Option<Vec<u8>>> {
    let column = if thumbnail { "thumbnail" } else { "bytes" };
    Ok(conn
        .prepare_cached(&format!("SELECT {column} FROM media WHERE id = ?1"))?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// Who uploaded a photo first.
pub fn uploader(conn: &Connection, id: &str) -> Result<Option<i64>> {
    Ok(conn.prepare_cached("SELECT uploaded_by FROM media WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?)
}

/// Which of `ids` are not stored.
pub fn missing(conn: &Connection, ids: &[String]) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM media WHERE id = ?1")?;
    let mut out = Vec::new();
    for id in ids {
        if !stmt.exists([id])? {
            out.push(id.clone());
        }
    }
    Ok(out)
}
