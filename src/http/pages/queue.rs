//! 受理/派遣: the town office's queue. Reported cases to register (one tap)
//! or cancel, registered cases to dispatch; each through the case page's
//! forms and the same service as the API.

use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};

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

/// `GET /queue`: for the town office (others are shown what their scope allows: nothing to register).
pub async fn show(State(app): State<App>, SignedIn(viewer, session): SignedIn) -> Response {
    let (maps, actor, today) = (app.maps(), session.actor.clone(), app.clock.today());
    let day = today.clone();
    let listed = app
        .store
        .read(move |c| {
            let of = |status| CaseFilter { status: Some(status), ..CaseFilter::default() };
            let reported = cases::list_rows(c, &maps, &actor, &of(Status::Reported), None, SHOWN, &day)?.0;
            let registered = cases::list_rows(c, &maps, &actor, &of(Status::Registered), None, SHOWN, &day)?.0;
            Ok((reported, registered))
        })
        .await;
    let (reported, registered) = match listed {
        Ok(found) => found,
        Err(e) => return error_page(&viewer, &e),
    };
    let admin = session.actor.scope.admin;
    let body = html! {
        h1 { (viewer.t("queue.title")) }
        (section(&viewer, viewer.t("queue.reported"), &reported, &today, admin, "/cases?status=reported"))
        (section(&viewer, viewer.t("queue.registered"), &registered, &today, false, "/cases?status=registered"))
    };
    html(page(&viewer, viewer.t("queue.title"), &body))
}
