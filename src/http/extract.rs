//! Extractors whose rejections are our own error type, so malformed input gets
//! the JSON error shape, never axum's plain text.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{Error, Msg};

/// Like `axum::extract::Query`, rejecting with [`Error::Invalid`] on field `query`.
/// Use `#[serde(deny_unknown_fields)]` on the target so unknown parameters are refused.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|rejection| {
                let detail = rejection.body_text();
                Error::invalid("query", format!("查询参数有误：{detail}"), format!("bad query string: {detail}"))
            })
    }
}

/// Like `axum::Json`, rejecting with our error type: a syntax error or a
/// wrong, missing or unknown field names the field; an oversized body is 413.
/// Use `#[serde(deny_unknown_fields)]` on the target.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBody<T>(pub T);

/// The field a serde message names in backticks (`missing field `name``), if any.
fn named_field(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

fn json_error(rejection: &JsonRejection) -> Error {
    let detail = rejection.body_text();
    match rejection {
        JsonRejection::JsonDataError(_) => {
            // "Failed to deserialize the JSON body into the target type: name: invalid type..."
            let inner = detail.split_once(": ").map_or(detail.as_str(), |(_, rest)| rest);
            // "name: invalid type ..." names the path; "missing field `name`" names it in backticks.
            let path = inner
                .split_once(": ")
                .map(|(path, _)| path.trim())
                .filter(|p| !p.is_empty() && !p.contains(' ') && *p != ".");
            let field = path.or_else(|| named_field(inner)).unwrap_or("body");
            Error::invalid(field, format!("请求内容有误：{inner}"), format!("invalid request body: {inner}"))
        }
        JsonRejection::MissingJsonContentType(_) => Error::invalid(
            "body",
            "请求须为 JSON（Content-Type: application/json）",
            "the body must be JSON (Content-Type: application/json)",
        ),
        JsonRejection::BytesRejection(_) => Error::TooLarge(Msg::new("请求内容过大", "the request body is too large")),
        _ => Error::invalid("body", format!("JSON 格式错误：{detail}"), format!("malformed JSON: {detail}")),
    }
}

/// Parses a JSON body already read (when the raw bytes are needed too, e.g. to hash them).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    // Plain serde_json first (the common, valid case); axum's path-tracking
    // parser only to explain a failure, naming the field.
    serde_json::from_slice(bytes).or_else(|_| {
        axum::Json::<T>::from_bytes(bytes).map(|axum::Json(value)| value).map_err(|rejection| json_error(&rejection))
    })
}

/// Reads `If-Match: "<version>"` (or a bare number), if sent.
pub fn if_match(headers: &axum::http::HeaderMap) -> Result<Option<i64>, Error> {
    headers
        .get(axum::http::header::IF_MATCH)
        .map(|v| {
            v.to_str()
                .ok()
                .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| {
                    Error::invalid(
                        "If-Match",
                        "If-Match 须为记录版本号",
                        "If-Match must be the record's version number",
                    )
                })
        })
        .transpose()
}

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(request, state)
            .await
            .map(|axum::Json(value)| Self(value))
            .map_err(|rejection| json_error(&rejection))
    }
}
