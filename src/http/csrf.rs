//! Cross-site request forgery: every state-changing request that a session
//! cookie authenticates must also carry the session's CSRF token, in the
//! `X-CSRF-Token` header (scripts, the JSON API) or a `csrf` form field
//! (pages; for a file upload, where the body is multipart, in the form's
//! action URL as `?csrf=`). A bearer token is not sent by a browser on its own,
//! so bearer requests need none. The token is derived from the session token
//! (OWASP's HMAC-style synchronizer token): unguessable without the session,
//! and nothing to store. `SameSite=Strict` on the cookie is the second line.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::{Error, Msg};
use crate::http::auth::{bearer_token, cookie_token};

/// The header scripts send the token in.
pub const HEADER: &str = "x-csrf-token";

/// Largest form body read for its token (a page form is a few kilobytes).
const MAX_FORM_BYTES: usize = 256 * 1024;

/// The CSRF token of a session.
pub fn token(session_token: &str) -> String {
    let digest = Sha256::digest(format!("gridsafe csrf v1\0{session_token}").as_bytes());
    crate::domain::audit::hex(&digest[..16])
}

fn refused() -> Error {
    Error::Forbidden(Msg::new(
        "安全校验失败（缺少或错误的 CSRF 令牌）：请刷新页面后重试",
        "security check failed (missing or wrong CSRF token): reload the page and try again",
    ))
}

fn query_token(request: &Request) -> Option<String> {
    request.uri().query()?.split('&').find_map(|p| p.strip_prefix("csrf=")).map(str::to_owned)
}

/// Middleware: refuses a cookie-authenticated state-changing request without
/// the session's token (403). Logging in needs none: there is no session yet.
pub async fn guard(request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let path = request.uri().path();
    let login = path == "/login" || path == "/api/v1/login";
    if !unsafe_method || login || bearer_token(request.headers()).is_some() {
        return next.run(request).await;
    }
    let Some(session) = cookie_token(request.headers()) else {
        return next.run(request).await;
    };
    let expected = token(&session);
    let sent = request.headers().get(HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(sent) = sent.or_else(|| query_token(&request)) {
        return if sent == expected { next.run(request).await } else { refused().into_response() };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return refused().into_response();
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return Error::TooLarge(Msg::new("表单内容过大", "the form is too large")).into_response();
    };
    let field = form_field(&bytes, "csrf");
    if field.as_deref() != Some(expected.as_str()) {
        return refused().into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The first value of `name` in a URL-encoded form body.
fn form_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_per_session_and_not_the_session() {
        let a = token("session-a");
        assert_eq!(a.len(), 32);
        assert_ne!(a, token("session-b"));
        assert!(!a.contains("session"));
        assert_eq!(form_field(b"x=1&csrf=abc%20d", "csrf").as_deref(), Some("abc d"));
    }
}
