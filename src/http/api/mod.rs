//! The JSON API under `/api/v1`.

mod geography;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
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
}

/// `GET /healthz`: the database answers and the geography is loaded.
pub async fn health(State(app): State<App>) -> Result<Json<Value>> {
    let grids = app.store.read(crate::store::grids::count).await?;
    Ok(Json(json!({"status": "ok", "grids": grids, "grids_in_memory": app.maps().grids().len()})))
}
