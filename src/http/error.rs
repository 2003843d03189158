//! The one place an [`Error`] becomes an HTTP response.
//!
//! Body shape: `{"error": {"code", "message", "message_en", "details"}}`, with
//! the message in Chinese first. 5xx bodies are opaque; the real error travels
//! in a response extension to the logging middleware, which logs it once.

use std::sync::Arc;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::{Error, Msg};

/// The internal error behind a 5xx, for the logging middleware.
#[derive(Clone, Debug)]
pub struct LoggedError(pub Arc<String>);

fn body(status: StatusCode, code: &str, msg: &Msg, details: &Value) -> Response {
    let json = json!({"error": {"code": code, "message": msg.zh, "message_en": msg.en, "details": details}});
    (status, Json(json)).into_response()
}

/// The status an error answers with, for the JSON API and the pages alike.
pub fn status(error: &Error) -> StatusCode {
    match error {
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Invalid { .. } => StatusCode::BAD_REQUEST,
        Error::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Refused { .. } | Error::Conflict(_) => StatusCode::CONFLICT,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Error::Stale(_) => StatusCode::PRECONDITION_FAILED,
        Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Busy(_) | Error::Full(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Sqlite(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Error::NotFound(msg) => body(StatusCode::NOT_FOUND, "not_found", &msg, &Value::Null),
            Error::Invalid { field, reason } => {
                body(StatusCode::BAD_REQUEST, "invalid", &reason, &json!({"field": field}))
            }
            Error::Rejected { summary, problems } => {
                body(StatusCode::UNPROCESSABLE_ENTITY, "rejected", &summary, &json!({"problems": problems}))
            }
            Error::Refused { reason, allowed } => {
                body(StatusCode::CONFLICT, "refused", &reason, &json!({"allowed": allowed}))
            }
            Error::Conflict(msg) => body(StatusCode::CONFLICT, "conflict", &msg, &Value::Null),
            Error::Forbidden(msg) => body(StatusCode::FORBIDDEN, "forbidden", &msg, &Value::Null),
            Error::Unauthenticated(msg) => body(StatusCode::UNAUTHORIZED, "unauthenticated", &msg, &Value::Null),
            Error::TooLarge(msg) => body(StatusCode::PAYLOAD_TOO_LARGE, "too_large", &msg, &Value::Null),
            Error::UnsupportedMedia(msg) => {
                body(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", &msg, &Value::Null)
            }
            Error::Stale(msg) => body(StatusCode::PRECONDITION_FAILED, "stale", &msg, &Value::Null),
            Error::RateLimited { reason, retry_after_s } => {
                let details = json!({"retry_after_s": retry_after_s});
                let mut response = body(StatusCode::TOO_MANY_REQUESTS, "rate_limited", &reason, &details);
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, retry_after_s.into());
                response
            }
            Error::Busy(msg) => {
                let mut response = body(StatusCode::SERVICE_UNAVAILABLE, "busy", &msg, &Value::Null);
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
                response
            }
            Error::Full(msg) => {
                let mut response = body(StatusCode::SERVICE_UNAVAILABLE, "storage_full", &msg, &Value::Null);
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("60"));
                response
            }
            internal @ (Error::Sqlite(_) | Error::Internal(_)) => {
                let mut response = body(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    &Msg::new("服务器内部错误，已记录，请联系管理员", "internal server error; it has been logged"),
                    &Value::Null,
                );
                response.extensions_mut().insert(LoggedError(Arc::new(format!("{internal:#}"))));
                response
            }
        }
    }
}
