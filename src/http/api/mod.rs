//! The JSON API under `/api/v1`.

pub mod cases;
mod documents;
mod enterprises;
mod geography;
mod map;
pub mod patrols;
mod people;
mod settings;

use axum::Json;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::app::App;
use crate::error::Result;

/// Routes under `/api/v1`.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/grids", get(geography::list_grids))
        .route("/grids/{code}", get(geography::show_grid))
        .route("/locate", get(geography::locate_point))
        .route("/rivers", get(geography::list_rivers))
        .route("/rivers/{code}", get(geography::show_river))
        .route("/login", post(crate::http::auth::login))
        .route("/logout", post(crate::http::auth::logout))
        .route("/me", get(people::me))
        .route("/people", get(people::list_people).post(people::create_person))
        .route("/people/{id}", get(people::show_person))
        .route("/assignments", get(people::list_assignments).post(people::create_assignment))
        .route("/assignments/{id}/end", post(people::end_assignment))
        .route("/grids/{code}/responsible", get(people::responsible))
        .route("/coverage", get(people::show_coverage))
        .route("/enterprises", get(enterprises::list_enterprises).post(enterprises::create_enterprise))
        .route("/enterprises/{id}", get(enterprises::show_enterprise).patch(enterprises::update_enterprise))
        .route("/enterprises/{id}/governance", post(enterprises::change_governance))
        .route("/enterprises/{id}/reinspections", post(enterprises::reinspect))
        .route("/categories", get(cases::list_categories).post(cases::create_category))
        .route("/categories/{code}", axum::routing::patch(cases::update_category))
        .route("/cases", get(cases::list_cases).post(cases::file_case))
        .route("/cases/nearby", get(cases::nearby_cases))
        .route("/cases/{number}", get(cases::show_case))
        .route("/stats", get(cases::show_stats))
        .route("/ledger.csv", get(cases::ledger_csv))
        .route("/ledger.xlsx", get(cases::ledger_xlsx))
        .route("/cases/{number}/actions", post(cases::act_on_case))
        .route("/cases/{number}/notice.pdf", get(documents::show_case_notice))
        .route("/cases/{number}/signoff.pdf", get(documents::show_case_signoff))
        .route("/media/{id}", get(cases::show_media))
        .route("/notices", post(documents::issue_notice))
        .route("/documents", get(documents::list_month_documents))
        .route("/documents.zip", get(documents::month_archive))
        .route("/documents/{code}", get(documents::show_document))
        .route("/documents/{code}/corrections", post(documents::correct_document))
        .route("/verify/{number}", get(documents::verify_document))
        .route("/map/cases", get(map::map_cases))
        .route("/map/enterprises", get(map::map_enterprises))
        .route("/map/patrols", get(map::map_patrols))
        .route("/patrols", get(patrols::list_patrols))
        .route("/patrols/compliance", get(patrols::show_compliance))
        .route("/patrols/{code}", get(patrols::show_patrol))
        .route("/patrols/{code}/review", post(patrols::review_patrol))
        .route("/patrols/{code}/resubmit", post(patrols::resubmit_patrol))
        .route("/patrols/{code}/pdf", get(patrols::patrol_pdf))
        .route("/rivers/{code}/report.pdf", get(patrols::river_report))
        .route("/settings/patrol-rules", get(settings::show_patrol_rules).patch(settings::update_patrol_rules))
        .route("/patrols", post(patrols::file_patrol).layer(DefaultBodyLimit::max(patrols::MAX_PATROL_BODY)))
        .route(
            "/media",
            post(cases::upload_media).layer(DefaultBodyLimit::max(crate::service::media::MAX_UPLOAD_BYTES + 64 * 1024)),
        )
        // JSON bodies are small; photos get their own limit on their own route.
        .layer(DefaultBodyLimit::max(256 * 1024))
}

/// `GET /healthz`: the database answers and the geography is loaded.
pub async fn health(State(app): State<App>) -> Result<Json<Value>> {
    let grids = app.store.read(crate::store::grids::count).await?;
    Ok(Json(json!({"status": "ok", "grids": grids, "grids_in_memory": app.maps().grids().len()})))
}
