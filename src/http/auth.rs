//! Login, logout, the session cookie, login rate limiting, and the [`Caller`]
//! extractor that turns a bearer token or cookie into an actor with a scope.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::accounts::{self, Actor, SESSION_TTL_S};
use crate::app::App;
use crate::error::{Error, Msg, Result};
use crate::http::extract::JsonBody;

/// The session cookie's name.
pub const COOKIE: &str = "gridsafe_session";

/// Failed logins allowed per username, and per client address, within [`WINDOW_S`].
pub const MAX_FAILURES_PER_USER: usize = 5;
/// Failed logins allowed per client address within [`WINDOW_S`].
pub const MAX_FAILURES_PER_ADDRESS: usize = 20;
/// The rate-limit window.
pub const WINDOW_S: i64 = 15 * 60;

/// Counts recent failed logins per username and per client address.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<i64>>>,
}

impl LoginLimiter {
    /// Seconds until `key` drops below `max` recent failures, if it is at or over it now.
    fn locked_for(&self, key: &str, max: usize, now: i64) -> Option<i64> {
        let mut map = self.failures.lock().expect("limiter lock poisoned");
        let entry = map.entry(key.to_owned()).or_default();
        entry.retain(|t| now - t < WINDOW_S);
        if entry.len() < max {
            return None;
        }
        // A sliding window: the lock lifts when the failure that brought the
        // count to `max` ages out, `len - max` places from the oldest.
        entry.sort_unstable();
        Some(entry[entry.len() - max] + WINDOW_S - now)
    }

    /// Refuses when either key has too many recent failures, saying how long
    /// the lock has left (the same figure in the message and in `Retry-After`).
    pub fn check(&self, user: &str, address: &str, now: i64) -> Result<()> {
        let by_user = self.locked_for(&format!("u:{user}"), MAX_FAILURES_PER_USER, now);
        let by_address = self.locked_for(&format!("a:{address}"), MAX_FAILURES_PER_ADDRESS, now);
        let Some(wait_s) = by_user.max(by_address) else {
            return Ok(());
        };
        let wait_s = wait_s.max(1);
        let minutes = (wait_s + 59) / 60;
        Err(Error::RateLimited {
            reason: Msg::new(
                format!("登录失败次数过多，请 {minutes} 分钟后再试"),
                format!("too many failed logins; try again in {minutes} minute{}", if minutes == 1 { "" } else { "s" }),
            ),
            retry_after_s: wait_s.unsigned_abs(),
        })
    }

    /// Records a failure against both keys.
    pub fn fail(&self, user: &str, address: &str, now: i64) {
        let mut map = self.failures.lock().expect("limiter lock poisoned");
        for key in [format!("u:{user}"), format!("a:{address}")] {
            map.entry(key).or_default().push(now);
        }
    }

    /// Forgets a username's failures after a successful login.
    pub fn succeed(&self, user: &str) {
        self.failures.lock().expect("limiter lock poisoned").remove(&format!("u:{user}"));
    }
}

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
    app.store.write(move |c| crate::store::people::revoke_session(c, &hash, now)).await?;
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

/// How long a resolved session is reused before the database is asked again.
/// Logout and assignment changes made through the server take effect at once;
/// changes made by the CLI behind its back within this window.
pub const SESSION_CACHE_S: i64 = 5;

/// Recently resolved sessions, so a busy phone does not cost a database
/// round trip per request.
#[derive(Debug, Default)]
pub struct SessionCache {
    entries: Mutex<HashMap<String, (Actor, i64, i64)>>,
}

impl SessionCache {
    fn get(&self, token: &str, now: i64) -> Option<Actor> {
        let map = self.entries.lock().expect("session cache lock poisoned");
        map.get(token)
            .filter(|(_, cached_at, expires_at)| now - cached_at < SESSION_CACHE_S && now < *expires_at)
            .map(|(actor, _, _)| actor.clone())
    }

    fn put(&self, token: &str, actor: &Actor, now: i64, expires_at: i64) {
        let mut map = self.entries.lock().expect("session cache lock poisoned");
        if map.len() > 10_000 {
            map.retain(|_, (_, cached_at, _)| now - *cached_at < SESSION_CACHE_S);
        }
        map.insert(token.to_owned(), (actor.clone(), now, expires_at));
    }

    /// Forgets one session (logout).
    pub fn forget(&self, token: &str) {
        self.entries.lock().expect("session cache lock poisoned").remove(token);
    }

    /// Forgets every session (assignments changed, so scopes may have).
    pub fn clear(&self) {
        self.entries.lock().expect("session cache lock poisoned").clear();
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(limiter: &LoginLimiter, user: &str, address: &str, now: i64) -> (String, u64) {
        match limiter.check(user, address, now) {
            Err(Error::RateLimited { reason, retry_after_s }) => (reason.zh, retry_after_s),
            other => panic!("not refused at {now}: {other:?}"),
        }
    }

    #[test]
    fn the_lock_lasts_until_the_failures_age_out_and_says_so() {
        let limiter = LoginLimiter::default();
        let t0 = 1_800_000_000;
        for n in 0..MAX_FAILURES_PER_USER as i64 {
            limiter.fail("li.hua", "10.0.0.1", t0 + n * 60);
        }
        // Right after the fifth failure: locked until the first one is 15 minutes old.
        let (message, retry) = refusal(&limiter, "li.hua", "10.0.0.2", t0 + 4 * 60);
        assert_eq!(retry, 11 * 60);
        assert!(message.contains("11 分钟"), "{message}");
        // 10 s before the lock lifts: 10 s, and "1 minute", not 15.
        let (message, retry) = refusal(&limiter, "li.hua", "10.0.0.2", t0 + WINDOW_S - 10);
        assert_eq!(retry, 10);
        assert!(message.contains("1 分钟"), "{message}");
        assert!(limiter.check("li.hua", "10.0.0.2", t0 + WINDOW_S).is_ok());
    }

    #[test]
    fn an_address_lock_reports_its_own_remaining_time() {
        let limiter = LoginLimiter::default();
        let t0 = 1_800_000_000;
        for n in 0..MAX_FAILURES_PER_ADDRESS as i64 {
            limiter.fail(&format!("guess{n}"), "10.0.0.7", t0 + n);
        }
        let (_, retry) = refusal(&limiter, "admin", "10.0.0.7", t0 + 100);
        assert_eq!(retry, (WINDOW_S - 100) as u64);
    }
}
