//! 扫码核验文书: the public page a notice's QR code opens. It says whether the
//! document is real and in force, and whether a copy's SHA-256 matches what
//! was issued; it names no person (the service leaves them out).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::layout::{field_error, page};
use super::{Viewer, error_page, html_status};
use crate::app::App;
use crate::http::i18n::Lang;
use crate::service::documents::{self, Verification};

/// `?sha256=` to compare a copy.
#[derive(Debug, Deserialize)]
pub struct Check {
    sha256: Option<String>,
}

fn render(viewer: &Viewer, v: &Verification) -> maud::Markup {
    let kind = if viewer.lang == Lang::En { v.kind_en } else { v.kind_zh };
    html! {
        section.card {
            h1 { (viewer.t("verify.title")) }
            @if v.valid {
                p.notice role="status" { (viewer.t("verify.valid")) }
            } @else {
                p.warning role="status" {
                    (viewer.t("verify.superseded"))
                    @if let Some(by) = &v.superseded_by {
                        " " a href={ "/verify/" (by.code) } { (by.number) } " (" (by.issued_on) ")"
                    }
                }
            }
            @match v.sha256_matches {
                Some(true) => p.notice role="status" { (viewer.t("verify.match")) },
                Some(false) => p.form-error role="alert" { (viewer.t("verify.mismatch")) },
                None => {},
            }
            dl.facts {
                dt { (viewer.t("verify.number")) } dd { (v.number) }
                dt { (viewer.t("verify.kind")) } dd { (kind) }
                dt { (viewer.t("verify.issued_on")) } dd { (v.issued_on) }
                dt { (viewer.t("verify.issuer")) } dd { (v.issuer) }
                @if let Some(addressee) = &v.addressee {
                    dt { (viewer.t("verify.addressee")) }
                    dd { (addressee) @if let Some(uscc) = &v.addressee_uscc { br; span.number { (uscc) } } }
                }
                dt { (viewer.t("verify.cases")) } dd { (v.cases.join("、")) }
                dt { (viewer.t("verify.pages")) } dd { (v.pages) }
                @if let Some(s) = &v.supersedes {
                    dt { (viewer.t("verify.supersedes")) } dd { a href={ "/verify/" (s.code) } { (s.number) } }
                }
                dt { "SHA-256" } dd.number { (v.sha256) }
                @if let Some(entry) = &v.audit_entry {
                    dt { (viewer.t("verify.audit")) }
                    dd { "#" (entry.seq) " · " (entry.at.replace('T', " ").chars().take(19).collect::<String>()) br; span.number { (entry.hash) } }
                }
            }
        }
        section.card {
            h2 { (viewer.t("verify.check")) }
            p.muted { (viewer.t("verify.check_help")) }
            form method="get" action={ "/verify/" (v.code) } {
                label for="sha256" { "SHA-256" }
                input #sha256 name="sha256" type="text" inputmode="latin" autocomplete="off" spellcheck="false" value=[v.sha256_given.as_deref()];
                button.primary.wide type="submit" { (viewer.t("verify.compare")) }
            }
        }
    }
}

/// `GET /verify/{code}`: public, no session needed.
pub async fn show(
    State(app): State<App>,
    viewer: Viewer,
    Path(code): Path<String>,
    Query(q): Query<Check>,
) -> Response {
    let sha256 = q.sha256.filter(|s| !s.trim().is_empty());
    let given = sha256.clone();
    match app.store.read(move |c| documents::verification(c, &code, given.as_deref())).await {
        Ok(v) => html_status(StatusCode::OK, page(&viewer, viewer.t("verify.title"), &render(&viewer, &v))),
        Err(e) if e.field() == Some("sha256") => {
            let body = html! { section.card { h1 { (viewer.t("verify.title")) } (field_error(&viewer, Some(&e), "sha256")) a href="?" { (viewer.t("verify.again")) } } };
            html_status(StatusCode::BAD_REQUEST, page(&viewer, viewer.t("verify.title"), &body))
        }
        Err(e) => error_page(&viewer, &e),
    }
}
