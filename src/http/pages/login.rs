//! Signing in and out, and the language switch.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::layout::{csrf_field, field_error, form_error, page};
use super::{SignedIn, Viewer, html_status};
use crate::app::App;
use crate::error::Error;
use crate::http::auth::{ClientAddress, session_cookie, sign_in, sign_out};
use crate::http::i18n::{LANG_COOKIE, Lang};

/// Where to go after a form: only a path on this site (never `//host` or a full URL).
pub fn local_path(next: Option<&str>) -> &str {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\')).unwrap_or("/")
}

/// `?next=` on the login page.
#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// The login form as posted.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

fn render(viewer: &Viewer, username: &str, next: &str, error: Option<&Error>) -> Response {
    let status = error.map_or(axum::http::StatusCode::OK, crate::http::error::status);
    let body = html! {
        section.card.narrow {
            h1 { (viewer.t("login.title")) }
            @if viewer.insecure {
                p.warning role="note" { (viewer.t("login.insecure")) }
            }
            (form_error(viewer, error, &["username", "password"]))
            form method="post" action="/login" {
                input type="hidden" name="next" value=(next);
                label for="username" { (viewer.t("login.username")) }
                input #username name="username" type="text" autocomplete="username" autocapitalize="none" required value=(username);
                label for="password" { (viewer.t("login.password")) }
                input #password name="password" type="password" autocomplete="current-password" required;
                (field_error(viewer, error, "password"))
                button.primary.wide type="submit" { (viewer.t("login.submit")) }
            }
            p.muted { a href="/map" { (viewer.t("login.public_map")) } }
        }
    };
    html_status(status, page(viewer, viewer.t("login.title"), &body))
}

/// `GET /login`.
pub async fn form(viewer: Viewer, Query(q): Query<Next>) -> Response {
    if viewer.session.is_some() {
        return Redirect::to(local_path(q.next.as_deref())).into_response();
    }
    render(&viewer, "", local_path(q.next.as_deref()), None)
}

/// `POST /login`: opens a session and goes where the person was going.
pub async fn submit(
    State(app): State<App>,
    viewer: Viewer,
    ClientAddress(address): ClientAddress,
    Form(input): Form<LoginForm>,
) -> Response {
    let next = local_path(input.next.as_deref()).to_owned();
    match sign_in(&app, &input.username, input.password, &address).await {
        Ok((token, _)) => {
            let mut response = Redirect::to(&next).into_response();
            response.headers_mut().insert(header::SET_COOKIE, session_cookie(&app, Some(&token)));
            response
        }
        Err(error) => render(&viewer, &input.username, &next, Some(&error)),
    }
}

/// `POST /logout`: ends the session and shows the login page.
pub async fn logout(State(app): State<App>, SignedIn(_, session): SignedIn) -> Response {
    if let Err(error) = sign_out(&app, &session.token).await {
        return error.into_response();
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&app, None));
    response
}

/// `?back=` on the language switch.
#[derive(Debug, Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// `GET /lang/{zh|en}`: remembers the language for a year and goes back.
pub async fn switch_language(Path(code): Path<String>, Query(q): Query<Back>) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    let mut response = Redirect::to(local_path(q.back.as_deref())).into_response();
    let cookie = format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", lang.code());
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("ASCII cookie"));
    response
}

/// A form with only a CSRF field and a button (logout on 我的).
pub fn logout_form(viewer: &Viewer) -> maud::Markup {
    html! {
        form method="post" action="/logout" {
            (csrf_field(viewer))
            button.secondary.wide type="submit" { (viewer.t("me.logout")) }
        }
    }
}
