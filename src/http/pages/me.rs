//! 我的: who I am, the assignments in force, the password change, logging out.

use axum::Form;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::layout::{csrf_field, field_error, form_error, page};
use super::login::logout_form;
use super::{SignedIn, Viewer, error_page, html_status};
use crate::app::App;
use crate::error::Error;
use crate::http::auth::session_cookie;
use crate::service::{accounts, people};

/// One assignment as the page shows it.
struct Line {
    role: &'static str,
    scope: Vec<String>,
    from: String,
    to: Option<String>,
}

async fn lines(app: &App, session: &super::Session) -> Result<Vec<Line>, Error> {
    let actor = session.actor.clone();
    let maps = app.maps();
    app.store
        .read(move |c| {
            let mut out = Vec::new();
            for a in &actor.assignments {
                let scope = a.scope.iter().map(|s| people::scope_name(c, &maps, s)).collect::<Result<Vec<_>, _>>()?;
                out.push(Line { role: a.role.as_str(), scope, from: a.from.clone(), to: a.to.clone() });
            }
            Ok(out)
        })
        .await
}

fn render(viewer: &Viewer, session: &super::Session, lines: &[Line], error: Option<&Error>, done: bool) -> Response {
    let person = &session.actor.person;
    let status = error.map_or(axum::http::StatusCode::OK, crate::http::error::status);
    let body = html! {
        section.card {
            h1 { (person.name) }
            p.muted { (viewer.t("me.username")) "：" (person.username) }
        }
        section.card {
            h2 { (viewer.t("me.assignments")) }
            @if lines.is_empty() {
                p.muted { (viewer.t("me.no_assignments")) }
            }
            ul.plain {
                @for line in lines {
                    li {
                        strong { (viewer.t(&format!("role.{}", line.role))) }
                        " · " (line.scope.join("、"))
                        br;
                        span.muted { (line.from) " — " (line.to.as_deref().unwrap_or(viewer.t("me.open_ended"))) }
                    }
                }
            }
        }
        section.card {
            h2 { (viewer.t("me.password")) }
            @if done {
                p.notice role="status" { (viewer.t("me.password_changed")) }
            }
            (form_error(viewer, error, &["current", "new", "repeat"]))
            form method="post" action="/me/password" {
                (csrf_field(viewer))
                label for="current" { (viewer.t("me.current")) }
                input #current name="current" type="password" autocomplete="current-password" required;
                (field_error(viewer, error, "current"))
                label for="new" { (viewer.t("me.new")) }
                input #new name="new" type="password" autocomplete="new-password" minlength="10" required;
                (field_error(viewer, error, "new"))
                label for="repeat" { (viewer.t("me.repeat")) }
                input #repeat name="repeat" type="password" autocomplete="new-password" minlength="10" required;
                (field_error(viewer, error, "repeat"))
                button.primary.wide type="submit" { (viewer.t("me.change")) }
            }
        }
        section.card { (logout_form(viewer)) }
    };
    html_status(status, page(viewer, viewer.t("nav.me"), &body))
}

/// `?changed=1` after a password change.
#[derive(Debug, Deserialize)]
pub struct Shown {
    changed: Option<u8>,
}

/// `GET /me`.
pub async fn show(
    State(app): State<App>,
    SignedIn(viewer, session): SignedIn,
    axum::extract::Query(q): axum::extract::Query<Shown>,
) -> Response {
    match lines(&app, &session).await {
        Ok(lines) => render(&viewer, &session, &lines, None, q.changed.is_some()),
        Err(e) => error_page(&viewer, &e),
    }
}

/// The password form as posted.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    repeat: String,
    #[serde(rename = "csrf")]
    _csrf: Option<String>,
}

/// `POST /me/password`: every session ends; this browser gets a fresh one.
pub async fn change_password(
    State(app): State<App>,
    SignedIn(viewer, session): SignedIn,
    Form(input): Form<PasswordForm>,
) -> Response {
    let changed = if input.new == input.repeat {
        let (person, now) = (session.actor.person.clone(), app.now_s());
        let (current, new) = (input.current.clone(), input.new.clone());
        app.store.write(move |c| accounts::change_password(c, &person, &current, &new, now)).await
    } else {
        Err(Error::invalid("repeat", "两次输入的新密码不一致", "the two new passwords differ"))
    };
    match changed {
        Ok(()) => {
            app.sessions.clear();
            let (id, now) = (session.actor.person.id, app.now_s());
            match app.store.write(move |c| accounts::open_session(c, id, now)).await {
                Ok(token) => {
                    let mut response = Redirect::to("/me?changed=1").into_response();
                    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&app, Some(&token)));
                    response
                }
                Err(e) => error_page(&viewer, &e),
            }
        }
        Err(error) => match lines(&app, &session).await {
            Ok(lines) => render(&viewer, &session, &lines, Some(&error), false),
            Err(e) => error_page(&viewer, &e),
        },
    }
}
