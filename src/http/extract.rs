//! Extractors whose rejections are our own error type, so malformed input gets
//! the JSON error shape, never axum's plain text.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{Error, Msg};

/// Like `axum::extract::Query`, rejecting with [`Error::Invalid`] naming the parameter.
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
            .map_err(|rejection| query_error(&rejection.body_text()))
    }
}

/// Like `axum::extract::Path`, rejecting with [`Error::Invalid`]: a segment
/// that does not parse (an id that is not a number, or too large) names the
/// parameter in our error shape instead of axum's plain text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Self(value))
            .map_err(|rejection| {
                let detail = rejection.body_text();
                Error::invalid("path", format!("路径参数无效：{detail}"), format!("invalid path parameter: {detail}"))
            })
    }
}

/// Words a query-string rejection like a body error: the field named, the
/// message Chinese first, and for an unknown parameter the accepted ones.
///
/// axum says "Failed to deserialize query string: <path>: <serde message>".
fn query_error(detail: &str) -> Error {
    let inner = detail.strip_prefix("Failed to deserialize query string: ").unwrap_or(detail);
    let (path, message) = match inner.split_once(": ") {
        Some((path, rest)) if !path.is_empty() && !path.contains(' ') && path != "." => (Some(path), rest),
        _ => (None, inner),
    };
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let field = named_field(rest).or(path).unwrap_or("query");
        let accepted: Vec<&str> = rest.split('`').skip(3).step_by(2).collect();
        let (zh, en) = if accepted.is_empty() {
            ("此处不接受任何查询参数".to_owned(), "no query parameters are accepted here".to_owned())
        } else {
            (format!("可用的参数：{}", accepted.join("、")), format!("accepted: {}", accepted.join(", ")))
        };
        return Error::invalid(
            field,
            format!("未知的查询参数 {field}；{zh}"),
            format!("unknown query parameter {field}; {en}"),
        );
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = named_field(rest).unwrap_or("query");
        return Error::invalid(field, format!("缺少查询参数 {field}"), format!("missing query parameter {field}"));
    }
    let field = path.unwrap_or("query");
    let zh_reason = match message {
        m if m.contains("invalid digit") || m.contains("invalid float") || m.starts_with("cannot parse integer") => {
            "须为数字".to_owned()
        }
        m if m.contains("`true` or `false`") => "须为 true 或 false".to_owned(),
        m if m.contains("number too large") || m.contains("number too small") => "数值超出范围".to_owned(),
        m => m.to_owned(),
    };
    Error::invalid(
        field,
        format!("查询参数 {field} 无效：{zh_reason}"),
        format!("invalid query parameter {field}: {message}"),
    )
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
        JsonRejection::MissingJsonContentType(_) => not_json(),
        JsonRejection::BytesRejection(_) => Error::TooLarge(Msg::new("请求内容过大", "the request body is too large")),
        _ => Error::invalid("body", format!("JSON 格式错误：{detail}"), format!("malformed JSON: {detail}")),
    }
}

/// The answer to a body sent without a JSON content type: 415.
fn not_json() -> Error {
    Error::UnsupportedMedia(Msg::new(
        "请求须为 JSON（Content-Type: application/json）",
        "the body must be JSON (Content-Type: application/json)",
    ))
}

/// Refuses a body whose `Content-Type` is not JSON (`application/json` or a
/// `+json` type), as `axum::Json` does, for handlers that read the raw bytes.
pub fn require_json(headers: &axum::http::HeaderMap) -> Result<(), Error> {
    let media = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    match media {
        Some(m) if m == "application/json" || (m.starts_with("application/") && m.ends_with("+json")) => Ok(()),
        _ => Err(not_json()),
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

/// Whether `If-None-Match` names `etag` (a quoted entity tag) or is `*`: the
/// client's copy is current and the answer is 304. Weak comparison (RFC 9110
/// §13.1.2): a `W/` prefix is ignored.
pub fn if_none_match(headers: &axum::http::HeaderMap, etag: &str) -> bool {
    headers
        .get_all(axum::http::header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|list| list.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(error: Error) -> (String, Msg) {
        match error {
            Error::Invalid { field, reason } => (field, reason),
            other => panic!("not Invalid: {other:?}"),
        }
    }

    #[test]
    fn an_unknown_query_parameter_is_named_with_the_accepted_ones() {
        let (field, reason) = invalid(query_error(
            "Failed to deserialize query string: cursor: unknown field `cursor`, expected one of `limit`, `after`",
        ));
        assert_eq!(field, "cursor");
        assert_eq!(reason.zh, "未知的查询参数 cursor；可用的参数：limit、after");
        assert_eq!(reason.en, "unknown query parameter cursor; accepted: limit, after");
        let (_, reason) = invalid(query_error("Failed to deserialize query string: unknown field `x`, expected `a`"));
        assert!(reason.zh.ends_with("可用的参数：a"), "{reason:?}");
    }

    #[test]
    fn a_bad_query_value_names_its_parameter_in_chinese_first() {
        let (field, reason) =
            invalid(query_error("Failed to deserialize query string: limit: invalid digit found in string"));
        assert_eq!(field, "limit");
        assert_eq!(reason.zh, "查询参数 limit 无效：须为数字");
        assert!(!reason.zh.contains("deserialize") && !reason.en.contains("deserialize"), "{reason:?}");
        let (field, reason) = invalid(query_error("Failed to deserialize query string: missing field `month`"));
        assert_eq!((field.as_str(), reason.zh.as_str()), ("month", "缺少查询参数 month"));
    }
}
