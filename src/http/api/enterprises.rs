//! Enterprises and premises: scoped listing and reading, creation and edits by
//! the town office or the grid's inspectors, and the governance lifecycle.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::App;
use crate::domain::access::forbidden;
use crate::domain::enterprise::Governance;
use crate::domain::time::china_timestamp;
use crate::error::{Error, Result};
use crate::http::auth::Caller;
use crate::http::extract::{JsonBody, Query};
use crate::http::idempotency::Keyed;
use crate::service::enterprises::{self, EnterpriseInput, EnterprisePatch, GovernanceInput};
use crate::store::enterprises::{self as store, Enterprise};

/// Query of `GET /api/v1/enterprises`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseQuery {
    /// A grid code; enterprises in it or any grid below.
    grid: Option<String>,
    above_scale: Option<bool>,
    key: Option<bool>,
    governance: Option<String>,
}

fn no_enterprise(id: i64) -> Error {
    Error::not_found(format!("没有编号为 {id} 的企业"), format!("no enterprise {id}"))
}

/// Loads an enterprise the caller may read; anything else is a 404.
async fn readable(app: &App, caller: &Caller, id: i64) -> Result<Enterprise> {
    let found = app.store.read(move |c| store::get(c, id)).await?;
    found.filter(|e| caller.actor.scope.reads_enterprise(e.id, &e.grid_code)).ok_or_else(|| no_enterprise(id))
}

/// Loads an enterprise for a write: 404 if it does not exist, 403 if it lies
/// outside the grids the caller may write in.
async fn writable(app: &App, caller: &Caller, id: i64) -> Result<Enterprise> {
    let found = app.store.read(move |c| store::get(c, id)).await?.ok_or_else(|| no_enterprise(id))?;
    if caller.actor.scope.writes_enterprise(&found.grid_code) { Ok(found) } else { Err(forbidden()) }
}

/// `GET /api/v1/enterprises`: the enterprises in the caller's scope, filtered.
pub async fn list_enterprises(
    State(app): State<App>,
    caller: Caller,
    Query(query): Query<EnterpriseQuery>,
) -> Result<Json<Value>> {
    let governance = query.governance.as_deref().map(Governance::parse).transpose()?;
    let maps = app.maps();
    if let Some(grid) = &query.grid {
        maps.grid(grid).ok_or_else(|| {
            Error::invalid("grid", format!("没有编码为 {grid} 的网格"), format!("no grid with code {grid}"))
        })?;
    }
    let scope = caller.actor.scope;
    let all = app.store.read(store::list).await?;
    let list: Vec<Enterprise> = all
        .into_iter()
        .filter(|e| scope.reads_enterprise(e.id, &e.grid_code))
        .filter(|e| query.grid.as_deref().is_none_or(|g| maps.is_within(&e.grid_code, g)))
        .filter(|e| query.above_scale.is_none_or(|v| e.above_scale == v))
        .filter(|e| query.key.is_none_or(|v| e.key == v))
        .filter(|e| governance.is_none_or(|g| e.governance == g))
        .collect();
    Ok(Json(json!(list)))
}

/// `GET /api/v1/enterprises/{id}`: one enterprise with its closure checklist.
pub async fn show_enterprise(State(app): State<App>, caller: Caller, Path(id): Path<i64>) -> Result<Json<Value>> {
    let enterprise = readable(&app, &caller, id).await?;
    let checklist = app.store.read(move |c| store::checklist(c, id)).await?;
    let mut body = json!(enterprise);
    body["closure_checklist"] = json!(checklist.into_iter().collect::<std::collections::BTreeMap<_, _>>());
    Ok(Json(body))
}

/// `POST /api/v1/enterprises`: registers an enterprise or premises in the caller's grids.
pub async fn create_enterprise(
    State(app): State<App>,
    caller: Caller,
    Keyed { input, once }: Keyed<EnterpriseInput>,
) -> Result<(StatusCode, Json<Value>)> {
    let maps = app.maps();
    let scope = caller.actor.scope;
    let fields = enterprises::fields(&input, &maps, scope.admin)?;
    if !scope.writes_enterprise(&fields.grid_code) {
        return Err(forbidden());
    }
    let now = china_timestamp(app.now_s());
    once.create(&app, caller.actor.person.id, move |c| Ok(json!(store::insert(c, &fields, &now)?))).await
}

/// `PATCH /api/v1/enterprises/{id}`: edits fields; `If-Match` guards against lost updates.
pub async fn update_enterprise(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    JsonBody(patch): JsonBody<EnterprisePatch>,
) -> Result<Json<Value>> {
    let current = writable(&app, &caller, id).await?;
    let scope = &caller.actor.scope;
    let expected = crate::http::extract::if_match(&headers)?.unwrap_or(current.version);
    let fields = enterprises::patched(&current, patch, &app.maps(), scope.admin)?;
    // The new location must lie in the caller's grids too.
    if !scope.writes_enterprise(&fields.grid_code) {
        return Err(forbidden());
    }
    let now = china_timestamp(app.now_s());
    let updated = app.store.write(move |c| store::update(c, id, expected, &fields, &now)).await?;
    Ok(Json(json!(updated)))
}

/// `POST /api/v1/enterprises/{id}/governance`: moves the 小散乱污 status.
pub async fn change_governance(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    JsonBody(input): JsonBody<GovernanceInput>,
) -> Result<Json<Value>> {
    let mut current = writable(&app, &caller, id).await?;
    if let Some(version) = crate::http::extract::if_match(&headers)? {
        current.version = version;
    }
    let (by, now) = (caller.actor.person.id, app.now_s());
    let updated = app.store.write(move |c| enterprises::change_governance(c, &current, &input, by, now)).await?;
    Ok(Json(json!(updated)))
}
