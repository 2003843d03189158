//! Issued documents: joint notices (`POST /api/v1/notices`), the stored
//! PDFs themselves, served byte for byte with their SHA-256 as the ETag, and
//! their public verification (`GET /api/v1/verify/{number}`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::App;
use crate::error::{Error, Result};
use crate::http::auth::Caller;
use crate::http::extract::{Path, Query, if_none_match};
use crate::http::idempotency::Keyed;
use crate::service::cases::{self, NoticeItem};
use crate::service::documents::{self, Verification};
use crate::store::documents as store;

/// Body of `POST /api/v1/notices`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeRequest {
    /// The responsible party (the enterprise or its person in charge).
    responsible: String,
    /// The registered cases to dispatch under one notice, each with its measures and deadline.
    cases: Vec<NoticeItem>,
}

/// `POST /api/v1/notices`: dispatches registered cases at one enterprise under one notice.
#[utoipa::path(
    post,
    path = "/notices",
    tag = "documents",
    params(crate::http::api::openapi::IdempotencyKey),
    request_body = NoticeRequest,
    responses((status = 201, description = "整改通知书 · the rectification notice", body = Object))
)]
pub async fn issue_notice(
    State(app): State<App>,
    caller: Caller,
    Keyed { input: request, once }: Keyed<NoticeRequest>,
) -> Result<(StatusCode, Json<Value>)> {
    let (maps, now) = (app.maps(), app.now_s());
    let actor = caller.actor;
    once.create(&app, actor.person.id, move |c| {
        let (rows, document) = cases::dispatch_together(c, &maps, &actor, &request.responsible, &request.cases, now)?;
        let numbers: Vec<&str> = rows.iter().map(|r| r.number.as_str()).collect();
        let url = format!("/api/v1/documents/{}", document.code);
        Ok(json!({"document": document, "url": url, "cases": numbers}))
    })
    .await
}

/// Body of `POST /api/v1/documents/{code}/corrections`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRequest {
    /// Why the notice is corrected.
    reason: String,
}

/// `POST /api/v1/documents/{code}/corrections`: a corrected notice with a new number (admin).
#[utoipa::path(
    post,
    path = "/documents/{code}/corrections",
    tag = "documents",
    params(("code" = String, Path, description = "文书编号 · document code"), crate::http::api::openapi::IdempotencyKey),
    request_body = CorrectionRequest,
    responses((status = 201, description = "更正后的文书 · the corrected document", body = Object))
)]
pub async fn correct_document(
    State(app): State<App>,
    caller: Caller,
    Path(code): Path<String>,
    Keyed { input: request, once }: Keyed<CorrectionRequest>,
) -> Result<(StatusCode, Json<Value>)> {
    let (maps, now) = (app.maps(), app.now_s());
    let actor = caller.actor;
    once.create(&app, actor.person.id, move |c| {
        let document = documents::reissue_notice(c, &maps, &actor, &code, &request.reason, now)?;
        let url = format!("/api/v1/documents/{}", document.code);
        Ok(json!({"document": document, "url": url}))
    })
    .await
}

/// `GET /api/v1/documents/{code}`: the PDF exactly as issued (a case's notice
/// or re-inspection opinion, or a joint notice). Its ETag is its SHA-256, so a
/// client that sends it back in `If-None-Match` gets 304 without the bytes.
#[utoipa::path(
    get,
    path = "/documents/{code}",
    tag = "documents",
    params(("code" = String, Path, description = "文书编号 · document code")),
    responses((status = 200, description = "文书 PDF · the PDF", content_type = "application/pdf", body = Vec<u8>), (status = 304, description = "未变 · not modified"))
)]
pub async fn show_document(
    State(app): State<App>,
    caller: Caller,
    Path(code): Path<String>,
    request: HeaderMap,
) -> Result<Response> {
    let (maps, actor) = (app.maps(), caller.actor);
    serve_document(&app, request, move |c| documents::readable(c, &maps, &actor, &code)).await
}

/// `GET /api/v1/cases/{number}/notice.pdf`: the case's (latest) rectification notice.
#[utoipa::path(
    get,
    path = "/cases/{number}/notice.pdf",
    tag = "documents",
    params(("number" = String, Path, description = "案件编号 · case number")),
    responses((status = 200, description = "最新整改通知书 · the latest notice", content_type = "application/pdf", body = Vec<u8>), (status = 304, description = "未变 · not modified"))
)]
pub async fn show_case_notice(
    State(app): State<App>,
    caller: Caller,
    Path(number): Path<String>,
    request: HeaderMap,
) -> Result<Response> {
    let (maps, actor) = (app.maps(), caller.actor);
    serve_document(&app, request, move |c| documents::latest_for_case(c, &maps, &actor, &number, "notice")).await
}

/// `GET /api/v1/cases/{number}/signoff.pdf`: the case's latest re-inspection opinion.
#[utoipa::path(
    get,
    path = "/cases/{number}/signoff.pdf",
    tag = "documents",
    params(("number" = String, Path, description = "案件编号 · case number")),
    responses((status = 200, description = "最新验收单 · the latest sign-off", content_type = "application/pdf", body = Vec<u8>), (status = 304, description = "未变 · not modified"))
)]
pub async fn show_case_signoff(
    State(app): State<App>,
    caller: Caller,
    Path(number): Path<String>,
    request: HeaderMap,
) -> Result<Response> {
    let (maps, actor) = (app.maps(), caller.actor);
    serve_document(&app, request, move |c| documents::latest_for_case(c, &maps, &actor, &number, "review")).await
}

/// Query of `GET /api/v1/documents`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DocumentsQuery {
    /// The month (YYYY-MM); this month when left out.
    month: Option<String>,
    /// Page size (default 100, at most 500).
    limit: Option<usize>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
}

/// `GET /api/v1/documents?month=YYYY-MM&limit=&after=`: a page of the
/// month's notices, opinions, patrol logs and river reports with their PDF
/// addresses (the town office), and the cursor of the next page.
#[utoipa::path(
    get,
    path = "/documents",
    tag = "documents",
    params(DocumentsQuery),
    responses((status = 200, description = "本月文书（分页）· the month's documents, in pages", body = crate::http::api::openapi::DocumentPage))
)]
pub async fn list_month_documents(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<DocumentsQuery>,
) -> Result<Json<Value>> {
    let today = app.clock.today();
    let month = crate::domain::people::month("month", q.month.as_deref().unwrap_or(&today[..7]))?;
    let limit = q.limit.unwrap_or(100).clamp(1, documents::MAX_DOCUMENT_PAGE);
    let (maps, actor) = (app.maps(), caller.actor);
    let key = month.clone();
    let (list, next) =
        app.store.read(move |c| documents::month_page(c, &maps, &actor, &key, q.after.as_deref(), limit)).await?;
    Ok(Json(json!({"month": month, "documents": list, "next": next})))
}

/// `GET /api/v1/documents.zip?month=YYYY-MM`: every document of the month in
/// one ZIP archive with a list (`清单.csv`), the town office only.
#[utoipa::path(
    get,
    path = "/documents.zip",
    tag = "documents",
    params(super::patrols::MonthQuery),
    responses((status = 200, description = "本月文书压缩包 · the month's documents as ZIP", content_type = "application/zip", body = Vec<u8>))
)]
pub async fn month_archive(
    State(app): State<App>,
    caller: Caller,
    Query(q): Query<super::patrols::MonthQuery>,
) -> Result<Response> {
    let month = super::patrols::month_of(&q, &app.clock.today())?;
    let (maps, actor, now) = (app.maps(), caller.actor, app.now_s());
    // Only the town office gets an archive: refused with a 403 before the download starts.
    actor.scope.require_admin()?;
    let key = month.clone();
    let body = crate::http::download::body(&app.store, move |c, out| {
        documents::month_archive(c, &maps, &actor, &key, now, out)
    });
    let headers = [
        (header::CONTENT_TYPE, "application/zip".to_owned()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"documents-{month}.zip\"")),
    ];
    Ok((headers, body).into_response())
}

/// Query of `GET /api/v1/verify/{number}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VerifyQuery {
    /// The SHA-256 of the holder's copy, to compare with the stored one.
    #[serde(default)]
    sha256: Option<String>,
}

/// `GET /api/v1/verify/{number}?sha256=`: the public verification of an
/// issued document (no session): what the QR code on the paper leads to.
#[utoipa::path(
    get,
    path = "/verify/{number}",
    tag = "documents",
    security(()),
    params(("number" = String, Path, description = "文书编号 · document number"), VerifyQuery),
    responses((status = 200, description = "核验结果 · verification", body = Object))
)]
pub async fn verify_document(
    State(app): State<App>,
    Path(number): Path<String>,
    Query(query): Query<VerifyQuery>,
) -> Result<Json<Verification>> {
    let found = app.store.read(move |c| documents::verification(c, &number, query.sha256.as_deref())).await?;
    Ok(Json(found))
}

/// Serves the document `find` names (which checks scope: 404 outside it),
/// or 304 when the client already holds these bytes.
async fn serve_document<F>(app: &App, request: HeaderMap, find: F) -> Result<Response>
where
    F: FnOnce(&rusqlite::Connection) -> Result<store::DocumentMeta> + Send + 'static,
{
    let (meta, bytes) = app
        .store
        .read(move |c| {
            let meta = find(c)?;
            // Scope is checked first: a 304 must not confirm a document the caller may not read.
            let bytes =
                if if_none_match(&request, &etag(&meta.sha256)) { None } else { Some(store::bytes(c, meta.id)?) };
            Ok((meta, bytes))
        })
        .await?;
    let mut headers = vec![
        (header::ETAG, etag(&meta.sha256)),
        (header::CACHE_CONTROL, "private, max-age=31536000, immutable".to_owned()),
    ];
    let Some(bytes) = bytes else {
        return Ok((StatusCode::NOT_MODIFIED, headers_map(headers)?).into_response());
    };
    headers.push((header::CONTENT_TYPE, "application/pdf".to_owned()));
    headers.push((header::CONTENT_DISPOSITION, format!("inline; filename=\"{}.pdf\"", meta.code)));
    Ok((headers_map(headers)?, bytes).into_response())
}

fn etag(sha256: &str) -> String {
    format!("\"{sha256}\"")
}

fn headers_map(pairs: Vec<(HeaderName, String)>) -> Result<HeaderMap> {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(name, HeaderValue::try_from(value).map_err(|e| Error::Internal(e.into()))?);
    }
    Ok(map)
}
