//! People, assignments, "who was responsible", and the coverage report.
//! Reads are filtered by the caller's scope; writes are the town office's.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::App;
use crate::domain::people::date;
use crate::domain::time::china_timestamp;
use crate::error::{Error, Result};
use crate::http::auth::Caller;
use crate::http::extract::{JsonBody, Path, Query};
use crate::http::idempotency::Keyed;
use crate::service::accounts::{self, AssignmentInput, PersonInput};
use crate::service::people;

/// `GET /api/v1/me`: the caller, their assignments in force today and their scope.
#[utoipa::path(
    get,
    path = "/me",
    tag = "accounts",
    responses((status = 200, description = "当前用户及其职责 · the caller and their duties", body = Object))
)]
pub async fn me(caller: Caller) -> Json<Value> {
    let mut body = json!(caller.actor);
    // Scripts of a page opened from the offline cache fetch the session's
    // current CSRF token here before they send what waited in the outbox.
    body["csrf_token"] = json!(crate::http::csrf::token(&caller.token));
    Json(body)
}

/// Query of `GET /api/v1/people`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeopleQuery {
    /// Words the name, login or phone contains.
    q: Option<String>,
    /// Page size (default 100, at most 500).
    limit: Option<usize>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
}

/// `GET /api/v1/people`: everyone for the town office, only oneself for
/// anyone else, by login in keyset pages (`{"people": [...], "next": cursor}`).
#[utoipa::path(
    get,
    path = "/people",
    tag = "accounts",
    params(PeopleQuery),
    responses((status = 200, description = "人员（分页）· people, in pages", body = crate::http::api::openapi::PeoplePage))
)]
pub async fn list_people(
    State(app): State<App>,
    caller: Caller,
    Query(query): Query<PeopleQuery>,
) -> Result<Json<Value>> {
    let actor = caller.actor;
    let limit = query.limit.unwrap_or(100).clamp(1, people::MAX_PAGE);
    let (_, items, next) =
        app.store.read(move |c| people::visible(c, &actor, query.q.as_deref(), query.after.as_deref(), limit)).await?;
    Ok(Json(json!({"people": items, "next": next})))
}

/// `GET /api/v1/people/{id}`: oneself, or anyone for the town office; otherwise 404.
#[utoipa::path(
    get,
    path = "/people/{id}",
    tag = "accounts",
    params(("id" = i64, Path, description = "人员编号 · person id")),
    responses((status = 200, description = "人员及其任职 · the person and assignments", body = Object))
)]
pub async fn show_person(State(app): State<App>, caller: Caller, Path(id): Path<i64>) -> Result<Json<Value>> {
    let actor = caller.actor;
    let (person, assignments) = app.store.read(move |c| people::with_assignments(c, &actor, id)).await?;
    Ok(Json(json!({"person": person, "assignments": assignments})))
}

/// `POST /api/v1/people`: the town office registers a person.
#[utoipa::path(
    post,
    path = "/people",
    tag = "accounts",
    params(crate::http::api::openapi::IdempotencyKey),
    request_body = crate::service::accounts::PersonInput,
    responses((status = 201, description = "已创建 · created", body = Object))
)]
pub async fn create_person(
    State(app): State<App>,
    caller: Caller,
    Keyed { input, once }: Keyed<PersonInput>,
) -> Result<(StatusCode, Json<Value>)> {
    caller.actor.scope.require_admin()?;
    let new = tokio::task::spawn_blocking(move || accounts::new_person(&input))
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("hashing task failed: {e}")))??;
    let now = china_timestamp(app.now_s());
    let actor = caller.actor;
    once.create(&app, actor.person.id, move |c| Ok(json!(people::register(c, &actor, &new, &now)?))).await
}

/// Query of `GET /api/v1/assignments`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AssignmentsQuery {
    person: Option<i64>,
    /// Only those in force on this date.
    date: Option<String>,
}

/// `GET /api/v1/assignments`: all (town office) or one's own, optionally on a date.
#[utoipa::path(
    get,
    path = "/assignments",
    tag = "accounts",
    params(AssignmentsQuery),
    responses((status = 200, description = "任职 · assignments", body = Vec<Object>))
)]
pub async fn list_assignments(
    State(app): State<App>,
    caller: Caller,
    Query(query): Query<AssignmentsQuery>,
) -> Result<Json<Value>> {
    let on = query.date.as_deref().map(|d| date("date", d)).transpose()?;
    let actor = caller.actor;
    let list = app.store.read(move |c| people::assignments(c, &actor, query.person, on.as_deref())).await?;
    Ok(Json(json!(list)))
}

/// `POST /api/v1/assignments`: the town office assigns a role over a scope.
#[utoipa::path(
    post,
    path = "/assignments",
    tag = "accounts",
    params(crate::http::api::openapi::IdempotencyKey),
    request_body = crate::service::accounts::AssignmentInput,
    responses((status = 201, description = "已任命 · assigned", body = Object))
)]
pub async fn create_assignment(
    State(app): State<App>,
    caller: Caller,
    Keyed { input, once }: Keyed<AssignmentInput>,
) -> Result<(StatusCode, Json<Value>)> {
    caller.actor.scope.require_admin()?;
    let (maps, now, actor) = (app.maps(), app.now_s(), caller.actor);
    let created =
        once.create(&app, actor.person.id, move |c| Ok(json!(people::assign(c, &maps, &actor, &input, now)?))).await?;
    app.sessions.clear();
    Ok(created)
}

/// Body of `POST /api/v1/assignments/{id}/end`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndInput {
    /// Last day in force (default today).
    #[serde(default)]
    to: Option<String>,
    /// Why it ends.
    reason: String,
}

/// `POST /api/v1/assignments/{id}/end`: ends an assignment; the record stays.
#[utoipa::path(
    post,
    path = "/assignments/{id}/end",
    tag = "accounts",
    params(("id" = i64, Path, description = "任职编号 · assignment id")),
    request_body = EndInput,
    responses((status = 200, description = "已结束 · ended", body = Object))
)]
pub async fn end_assignment(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<EndInput>,
) -> Result<Json<Value>> {
    let to = match input.to.as_deref() {
        Some(d) => date("to", d)?,
        None => app.clock.today(),
    };
    let actor = caller.actor;
    let ended = app.store.write(move |c| people::end_assignment(c, &actor, id, &to, &input.reason)).await?;
    app.sessions.clear();
    Ok(Json(json!(ended)))
}

/// Query of `GET /api/v1/grids/{code}/responsible`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ResponsibleQuery {
    /// The date asked about (default today).
    date: Option<String>,
}

/// `GET /api/v1/grids/{code}/responsible?date=`: who answered for a grid on a
/// date: inspectors and grid leaders of the grid or any grid above it.
#[utoipa::path(
    get,
    path = "/grids/{code}/responsible",
    tag = "accounts",
    params(("code" = String, Path, description = "网格编码 · grid code"), ResponsibleQuery),
    responses((status = 200, description = "责任人 · who is responsible", body = Object))
)]
pub async fn responsible(
    State(app): State<App>,
    caller: Caller,
    Path(code): Path<String>,
    Query(query): Query<ResponsibleQuery>,
) -> Result<Json<Value>> {
    let on = match query.date.as_deref() {
        Some(d) => date("date", d)?,
        None => app.clock.today(),
    };
    let (maps, actor, grid, day) = (app.maps(), caller.actor, code.clone(), on.clone());
    let found = app.store.read(move |c| people::responsible(c, &maps, &actor, &grid, &day)).await?;
    let rows: Vec<Value> =
        found.into_iter().map(|(assignment, person)| json!({"assignment": assignment, "person": person})).collect();
    Ok(Json(json!({"grid": code, "date": on, "responsible": rows})))
}

/// `GET /api/v1/coverage`: every gap in the responsibility net (town office only).
#[utoipa::path(
    get,
    path = "/coverage",
    tag = "accounts",
    responses((status = 200, description = "覆盖缺口 · coverage gaps", body = Object))
)]
pub async fn show_coverage(State(app): State<App>, caller: Caller) -> Result<Json<Value>> {
    let (maps, actor, today) = (app.maps(), caller.actor, app.clock.today());
    let gaps = app.store.read(move |c| people::coverage(c, &maps, &actor, &today)).await?;
    Ok(Json(json!({"complete": gaps.is_empty(), "gap_count": gaps.len(), "gaps": gaps})))
}
