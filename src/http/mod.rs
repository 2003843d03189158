//! HTTP: the router, error mapping, extractors, the JSON API and the web pages.
//! The only layer that knows axum.

pub mod api;
pub mod assets;
pub mod auth;
pub mod csrf;
pub mod download;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod idempotency;
pub mod ogc;
pub mod open311;
pub mod pages;

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::app::App;
use crate::error::Error;
use error::LoggedError;

/// The whole application's routes.
pub fn router(app: App) -> Router {
    Router::new()
        .merge(pages::routes())
        .route("/assets/{*path}", get(assets::serve))
        .route("/static/{*path}", get(assets::serve))
        .route("/sw.js", get(assets::service_worker))
        .route("/healthz", get(api::health))
        .route("/metrics", get(show_metrics))
        .nest("/api/v1", api::routes())
        .nest("/ogc", ogc::routes())
        .route("/ogc/", get(ogc::show_landing))
        .nest("/open311/v2", open311::routes())
        .fallback(not_found)
        .layer(middleware::from_fn(csrf::guard))
        .layer(middleware::from_fn_with_state(app.clone(), security_headers))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(limits(app.limits))
        .layer(middleware::from_fn_with_state(app.clone(), log_requests))
        .with_state(app)
}

/// The request timeout and the in-flight limit (tower's), more requests than
/// the limit shed at once; each answered in our error shape.
fn limits(
    limits: crate::app::Limits,
) -> impl tower::Layer<
    axum::routing::Route,
    Service: tower::Service<Request, Response = Response, Error = std::convert::Infallible, Future: Send>
                 + Clone
                 + Send
                 + Sync
                 + 'static,
> + Clone
+ Send
+ Sync
+ 'static {
    tower::ServiceBuilder::new()
        .layer(axum::error_handling::HandleErrorLayer::new(|error: tower::BoxError| async move { limit_error(&error) }))
        .load_shed()
        // Global: the router applies a layer to each route, and the limit is the server's.
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(limits.max_in_flight))
        .timeout(limits.request_timeout)
}

/// What a request that met a limit is answered.
fn limit_error(error: &tower::BoxError) -> Response {
    if error.is::<tower::timeout::error::Elapsed>() {
        Error::Busy(crate::error::Msg::new(
            "处理超时，请稍后重试（如是提交，请先查看是否已保存）",
            "the request took too long; please retry (for a submission, check first whether it was saved)",
        ))
        .into_response()
    } else if error.is::<tower::load_shed::error::Overloaded>() {
        Error::Busy(crate::error::Msg::new("服务器繁忙，请稍后重试", "the server is busy, please retry shortly"))
            .into_response()
    } else {
        Error::Internal(anyhow::anyhow!("request failed in a limit layer: {error}")).into_response()
    }
}

/// The Content-Security-Policy of every page (UI.md): nothing inline, nothing
/// from elsewhere.
pub const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; script-src 'self'; style-src 'self'; \
                       worker-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The CSP, letting images come from the configured base-tile server too.
fn csp(tile_url: Option<&str>) -> HeaderValue {
    let origin = tile_url.and_then(|url| {
        let (scheme, rest) = url.split_once("://")?;
        let host = rest.split('/').next()?;
        let clean = host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
        (matches!(scheme, "http" | "https") && clean && !host.is_empty()).then(|| format!("{scheme}://{host}"))
    });
    match origin {
        Some(origin) => HeaderValue::from_str(&CSP.replace("img-src 'self'", &format!("img-src 'self' {origin}")))
            .unwrap_or_else(|_| HeaderValue::from_static(CSP)),
        None => HeaderValue::from_static(CSP),
    }
}

/// Headers on every answer: no MIME sniffing, no referrer to other sites; on
/// HTML also the CSP and no framing.
async fn security_headers(State(app): State<App>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    // Answers name people and places: no cache keeps them unless a route
    // says otherwise (the static assets do).
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let html =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if html {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp(app.ui.tile_url.as_deref()));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

/// `GET /metrics`: the Prometheus text format, for an admin's session or the
/// configured metrics token.
async fn show_metrics(State(app): State<App>, headers: axum::http::HeaderMap) -> Response {
    let token = auth::bearer_token(&headers).or_else(|| auth::cookie_token(&headers));
    let by_token = matches!((&app.metrics_token, &token), (Some(want), Some(got)) if want.as_bytes() == got.as_bytes());
    if !by_token {
        let unauthenticated = || {
            Error::Unauthenticated(crate::error::Msg::new(
                "请先登录（会话无效或已过期）",
                "log in first (no valid session)",
            ))
        };
        let actor = match token {
            Some(token) => auth::resolve(&app, &token).await,
            None => Err(unauthenticated()),
        };
        match actor.and_then(|a| a.ok_or_else(unauthenticated)) {
            Ok(actor) => {
                if let Err(e) = actor.scope.require_admin() {
                    return e.into_response();
                }
            }
            Err(e) => return e.into_response(),
        }
    }
    let m = &app.metrics;
    m.writer_queue.set(app.store.writer_queue_depth() as i64);
    m.wal_bytes.set(app.store.wal_bytes() as i64);
    let audit = app.audit_state();
    m.audit_ok.set(i64::from(audit.broken.is_none() && audit.missing_guards.is_empty()));
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        m.render(),
    )
        .into_response()
}

async fn not_found() -> Response {
    Error::not_found("没有这个地址", "no such path").into_response()
}

/// Logs every request once, with the internal error behind any 5xx, and
/// counts it in the metrics by its route's pattern.
async fn log_requests(State(app): State<App>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let matched = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let route = matched.clone().unwrap_or_else(|| request.uri().path().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    // Paths no route matched are counted together: a scanner makes no series.
    app.metrics.request(method.as_str(), matched.as_deref().unwrap_or("(unmatched)"), status, seconds);
    let duration_ms = seconds * 1000.0;
    if let Some(LoggedError(error)) = response.extensions().get::<LoggedError>() {
        tracing::error!(%method, %route, status, duration_ms, error = %error, "request failed");
    } else {
        tracing::debug!(%method, %route, status, duration_ms, "request");
    }
    response
}

/// How long a stopping server waits for requests in flight before it closes
/// what is still open: under the ten seconds a service manager (systemd's
/// default is 90) or a test allows.
pub const DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(8);

/// Serves `app` on `listener` until `shutdown` resolves; then stops accepting
/// and lets requests in flight finish (each write they queued commits before
/// they answer), at most [`DRAIN_LIMIT`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> crate::error::Result<()> {
    let router = router(app);
    let stopping = std::sync::Arc::new(tokio::sync::Notify::new());
    let notify = stopping.clone();
    let server = axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown.await;
            notify.notify_one();
        });
    let limit = async {
        stopping.notified().await;
        tokio::time::sleep(DRAIN_LIMIT).await;
    };
    tokio::select! {
        outcome = server.into_future() => {
            outcome.map_err(|e| crate::error::Error::Internal(anyhow::anyhow!("server failed: {e}")))
        }
        () = limit => {
            tracing::warn!(limit_s = DRAIN_LIMIT.as_secs(), "requests still open at the drain limit were closed");
            Ok(())
        }
    }
}
