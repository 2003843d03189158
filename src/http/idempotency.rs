//! `Idempotency-Key` on every creating POST (SPEC §9): a phone that retries a
//! submission after a dropped answer must not create the thing twice.
//!
//! [`Keyed`] reads the key and the JSON body and hashes the request (route and
//! body). [`Once::create`] then does the work on the writer: if this caller
//! used the key before, the stored answer comes back and nothing is written;
//! the same key with a different request is refused (409); otherwise the work
//! runs and its answer is remembered in the same transaction, so a crash
//! cannot keep one without the other. Case and patrol filing keep their own
//! records of the same kind (their answers are re-rendered, not stored).

use std::fmt::Write as _;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};
use rusqlite::Connection;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::app::App;
use crate::domain::audit::sha256_hex;
use crate::domain::time::china_timestamp;
use crate::error::{Error, Msg, Result};
use crate::http::extract::JsonBody;
use crate::store::cases as store;

/// Reads `Idempotency-Key`, if sent (1–200 characters).
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>> {
    headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str().ok().map(str::trim).filter(|k| !k.is_empty() && k.len() <= 200).map(str::to_owned).ok_or_else(
                || {
                    Error::invalid(
                        "Idempotency-Key",
                        "Idempotency-Key 须为 1–200 个字符",
                        "Idempotency-Key must be 1–200 characters",
                    )
                },
            )
        })
        .transpose()
}

fn key_reused_msg() -> Msg {
    Msg::new(
        "同一 Idempotency-Key 已用于另一份不同的请求",
        "this Idempotency-Key was already used for a different request",
    )
}

/// The refusal of a key already used for another request.
pub fn key_reused() -> Error {
    Error::Conflict(key_reused_msg())
}

/// Whether `error` is [`key_reused`].
pub fn is_key_reused(error: &Error) -> bool {
    matches!(error, Error::Conflict(m) if *m == key_reused_msg())
}

/// A creating request's JSON body with its `Idempotency-Key` and request hash.
#[derive(Debug)]
pub struct Keyed<T> {
    /// The parsed body.
    pub input: T,
    /// What [`Once::create`] needs to answer a retry.
    pub once: Once,
}

/// The key and the request it was sent with.
#[derive(Debug, Clone)]
pub struct Once {
    key: Option<String>,
    request: String,
}

impl<T: DeserializeOwned> FromRequest<App> for Keyed<T> {
    type Rejection = Error;

    async fn from_request(request: Request, app: &App) -> Result<Self> {
        let key = idempotency_key(request.headers())?;
        let (parts, body) = request.into_parts();
        let route = parts.uri.path().to_owned();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), app)
            .await
            .map_err(|_| Error::TooLarge(Msg::new("请求内容过大", "the request body is too large")))?;
        let request = sha256_hex(&[route.as_bytes(), b"\n", &bytes].concat());
        let JsonBody(input) = JsonBody::<T>::from_request(Request::from_parts(parts, Body::from(bytes)), app).await?;
        Ok(Self { input, once: Once { key, request } })
    }
}

impl Once {
    /// For a body that is not JSON (an upload): the key, and what identifies
    /// the request (for a photo, its content hash).
    pub fn new(headers: &HeaderMap, route: &str, identity: &str) -> Result<Self> {
        Ok(Self { key: idempotency_key(headers)?, request: sha256_hex(format!("{route}\n{identity}").as_bytes()) })
    }

    /// For a page form: the key it was drawn with (its hidden `key` field,
    /// see `pages::layout::key_field`) and its fields as sent, but the CSRF
    /// token. A second tap, or the form sent again after a lost answer, gets
    /// the first answer back and writes nothing.
    pub fn for_form(route: &str, fields: &[(String, String)]) -> Self {
        let key = fields
            .iter()
            .find(|(k, _)| k == "key")
            .map(|(_, v)| v.trim().to_owned())
            .filter(|k| !k.is_empty() && k.len() <= 200);
        let mut request = format!("{route}\n");
        for (name, value) in fields.iter().filter(|(k, _)| k != "csrf" && k != "key") {
            // Length-prefixed, so no two field lists read the same.
            let _ = write!(request, "{}:{name}{}:{value}", name.len(), value.len());
        }
        Self { key, request: sha256_hex(request.as_bytes()) }
    }

    /// Runs `work` on the writer unless `person` already sent this key:
    /// then the first answer comes back (201) and nothing is written.
    pub async fn create<F>(self, app: &App, person: i64, work: F) -> Result<(StatusCode, Json<Value>)>
    where
        F: FnMut(&Connection) -> Result<Value> + Send + 'static,
    {
        let now = china_timestamp(app.now_s());
        let mut work = work;
        let body = app
            .store
            .write(move |c| {
                let Some(key) = &self.key else { return work(c) };
                if let Some((request, _, body)) = store::idempotent(c, person, key)? {
                    if request != self.request {
                        return Err(key_reused());
                    }
                    return serde_json::from_str(&body).map_err(|e| Error::Internal(e.into()));
                }
                let body = work(c)?;
                store::remember(c, person, key, &self.request, 201, &body.to_string(), &now)?;
                Ok(body)
            })
            .await?;
        Ok((StatusCode::CREATED, Json(body)))
    }
}
