//! Login, logout, the session cookie, login rate limiting, and the [`Caller`]
//! extractor that turns a bearer token or cookie into an actor with a scope.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::app::App;
use crate::error::{Error, Msg, Result};
use crate::http::extract::JsonBody;
use crate::service::accounts::{self, Actor, SESSION_TTL_S};

/// The session cookie's name.
pub const COOKIE: &str = "gridsafe_session";

/// The body of `POST /api/v1/login`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    username: String,
    password: String,
}

/// The client's IP address, from the socket. Forwarding headers are not
/// trusted: behind a proxy, configure the proxy to limit logins instead.
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        let address = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
        Ok(Self(address.unwrap_or_else(|| "unknown".to_owned())))
    }
}

/// Checks a login against the rate limits and opens a session: the token and
/// the actor it resolves to. Shared by the JSON login and the login page.
pub async fn sign_in(app: &App, username: &str, password: String, address: &str) -> Result<(String, Actor)> {
    let now = app.now_s();
    let user = username.trim().to_ascii_lowercase();
    if let Err(limited) = app.limiter.check(&user, address, now) {
        app.metrics.logins_refused.inc();
        return Err(limited);
    }
    let name = user.clone();
    let checked = app.store.read(move |c| accounts::check_login(c, &name, &password)).await;
    let person = match checked {
        Ok(person) => person,
        Err(e) => {
            app.limiter.fail(&user, address, now);
            app.metrics.logins_refused.inc();
            return Err(e);
        }
    };
    app.limiter.succeed(&user);
    let id = person.id;
    let token = app.store.write(move |c| accounts::open_session(c, id, now)).await?;
    let (maps, lookup) = (app.maps(), token.clone());
    let actor = app
        .store
        .read(move |c| accounts::actor(c, &lookup, now, &maps))
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("a fresh session did not resolve")))?;
    tracing::info!(person_id = id, "login");
    Ok((token, actor))
}

/// Whether cookies must be `Secure`: the public address is HTTPS. A browser
/// drops a `Secure` cookie sent over plain HTTP to anything but localhost, so
/// over plain HTTP the cookie goes without it (and the login page warns).
pub fn secure_cookies(app: &App) -> bool {
    app.ui.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
}

/// The `Set-Cookie` value that opens (`Some(token)`) or clears (`None`) the session.
pub fn session_cookie(app: &App, token: Option<&str>) -> HeaderValue {
    let secure = if secure_cookies(app) { "; Secure" } else { "" };
    let cookie = match token {
        Some(token) => format!("{COOKIE}={token}; Path=/; HttpOnly{secure}; SameSite=Strict; Max-Age={SESSION_TTL_S}"),
        None => format!("{COOKIE}=; Path=/; HttpOnly{secure}; SameSite=Strict; Max-Age=0"),
    };
    HeaderValue::from_str(&cookie).expect("a token is URL-safe text")
}

/// `POST /api/v1/login` → `{token, user}` and the session cookie.
#[utoipa::path(
    post,
    path = "/login",
    tag = "accounts",
    security(()),
    request_body = LoginInput,
    responses((status = 200, description = "令牌与用户 · the token and the user", body = crate::http::api::openapi::SignedIn), (status = 401, description = "用户名或密码错误 · wrong user name or password", body = crate::http::api::openapi::ErrorBody), (status = 429, description = "登录尝试过多 · too many attempts", body = crate::http::api::openapi::ErrorBody))
)]
pub async fn login(
    State(app): State<App>,
    ClientAddress(address): ClientAddress,
    JsonBody(input): JsonBody<LoginInput>,
) -> Result<Response> {
    let (token, actor) = sign_in(&app, &input.username, input.password, &address).await?;
    let cookie = session_cookie(&app, Some(&token));
    let mut response = (StatusCode::OK, Json(json!({"token": token, "user": actor}))).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Ends a session: closed in the database and forgotten by the cache.
pub async fn sign_out(app: &App, token: &str) -> Result<()> {
    let hash = accounts::token_sha256(token);
    let now = app.now_s();
    app.store.write(move |c| accounts::close_session(c, &hash, now)).await?;
    app.sessions.forget(token);
    Ok(())
}

/// `POST /api/v1/logout`: ends the caller's session and clears the cookie.
#[utoipa::path(
    post,
    path = "/logout",
    tag = "accounts",
    responses((status = 204, description = "已退出 · signed out"))
)]
pub async fn logout(State(app): State<App>, caller: Caller) -> Result<Response> {
    sign_out(&app, &caller.token).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&app, None));
    Ok(response)
}

/// An authenticated caller: the actor and the token that identified them.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who is calling and what they may touch.
    pub actor: Actor,
    /// The session token (to log out).
    pub token: String,
}

/// The bearer token of the `Authorization` header, if sent.
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// The session cookie's token, if sent.
pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    crate::http::i18n::cookie(headers, COOKIE).filter(|t| !t.is_empty())
}

/// The actor a session token resolves to now, through the session cache.
pub async fn resolve(app: &App, token: &str) -> Result<Option<Actor>> {
    let now = app.now_s();
    if let Some(actor) = app.sessions.get(token, now) {
        return Ok(Some(actor));
    }
    let maps = app.maps();
    let lookup = token.to_owned();
    let found = app.store.read(move |c| accounts::actor_with_expiry(c, &lookup, now, &maps)).await?;
    Ok(found.map(|(actor, expires_at)| {
        app.sessions.put(token, &actor, now, expires_at);
        actor
    }))
}

impl FromRequestParts<App> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self> {
        let unauthenticated =
            || Error::Unauthenticated(Msg::new("请先登录（会话无效或已过期）", "log in first (no valid session)"));
        let token =
            bearer_token(&parts.headers).or_else(|| cookie_token(&parts.headers)).ok_or_else(unauthenticated)?;
        let actor = resolve(app, &token).await?.ok_or_else(unauthenticated)?;
        Ok(Self { actor, token })
    }
}
