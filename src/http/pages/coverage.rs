//! 全覆盖: every gap in the responsibility net, named, each with a link to
//! the form that fills it (the new-assignment form pre-filled with the role,
//! duty or level and the scope of the gap). The gaps come from the service
//! `GET /api/v1/coverage` uses; the town office's only.

use axum::extract::State;
use axum::response::Response;
use maud::html;

use super::fields::answer;
use super::{SignedIn, error_page};
use crate::app::App;
use crate::domain::coverage::Gap;
use crate::domain::people::Role;
use crate::error::Msg;
use crate::service::people;

/// The new-assignment form that fills `gap`; `town` is the town's grid code.
pub fn fill_link(gap: &Gap, town: &str) -> String {
    let scope = if gap.fill.role == Role::TownExpert { town } else { gap.code.as_str() };
    let mut pairs = vec![("role", gap.fill.role.as_str()), ("scope", scope)];
    if let Some(duty) = gap.fill.duty {
        pairs.push(("duty", duty.as_str()));
    }
    if let Some(level) = gap.fill.level {
        pairs.push(("level", level.as_str()));
    }
    pairs.push(("back", "/coverage"));
    format!("/assignments/new?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
}

/// `GET /coverage`.
pub async fn show(State(app): State<App>, SignedIn(viewer, session): SignedIn) -> Response {
    let (maps, actor, today) = (app.maps(), session.actor.clone(), app.clock.today());
    let gaps = match app.store.read(move |c| people::coverage(c, &maps, &actor, &today)).await {
        Ok(gaps) => gaps,
        Err(e) => return error_page(&viewer, &e),
    };
    let town = app.maps().town().map(|t| t.grid.code.to_string()).unwrap_or_default();
    let body = html! {
        h1 { (viewer.t("coverage.title")) }
        @if gaps.is_empty() {
            p.card.notice role="status" { (viewer.t("coverage.complete")) }
        } @else {
            p.warning role="status" { (viewer.tf_count("coverage.gap_count", gaps.len())) }
        }
        ul.plain.gaps {
            @for gap in &gaps {
                li data-gap=(gap.kind) {
                    (viewer.msg(&Msg::new(gap.message.clone(), gap.message_en.clone())))
                    p.inline-action {
                        a.button.primary href=(fill_link(gap, &town)) { (viewer.t(&format!("coverage.fill.{}", gap.kind))) }
                        @if let Ok(id) = gap.code.parse::<i64>() {
                            a.button.secondary href={ "/enterprises/" (id) } { (viewer.t("coverage.enterprise")) }
                        }
                    }
                }
            }
        }
        p.muted { (viewer.t("dashboard.as_of")) " " (app.clock.today()) }
    };
    answer(&viewer, viewer.t("coverage.title"), &body, None)
}
