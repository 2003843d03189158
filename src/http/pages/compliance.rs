//! 巡河考核: patrol compliance of a month per chief and river (valid patrols
//! against the target, invalid ones, the share of each reach the valid
//! patrols covered), from the service `GET /api/v1/patrols/compliance` uses.
//! The list is complete without JavaScript; `assets/compliance.js` colours
//! the reaches on a map by the shares the page carries in `data-coverage`.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, html};

use super::documents::MonthQuery;
use super::layout::page_with;
use super::{SignedIn, Viewer, error_page, html};
use crate::app::App;
use crate::domain::people::{self, ChiefLevel};
use crate::error::Msg;
use crate::service::patrols::{self, Compliance};

/// The colour band of a coverage share (`assets/app.css` and `compliance.js` agree on it).
pub fn band(share: f64) -> &'static str {
    match share {
        s if s >= 0.8 => "good",
        s if s >= 0.5 => "fair",
        s if s > 0.0 => "poor",
        _ => "none",
    }
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

fn line(viewer: &Viewer, c: &Compliance, river: &str) -> Markup {
    let level = ChiefLevel::parse(&c.level).unwrap_or(ChiefLevel::Village);
    html! {
        li.card data-chief=(c.username) data-river=(c.river) data-valid=(c.valid_done) data-required=(c.required) data-invalid=(c.invalid) {
            p { strong { (c.chief) } " · " (viewer.msg(&Msg::new(level.zh(), level.en()))) " · " (river) }
            p {
                label.inline {
                    (viewer.t("compliance.valid")) " " (c.valid_done) " / " (c.required)
                    " " meter min="0" max=(c.required) low=(c.required) optimum=(c.required) value=(c.valid_done.min(c.required)) { (percent(c.rate)) }
                }
                " " span.muted { (viewer.t("compliance.rate")) " " (percent(c.rate)) }
            }
            p { (viewer.t("compliance.invalid")) " " (c.invalid) }
            @if !c.reaches.is_empty() {
                details {
                    summary { (viewer.t("compliance.reaches")) " (" (c.reaches.len()) ")" }
                    ul.plain {
                        @for r in &c.reaches {
                            li data-reach=(r.code) data-share=(r.share) {
                                span.swatch data-band=(band(r.share)) {}
                                " " (r.village) " " span.muted { (r.code) } " — " strong { (percent(r.share)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /compliance?month=`: for the town office all chiefs; a chief sees their own lines and those below.
pub async fn show(
    State(app): State<App>,
    SignedIn(viewer, session): SignedIn,
    Query(q): Query<MonthQuery>,
) -> Response {
    let month = match people::month("month", &q.or_this(&app.clock.today())) {
        Ok(m) => m,
        Err(e) => return error_page(&viewer, &e),
    };
    let (maps, actor, key) = (app.maps(), session.actor.clone(), month.clone());
    let lines = match app.store.read(move |c| patrols::compliance_visible(c, &maps, &actor, &key)).await {
        Ok(lines) => lines,
        Err(e) => return error_page(&viewer, &e),
    };
    let maps = app.maps();
    let river_name = |code: &str| maps.river(code).map_or_else(|| code.to_owned(), |r| r.river.name.clone());
    let coverage: BTreeMap<&str, f64> =
        lines.iter().flat_map(|c| c.reaches.iter().map(|r| (r.code.as_str(), r.share))).collect();
    let mut rivers: Vec<&str> = lines.iter().map(|c| c.river.as_str()).collect();
    rivers.dedup();
    let body = html! {
        h1 { (viewer.t("compliance.title")) }
        form.period.card method="get" action="/compliance" {
            label { (viewer.t("filter.month")) input type="month" name="month" value=(month) required; }
            button.primary type="submit" { (viewer.t("filter.apply")) }
        }
        @if lines.is_empty() {
            p.card.muted { (viewer.t("compliance.none")) }
        } @else {
            section.card {
                h2 { (viewer.t("compliance.map")) }
                div.minimap.tall.coverage-map data-coverage=(serde_json::to_string(&coverage).unwrap_or_default()) data-rivers=(rivers.join(" ")) {}
                p.legend {
                    @for b in ["good", "fair", "poor", "none"] {
                        span.swatch data-band=(b) {} " " (viewer.t(&format!("compliance.band.{b}"))) " "
                    }
                }
            }
            ul.case-list.compliance {
                @for c in &lines { (line(&viewer, c, &river_name(&c.river))) }
            }
        }
        p.pager {
            @for river in &rivers {
                a.button.secondary href={ "/api/v1/rivers/" (river) "/report.pdf?month=" (month) } { (river_name(river)) " " (viewer.t("compliance.report")) }
            }
        }
    };
    html(page_with(&viewer, viewer.t("compliance.title"), &["leaflet/leaflet.js", "compliance.js"], &body))
}
