//! Issued documents: joint notices (`POST /api/v1/notices`) and the stored
//! PDFs themselves, served byte for byte with their SHA-256 as the ETag.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::App;
use crate::cases::{self, NoticeItem};
use crate::documents;
use crate::error::Result;
use crate::http::auth::Caller;
use crate::http::idempotency::Keyed;
use crate::store::documents as store;

/// Body of `POST /api/v1/notices`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeRequest {
    /// The responsible party (the enterprise or its person in charge).
    responsible: String,
    /// The registered cases to dispatch under one notice, each with its measures and deadline.
    cases: Vec<NoticeItem>,
}

/// `POST /api/v1/notices`: dispatches registered cases at one enterprise under one notice.
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRequest {
    /// Why the notice is corrected.
    reason: String,
}

/// `POST /api/v1/documents/{code}/corrections`: a corrected notice with a new number (admin).
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

/// `GET /api/v1/documents/{code}`: the PDF exactly as issued.
pub async fn show_document(State(app): State<App>, caller: Caller, Path(code): Path<String>) -> Result<Response> {
    let maps = app.maps();
    let actor = caller.actor;
    let (meta, bytes) = app
        .store
        .read(move |c| {
            let meta = documents::readable(c, &maps, &actor, &code)?;
            let bytes = store::bytes(c, meta.id)?;
            Ok((meta, bytes))
        })
        .await?;
    Ok(pdf_response(&meta, bytes))
}

/// `GET /api/v1/cases/{number}/notice.pdf`: the case's (latest) rectification notice.
pub async fn show_case_notice(State(app): State<App>, caller: Caller, Path(number): Path<String>) -> Result<Response> {
    case_document(&app, caller, number, "notice").await
}

/// `GET /api/v1/cases/{number}/signoff.pdf`: the case's latest re-inspection opinion.
pub async fn show_case_signoff(State(app): State<App>, caller: Caller, Path(number): Path<String>) -> Result<Response> {
    case_document(&app, caller, number, "review").await
}

async fn case_document(app: &App, caller: Caller, number: String, kind: &'static str) -> Result<Response> {
    let maps = app.maps();
    let actor = caller.actor;
    let (meta, bytes) = app
        .store
        .read(move |c| {
            let meta = documents::latest_for_case(c, &maps, &actor, &number, kind)?;
            let bytes = store::bytes(c, meta.id)?;
            Ok((meta, bytes))
        })
        .await?;
    Ok(pdf_response(&meta, bytes))
}

/// A stored document as the answer: its SHA-256 as the ETag, cacheable for good.
fn pdf_response(meta: &store::DocumentMeta, bytes: Vec<u8>) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "application/pdf".to_owned()),
        (header::ETAG, format!("\"{}\"", meta.sha256)),
        (header::CONTENT_DISPOSITION, format!("inline; filename=\"{}.pdf\"", meta.code)),
        (header::CACHE_CONTROL, "private, max-age=31536000, immutable".to_owned()),
    ];
    (headers, bytes).into_response()
}
