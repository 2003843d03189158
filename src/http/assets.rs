//! The static files of the web interface, embedded in the binary (nothing from
//! a CDN, nothing read from disk at run time) and served under a name that
//! carries a hash of the content (`/assets/app.3f9c2a1b.js`), so a browser may
//! keep them for a year (`Cache-Control: immutable`) and a new build is never
//! mixed with an old cached file. Plain names (`/assets/leaflet/images/x.png`)
//! are served too, with a short lifetime, for the relative links inside
//! Leaflet's stylesheet.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::Error;

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// The plain path under `/assets/` (`app.js`, `leaflet/leaflet.css`).
    pub name: &'static str,
    /// The path with the content hash before the extension (`app.3f9c2a1b.js`).
    pub hashed: String,
    /// Its media type.
    pub content_type: &'static str,
    /// The bytes.
    pub bytes: &'static [u8],
    /// The quoted entity tag.
    etag: String,
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        ($name, $type, include_bytes!(concat!("assets/", $name)) as &[u8])
    };
}

const FILES: &[(&str, &str, &[u8])] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("outbox.js", "text/javascript; charset=utf-8"),
    asset!("report.js", "text/javascript; charset=utf-8"),
    asset!("case.js", "text/javascript; charset=utf-8"),
    asset!("patrol.js", "text/javascript; charset=utf-8"),
    asset!("patrol-track.js", "text/javascript; charset=utf-8"),
    asset!("compliance.js", "text/javascript; charset=utf-8"),
    asset!("map.js", "text/javascript; charset=utf-8"),
    asset!("map.css", "text/css; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("leaflet/leaflet.js", "text/javascript; charset=utf-8"),
    asset!("leaflet/leaflet.css", "text/css; charset=utf-8"),
    asset!("leaflet/LICENSE", "text/plain; charset=utf-8"),
    asset!("leaflet/images/layers.png", "image/png"),
    asset!("leaflet/images/layers-2x.png", "image/png"),
    asset!("leaflet/images/marker-icon.png", "image/png"),
    asset!("leaflet/images/marker-icon-2x.png", "image/png"),
    asset!("leaflet/images/marker-shadow.png", "image/png"),
];

/// The service worker's script. Served at `/sw.js` (a worker controls only the
/// paths below its own), never cached by hash: the browser checks it for updates.
pub const SERVICE_WORKER: &[u8] = include_bytes!("assets/sw.js");

fn hashed_name(name: &str, bytes: &[u8]) -> (String, String) {
    let digest = Sha256::digest(bytes);
    let short = crate::domain::audit::hex(&digest[..5]);
    let hashed = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !stem.ends_with('/') => format!("{stem}.{short}.{ext}"),
        _ => format!("{name}.{short}"),
    };
    (hashed, format!("\"{short}\""))
}

/// Every embedded asset, with its hashed name.
pub static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|&(name, content_type, bytes)| {
            let (hashed, etag) = hashed_name(name, bytes);
            Asset { name, hashed, content_type, bytes, etag }
        })
        .collect()
});

/// The URL of an embedded asset by its plain name: `/assets/<hashed name>`.
///
/// # Panics
/// When `name` is not embedded: a page naming a missing asset is a build mistake,
/// caught by the page tests.
pub fn url(name: &str) -> String {
    let asset = ASSETS.iter().find(|a| a.name == name).unwrap_or_else(|| panic!("asset {name} is not embedded"));
    format!("/assets/{}", asset.hashed)
}

/// Every asset URL a page may need offline (for the service worker's cache).
pub fn shell_urls() -> Vec<String> {
    ASSETS
        .iter()
        .filter(|a| {
            !a.name.starts_with("leaflet/")
                || a.content_type.starts_with("text/javascript")
                || a.content_type.starts_with("text/css")
        })
        .map(|a| format!("/assets/{}", a.hashed))
        .collect()
}

/// `GET /assets/{*path}` (and the older `/static/{*path}`): a hashed name is
/// immutable for a year; a plain name lives an hour.
pub async fn serve(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let found = ASSETS
        .iter()
        .find_map(|a| (a.hashed == path).then_some((a, true)))
        .or_else(|| ASSETS.iter().find_map(|a| (a.name == path).then_some((a, false))));
    let Some((asset, immutable)) = found else {
        return Error::not_found(format!("没有静态文件 {path}"), format!("no static file {path}")).into_response();
    };
    let cache = if immutable { "public, max-age=31536000, immutable" } else { "public, max-age=3600" };
    if crate::http::extract::if_none_match(&headers, &asset.etag) {
        return (StatusCode::NOT_MODIFIED, [(header::CACHE_CONTROL, cache)]).into_response();
    }
    let etag = HeaderValue::from_str(&asset.etag).expect("a hex entity tag is a valid header");
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (header::ETAG, etag),
        ],
        asset.bytes,
    )
        .into_response()
}

/// `GET /sw.js`: the service worker, with the list of shell assets it caches.
pub async fn service_worker() -> Response {
    let shell = shell_urls();
    let urls = serde_json::to_string(&shell).expect("strings serialise");
    let version = crate::domain::audit::hex(&Sha256::digest(urls.as_bytes())[..6]);
    let script =
        String::from_utf8_lossy(SERVICE_WORKER).replace("\"__SHELL_ASSETS__\"", &urls).replace("__VERSION__", &version);
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("service-worker-allowed"), "/"),
        ],
        script,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_name_keeps_the_folder_and_extension() {
        let (name, etag) = hashed_name("leaflet/leaflet.css", b"x");
        assert!(
            name.starts_with("leaflet/leaflet.") && name.rsplit_once('.').is_some_and(|(_, ext)| ext == "css"),
            "{name}"
        );
        assert_eq!(name.len(), "leaflet/leaflet..css".len() + 10);
        assert_eq!(etag.len(), 12);
        assert_ne!(hashed_name("a.js", b"1").0, hashed_name("a.js", b"2").0);
        assert!(hashed_name("leaflet/LICENSE", b"x").0.starts_with("leaflet/LICENSE."));
    }

    #[test]
    fn every_asset_has_a_distinct_url() {
        let mut urls: Vec<String> = ASSETS.iter().map(|a| url(a.name)).collect();
        urls.sort();
        urls.dedup();
        assert_eq!(urls.len(), ASSETS.len());
    }
}
