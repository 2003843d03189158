//! The map of the town's grids and rivers (`assets/map.js` draws it with
//! Leaflet from the geography API). Signed in, it adds the layers of
//! `/api/v1/map/*` in the viewer's scope (enterprises, open cases, the
//! month's patrol tracks) and the filters that choose them; the endpoints
//! ride in `data-*` attributes (no inline script: CSP).

use axum::extract::State;
use axum::response::Response;
use maud::{DOCTYPE, Markup, html};

use super::{Viewer, html};
use crate::app::App;
use crate::domain::case::{Grade, Kind};
use crate::http::assets;
use crate::service::map::worst_first;

/// The filters of the signed-in map: kind, open state, grade, month (of the
/// tracks, and of the cases' filing when the period says so). Each control's
/// `name` is the query parameter the script sends.
fn filters(viewer: &Viewer, month: &str) -> Markup {
    let all = viewer.t("map.filter.all");
    html! {
        form #gs-filters .gs-filters aria-label=(viewer.t("map.filter.title")) {
            label { span data-i18n="filter.kind" { (viewer.t("map.filter.kind")) }
                select name="kind" {
                    option value="" data-i18n="filter.all" { (all) }
                    @for k in [Kind::Safety, Kind::Environment, Kind::River] {
                        option value=(k.as_str()) data-i18n=(format!("kind.{}", k.as_str())) { (viewer.t(&format!("kind.{}", k.as_str()))) }
                    }
                }
            }
            label { span data-i18n="filter.status" { (viewer.t("map.filter.status")) }
                select name="status" {
                    option value="" data-i18n="filter.allOpen" { (viewer.t("map.filter.all_open")) }
                    @for s in worst_first() {
                        option value=(s.as_str()) data-i18n=(format!("status.{}", s.as_str())) { (viewer.t(&format!("status.{}", s.as_str()))) }
                    }
                }
            }
            label { span data-i18n="filter.grade" { (viewer.t("map.filter.grade")) }
                select name="grade" {
                    option value="" data-i18n="filter.all" { (all) }
                    @for g in [Grade::General, Grade::Major] {
                        option value=(g.as_str()) data-i18n=(format!("grade.{}", g.as_str())) { (viewer.t(&format!("grade.{}", g.as_str()))) }
                    }
                }
            }
            label { span data-i18n="filter.month" { (viewer.t("map.filter.month")) }
                input type="month" name="month" value=(month) required;
            }
            label { span data-i18n="filter.period" { (viewer.t("map.filter.period")) }
                select name="period" {
                    option value="" data-i18n="filter.periodAll" { (viewer.t("map.filter.period_all")) }
                    option value="month" data-i18n="filter.periodMonth" { (viewer.t("map.filter.period_month")) }
                }
            }
        }
    }
}

/// `GET /map`: the page; the base-tile URL, if configured, rides in
/// `data-tile-url`; signed in, the layer endpoints and the month in `data-*`.
pub async fn show(State(app): State<App>, viewer: Viewer) -> Response {
    let tile_url = app.ui.tile_url.as_deref().unwrap_or("");
    let signed_in = viewer.session.is_some();
    let back = if signed_in { "/" } else { "/login" };
    let today = app.clock.today();
    let month = &today[..7];
    let endpoint = |path: &'static str| signed_in.then_some(path);
    html(html! {
        (DOCTYPE)
        html lang=(viewer.lang.html_lang()) {
            head {
                (super::layout::head_meta(&viewer, viewer.t("map.title")))
                link rel="stylesheet" href=(assets::url("leaflet/leaflet.css"));
                link rel="stylesheet" href=(assets::url("map.css"));
            }
            body data-tile-url=(tile_url)
                data-cases-url=[endpoint("/api/v1/map/cases")]
                data-enterprises-url=[endpoint("/api/v1/map/enterprises")]
                data-patrols-url=[endpoint("/api/v1/map/patrols")]
                data-case-page=[endpoint("/cases/")]
                data-patrol-page=[endpoint("/patrols/")]
                data-enterprise-cases=[endpoint("/cases?enterprise=")]
                data-month=[signed_in.then_some(month)] {
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
                @if signed_in { (filters(&viewer, month)) }
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
