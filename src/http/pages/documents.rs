//! 文书（按月）: the town office's documents of a month (notices, opinions,
//! patrol logs, river reports) with a link to each PDF and one download of
//! them all, from the service `GET /api/v1/documents?month=` uses.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::layout::page;
use super::{SignedIn, error_page, html};
use crate::app::App;
use crate::service::documents;

/// `?month=YYYY-MM` (default: this month) and `after=`, the next page's cursor.
#[derive(Debug, Deserialize)]
pub struct MonthQuery {
    month: Option<String>,
    after: Option<String>,
}

/// Documents per page.
const PAGE: usize = 100;

impl MonthQuery {
    /// The month named, or this month when none is.
    pub fn or_this(&self, today: &str) -> String {
        self.month.clone().filter(|m| !m.is_empty()).unwrap_or_else(|| today[..7].to_owned())
    }
}

/// `GET /documents?month=`.
pub async fn show(
    State(app): State<App>,
    SignedIn(viewer, session): SignedIn,
    Query(q): Query<MonthQuery>,
) -> Response {
    let month = q.or_this(&app.clock.today());
    let (maps, actor, key, after) = (app.maps(), session.actor.clone(), month.clone(), q.after.clone());
    let listed = app
        .store
        .read(move |c| {
            let count = documents::month_count(c, &maps, &actor, &key)?;
            let (docs, next) = documents::month_page(c, &maps, &actor, &key, after.as_deref(), PAGE)?;
            Ok((count, docs, next))
        })
        .await;
    let (count, docs, next) = match listed {
        Ok(found) => found,
        Err(e) => return error_page(&viewer, &e),
    };
    let body = html! {
        h1 { (viewer.t("documents.title")) }
        form.period.card method="get" action="/documents" {
            label { (viewer.t("filter.month")) input type="month" name="month" value=(month) required; }
            button.primary type="submit" { (viewer.t("filter.apply")) }
        }
        p.pager {
            @if !docs.is_empty() {
                a.button.primary href={ "/api/v1/documents.zip?month=" (month) } download {
                    (viewer.t("documents.download_all")) " (" (count) ")"
                }
            }
        }
        @if docs.is_empty() {
            p.card.muted { (viewer.t("documents.none")) }
        }
        ul.case-list.documents {
            @for d in &docs {
                li.card data-kind=(d.kind) data-code=(d.code) {
                    p {
                        strong { (d.number) }
                        " · " span.muted { (viewer.t(&format!("documents.kind.{}", d.kind))) }
                    }
                    p.muted {
                        (d.date)
                        @if !d.subject.is_empty() { " · " (d.subject) }
                    }
                    @if !d.cases.is_empty() {
                        p {
                            @for (i, number) in d.cases.iter().enumerate() {
                                @if i > 0 { "、" }
                                a href={ "/cases/" (number) } { (number) }
                            }
                        }
                    }
                    p { a.button.secondary href=(d.url) { (viewer.t("documents.pdf")) } }
                }
            }
        }
        @if let Some(next) = &next {
            p.pager { a.button.secondary href={ "/documents?month=" (month) "&after=" (next) } { (viewer.t("cases.next")) } }
        }
    };
    html(page(&viewer, viewer.t("documents.title"), &body))
}
