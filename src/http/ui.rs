//! The web pages and their static assets, embedded in the binary (no CDN, no
//! network at run time). Leaflet 1.9.4 is vendored under `ui/static/leaflet`
//! with its BSD-2-Clause licence.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

use crate::app::App;
use crate::error::Error;

const INDEX: &str = include_str!("ui/index.html");

/// Every static file: URL path under `/static/`, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("ui/static/app.js")),
    ("app.css", "text/css; charset=utf-8", include_bytes!("ui/static/app.css")),
    ("leaflet/leaflet.js", "text/javascript; charset=utf-8", include_bytes!("ui/static/leaflet/leaflet.js")),
    ("leaflet/leaflet.css", "text/css; charset=utf-8", include_bytes!("ui/static/leaflet/leaflet.css")),
    ("leaflet/LICENSE", "text/plain; charset=utf-8", include_bytes!("ui/static/leaflet/LICENSE")),
    ("leaflet/images/layers.png", "image/png", include_bytes!("ui/static/leaflet/images/layers.png")),
    ("leaflet/images/layers-2x.png", "image/png", include_bytes!("ui/static/leaflet/images/layers-2x.png")),
    ("leaflet/images/marker-icon.png", "image/png", include_bytes!("ui/static/leaflet/images/marker-icon.png")),
    ("leaflet/images/marker-icon-2x.png", "image/png", include_bytes!("ui/static/leaflet/images/marker-icon-2x.png")),
    ("leaflet/images/marker-shadow.png", "image/png", include_bytes!("ui/static/leaflet/images/marker-shadow.png")),
];

/// `GET /`: the map of the town.
pub async fn index(State(app): State<App>) -> Html<String> {
    let tile_url = app.ui.tile_url.as_deref().unwrap_or("");
    // Inserted inside a JS string literal: JSON-escape it, and never let it close the script.
    let escaped = serde_json::to_string(tile_url).expect("a string always serialises");
    let escaped = escaped[1..escaped.len() - 1].replace('<', "\\u003c");
    Html(INDEX.replace("{{TILE_URL}}", &escaped))
}

/// `GET /static/{path}`: an embedded asset, cached for a day.
pub async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == path) {
        Some((_, content_type, bytes)) => {
            ([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "public, max-age=86400")], *bytes)
                .into_response()
        }
        None => Error::not_found(format!("没有静态文件 {path}"), format!("no static file {path}")).into_response(),
    }
}
