//! A river's page, for everyone: its reaches with their village chiefs, the
//! town chief and the police chief (what the public 河长公示牌 shows); signed
//! in, also this month's patrols the viewer may read and the river's open
//! cases in their scope. And 线索, the river police chief's leads. Reads go
//! through the services the JSON API uses.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::html;

use super::home::case_row;
use super::layout::{page, page_with};
use super::{SignedIn, Viewer, error_page, html};
use crate::app::App;
use crate::domain::case::Kind;
use crate::error::Error;
use crate::service::cases::{self, CaseFilter, Listed};
use crate::service::patrols::{self, RiverChief};
use crate::store::patrols::PatrolRow;

/// Most open cases and patrols the page lists (the case list pages through the rest).
const SHOWN: usize = 50;

fn chief_names(chiefs: &[RiverChief], pick: impl Fn(&RiverChief) -> bool) -> String {
    let names: Vec<&str> = chiefs.iter().filter(|c| pick(c)).map(|c| c.name.as_str()).collect();
    if names.is_empty() { "—".to_owned() } else { names.join("、") }
}

/// `GET /rivers/{code}`.
pub async fn show(State(app): State<App>, viewer: Viewer, Path(code): Path<String>) -> Response {
    let maps = app.maps();
    let Some(river) = maps.river(&code) else {
        return error_page(
            &viewer,
            &Error::not_found(format!("没有编码为 {code} 的河流"), format!("no river with code {code}")),
        );
    };
    let (today, m, c2, actor) =
        (app.clock.today(), maps.clone(), code.clone(), viewer.session.as_ref().map(|s| s.actor.clone()));
    let read = app
        .store
        .read(move |c| {
            let chiefs = patrols::river_chiefs(c, &m, &c2, &today)?;
            let Some(actor) = actor else { return Ok((chiefs, None)) };
            let month = &today[..7];
            let logs: Vec<PatrolRow> = patrols::readable_rows(c, &m, &actor, Some(&c2), Some(month))?;
            let names = patrols::chief_names(c, &logs)?;
            let filter = CaseFilter { kind: Some(Kind::River), ..CaseFilter::default() };
            let open: Vec<Listed> = cases::list_rows(c, &m, &actor, &filter, None, 500, &today)?
                .0
                .into_iter()
                .filter(|(row, _)| {
                    row.reach_code.as_deref().is_some_and(|r| m.reach(r).is_some_and(|x| x.river.as_str() == c2))
                })
                .filter(|(row, _)| {
                    crate::domain::case::Status::parse(&row.status).is_some_and(crate::domain::case::Status::is_open)
                })
                .take(SHOWN)
                .collect();
            Ok((chiefs, Some((logs, names, open))))
        })
        .await;
    let (chiefs, signed_in) = match read {
        Ok(r) => r,
        Err(e) => return error_page(&viewer, &e),
    };
    let today = app.clock.today();
    let reaches: Vec<_> = maps.reaches_of(&code).collect();
    let body = html! {
        h1 { (river.river.name) }
        section.card {
            dl.facts {
                dt { (viewer.t("chieflevel.town")) } dd { (chief_names(&chiefs, |c| c.level == "town")) }
                dt { (viewer.t("chieflevel.police")) } dd { (chief_names(&chiefs, |c| c.level == "police")) }
                dt { (viewer.t("river.reach_count")) } dd { (reaches.len()) }
                dt { (viewer.t("river.length")) } dd { (format!("{:.1} km", reaches.iter().map(|r| r.length_m).sum::<f64>() / 1000.0)) }
            }
        }
        div #river-map .minimap.tall data-river=(code) {}
        section.card {
            h2 { (viewer.t("river.reaches")) }
            table.reaches {
                thead { tr { th { (viewer.t("river.reach")) } th { (viewer.t("river.village")) } th { (viewer.t("river.length_m")) } th { (viewer.t("river.chiefs")) } } }
                tbody {
                    @for r in &reaches {
                        tr {
                            td { (r.code) }
                            td { (maps.grid(r.grid.as_str()).map_or("", |g| g.grid.name.as_str())) }
                            td { (format!("{:.0}", r.length_m)) }
                            td { (chief_names(&chiefs, |c| c.reaches.contains(&r.code))) }
                        }
                    }
                }
            }
        }
        @if let Some((logs, names, open)) = &signed_in {
            section.card {
                h2 { (viewer.lang.tf("river.patrols", &[("month", &today[..7])])) }
                @if logs.is_empty() { p.muted { (viewer.t("patrol.none")) } }
                ul.plain {
                    @for p in logs.iter().take(SHOWN) {
                        li {
                            a href={ "/patrols/" (p.code) } { (p.code) }
                            " · " (names.get(&p.chief_id).map_or("", String::as_str))
                            " · " (crate::domain::time::china_timestamp(p.started_s).get(..10).unwrap_or_default())
                            " · " (format!("{:.2} km", p.distance_m / 1000.0))
                            " · " (if p.valid { viewer.t("patrol.valid") } else { viewer.t("patrol.invalid") })
                        }
                    }
                }
            }
            section {
                h2 { (viewer.t("river.open_cases")) " (" (open.len()) ")" }
                @if open.is_empty() { p.card.muted { (viewer.t("cases.none")) } }
                ul.case-list {
                    @for (c, overdue) in open {
                        (case_row(&viewer, c, cases::days_left(c.deadline.as_deref(), &today), *overdue, &[]))
                    }
                }
            }
        }
    };
    html(page_with(&viewer, &river.river.name, &["leaflet/leaflet.js", "patrol-track.js"], &body))
}

/// `GET /leads`: 线索, the river cases referred to the police chief in the
/// viewer's scope, those still waiting for an outcome first.
pub async fn leads(State(app): State<App>, SignedIn(viewer, session): SignedIn) -> Response {
    let (maps, actor, today) = (app.maps(), session.actor.clone(), app.clock.today());
    let day = today.clone();
    let read = app
        .store
        .read(move |c| {
            let filter = CaseFilter { referred: Some(true), ..CaseFilter::default() };
            let (rows, _) = cases::list_rows(c, &maps, &actor, &filter, None, cases::MAX_PAGE, &day)?;
            Ok(rows.into_iter().partition::<Vec<Listed>, _>(|(row, _)| row.police_outcome.is_none()))
        })
        .await;
    let (waiting, done) = match read {
        Ok(r) => r,
        Err(e) => return error_page(&viewer, &e),
    };
    let body = html! {
        h1 { (viewer.t("leads.title")) }
        section {
            h2 { (viewer.t("leads.waiting")) " (" (waiting.len()) ")" }
            @if waiting.is_empty() { p.card.muted { (viewer.t("leads.none")) } }
            ul.case-list {
                @for (c, overdue) in &waiting {
                    (case_row(&viewer, c, cases::days_left(c.deadline.as_deref(), &today), *overdue, &["outcome"]))
                }
            }
        }
        section {
            h2 { (viewer.t("leads.done")) " (" (done.len()) ")" }
            ul.case-list {
                @for (c, overdue) in &done {
                    (case_row(&viewer, c, cases::days_left(c.deadline.as_deref(), &today), *overdue, &[]))
                }
            }
        }
    };
    html(page(&viewer, viewer.t("leads.title"), &body))
}
