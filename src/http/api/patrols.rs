//! River patrols: filing logs (idempotent, GeoJSON or GPX tracks), reading
//! them (tracks only to the chief and those above), review, monthly
//! compliance, and the patrol log and monthly report PDFs.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::App;
use crate::docs::pdf::Pdf;
use crate::error::{Error, Result};
use crate::http::auth::Caller;
use crate::http::extract::{JsonBody, Path, Query};
use crate::service::patrols::{self, PatrolInput};

/// Largest patrol body: a track at the point limit in GeoJSON with times.
pub const MAX_PATROL_BODY: usize = 16 * 1024 * 1024;

/// `POST /api/v1/patrols`: files a log. With `Idempotency-Key` a retry gets the first log back.
#[utoipa::path(
    post,
    path = "/patrols",
    tag = "patrols",
    params(crate::http::api::openapi::IdempotencyKey),
    request_body = crate::service::patrols::PatrolInput,
    responses((status = 201, description = "已记录 · filed", body = Object), (status = 200, description = "同键的首次结果 · what the first request with this key filed", body = Object))
)]
pub async fn file_patrol(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>)> {
    crate::http::extract::require_json(&headers)?;
    let key = crate::http::idempotency::idempotency_key(&headers)?;
    let input: PatrolInput = crate::http::extract::parse_json(&body)?;
    let request_hash = crate::domain::audit::sha256_hex(&body);
    let (status, body) = file_once(&app, caller.actor, key, input, request_hash).await?;
    Ok((status, Json(body)))
}

/// Files a log once per `Idempotency-Key` (the API and the upload page): 201
/// with the new log, or 200 with the log an earlier request with the same key
/// and body filed (the same key with another body is a 409).
///
/// The track is parsed and measured on a reader first; the single writer
/// only applies the rules and stores, so a long track does not hold up
/// everyone else's writes.
pub async fn file_once(
    app: &App,
    actor: crate::service::accounts::Actor,
    key: Option<String>,
    input: PatrolInput,
    request_hash: String,
) -> Result<(StatusCode, Value)> {
    let maps = app.maps();
    let actor = std::sync::Arc::new(actor);
    let input = std::sync::Arc::new(input);
    let hash = request_hash.clone();
    let first = move |c: &rusqlite::Connection, key: &Option<String>, person: i64| -> Result<Option<Value>> {
        let Some(key) = key else { return Ok(None) };
        let first = patrols::earlier_filing(c, person, key)?;
        let Some(p) = super::cases::earlier(first, &hash)? else { return Ok(None) };
        patrols::view(c, &p).map(Some)
    };
    let (person, now) = (actor.person.id, app.now_s());
    let prepared = {
        let (key, maps, actor, input, first) = (key.clone(), maps.clone(), actor.clone(), input.clone(), first.clone());
        app.store
            .read(move |c| {
                if let Some(earlier) = first(c, &key, person)? {
                    return Ok(Err(earlier));
                }
                Ok(Ok(patrols::prepare(c, &maps, &actor, &input, now)?))
            })
            .await?
    };
    let prepared = match prepared {
        Ok(prepared) => prepared,
        Err(earlier) => return Ok((StatusCode::OK, earlier)),
    };
    app.store
        .write(move |c| {
            // Checked again here: a retry may have been filed since the read.
            if let Some(earlier) = first(c, &key, person)? {
                return Ok((StatusCode::OK, earlier));
            }
            let row = patrols::file_prepared(c, &maps, &actor, &input, &prepared, now)?;
            if let Some(key) = &key {
                patrols::remember_filing(c, person, key, row.id, &request_hash)?;
            }
            Ok((StatusCode::CREATED, patrols::view(c, &row)?))
        })
        .await
}

/// Query of `GET /api/v1/patrols`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PatrolQuery {
    river: Option<String>,
    month: Option<String>,
    /// Page size (default 50, at most 500).
    limit: Option<usize>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
}

/// `GET /api/v1/patrols`: the logs the caller may read, newest walk first
/// (without tracks), in keyset pages like the cases.
#[utoipa::path(
    get,
    path = "/patrols",
    tag = "patrols",
    params(PatrolQuery),
    responses((status = 200, description = "巡河记录（分页）· patrol logs, in pages", body = crate::http::api::openapi::PatrolPage))
)]
pub async fn list_patrols(State(app): State<App>, caller: Caller, Query(q): Query<PatrolQuery>) -> Result<Json<Value>> {
    let maps = app.maps();
    let actor = caller.actor;
    let list = app
        .store
        .read(move |c| {
            let limit = q.limit.unwrap_or(50).clamp(1, patrols::MAX_PAGE);
            patrols::list_readable(
                c,
                &maps,
                &actor,
                (q.river.as_deref(), q.month.as_deref()),
                q.after.as_deref(),
                limit,
            )
        })
        .await?;
    let (items, next) = list;
    Ok(Json(json!({"patrols": items, "next": next})))
}

/// `GET /api/v1/patrols/{code}`: one log with its track.
#[utoipa::path(
    get,
    path = "/patrols/{code}",
    tag = "patrols",
    params(("code" = String, Path, description = "巡河记录编号 · patrol code")),
    responses((status = 200, description = "巡河记录 · the log", body = Object))
)]
pub async fn show_patrol(State(app): State<App>, caller: Caller, Path(code): Path<String>) -> Result<Json<Value>> {
    let maps = app.maps();
    let actor = caller.actor;
    let body = app.store.read(move |c| patrols::view(c, &patrols::load_readable(c, &maps, &actor, &code)?)).await?;
    Ok(Json(body))
}

/// Body of `POST /api/v1/patrols/{code}/review`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// `approve` or `return`.
    decision: String,
    /// The reviewer's comment.
    comment: String,
}

/// `POST /api/v1/patrols/{code}/review`, optionally with `If-Match: "<version>"`.
#[utoipa::path(
    post,
    path = "/patrols/{code}/review",
    tag = "patrols",
    params(("code" = String, Path, description = "巡河记录编号 · patrol code"), crate::http::api::openapi::IfMatch),
    request_body = ReviewInput,
    responses((status = 200, description = "审核后的记录 · the log after review", body = Object))
)]
pub async fn review_patrol(
    State(app): State<App>,
    caller: Caller,
    Path(code): Path<String>,
    headers: HeaderMap,
    JsonBody(input): JsonBody<ReviewInput>,
) -> Result<Json<Value>> {
    let expected = crate::http::extract::if_match(&headers)?;
    let (maps, now) = (app.maps(), app.now_s());
    let actor = caller.actor;
    let body = app
        .store
        .write(move |c| {
            let decision = (input.decision.as_str(), input.comment.as_str());
            let row = patrols::review(c, &maps, &actor, &code, decision, expected, now)?;
            patrols::view(c, &row)
        })
        .await?;
    Ok(Json(body))
}

/// `POST /api/v1/patrols/{code}/resubmit` `{checklist, notes}`, optionally
/// with `If-Match`: the chief sends a returned log back for review.
#[utoipa::path(
    post,
    path = "/patrols/{code}/resubmit",
    tag = "patrols",
    params(("code" = String, Path, description = "巡河记录编号 · patrol code"), crate::http::api::openapi::IfMatch),
    request_body = crate::service::patrols::Resubmission,
    responses((status = 200, description = "重新提交的记录 · the log resubmitted", body = Object))
)]
pub async fn resubmit_patrol(
    State(app): State<App>,
    caller: Caller,
    Path(code): Path<String>,
    headers: HeaderMap,
    JsonBody(input): JsonBody<patrols::Resubmission>,
) -> Result<Json<Value>> {
    let expected = crate::http::extract::if_match(&headers)?;
    let now = app.now_s();
    let actor = caller.actor;
    let body = app
        .store
        .write(move |c| {
            let row = patrols::resubmit(c, &actor, &code, &input, expected, now)?;
            patrols::view(c, &row)
        })
        .await?;
    Ok(Json(body))
}

/// Query naming a month.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MonthQuery {
    month: Option<String>,
}

/// The month a query names (YYYY-MM), this month when it names none.
pub(super) fn month_of(q: &MonthQuery, today: &str) -> Result<String> {
    crate::domain::people::month("month", q.month.as_deref().unwrap_or(&today[..7]))
}

/// `GET /api/v1/patrols/compliance?month=YYYY-MM`: per chief, required and valid
/// patrols, rate, reach coverage. The town office sees all; a chief sees their
/// own rivers' lines at their level and below.
#[utoipa::path(
    get,
    path = "/patrols/compliance",
    tag = "patrols",
    params(MonthQuery),
    responses((status = 200, description = "本月巡河达标 · the month's patrol compliance", body = Object))
)]
pub async fn show_compliance(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Value>> {
    let month = month_of(&q, &app.clock.today())?;
    let maps = app.maps();
    let actor = caller.actor;
    let body = app
        .store
        .read(move |c| {
            let visible = patrols::compliance_visible(c, &maps, &actor, &month)?;
            Ok(json!({"month": month, "chiefs": visible}))
        })
        .await?;
    Ok(Json(body))
}

fn pdf(pdf: Pdf, name: &str) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "application/pdf".to_owned()),
        (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}.pdf\"")),
    ];
    (headers, pdf.bytes).into_response()
}

/// `GET /api/v1/patrols/{code}/pdf`: the patrol log as a PDF.
#[utoipa::path(
    get,
    path = "/patrols/{code}/pdf",
    tag = "patrols",
    params(("code" = String, Path, description = "巡河记录编号 · patrol code")),
    responses((status = 200, description = "巡河记录 PDF · the log as PDF", content_type = "application/pdf", body = Vec<u8>))
)]
pub async fn patrol_pdf(State(app): State<App>, caller: Caller, Path(code): Path<String>) -> Result<Response> {
    let (maps, now) = (app.maps(), app.now_s());
    let actor = caller.actor;
    let name = code.clone();
    let doc = app
        .store
        .read(move |c| {
            let p = patrols::load_readable(c, &maps, &actor, &code)?;
            patrols::log_pdf(c, &maps, &p, now)
        })
        .await?;
    Ok(pdf(doc, &name))
}

/// `GET /api/v1/rivers/{code}/report.pdf?month=`: the monthly river report
/// (the town office and the river's chiefs).
#[utoipa::path(
    get,
    path = "/rivers/{code}/report.pdf",
    tag = "patrols",
    params(("code" = String, Path, description = "河流编码 · river code"), MonthQuery),
    responses((status = 200, description = "河流月报 PDF · the river's monthly report", content_type = "application/pdf", body = Vec<u8>))
)]
pub async fn river_report(
    State(app): State<App>,
    caller: Caller,
    Path(river): Path<String>,
    Query(q): Query<MonthQuery>,
) -> Result<Response> {
    let month = month_of(&q, &app.clock.today())?;
    let (maps, now) = (app.maps(), app.now_s());
    let actor = caller.actor;
    let name = format!("{river}-{month}");
    let doc = app
        .store
        .read(move |c| {
            if !actor.scope.admin && patrols::chief_level(&maps, &actor, &river).is_none() {
                return Err(Error::not_found(format!("没有河流 {river}"), format!("no river {river}")));
            }
            patrols::report_pdf(c, &maps, &river, &month, now)
        })
        .await?;
    Ok(pdf(doc, &name))
}
