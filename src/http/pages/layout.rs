//! The frame every page shares: `<head>` with the hashed assets, the header
//! with the language switch, the outbox line, and the bottom navigation
//! within thumb reach on a phone.

use maud::{DOCTYPE, Markup, html};

use super::{Viewer, url_escape};
use crate::domain::people::Role;
use crate::http::assets;
use crate::service::cases::may_file;

/// A whole page around `body`.
pub fn page(viewer: &Viewer, title: &str, body: &Markup) -> Markup {
    page_with(viewer, title, &[], body)
}

/// A whole page that also loads the page scripts `scripts` (asset names).
pub fn page_with(viewer: &Viewer, title: &str, scripts: &[&str], body: &Markup) -> Markup {
    let csrf = viewer.session.as_ref().map(|s| s.csrf.as_str());
    let other = match viewer.lang {
        crate::http::i18n::Lang::Zh => ("en", "English"),
        crate::http::i18n::Lang::En => ("zh", "中文"),
    };
    html! {
        (DOCTYPE)
        html lang=(viewer.lang.html_lang()) {
            head {
                (head_meta(viewer, title))
                @if scripts.iter().any(|s| s.starts_with("leaflet/")) {
                    link rel="stylesheet" href=(assets::url("leaflet/leaflet.css"));
                }
                link rel="stylesheet" href=(assets::url("app.css"));
                script type="application/json" #gs-strings { (maud::PreEscaped(viewer.lang.script_strings())) }
                @for script in scripts.iter().filter(|s| s.starts_with("leaflet/")) {
                    script defer src=(assets::url(script)) {}
                }
                script type="module" src=(assets::url("app.js")) {}
                @for script in scripts.iter().filter(|s| !s.starts_with("leaflet/")) {
                    script type="module" src=(assets::url(script)) {}
                }
            }
            body data-lang=(viewer.lang.code()) data-csrf=[csrf] data-signed-in=(csrf.is_some()) data-tile-url=[viewer.tile_url.as_deref()] {
                header.top {
                    a.brand href="/" { (viewer.t("app.name")) }
                    span.spacer {}
                    @if let Some(session) = &viewer.session {
                        a.who href="/me" { (session.actor.person.name) }
                    }
                    a.lang href={ "/lang/" (other.0) "?back=" (url_escape(&viewer.path)) } lang=(other.0) { (other.1) }
                }
                p #outbox-status .outbox hidden aria-live="polite" {
                    span.outbox-text {}
                    " "
                    button.link #outbox-flush type="button" { (viewer.t("outbox.retry")) }
                }
                main.content { (body) }
                @if let Some(session) = &viewer.session {
                    nav.bottom aria-label=(viewer.t("nav.label")) {
                        @let roles = &session.actor.scope.roles;
                        @let chief = roles.contains(&Role::RiverChief);
                        a href="/" aria-current=[current(&viewer.path, "/")] { (viewer.t("nav.home")) }
                        @if chief {
                            // A river chief's main button is 开始巡河 (UI.md); findings are filed from the patrol.
                            a.primary href="/patrol" aria-current=[current(&viewer.path, "/patrol")] { (viewer.t("nav.patrol")) }
                        } @else if may_file(&session.actor) {
                            a.primary href="/report" aria-current=[current(&viewer.path, "/report")] { (viewer.t("nav.report")) }
                        }
                        a href="/cases" aria-current=[current(&viewer.path, "/cases")] { (viewer.t("nav.cases")) }
                        @if session.actor.scope.admin {
                            a href="/dashboard" aria-current=[current(&viewer.path, "/dashboard")] { (viewer.t("nav.dashboard")) }
                        } @else if chief {
                            a href="/patrols" aria-current=[current(&viewer.path, "/patrols")] { (viewer.t("nav.patrols")) }
                        } @else if roles.contains(&Role::RiverPolice) {
                            a href="/leads" aria-current=[current(&viewer.path, "/leads")] { (viewer.t("nav.leads")) }
                        } @else {
                            a href="/map" aria-current=[current(&viewer.path, "/map")] { (viewer.t("nav.map")) }
                        }
                        a href="/me" aria-current=[current(&viewer.path, "/me")] { (viewer.t("nav.me")) }
                    }
                }
            }
        }
    }
}

/// What every page's `<head>` starts with: charset, viewport, title, icon.
pub fn head_meta(viewer: &Viewer, title: &str) -> Markup {
    html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover";
        meta name="color-scheme" content="light";
        meta name="theme-color" content="#0b5cad";
        title { (title) " · " (viewer.t("app.name")) }
        link rel="icon" href=(assets::url("icon.svg")) type="image/svg+xml";
    }
}

fn current(path: &str, target: &str) -> Option<&'static str> {
    let path = path.split('?').next().unwrap_or(path);
    let here = if target == "/" { path == "/" } else { path == target || path.starts_with(&format!("{target}/")) };
    here.then_some("page")
}

/// A form's hidden CSRF field.
pub fn csrf_field(viewer: &Viewer) -> Markup {
    html! {
        @if let Some(session) = &viewer.session {
            input type="hidden" name="csrf" value=(session.csrf);
        }
    }
}

/// A creating form's hidden `key`: the one it was sent with when it is drawn
/// again after an error (nothing was written then), a new one otherwise. The
/// handler reads it with `Once::for_form`, so the form creates its thing
/// once however often it is sent.
pub fn key_field(typed: &str) -> Markup {
    let key = if typed.is_empty() || typed.len() > 200 {
        crate::service::accounts::new_uuid().unwrap_or_default()
    } else {
        typed.to_owned()
    };
    html! { input type="hidden" name="key" value=(key); }
}

/// The error line under a field, when the last submission's error named it.
pub fn field_error(viewer: &Viewer, error: Option<&crate::error::Error>, field: &str) -> Markup {
    html! {
        @if let Some(e) = error.filter(|e| e.field().is_some_and(|f| f == field || f.starts_with(&format!("{field}.")))) {
            @if let Some(m) = e.message() {
                p.field-error id={ "error-" (field) } role="alert" { (viewer.msg(m)) }
            }
        }
    }
}

/// The error box at the top of a form for an error that names no field of it.
pub fn form_error(viewer: &Viewer, error: Option<&crate::error::Error>, fields: &[&str]) -> Markup {
    let general =
        error.filter(|e| e.field().is_none_or(|f| !fields.iter().any(|x| f == *x || f.starts_with(&format!("{x}.")))));
    html! {
        @if let Some(e) = general {
            p.form-error role="alert" {
                (e.message().map_or_else(|| viewer.t("error.internal").to_owned(), |m| viewer.msg(m)))
            }
        }
    }
}
