//! The web pages: server-rendered HTML (maud, checked at compile time) that
//! works without JavaScript for reading and for every form; the scripts under
//! `assets/` add GPS, the camera, the map and the offline outbox.
//!
//! A page handler resolves the viewer, calls the same service the JSON API
//! calls, and renders. Rules, scope and allowed actions come from the
//! services; a page never decides them.

pub mod cases;
pub mod categories;
pub mod compliance;
pub mod coverage;
pub mod dashboard;
pub mod documents;
pub mod enterprises;
pub mod fields;
pub mod form;
pub mod home;
pub mod layout;
pub mod login;
pub mod map;
pub mod me;
pub mod notices;
pub mod patrols;
pub mod people;
pub mod queue;
pub mod report;
pub mod rivers;
pub mod settings;
pub mod verify;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::Markup;

use crate::app::App;
use crate::error::{Error, Msg};
use crate::http::auth::{cookie_token, resolve};
use crate::http::csrf;
use crate::http::i18n::Lang;
use crate::service::accounts::Actor;

/// Largest form with photos: [`form::MAX_PHOTOS`] photos of the media limit each.
pub const MAX_FORM_UPLOAD: usize = form::MAX_PHOTOS * crate::service::media::MAX_UPLOAD_BYTES + 256 * 1024;

/// The pages' routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(home::show))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/lang/{code}", get(login::switch_language))
        .route("/dashboard", get(dashboard::show))
        .route("/queue", get(queue::show))
        .route("/notices", post(notices::issue))
        .route("/notices/new", get(notices::new))
        .route("/settings/patrols", get(settings::show).post(settings::save))
        .route("/documents", get(documents::show))
        .route("/compliance", get(compliance::show))
        .route("/me", get(me::show))
        .route("/me/password", post(me::change_password))
        .route("/map", get(map::show))
        .route("/cases", get(cases::list))
        .route("/cases/{number}", get(cases::show))
        .route("/cases/{number}/act", post(cases::act).layer(DefaultBodyLimit::max(MAX_FORM_UPLOAD)))
        .route("/report", get(report::form).post(report::submit).layer(DefaultBodyLimit::max(MAX_FORM_UPLOAD)))
        .route("/verify/{code}", get(verify::show))
        .route("/patrol", get(patrols::recorder))
        .route("/patrols", get(patrols::mine))
        .route("/patrols/review", get(patrols::review_queue))
        .route(
            "/patrols/new",
            get(patrols::upload)
                .post(patrols::file_upload)
                .layer(DefaultBodyLimit::max(crate::http::api::patrols::MAX_PATROL_BODY)),
        )
        .route("/patrols/{code}", get(patrols::show))
        .route("/patrols/{code}/review", post(patrols::review))
        .route("/patrols/{code}/resubmit", post(patrols::resubmit))
        .route("/rivers/{code}", get(rivers::show))
        .route("/leads", get(rivers::leads))
        .route("/enterprises", get(enterprises::list).post(enterprises::create))
        .route("/enterprises/new", get(enterprises::new))
        .route("/enterprises/reinspection", get(enterprises::reinspection))
        .route("/enterprises/{id}", get(enterprises::show).post(enterprises::update))
        .route("/enterprises/{id}/governance", post(enterprises::govern).layer(DefaultBodyLimit::max(MAX_FORM_UPLOAD)))
        .route("/enterprises/{id}/reinspections", post(enterprises::reinspect))
        .route("/people", get(people::list).post(people::create))
        .route("/people/new", get(people::new))
        .route("/people/{id}", get(people::show))
        .route("/assignments", post(people::assign))
        .route("/assignments/new", get(people::new_assignment))
        .route("/assignments/{id}/end", post(people::end))
        .route("/coverage", get(coverage::show))
        .route("/categories", get(categories::list).post(categories::create))
        .route("/categories/{code}", post(categories::update))
}

/// A signed-in person on a page: who, their session token and its CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who they are and what they may touch.
    pub actor: Actor,
    /// The session token.
    pub token: String,
    /// The CSRF token every form of theirs carries.
    pub csrf: String,
}

/// Whoever is looking at a page: their language, path, and session if any.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Page language.
    pub lang: Lang,
    /// The session, when signed in.
    pub session: Option<Session>,
    /// The request path (for the language switch and the login redirect).
    pub path: String,
    /// Plain HTTP to a host other than this machine: GPS, camera and offline will not work.
    pub insecure: bool,
    /// The configured base-tile URL template, for the page maps.
    pub tile_url: Option<String>,
}

impl Viewer {
    /// The catalogue string for `key`.
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// A service message in the viewer's language.
    pub fn msg(&self, msg: &Msg) -> String {
        self.lang.msg(msg)
    }
}

fn insecure(app: &App, parts: &Parts) -> bool {
    if app.ui.public_url.as_deref().is_some_and(|u| u.starts_with("https://")) {
        return false;
    }
    let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let name = host.rsplit_once(':').filter(|(h, p)| !h.ends_with(']') || p.is_empty()).map_or(host, |(h, _)| h);
    !matches!(name, "localhost" | "127.0.0.1" | "[::1]") && !name.ends_with(".localhost")
}

impl FromRequestParts<App> for Viewer {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Error> {
        let lang = Lang::of_request(&parts.headers, parts.uri.query());
        let session = match cookie_token(&parts.headers) {
            Some(token) => resolve(app, &token).await?.map(|actor| Session { actor, csrf: csrf::token(&token), token }),
            None => None,
        };
        let path = parts.uri.path_and_query().map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        Ok(Self { lang, session, path, insecure: insecure(app, parts), tile_url: app.ui.tile_url.clone() })
    }
}

/// A viewer who must be signed in; anyone else is sent to the login page and back.
#[derive(Debug, Clone)]
pub struct SignedIn(pub Viewer, pub Session);

impl FromRequestParts<App> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Response> {
        let viewer = Viewer::from_request_parts(parts, app).await.map_err(IntoResponse::into_response)?;
        if let Some(session) = viewer.session.clone() {
            Ok(Self(viewer, session))
        } else {
            let next = url_escape(&viewer.path);
            Err(Redirect::to(&format!("/login?next={next}")).into_response())
        }
    }
}

impl OptionalFromRequestParts<App> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Option<Self>, Response> {
        let viewer = Viewer::from_request_parts(parts, app).await.map_err(IntoResponse::into_response)?;
        Ok(viewer.session.clone().map(|s| Self(viewer, s)))
    }
}

/// Percent-encodes a path for a query value.
pub fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A rendered page, answered as HTML that no cache keeps (pages carry personal data).
pub fn html(markup: Markup) -> Response {
    html_status(StatusCode::OK, markup)
}

/// A rendered page with a status.
pub fn html_status(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        markup.into_string(),
    )
        .into_response()
}

/// An error shown as a page in the viewer's language, with the API's status.
pub fn error_page(viewer: &Viewer, error: &Error) -> Response {
    let status = crate::http::error::status(error);
    let message = error.message().map_or_else(|| viewer.t("error.internal").to_owned(), |m| viewer.msg(m));
    if status.is_server_error() {
        tracing::error!(error = %error, "page failed");
    }
    let body = maud::html! {
        section.card.error-card role="alert" {
            h1 { (viewer.t("error.title")) }
            p { (message) }
            p { a href="/" { (viewer.t("error.home")) } }
        }
    };
    html_status(status, layout::page(viewer, viewer.t("error.title"), &body))
}
