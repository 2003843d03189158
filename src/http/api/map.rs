//! The signed-in map's layers: open cases aggregated by zoom, enterprises and
//! the month's patrol tracks, each in the caller's scope (`service::map`).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::app::App;
use crate::error::Result;
use crate::http::api::cases::CaseQuery;
use crate::http::auth::Caller;
use crate::http::extract::Query;
use crate::service::map::{self, MapCases, MapEnterprise, MapTrack, View};

/// Query of `GET /api/v1/map/cases`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MapCaseQuery {
    /// `west,south,east,north` in degrees.
    bbox: String,
    /// The map's zoom level.
    zoom: u8,
    kind: Option<String>,
    /// An open status.
    status: Option<String>,
    grade: Option<String>,
    /// Filed on or after this date.
    from: Option<String>,
    /// Filed on or before this date.
    to: Option<String>,
}

/// `GET /api/v1/map/cases?bbox=&zoom=&kind=&status=&grade=&from=&to=`: the
/// open cases in view, as clusters or points (see `service::map`).
#[utoipa::path(
    get,
    path = "/map/cases",
    tag = "map",
    params(MapCaseQuery),
    responses((status = 200, description = "视野内的案件或聚合 · cases or clusters in view", body = Object))
)]
pub async fn map_cases(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<MapCaseQuery>,
) -> Result<Json<MapCases>> {
    let view = View::parse(&q.bbox, q.zoom)?;
    // The case list's own parsing of the shared filters.
    let filter =
        CaseQuery { kind: q.kind, status: q.status, grade: q.grade, from: q.from, to: q.to, ..CaseQuery::default() }
            .filter()?;
    let (maps, actor, today) = (app.maps(), caller.actor, app.clock.today());
    let answer = app.store.read(move |c| map::cases_in_view(c, &maps, &actor, view, &filter, &today)).await?;
    Ok(Json(answer))
}

/// `GET /api/v1/map/enterprises`: the enterprises in the caller's scope.
#[utoipa::path(
    get,
    path = "/map/enterprises",
    tag = "map",
    responses((status = 200, description = "企业点位 · enterprise points", body = Vec<Object>))
)]
pub async fn map_enterprises(State(app): State<App>, caller: Caller) -> Result<Json<Vec<MapEnterprise>>> {
    let (maps, actor) = (app.maps(), caller.actor);
    Ok(Json(app.store.read(move |c| map::enterprises(c, &maps, &actor)).await?))
}

/// Query of `GET /api/v1/map/patrols`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MapPatrolQuery {
    /// `YYYY-MM`; this month when absent.
    month: Option<String>,
}

/// `GET /api/v1/map/patrols?month=`: the month's tracks the caller may read.
#[utoipa::path(
    get,
    path = "/map/patrols",
    tag = "map",
    params(MapPatrolQuery),
    responses((status = 200, description = "本月轨迹 · the month's tracks", body = Vec<Object>))
)]
pub async fn map_patrols(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<MapPatrolQuery>,
) -> Result<Json<Vec<MapTrack>>> {
    let month = q.month.unwrap_or_else(|| app.clock.today()[..7].to_owned());
    let (maps, actor) = (app.maps(), caller.actor);
    Ok(Json(app.store.read(move |c| map::tracks(c, &maps, &actor, &month)).await?))
}
