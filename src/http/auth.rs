//! Login, logout, the session cookie, login rate limiting, and the [`Caller`]
//! extractor that turns a bearer token or cookie into an actor with a scope.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
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
#[derive(Debug, Deserialize)]
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

/// `POST /api/v1/login` → `{token, user}` and the session cookie.
pub async fn login(
    State(app): State<App>,
    ClientAddress(address): ClientAddress,
    JsonBody(input): JsonBody<LoginInput>,
) -> Result<Response> {
    let now = app.now_s();
    let user = input.username.trim().to_ascii_lowercase();
    app.limiter.check(&user, &address, now)?;
    let (name, password) = (user.clone(), input.password);
    let checked = app.store.read(move |c| accounts::check_login(c, &name, &password)).await;
    let person = match checked {
        Ok(person) => person,
        Err(e) => {
            app.limiter.fail(&user, &address, now);
            return Err(e);
        }
    };
    app.limiter.succeed(&user);
    let id = person.id;
    let token = app.store.write(move |c| accounts::open_session(c, id, now)).await?;
    let maps = app.maps();
    let lookup = token.clone();
    let actor = app
        .store
        .read(move |c| accounts::actor(c, &lookup, now, &maps))
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("a fresh session did not resolve")))?;
    tracing::info!(person_id = id, "login");
    let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={SESSION_TTL_S}");
    let mut response = (StatusCode::OK, Json(json!({"token": token, "user": actor}))).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|e| Error::Internal(e.into()))?);
    Ok(response)
}

/// `POST /api/v1/logout`: ends the caller's session and clears the cookie.
pub async fn logout(State(app): State<App>, caller: Caller) -> Result<Response> {
    let hash = accounts::token_sha256(&caller.token);
    let now = app.now_s();
    app.store.write(move |c| accounts::close_session(c, &hash, now)).await?;
    app.sessions.forget(&caller.token);
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("gridsafe_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0"),
    );
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

fn token_from(parts: &Parts) -> Option<String> {
    if let Some(bearer) =
        parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(bearer.trim().to_owned());
    }
    parts.headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|cookies| {
        cookies.split(';').find_map(|c| c.trim().strip_prefix(&format!("{COOKIE}=")).map(str::to_owned))
    })
}

impl FromRequestParts<App> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self> {
        let unauthenticated =
            || Error::Unauthenticated(Msg::new("请先登录（会话无效或已过期）", "log in first (no valid session)"));
        let token = token_from(parts).filter(|t| !t.is_empty()).ok_or_else(unauthenticated)?;
        let now = app.now_s();
        if let Some(actor) = app.sessions.get(&token, now) {
            return Ok(Self { actor, token });
        }
        let maps = app.maps();
        let lookup = token.clone();
        let found = app.store.read(move |c| accounts::actor_with_expiry(c, &lookup, now, &maps)).await?;
        let (actor, expires_at) = found.ok_or_else(unauthenticated)?;
        app.sessions.put(&token, &actor, now, expires_at);
        Ok(Self { actor, token })
    }
}
