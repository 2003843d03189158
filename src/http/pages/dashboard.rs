//! The town office's dashboard: the figures of now, the KPIs of a chosen
//! period with a bar chart per community drawn as SVG by the server, and the
//! oldest overdue cases. The figures come from the service `GET /api/v1/stats`
//! uses, so the two always agree.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::home::case_row;
use super::layout::page;
use super::{SignedIn, Viewer, error_page, html};
use crate::app::App;
use crate::domain::people;
use crate::error::{Error, Msg};
use crate::service::cases::{self, Dashboard, StatsGroup};

/// `?from=&to=`: the period (default: this month to today).
#[derive(Debug, Deserialize)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// Horizontal bars, one per community: cases filed in the period (light),
/// of which closed (dark), with the figures at the end. Plain SVG: no script.
fn chart(viewer: &Viewer, groups: &[StatsGroup]) -> Markup {
    const ROW: usize = 30;
    const LABEL: f64 = 96.0;
    const BAR: f64 = 200.0;
    let max = groups.iter().map(|g| g.kpi.filed).max().unwrap_or(0).max(1) as f64;
    let height = ROW * groups.len() + 24;
    html! {
        svg.chart viewBox={ "0 0 360 " (height) } role="img" aria-label=(viewer.t("dashboard.chart")) xmlns="http://www.w3.org/2000/svg" {
            @for (i, g) in groups.iter().enumerate() {
                @let y = i * ROW + 4;
                text x="0" y=(y + 17) font-size="13" fill="#14202b" { (g.name) }
                rect x=(LABEL) y=(y) width=(BAR * g.kpi.filed as f64 / max) height="22" rx="3" fill="#c7dbf2" {}
                rect x=(LABEL) y=(y) width=(BAR * g.kpi.closed as f64 / max) height="22" rx="3" fill="#0b5cad" {}
                text x=(LABEL + BAR + 6.0) y=(y + 16) font-size="12" fill="#4d5b68" { (g.kpi.closed) " / " (g.kpi.filed) }
            }
            @let legend = ROW * groups.len() + 18;
            rect x=(LABEL) y=(legend - 10) width="10" height="10" fill="#c7dbf2" {}
            text x=(LABEL + 14.0) y=(legend) font-size="11" fill="#4d5b68" { (viewer.t("dashboard.filed")) }
            rect x=(LABEL + 80.0) y=(legend - 10) width="10" height="10" fill="#0b5cad" {}
            text x=(LABEL + 94.0) y=(legend) font-size="11" fill="#4d5b68" { (viewer.t("dashboard.closed")) }
        }
    }
}

fn render(viewer: &Viewer, d: &Dashboard, today: &str, alarm: Option<&Msg>) -> Markup {
    let k = &d.stats.total;
    html! {
        h1 { (viewer.t("dashboard.title")) }
        @if let Some(alarm) = alarm {
            p.alarm role="alert" { (viewer.msg(alarm)) }
        }
        p.pager {
            a.button.secondary href="/queue" { (viewer.t("queue.title")) }
            a.button.secondary href="/cases?overdue=true" { (viewer.t("dashboard.overdue")) }
            a.button.secondary href="/map" { (viewer.t("nav.map")) }
            a.button.secondary href="/enterprises" { (viewer.t("enterprises.title")) }
            a.button.secondary href="/enterprises/reinspection" { (viewer.t("reinspection.title")) }
            a.button.secondary href="/people" { (viewer.t("people.title")) }
            a.button.secondary href="/coverage" { (viewer.t("coverage.title")) }
            a.button.secondary href="/categories" { (viewer.t("categories.title")) }
            a.button.secondary href="/compliance" { (viewer.t("compliance.title")) }
            a.button.secondary href="/documents" { (viewer.t("documents.title")) }
            a.button.secondary href="/settings/patrols" { (viewer.t("rules.title")) }
        }
        ul.counts.four {
            li { a href="/cases" { strong { (d.open) } span { (viewer.t("dashboard.open")) } } }
            li data-urgency="overdue" { a href="/cases?overdue=true" { strong { (d.overdue) } span { (viewer.t("dashboard.overdue")) } } }
            li { a href="/cases?supervised=true" { strong { (d.supervised) } span { (viewer.t("dashboard.supervised")) } } }
            li { strong { (d.closed_this_month) } span { (viewer.t("dashboard.closed_month")) } }
        }
        section.card {
            form.period method="get" action="/dashboard" {
                label { (viewer.t("filter.from")) input type="date" name="from" value=(d.stats.from); }
                label { (viewer.t("filter.to")) input type="date" name="to" value=(d.stats.to); }
                button.primary type="submit" { (viewer.t("filter.apply")) }
            }
            dl.facts.kpis {
                dt { (viewer.t("dashboard.filed_period")) } dd { (k.filed) }
                dt { (viewer.t("dashboard.due")) } dd { (k.due) }
                dt { (viewer.t("dashboard.closure_rate")) } dd.big { (percent(k.closure_rate)) }
                dt { (viewer.t("dashboard.on_time_rate")) } dd.big { (percent(k.on_time_rate)) }
                dt { (viewer.t("dashboard.rework_rate")) } dd { (percent(k.rework_rate)) }
            }
        }
        section.card {
            h2 { (viewer.t("dashboard.by_community")) }
            @if d.stats.groups.is_empty() {
                p.muted { (viewer.t("dashboard.no_cases")) }
            } @else {
                (chart(viewer, &d.stats.groups))
            }
        }
        section {
            h2 { (viewer.t("dashboard.oldest_overdue")) }
            @if d.oldest_overdue.is_empty() {
                p.card.muted { (viewer.t("dashboard.none_overdue")) }
            }
            ul.case-list {
                @for (c, over) in &d.oldest_overdue {
                    (case_row(viewer, c, Some(-over), true, &[]))
                }
            }
            p.muted { (viewer.t("dashboard.as_of")) " " (today) }
        }
    }
}

/// `GET /dashboard`.
pub async fn show(State(app): State<App>, SignedIn(viewer, session): SignedIn, Query(q): Query<Period>) -> Response {
    let today = app.clock.today();
    let period = (|| -> Result<(String, String), Error> {
        let from = match q.from.as_deref().filter(|s| !s.is_empty()) {
            Some(d) => people::date("from", d)?,
            None => format!("{}-01", &today[..7]),
        };
        let to = match q.to.as_deref().filter(|s| !s.is_empty()) {
            Some(d) => people::date("to", d)?,
            None => today.clone(),
        };
        Ok((from, to))
    })();
    let (from, to) = match period {
        Ok(p) => p,
        Err(e) => return error_page(&viewer, &e),
    };
    let (maps, actor, day) = (app.maps(), session.actor.clone(), today.clone());
    match app.store.read(move |c| cases::dashboard(c, &maps, &actor, &from, &to, &day)).await {
        Ok(d) => {
            let alarm = app.audit_state().alarm();
            html(page(&viewer, viewer.t("dashboard.title"), &render(&viewer, &d, &today, alarm.as_ref())))
        }
        Err(e) => error_page(&viewer, &e),
    }
}
