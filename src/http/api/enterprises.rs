//! Enterprises and premises: scoped listing and reading, creation and edits by
//! the town office or the grid's inspectors, and the governance lifecycle.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::App;
use crate::domain::enterprise::Governance;
use crate::domain::people::date;
use crate::domain::time::china_timestamp;
use crate::error::Result;
use crate::http::auth::Caller;
use crate::http::extract::{JsonBody, Path, Query};
use crate::http::idempotency::Keyed;
use crate::service::enterprises::{self, EnterpriseInput, EnterprisePatch, GovernanceInput, ReinspectionInput};

/// Query of `GET /api/v1/enterprises`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseQuery {
    /// A grid code; enterprises in it or any grid below.
    grid: Option<String>,
    above_scale: Option<bool>,
    key: Option<bool>,
    governance: Option<String>,
    /// Words the name or unified social credit code contains.
    q: Option<String>,
    /// Closed premises due a re-inspection by this date (YYYY-MM-DD), soonest first.
    reinspection_due_by: Option<String>,
    /// Page size (default 100, at most 500).
    limit: Option<usize>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
}

/// `GET /api/v1/enterprises`: the enterprises in the caller's scope, filtered,
/// in keyset pages like the cases (`{"enterprises": [...], "next": cursor}`).
#[utoipa::path(
    get,
    path = "/enterprises",
    tag = "enterprises",
    params(EnterpriseQuery),
    responses((status = 200, description = "企业（分页）· enterprises, in pages", body = crate::http::api::openapi::EnterprisePage))
)]
pub async fn list_enterprises(
    State(app): State<App>,
    caller: Caller,
    Query(query): Query<EnterpriseQuery>,
) -> Result<Json<Value>> {
    let filter = enterprises::EnterpriseFilter {
        governance: query.governance.as_deref().map(Governance::parse).transpose()?,
        reinspection_due_by: query
            .reinspection_due_by
            .as_deref()
            .map(|d| date("reinspection_due_by", d))
            .transpose()?,
        grid: query.grid,
        above_scale: query.above_scale,
        key: query.key,
        text: query.q,
    };
    let (maps, scope) = (app.maps(), caller.actor.scope);
    let limit = query.limit.unwrap_or(100).clamp(1, enterprises::MAX_PAGE);
    let after = query.after;
    let (items, next) =
        app.store.read(move |c| enterprises::page_readable(c, &maps, &scope, &filter, after.as_deref(), limit)).await?;
    Ok(Json(json!({"enterprises": items, "next": next})))
}

/// `GET /api/v1/enterprises/{id}`: one enterprise with its closure checklist.
#[utoipa::path(
    get,
    path = "/enterprises/{id}",
    tag = "enterprises",
    params(("id" = i64, Path, description = "企业编号 · enterprise id")),
    responses((status = 200, description = "企业 · the enterprise", body = Object))
)]
pub async fn show_enterprise(State(app): State<App>, caller: Caller, Path(id): Path<i64>) -> Result<Json<Value>> {
    let scope = caller.actor.scope;
    let (enterprise, checklist) = app.store.read(move |c| enterprises::load_readable(c, &scope, id)).await?;
    let mut body = json!(enterprise);
    body["closure_checklist"] = json!(checklist);
    Ok(Json(body))
}

/// `POST /api/v1/enterprises`: registers an enterprise or premises in the caller's grids.
#[utoipa::path(
    post,
    path = "/enterprises",
    tag = "enterprises",
    params(crate::http::api::openapi::IdempotencyKey),
    request_body = crate::service::enterprises::EnterpriseInput,
    responses((status = 201, description = "已登记 · registered", body = Object))
)]
pub async fn create_enterprise(
    State(app): State<App>,
    caller: Caller,
    Keyed { input, once }: Keyed<EnterpriseInput>,
) -> Result<(StatusCode, Json<Value>)> {
    let (maps, scope) = (app.maps(), caller.actor.scope);
    // Checked before the write too, so a bad request is answered without queueing.
    enterprises::fields(&input, &maps, scope.admin)?;
    let now = china_timestamp(app.now_s());
    once.create(&app, caller.actor.person.id, move |c| Ok(json!(enterprises::create(c, &maps, &scope, &input, &now)?)))
        .await
}

/// `PATCH /api/v1/enterprises/{id}`: edits fields; `If-Match` guards against lost updates.
#[utoipa::path(
    patch,
    path = "/enterprises/{id}",
    tag = "enterprises",
    params(("id" = i64, Path, description = "企业编号 · enterprise id"), crate::http::api::openapi::IfMatch),
    request_body = crate::service::enterprises::EnterprisePatch,
    responses((status = 200, description = "已更新 · updated", body = Object))
)]
pub async fn update_enterprise(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    JsonBody(patch): JsonBody<EnterprisePatch>,
) -> Result<Json<Value>> {
    let expected = crate::http::extract::if_match(&headers)?;
    let (maps, scope, now) = (app.maps(), caller.actor.scope, china_timestamp(app.now_s()));
    let updated =
        app.store.write(move |c| enterprises::update(c, &maps, &scope, id, patch.clone(), expected, &now)).await?;
    Ok(Json(json!(updated)))
}

/// `POST /api/v1/enterprises/{id}/governance`: moves the 小散乱污 status.
#[utoipa::path(
    post,
    path = "/enterprises/{id}/governance",
    tag = "enterprises",
    params(("id" = i64, Path, description = "企业编号 · enterprise id"), crate::http::api::openapi::IfMatch),
    request_body = crate::service::enterprises::GovernanceInput,
    responses((status = 200, description = "治理状态已变更 · governance changed", body = Object))
)]
pub async fn change_governance(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    JsonBody(input): JsonBody<GovernanceInput>,
) -> Result<Json<Value>> {
    let expected = crate::http::extract::if_match(&headers)?;
    let (scope, by, now) = (caller.actor.scope, caller.actor.person.id, app.now_s());
    let updated = app.store.write(move |c| enterprises::govern(c, &scope, id, &input, expected, by, now)).await?;
    Ok(Json(json!(updated)))
}

/// `POST /api/v1/enterprises/{id}/reinspections`: closed premises re-inspected
/// (回头看); the next re-inspection falls due from that day.
#[utoipa::path(
    post,
    path = "/enterprises/{id}/reinspections",
    tag = "enterprises",
    params(("id" = i64, Path, description = "企业编号 · enterprise id"), crate::http::api::openapi::IfMatch),
    request_body = crate::service::enterprises::ReinspectionInput,
    responses((status = 200, description = "已回头看 · re-inspected", body = Object))
)]
pub async fn reinspect(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    JsonBody(input): JsonBody<ReinspectionInput>,
) -> Result<Json<Value>> {
    let expected = crate::http::extract::if_match(&headers)?;
    let (scope, by, now) = (caller.actor.scope, caller.actor.person.id, app.now_s());
    let updated = app.store.write(move |c| enterprises::reinspect(c, &scope, id, &input, expected, by, now)).await?;
    Ok(Json(json!(updated)))
}
