//! The public map of the town's grids and rivers (`assets/map.js` draws it
//! with Leaflet from the geography API).

use axum::extract::State;
use axum::response::Response;
use maud::{DOCTYPE, html};

use super::{Viewer, html};
use crate::app::App;
use crate::http::assets;

/// `GET /map`: the page; the base-tile URL, if configured, rides in `data-tile-url`.
pub async fn show(State(app): State<App>, viewer: Viewer) -> Response {
    let tile_url = app.ui.tile_url.as_deref().unwrap_or("");
    let back = if viewer.session.is_some() { "/" } else { "/login" };
    html(html! {
        (DOCTYPE)
        html lang=(viewer.lang.html_lang()) {
            head {
                (super::layout::head_meta(&viewer, viewer.t("map.title")))
                link rel="stylesheet" href=(assets::url("leaflet/leaflet.css"));
                link rel="stylesheet" href=(assets::url("map.css"));
            }
            body data-tile-url=(tile_url) {
                header.gs-header {
                    h1.gs-brand {
                        a.gs-back href=(back) aria-label=(viewer.t("nav.home")) { "‹" }
                        " "
                        span.gs-brand-app { "gridsafe" } " · " span #gs-town-name { "谭坊镇" }
                    }
                    nav.gs-lang aria-label="语言 / Language" {
                        button.gs-lang-btn type="button" data-lang="zh" lang="zh-CN" aria-pressed="true" { "中文" }
                        span.gs-lang-sep aria-hidden="true" { "|" }
                        button.gs-lang-btn type="button" data-lang="en" lang="en" aria-pressed="false" { "English" }
                    }
                }
                div #gs-banners .gs-banners role="alert" aria-live="assertive" {}
                main.gs-main {
                    div #map .gs-map role="application" aria-label=(viewer.t("map.title")) {
                        noscript { p.gs-noscript { (viewer.t("map.noscript")) } }
                    }
                    div #gs-loading .gs-loading data-i18n="loading" { (viewer.t("map.loading")) }
                }
                script src=(assets::url("leaflet/leaflet.js")) {}
                script src=(assets::url("map.js")) {}
            }
        }
    })
}
