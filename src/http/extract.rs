//! Extractors whose rejections are our own error type, so malformed input gets
//! the JSON error shape, never axum's plain text.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::Error;

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
