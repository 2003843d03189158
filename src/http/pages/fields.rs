//! Labelled form controls the town office's forms share: each control with
//! its label, the value typed last time, and the error that names it right
//! under it. What a value means is the services' business, not theirs.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

use super::form::FormData;
use super::layout::{form_error, page};
use super::{Session, SignedIn, Viewer, error_page, html_status};
use crate::app::App;
use crate::error::Error;

/// A form posted by a signed-in person: who (as [`SignedIn`]) and what they
/// sent. A form that cannot be read is answered as an error page in their language.
pub struct SignedForm(pub Viewer, pub Session, pub FormData);

impl FromRequest<App> for SignedForm {
    type Rejection = Response;

    async fn from_request(request: Request, app: &App) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let SignedIn(viewer, session) = SignedIn::from_request_parts(&mut parts, app).await?;
        match FormData::from_request(Request::from_parts(parts, body), app).await {
            Ok(form) => Ok(Self(viewer, session, form)),
            Err(e) => Err(error_page(&viewer, &e)),
        }
    }
}

/// What a form shows: the values to put back in its controls and the error of
/// its last submission, if any.
#[derive(Clone, Copy)]
pub struct Shown<'a> {
    /// The viewer.
    pub viewer: &'a Viewer,
    /// The values shown in the controls (as typed, or as stored).
    pub form: &'a FormData,
    /// The error the last submission got.
    pub error: Option<&'a Error>,
    /// Prefix of the control ids, so two forms on one page do not clash.
    pub id: &'a str,
}

impl Shown<'_> {
    fn id_of(&self, name: &str) -> String {
        format!("{}{name}", self.id)
    }

    fn invalid(&self, name: &str) -> Option<&'static str> {
        self.error.and_then(Error::field).is_some_and(|f| f == name).then_some("true")
    }

    /// A text-like input (`kind` is its `type`).
    pub fn input(&self, name: &str, label: &str, kind: &str, required: bool) -> Markup {
        let id = self.id_of(name);
        html! {
            label for=(id) { (label) }
            input id=(id) name=(name) type=(kind) value=(self.form.typed(name)) required[required]
                step=[(kind == "number").then_some("any")] aria-invalid=[self.invalid(name)];
            (super::layout::field_error(self.viewer, self.error, name))
        }
    }

    /// A several-line text.
    pub fn area(&self, name: &str, label: &str, required: bool) -> Markup {
        let id = self.id_of(name);
        html! {
            label for=(id) { (label) }
            textarea id=(id) name=(name) rows="3" required[required] aria-invalid=[self.invalid(name)] { (self.form.typed(name)) }
            (super::layout::field_error(self.viewer, self.error, name))
        }
    }

    /// A yes/no box, sent as `true` when ticked.
    pub fn checkbox(&self, name: &str, label: &str) -> Markup {
        html! {
            label.check {
                input type="checkbox" name=(name) value="true" checked[self.form.typed(name) == "true"];
                span { (label) }
            }
            (super::layout::field_error(self.viewer, self.error, name))
        }
    }

    /// A choice of `(value, words)`, with a blank first option when `blank` is given.
    pub fn select(&self, name: &str, label: &str, blank: Option<&str>, options: &[(String, String)]) -> Markup {
        let id = self.id_of(name);
        let chosen = self.form.typed(name);
        html! {
            label for=(id) { (label) }
            select id=(id) name=(name) aria-invalid=[self.invalid(name)] {
                @if let Some(blank) = blank {
                    option value="" { (blank) }
                }
                @for (value, words) in options {
                    option value=(value) selected[chosen == value] { (words) }
                }
            }
            (super::layout::field_error(self.viewer, self.error, name))
        }
    }

    /// The box for an error that names none of `fields`.
    pub fn general_error(&self, fields: &[&str]) -> Markup {
        form_error(self.viewer, self.error, fields)
    }
}

/// A form's values from stored `(name, value)` pairs.
pub fn values<const N: usize>(pairs: [(&str, String); N]) -> FormData {
    FormData { fields: pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(), ..FormData::default() }
}

/// A page answered with the status of `error` (200 without one).
pub fn answer(viewer: &Viewer, title: &str, body: &Markup, error: Option<&Error>) -> Response {
    let status = error.map_or(StatusCode::OK, crate::http::error::status);
    html_status(status, page(viewer, title, body))
}

/// A posted number, or the error on its field.
pub fn number(form: &FormData, name: &str, zh: &str, en: &str) -> Result<f64, Error> {
    let text =
        form.get(name).ok_or_else(|| Error::invalid(name, format!("须填写{zh}"), format!("{en} is required")))?;
    text.parse().map_err(|_| Error::invalid(name, format!("{zh}须为数字"), format!("{en} must be a number")))
}

/// A posted yes/no box.
pub fn ticked(form: &FormData, name: &str) -> bool {
    form.get(name).is_some_and(|v| v == "true" || v == "on")
}

/// Reads a page's query string: blank fields and the language switch count as
/// absent; a malformed value is an error on its field.
pub fn query<T: serde::de::DeserializeOwned>(raw: Option<&str>) -> Result<T, Error> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|e| Error::invalid("query", format!("查询参数有误：{e}"), format!("bad query: {e}")))?;
    let kept: Vec<(String, String)> = pairs.into_iter().filter(|(k, v)| !v.is_empty() && k != "lang").collect();
    let text = serde_urlencoded::to_string(&kept).map_err(|e| Error::Internal(e.into()))?;
    serde_urlencoded::from_str(&text).map_err(|e| {
        let message = e.to_string();
        let field = message.split('`').nth(1).unwrap_or("query").to_owned();
        Error::invalid(field, format!("查询参数有误：{message}"), format!("bad query: {message}"))
    })
}

/// A query's text, `None` when blank.
pub fn given(text: Option<&String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}
