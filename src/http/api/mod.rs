//! The JSON API under `/api/v1`.

pub mod cases;
mod documents;
mod enterprises;
mod geography;
mod map;
pub mod openapi;
pub mod patrols;
mod people;
mod settings;

use axum::Json;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use serde_json::Value;
use utoipa::OpenApi as _;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::app::App;
use crate::error::Result;
use crate::http::auth;

/// Routes under `/api/v1`, with `/openapi.json` describing them.
pub fn routes() -> Router<App> {
    let (router, doc) = documented().split_for_parts();
    openapi::DOCUMENT.get_or_init(|| openapi::finish(doc));
    router
}

/// The OpenAPI document of the routes, as served.
pub fn openapi_document() -> &'static str {
    let _ = routes();
    openapi::DOCUMENT.get().map_or("{}", String::as_str)
}

/// Every route with its operation. Only `.routes(routes!(..))` here: a
/// route added any other way would be missing from the document (the
/// `openapi` tests check this file for that).
fn documented() -> OpenApiRouter<App> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(openapi::show_document))
        .routes(routes!(geography::list_grids))
        .routes(routes!(geography::show_grid))
        .routes(routes!(geography::locate_point))
        .routes(routes!(geography::list_rivers))
        .routes(routes!(geography::show_river))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(people::me))
        .routes(routes!(people::list_people, people::create_person))
        .routes(routes!(people::show_person))
        .routes(routes!(people::list_assignments, people::create_assignment))
        .routes(routes!(people::end_assignment))
        .routes(routes!(people::responsible))
        .routes(routes!(people::show_coverage))
        .routes(routes!(enterprises::list_enterprises, enterprises::create_enterprise))
        .routes(routes!(enterprises::show_enterprise, enterprises::update_enterprise))
        .routes(routes!(enterprises::change_governance))
        .routes(routes!(enterprises::reinspect))
        .routes(routes!(cases::list_categories, cases::create_category))
        .routes(routes!(cases::update_category))
        .routes(routes!(cases::list_cases, cases::file_case))
        .routes(routes!(cases::nearby_cases))
        .routes(routes!(cases::show_case))
        .routes(routes!(cases::show_stats))
        .routes(routes!(cases::ledger_csv))
        .routes(routes!(cases::ledger_xlsx))
        .routes(routes!(cases::act_on_case))
        .routes(routes!(documents::show_case_notice))
        .routes(routes!(documents::show_case_signoff))
        .routes(routes!(cases::show_media))
        .routes(routes!(documents::issue_notice))
        .routes(routes!(documents::list_month_documents))
        .routes(routes!(documents::month_archive))
        .routes(routes!(documents::show_document))
        .routes(routes!(documents::correct_document))
        .routes(routes!(documents::verify_document))
        .routes(routes!(map::map_cases))
        .routes(routes!(map::map_enterprises))
        .routes(routes!(map::map_patrols))
        .routes(routes!(patrols::list_patrols))
        .routes(routes!(patrols::show_compliance))
        .routes(routes!(patrols::show_patrol))
        .routes(routes!(patrols::review_patrol))
        .routes(routes!(patrols::resubmit_patrol))
        .routes(routes!(patrols::patrol_pdf))
        .routes(routes!(patrols::river_report))
        .routes(routes!(settings::show_patrol_rules, settings::update_patrol_rules))
        .routes(routes!(patrols::file_patrol).layer(DefaultBodyLimit::max(patrols::MAX_PATROL_BODY)))
        .routes(
            routes!(cases::upload_media)
                .layer(DefaultBodyLimit::max(crate::service::media::MAX_UPLOAD_BYTES + 64 * 1024)),
        )
        // JSON bodies are small; photos and tracks get their own limits on their own routes.
        .layer(DefaultBodyLimit::max(256 * 1024))
}

/// `GET /healthz`: the database answers and is writable, the geography is
/// loaded, the scheduled backups (if any) are recent and succeeding, the WAL
/// is short, the audit chain and its guards hold, the disk has room;
/// `degraded` with the reasons otherwise.
pub async fn health(State(app): State<App>) -> Result<Json<Value>> {
    use crate::service::{backup, health};
    let grids = app.store.read(crate::store::grids::count).await?;
    let last = app.backups.last.lock().map(|last| last.clone()).unwrap_or_default();
    Ok(Json(health::report(health::Facts {
        grids,
        grids_in_memory: app.maps().grids().len(),
        write_failure: app.store.write_failure(),
        wal_bytes: app.store.wal_bytes(),
        free_bytes: health::free_bytes(app.store.path()),
        backup: backup::health(app.backups.schedule.as_ref(), last.as_ref(), app.now_s()),
        audit: app.audit_state(),
    })))
}
