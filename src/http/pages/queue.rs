//! 受理/派遣: the town office's queue. Reported cases to register (one tap)
//! or cancel, registered cases to dispatch; each through the case page's
//! forms and the same service as the API. An enterprise with several
//! registered findings gets a link to dispatch them under one joint notice
//! (`/notices/new`), and the notice just issued is named on top.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use maud::{Markup, html};

use super::fields::query;
use super::home::case_row;
use super::layout::{csrf_field, page};
use super::{SignedIn, Viewer, error_page, html};
use crate::app::App;
use crate::domain::case::Status;
use crate::service::cases::{self, CaseFilter, Listed};

/// Most cases listed per section (the list page pages through the rest).
const SHOWN: usize = 100;

fn section(viewer: &Viewer, title: &str, rows: &[Listed], today: &str, register: bool, more: &str) -> Markup {
    html! {
        section {
            h2 { (title) " (" (rows.len()) ")" }
            @if rows.is_empty() {
                p.card.muted { (viewer.t("queue.empty")) }
            }
            ul.case-list {
                @for (c, overdue) in rows {
                    (case_row(viewer, c, cases::days_left(c.deadline.as_deref(), today), *overdue, &[]))
                    @if register {
                        form.inline-action method="post" action={ "/cases/" (c.number) "/act" } {
                            (csrf_field(viewer))
                            input type="hidden" name="action" value="register";
                            input type="hidden" name="version" value=(c.version);
                            input type="hidden" name="back" value="/queue";
                            button.primary type="submit" { (viewer.t("action.register")) }
                            a.button.secondary href={ "/cases/" (c.number) "#cancel" } { (viewer.t("action.cancel")) "…" }
                        }
                    } @else {
                        p.inline-action { a.button.primary href={ "/cases/" (c.number) "#dispatch" } { (viewer.t("action.dispatch")) "…" } }
                    }
                }
            }
            @if rows.len() == SHOWN {
                p { a href=(more) { (viewer.t("queue.more")) } }
            }
        }
    }
}

/// `?issued=`: the joint notice just issued.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Issued {
    issued: Option<String>,
}

/// What the queue shows.
struct Queue {
    reported: Vec<Listed>,
    registered: Vec<Listed>,
    /// Enterprises with several registered findings: (id, name, how many).
    joint: Vec<(i64, String, usize)>,
    /// The notice just issued: its meta and how many cases it covers.
    issued: Option<(crate::store::documents::DocumentMeta, usize)>,
}

fn joint_section(viewer: &Viewer, joint: &[(i64, String, usize)]) -> Markup {
    html! {
        @if !joint.is_empty() {
            section.card {
                h2 { (viewer.t("notice.title")) }
                p.muted { (viewer.t("notice.hint")) }
                ul {
                    @for (id, name, n) in joint {
                        li { (name) "：" (viewer.lang.tf("notice.waiting", &[("n", &n.to_string())])) " "
                            a.button.secondary href={ "/notices/new?enterprise=" (id) } { (viewer.t("notice.issue")) "…" } }
                    }
                }
            }
        }
    }
}

/// `GET /queue`: for the town office (others are shown what their scope allows: nothing to register).
pub async fn show(State(app): State<App>, SignedIn(viewer, session): SignedIn, RawQuery(raw): RawQuery) -> Response {
    let issued = match query::<Issued>(raw.as_deref()) {
        Ok(q) => q.issued,
        Err(e) => return error_page(&viewer, &e),
    };
    let (maps, actor, today) = (app.maps(), session.actor.clone(), app.clock.today());
    let day = today.clone();
    let listed = app
        .store
        .read(move |c| {
            let of = |status| CaseFilter { status: Some(status), ..CaseFilter::default() };
            let reported = cases::list_rows(c, &maps, &actor, &of(Status::Reported), None, SHOWN, &day)?.0;
            let registered = cases::list_rows(c, &maps, &actor, &of(Status::Registered), None, SHOWN, &day)?.0;
            let mut firms: std::collections::BTreeMap<i64, usize> = std::collections::BTreeMap::new();
            for (case, _) in &registered {
                if let Some(id) = case.enterprise_id {
                    *firms.entry(id).or_default() += 1;
                }
            }
            let mut joint = Vec::new();
            for (id, n) in firms.into_iter().filter(|(_, n)| *n > 1) {
                let (firm, _) = crate::service::enterprises::load_readable(c, &actor.scope, id)?;
                joint.push((id, firm.name, n));
            }
            let issued = issued
                .map(|code| crate::service::documents::readable_with_count(c, &maps, &actor, &code))
                .transpose()?;
            Ok(Queue { reported, registered, joint, issued })
        })
        .await;
    let queue = match listed {
        Ok(found) => found,
        Err(e) => return error_page(&viewer, &e),
    };
    let admin = session.actor.scope.admin;
    let body = html! {
        h1 { (viewer.t("queue.title")) }
        @if let Some((meta, covered)) = &queue.issued {
            p.notice role="status" {
                (viewer.lang.tf("notice.issued", &[("number", &meta.number), ("n", &covered.to_string())])) " "
                a href={ "/api/v1/documents/" (meta.code) } { (viewer.t("notice.open_pdf")) }
            }
        }
        (section(&viewer, viewer.t("queue.reported"), &queue.reported, &today, admin, "/cases?status=reported"))
        (joint_section(&viewer, &queue.joint))
        (section(&viewer, viewer.t("queue.registered"), &queue.registered, &today, false, "/cases?status=registered"))
    };
    html(page(&viewer, viewer.t("queue.title"), &body))
}
