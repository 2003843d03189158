//! 首页 / 待办: the work waiting for this person, overdue first.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::layout::page;
use super::{SignedIn, Viewer, error_page, html};
use crate::app::App;
use crate::service::cases::{self, DUE_SOON_DAYS, Todo};

/// A case's deadline in words: `超期 3 天`, `剩 2 天`, `今天到期`.
pub fn deadline_words(viewer: &Viewer, days_left: Option<i64>) -> Option<String> {
    let days = days_left?;
    Some(match days {
        d if d < 0 => viewer.lang.tf("home.overdue_days", &[("n", &(-d).to_string())]),
        0 => viewer.t("home.due_today").to_owned(),
        d => viewer.lang.tf("home.days_left", &[("n", &d.to_string())]),
    })
}

/// One case as a row of a list: number, title, status, deadline.
pub fn case_row(
    viewer: &Viewer,
    case: &cases::CaseRow,
    days_left: Option<i64>,
    overdue: bool,
    actions: &[&str],
) -> Markup {
    let urgency = match days_left {
        _ if overdue => "overdue",
        Some(d) if d <= DUE_SOON_DAYS => "soon",
        _ => "normal",
    };
    html! {
        li.case-row data-urgency=(urgency) {
            a href={ "/cases/" (case.number) } {
                span.row-top {
                    span.number { (case.number) }
                    span.badge data-status=(case.status) { (viewer.t(&format!("status.{}", case.status))) }
                    @if case.grade == "major" { span.badge.major { (viewer.t("grade.major")) } }
                }
                span.title { (case.title) }
                span.row-bottom {
                    @if let Some(words) = deadline_words(viewer, days_left).filter(|_| case.deadline.is_some()) {
                        span.deadline data-urgency=(urgency) { (words) }
                    }
                    @for action in actions {
                        span.action-hint { (viewer.t(&format!("action.{action}"))) }
                    }
                }
            }
        }
    }
}

fn render(viewer: &Viewer, todo: &[Todo]) -> Markup {
    let overdue = todo.iter().filter(|t| t.days_left.is_some_and(|d| d < 0)).count();
    let soon = todo.iter().filter(|t| t.days_left.is_some_and(|d| (0..=DUE_SOON_DAYS).contains(&d))).count();
    let rest = todo.len() - overdue - soon;
    html! {
        h1 { (viewer.t("home.title")) }
        ul.counts {
            li data-urgency="overdue" { strong { (overdue) } span { (viewer.t("home.count_overdue")) } }
            li data-urgency="soon" { strong { (soon) } span { (viewer.t("home.count_soon")) } }
            li { strong { (rest) } span { (viewer.t("home.count_rest")) } }
        }
        @if todo.is_empty() {
            p.card.muted { (viewer.t("home.nothing")) }
        } @else {
            ul.case-list {
                @for t in todo {
                    @let actions: Vec<&str> = t.actions.iter().map(|a| a.as_str()).collect();
                    (case_row(viewer, &t.case, t.days_left, t.days_left.is_some_and(|d| d < 0), &actions))
                }
            }
        }
    }
}

/// `GET /`: the signed-in person's 待办; anyone else goes to the login page.
pub async fn show(State(app): State<App>, signed_in: Option<SignedIn>) -> Response {
    let Some(SignedIn(viewer, session)) = signed_in else {
        return Redirect::to("/login").into_response();
    };
    let (maps, today, actor) = (app.maps(), app.clock.today(), session.actor.clone());
    match app.store.read(move |c| cases::todo(c, &maps, &actor, &today)).await {
        Ok(todo) => html(page(&viewer, viewer.t("home.title"), &render(&viewer, &todo))),
        Err(e) => error_page(&viewer, &e),
    }
}
