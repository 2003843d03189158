//! River chiefs' pages: 开始巡河 (the recorder: a script that writes every fix
//! to IndexedDB and files through the offline outbox), the GPX/GeoJSON upload
//! that works without JavaScript, 巡河记录 with this month's progress, 审阅
//! (the logs waiting for the viewer's review), and the log page with its track
//! over the reaches, its measurements, and the review and resubmission forms.
//! Every read and write goes through `service::patrols`, as the API's do.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::fields::SignedForm;
use super::form::FormData;
use super::layout::{csrf_field, field_error, form_error, page, page_with};
use super::{SignedIn, Viewer, error_page, html, html_status};
use crate::app::App;
use crate::domain::patrol::{GAP_S, RECORD_TYPES, gaps};
use crate::error::{Error, Msg};
use crate::service::accounts;
use crate::service::patrols::{self, ChecklistItem, Compliance, PatrolChoice, PatrolInput, Resubmission};
use crate::spatial::track_input;
use crate::store::patrols::PatrolRow;

fn not_a_chief() -> Error {
    Error::Forbidden(Msg::new("您不是河长，没有可巡查的河流", "you are not a river chief of any river"))
}

/// A value as JSON inside `<script type="application/json">` (no `</script>` break-out).
fn script_json(value: &impl serde::Serialize) -> PreEscaped<String> {
    PreEscaped(serde_json::to_string(value).unwrap_or_else(|_| "null".into()).replace('<', "\\u003c"))
}

fn level_name(viewer: &Viewer, level: &str) -> &'static str {
    viewer.t(&format!("chieflevel.{level}"))
}

fn river_name(app: &App, code: &str) -> String {
    app.maps().river(code).map_or_else(|| code.to_owned(), |r| r.river.name.clone())
}

/// `GET /patrol`: 开始巡河.
pub async fn recorder(State(app): State<App>, SignedIn(viewer, session): SignedIn) -> Response {
    let choices = patrols::choices(&app.maps(), &session.actor);
    if choices.is_empty() {
        return error_page(&viewer, &not_a_chief());
    }
    let key = match accounts::new_uuid() {
        Ok(k) => k,
        Err(e) => return error_page(&viewer, &e),
    };
    let body = html! {
        h1 { (viewer.t("patrol.start_title")) }
        div #patrol-app data-gap-s=(GAP_S) data-max-accuracy="50" data-key=(key) {
            script type="application/json" #patrol-choices { (script_json(&choices)) }
            noscript {
                p.card.warning { (viewer.t("patrol.needs_js")) " " a href="/patrols/new" { (viewer.t("patrol.upload")) } }
            }
            section #patrol-refused .card hidden {}
            section #patrol-setup .card {
                label for="patrol-river" { (viewer.t("field.river")) }
                select #patrol-river {
                    @for c in &choices {
                        option value=(c.river) { (c.name) " · " (level_name(&viewer, &c.level)) }
                    }
                }
                label for="patrol-reach" { (viewer.t("field.reach")) }
                select #patrol-reach {
                    option value="" { (viewer.t("patrol.all_reaches")) }
                    @for c in &choices {
                        @for (code, village) in &c.reaches {
                            option value=(code) data-river=(c.river) { (village) " (" (code) ")" }
                        }
                    }
                }
                p.notice { (viewer.t("patrol.keep_screen_on")) }
                div.sticky-submit {
                    button.primary.wide #patrol-start type="button" disabled { (viewer.t("patrol.start")) }
                }
                p { a href="/patrols/new" { (viewer.t("patrol.upload")) } " · " a href="/patrols" { (viewer.t("patrol.mine")) } }
            }
            section #patrol-resume .card hidden {
                p #patrol-resume-text {}
                div.pair {
                    button.primary #patrol-continue type="button" { (viewer.t("patrol.continue")) }
                    button #patrol-finish-old type="button" { (viewer.t("patrol.end")) }
                }
                p { button.link #patrol-discard type="button" { (viewer.t("patrol.discard")) } }
            }
            section #patrol-recording hidden {
                p #patrol-state .gps aria-live="polite" {}
                dl.facts.patrol-stats {
                    dt { (viewer.t("patrol.distance")) } dd #stat-distance { "0.00 km" }
                    dt { (viewer.t("patrol.duration")) } dd #stat-duration { "0:00:00" }
                    dt { (viewer.t("patrol.fixes")) } dd #stat-fixes { "0" }
                    dt { (viewer.t("patrol.accuracy")) } dd #stat-accuracy { "—" }
                }
                div #patrol-map .minimap.tall {}
                ul #patrol-findings .plain {}
                div.sticky-submit.patrol-buttons {
                    button #patrol-pause type="button" { (viewer.t("patrol.pause")) }
                    button #patrol-finding-open type="button" { (viewer.t("patrol.finding")) }
                    button.primary #patrol-end type="button" { (viewer.t("patrol.end")) }
                }
            }
            form #patrol-finding .card hidden {
                h2 { (viewer.t("patrol.finding")) }
                p.muted { (viewer.t("patrol.finding_here")) }
                label for="finding-type" { (viewer.t("field.record_type")) }
                select #finding-type required {
                    @for kind in RECORD_TYPES { option value=(kind) { (kind) } }
                }
                label for="finding-title" { (viewer.t("field.title")) }
                input #finding-title type="text" maxlength="100" required;
                label for="finding-description" { (viewer.t("field.description")) }
                textarea #finding-description rows="3" required {}
                label for="finding-photos" { (viewer.t("field.photos")) }
                input #finding-photos type="file" accept="image/*" capture="environment" multiple required;
                p.form-error #finding-error hidden role="alert" {}
                div.pair {
                    button.primary #finding-save type="submit" { (viewer.t("patrol.finding_save")) }
                    button #finding-cancel type="button" { (viewer.t("patrol.back")) }
                }
            }
            form #patrol-finish .card hidden {
                h2 { (viewer.t("patrol.checklist")) }
                (checklist_fields(&viewer, &[]))
                label for="patrol-notes" { (viewer.t("field.notes")) }
                textarea #patrol-notes name="notes" rows="3" {}
                p.form-error #patrol-error hidden role="alert" {}
                div.sticky-submit {
                    button.primary.wide #patrol-file type="submit" { (viewer.t("patrol.file")) }
                }
                p { button.link #patrol-back type="button" { (viewer.t("patrol.back")) } }
            }
            section #patrol-done .card hidden {
                p #patrol-done-text {}
                p { a.button.primary href="/patrols" { (viewer.t("patrol.mine")) } }
            }
        }
    };
    html(page_with(&viewer, viewer.t("patrol.start_title"), &["leaflet/leaflet.js", "patrol.js"], &body))
}

/// The checklist over the eight record types: normal or a finding with a note.
fn checklist_fields(viewer: &Viewer, current: &[ChecklistItem]) -> Markup {
    html! {
        @for (i, kind) in RECORD_TYPES.iter().enumerate() {
            @let item = current.iter().find(|c| c.kind == *kind);
            @let finding = item.is_some_and(|c| c.status == "finding");
            fieldset.check-item data-type=(kind) {
                legend { (kind) }
                input type="hidden" name={ "checklist." (i) ".type" } value=(kind);
                div.choices {
                    label.choice {
                        input type="radio" name={ "checklist." (i) ".status" } value="normal" checked[!finding];
                        span { (viewer.t("patrol.normal")) }
                    }
                    label.choice {
                        input type="radio" name={ "checklist." (i) ".status" } value="finding" checked[finding];
                        span { (viewer.t("patrol.problem")) }
                    }
                }
                input type="text" name={ "checklist." (i) ".note" } placeholder=(viewer.t("patrol.note"))
                    aria-label={ (kind) " " (viewer.t("patrol.note")) } value=[item.and_then(|c| c.note.as_deref())];
            }
        }
    }
}

/// The checklist a posted form carries.
fn checklist_of(form: &FormData) -> Vec<ChecklistItem> {
    (0..RECORD_TYPES.len())
        .filter_map(|i| {
            let kind = form.get(&format!("checklist.{i}.type"))?;
            Some(ChecklistItem {
                kind,
                status: form.get(&format!("checklist.{i}.status")).unwrap_or_else(|| "normal".into()),
                note: form.get(&format!("checklist.{i}.note")),
            })
        })
        .collect()
}

/// `?month=YYYY-MM`.
#[derive(Debug, Deserialize)]
pub struct MonthQuery {
    month: Option<String>,
}

fn month_or_now(q: &MonthQuery, today: &str) -> Result<String, Error> {
    let month = q.month.clone().filter(|m| !m.is_empty()).unwrap_or_else(|| today[..7].to_owned());
    let ok = month.len() == 7 && crate::domain::people::date("month", &format!("{month}-01")).is_ok();
    if ok { Ok(month) } else { Err(Error::invalid("month", "月份须为 YYYY-MM", "month must be YYYY-MM")) }
}

/// A progress meter: `2 / 4` valid patrols of the month's target.
fn meter(viewer: &Viewer, app: &App, line: &Compliance) -> Markup {
    html! {
        div.progress {
            span { (river_name(app, &line.river)) " · " (level_name(viewer, &line.level)) }
            meter min="0" max=(line.required.max(1)) value=(line.valid_done.min(line.required.max(1))) {}
            strong { (line.valid_done) " / " (line.required) }
            @if line.invalid > 0 { span.muted { " " (viewer.lang.tf("patrol.invalid_count", &[("n", &line.invalid.to_string())])) } }
        }
    }
}

fn reasons(viewer: &Viewer, p: &PatrolRow) -> Vec<String> {
    let key = viewer.lang.code();
    p.reasons
        .as_array()
        .map(|list| {
            list.iter().filter_map(|r| r.get(key).or_else(|| r.get("zh"))?.as_str().map(str::to_owned)).collect()
        })
        .unwrap_or_default()
}

fn verdict_badge(viewer: &Viewer, p: &PatrolRow) -> Markup {
    html! {
        @if p.valid {
            span.badge data-status="closed" { (viewer.t("patrol.valid")) }
        } @else {
            span.badge.major { (viewer.t("patrol.invalid")) }
        }
        span.badge data-review=(p.review_status) { (viewer.t(&format!("patrol.review.{}", p.review_status))) }
    }
}

fn when(s: i64) -> String {
    let t = crate::domain::time::china_timestamp(s);
    format!("{} {}", &t[..10], t.get(11..16).unwrap_or_default())
}

/// One log as a row of a list.
fn patrol_row(viewer: &Viewer, app: &App, p: &PatrolRow, chief: Option<&str>) -> Markup {
    html! {
        li.case-row data-urgency=(if p.valid { "normal" } else { "overdue" }) {
            a href={ "/patrols/" (p.code) } {
                span.row-top { span.number { (p.code) } (verdict_badge(viewer, p)) }
                span.title {
                    (river_name(app, &p.river_code))
                    @if let Some(name) = chief { " · " (name) }
                }
                span.row-bottom {
                    span { (when(p.started_s)) " · " (format!("{:.2} km", p.distance_m / 1000.0)) " · "
                        (viewer.lang.tf("patrol.minutes", &[("n", &format!("{:.0}", p.minutes))])) }
                }
                @for reason in reasons(viewer, p) { span.field-error { (reason) } }
            }
        }
    }
}

/// `GET /patrols?month=`: 巡河记录, the viewer's own logs and this month's progress.
pub async fn mine(
    State(app): State<App>,
    SignedIn(viewer, session): SignedIn,
    Query(q): Query<MonthQuery>,
) -> Response {
    let month = match month_or_now(&q, &app.clock.today()) {
        Ok(m) => m,
        Err(e) => return error_page(&viewer, &e),
    };
    let (maps, actor, m) = (app.maps(), session.actor.clone(), month.clone());
    let read = app
        .store
        .read(move |c| {
            let own = patrols::own(c, &actor, Some(&m))?;
            let progress = patrols::own_compliance(c, &maps, &actor, &m)?;
            let waiting = patrols::awaiting_review(c, &maps, &actor)?.len();
            Ok((own, progress, waiting))
        })
        .await;
    let (own, progress, waiting) = match read {
        Ok(r) => r,
        Err(e) => return error_page(&viewer, &e),
    };
    let chief = !patrols::choices(&app.maps(), &session.actor).is_empty();
    let body = html! {
        h1 { (viewer.t("patrol.mine")) }
        @if waiting > 0 {
            p.notice { a href="/patrols/review" { (viewer.lang.tf("patrol.waiting_review", &[("n", &waiting.to_string())])) } }
        }
        form.period method="get" action="/patrols" {
            label { (viewer.t("filter.month")) input type="month" name="month" value=(month); }
            button.primary type="submit" { (viewer.t("filter.apply")) }
        }
        @if !progress.is_empty() {
            section.card {
                h2 { (viewer.lang.tf("patrol.progress", &[("month", &month)])) }
                @for line in &progress { (meter(&viewer, &app, line)) }
            }
        }
        @if chief {
            p.pager {
                a.button.primary href="/patrol" { (viewer.t("patrol.start")) }
                a.button.secondary href="/patrols/new" { (viewer.t("patrol.upload")) }
            }
        }
        @if own.is_empty() {
            p.card.muted { (viewer.t("patrol.none")) }
        }
        ul.case-list {
            @for p in &own { (patrol_row(&viewer, &app, p, None)) }
        }
    };
    html(page(&viewer, viewer.t("patrol.mine"), &body))
}

/// `GET /patrols/review`: 审阅, the logs of the chiefs below on the viewer's rivers.
pub async fn review_queue(State(app): State<App>, SignedIn(viewer, session): SignedIn) -> Response {
    let (maps, actor) = (app.maps(), session.actor.clone());
    let read = app
        .store
        .read(move |c| {
            let rows = patrols::awaiting_review(c, &maps, &actor)?;
            let names = patrols::chief_names(c, &rows)?;
            Ok((rows, names))
        })
        .await;
    let (rows, names) = match read {
        Ok(r) => r,
        Err(e) => return error_page(&viewer, &e),
    };
    let body = html! {
        h1 { (viewer.t("patrol.review_title")) }
        @if rows.is_empty() { p.card.muted { (viewer.t("patrol.nothing_to_review")) } }
        ul.case-list {
            @for p in &rows { (patrol_row(&viewer, &app, p, names.get(&p.chief_id).map(String::as_str))) }
        }
    };
    html(page(&viewer, viewer.t("patrol.review_title"), &body))
}

/// What the log page shows beside the row: names, cases, who may do what.
struct LogPage {
    row: PatrolRow,
    chief: String,
    reviewer: Option<String>,
    cases: Vec<String>,
    may_review: bool,
    may_resubmit: bool,
}

async fn load_log(app: &App, session: &super::Session, code: String) -> Result<LogPage, Error> {
    let (maps, actor) = (app.maps(), session.actor.clone());
    app.store
        .read(move |c| {
            let row = patrols::load_readable(c, &maps, &actor, &code)?;
            let names = patrols::chief_names(c, std::slice::from_ref(&row))?;
            let reviewer = match row.reviewed_by {
                Some(id) => patrols::person_names(c, &[id])?.remove(&id),
                None => None,
            };
            Ok(LogPage {
                chief: names.get(&row.chief_id).cloned().unwrap_or_default(),
                reviewer,
                cases: patrols::view(c, &row)?["cases"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default(),
                may_review: patrols::may_review(&maps, &actor, &row) && row.review_status == "pending",
                may_resubmit: row.chief_id == actor.person.id && row.review_status == "returned",
                row,
            })
        })
        .await
}

fn fact(label: &str, value: impl maud::Render) -> Markup {
    html! { dt { (label) } dd { (value) } }
}

/// The measurements beside the map: who, when, how far, how fast, gaps, reaches.
fn log_facts(viewer: &Viewer, app: &App, d: &LogPage) -> Markup {
    let p = &d.row;
    let gap_list = p.times.as_deref().map(gaps).unwrap_or_default();
    let gap_minutes: i64 = gap_list.iter().map(|g| g.seconds).sum::<i64>() / 60;
    let maps = app.maps();
    let touched: Vec<(String, f64)> = p
        .reaches
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|r| {
                    let code = r.get("code")?.as_str()?;
                    let village =
                        maps.reach(code).and_then(|reach| maps.grid(reach.grid.as_str())).map(|g| g.grid.name.clone());
                    Some((village.unwrap_or_else(|| code.to_owned()), r.get("share")?.as_f64()?))
                })
                .collect()
        })
        .unwrap_or_default();
    html! {
        div.case-page-grid {
            section.card {
                dl.facts {
                    (fact(viewer.t("field.chief"), html! { (d.chief) " · " (level_name(viewer, &p.level)) }))
                    (fact(viewer.t("field.river"), html! { a href={ "/rivers/" (p.river_code) } { (river_name(app, &p.river_code)) } }))
                    (fact(viewer.t("patrol.time"), html! { (when(p.started_s)) " – " (when(p.ended_s).get(11..).unwrap_or_default()) }))
                    (fact(viewer.t("patrol.distance"), format!("{:.2} km", p.distance_m / 1000.0)))
                    (fact(viewer.t("patrol.duration"), viewer.lang.tf("patrol.minutes", &[("n", &format!("{:.0}", p.minutes))])))
                    (fact(viewer.t("patrol.top_speed"), format!("{:.1} km/h", p.max_speed_kmh)))
                    (fact(viewer.t("patrol.off_river"), format!("{:.0}%", p.off_river_share * 100.0)))
                    (fact(viewer.t("patrol.gaps"), if p.times.is_none() {
                        viewer.t("patrol.no_times").to_owned()
                    } else {
                        viewer.lang.tf("patrol.gap_summary", &[("n", &gap_list.len().to_string()), ("m", &gap_minutes.to_string())])
                    }))
                    (fact(viewer.t("patrol.fixes"), p.points))
                    (fact(viewer.t("patrol.reaches"), html! {
                        @for (i, (village, share)) in touched.iter().enumerate() {
                            @if i > 0 { "、" }
                            (village) " " (format!("{:.0}%", share * 100.0))
                        }
                    }))
                }
                p { a.button.secondary href={ "/api/v1/patrols/" (p.code) "/pdf" } { (viewer.t("patrol.pdf")) } }
            }
            div #patrol-track .minimap.tall data-patrol=(p.code) data-river=(p.river_code) data-gap-s=(GAP_S) {}
        }
    }
}

/// The checklist, notes, findings and the review's comment.
fn log_record(viewer: &Viewer, d: &LogPage) -> Markup {
    let p = &d.row;
    let checklist: Vec<ChecklistItem> = serde_json::from_value(p.checklist.clone()).unwrap_or_default();
    html! {
        section.card {
            h2 { (viewer.t("patrol.checklist")) }
            dl.facts {
                @for kind in RECORD_TYPES {
                    @let item = checklist.iter().find(|c| c.kind == kind);
                    dt { (kind) }
                    dd {
                        @match item {
                            Some(c) if c.status == "finding" => { strong { (viewer.t("patrol.problem")) } " " (c.note.as_deref().unwrap_or_default()) },
                            Some(_) => { (viewer.t("patrol.normal")) },
                            None => { span.muted { "—" } },
                        }
                    }
                }
            }
            @if !p.notes.is_empty() { p { strong { (viewer.t("field.notes")) "：" } (p.notes) } }
            @if !d.cases.is_empty() {
                h3 { (viewer.t("patrol.findings")) }
                ul { @for n in &d.cases { li { a href={ "/cases/" (n) } { (n) } } } }
            }
        }
        @if let Some(comment) = &p.review_comment {
            section.card {
                h2 { (viewer.t("patrol.review_comment")) }
                p { (viewer.t(&format!("patrol.review.{}", p.review_status))) " · " (d.reviewer.as_deref().unwrap_or_default())
                    " · " (p.reviewed_at.as_deref().unwrap_or_default().replace('T', " ").chars().take(16).collect::<String>()) }
                p { (comment) }
            }
        }
    }
}

/// The review form (the chief above, the 河长办) and the resubmission form (the chief of a returned log).
fn log_forms(viewer: &Viewer, d: &LogPage, error: Option<(&str, &Error, &FormData)>) -> Markup {
    let p = &d.row;
    let checklist: Vec<ChecklistItem> = serde_json::from_value(p.checklist.clone()).unwrap_or_default();
    let failed = |name: &str| error.filter(|(f, _, _)| *f == name).map(|(_, e, _)| e);
    html! {
        @if d.may_review {
            form.card #review method="post" action={ "/patrols/" (p.code) "/review" } {
                h2 { (viewer.t("patrol.review_form")) }
                (csrf_field(viewer))
                input type="hidden" name="version" value=(p.version);
                (form_error(viewer, failed("review"), &["decision", "comment"]))
                div.choices {
                    label.choice { input type="radio" name="decision" value="approve" required; span { (viewer.t("patrol.approve")) } }
                    label.choice { input type="radio" name="decision" value="return"; span { (viewer.t("patrol.return")) } }
                }
                (field_error(viewer, failed("review"), "decision"))
                label for="review-comment" { (viewer.t("field.opinion")) }
                textarea #review-comment name="comment" rows="3" required {
                    (error.filter(|(f, _, _)| *f == "review").map_or("", |(_, _, form)| form.typed("comment")))
                }
                (field_error(viewer, failed("review"), "comment"))
                button.primary.wide type="submit" { (viewer.t("patrol.review_submit")) }
            }
        }
        @if d.may_resubmit {
            form.card #resubmit method="post" action={ "/patrols/" (p.code) "/resubmit" } {
                h2 { (viewer.t("patrol.resubmit_title")) }
                p.muted { (viewer.t("patrol.resubmit_hint")) }
                (csrf_field(viewer))
                input type="hidden" name="version" value=(p.version);
                (form_error(viewer, failed("resubmit"), &["checklist", "notes"]))
                (checklist_fields(viewer, &checklist))
                (field_error(viewer, failed("resubmit"), "checklist"))
                label for="resubmit-notes" { (viewer.t("field.notes")) }
                textarea #resubmit-notes name="notes" rows="3" { (p.notes) }
                (field_error(viewer, failed("resubmit"), "notes"))
                button.primary.wide type="submit" { (viewer.t("patrol.resubmit")) }
            }
        }
    }
}

fn render_log(viewer: &Viewer, app: &App, d: &LogPage, error: Option<(&str, &Error, &FormData)>) -> Markup {
    let p = &d.row;
    html! {
        h1 { (p.code) }
        p { (verdict_badge(viewer, p)) }
        @let why = reasons(viewer, p);
        @if !why.is_empty() {
            section.card.warning {
                h2 { (viewer.t("patrol.why_invalid")) }
                ul { @for r in &why { li { (r) } } }
            }
        }
        (log_facts(viewer, app, d))
        (log_record(viewer, d))
        (log_forms(viewer, d, error))
    }
}

fn show_log(viewer: &Viewer, app: &App, d: &LogPage, error: Option<(&str, &Error, &FormData)>) -> Response {
    let status = error.map_or(StatusCode::OK, |(_, e, _)| crate::http::error::status(e));
    let body = render_log(viewer, app, d, error);
    html_status(status, page_with(viewer, &d.row.code, &["leaflet/leaflet.js", "patrol-track.js"], &body))
}

/// `GET /patrols/{code}`: one log.
pub async fn show(State(app): State<App>, SignedIn(viewer, session): SignedIn, Path(code): Path<String>) -> Response {
    match load_log(&app, &session, code).await {
        Ok(d) => show_log(&viewer, &app, &d, None),
        Err(e) => error_page(&viewer, &e),
    }
}

/// After a write on the log page: back to it, or the page again with the error by its form.
async fn after_write(
    app: &App,
    viewer: &Viewer,
    session: &super::Session,
    code: String,
    form_name: &str,
    form: &FormData,
    done: Result<(), Error>,
) -> Response {
    match done {
        Ok(()) => Redirect::to(&format!("/patrols/{code}")).into_response(),
        Err(error) => match load_log(app, session, code).await {
            Ok(d) => show_log(viewer, app, &d, Some((form_name, &error, form))),
            Err(e) => error_page(viewer, &e),
        },
    }
}

/// `POST /patrols/{code}/review`: approve or return, as `POST /api/v1/patrols/{code}/review`.
pub async fn review(
    State(app): State<App>,
    Path(code): Path<String>,
    SignedForm(viewer, session, form): SignedForm,
) -> Response {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok());
    let (maps, actor, now, c2) = (app.maps(), session.actor.clone(), app.now_s(), code.clone());
    let (decision, comment) = (form.get("decision").unwrap_or_default(), form.get("comment").unwrap_or_default());
    let done = app
        .store
        .write(move |c| {
            patrols::review(c, &maps, &actor, &c2, (decision.as_str(), comment.as_str()), version, now).map(drop)
        })
        .await;
    after_write(&app, &viewer, &session, code, "review", &form, done).await
}

/// `POST /patrols/{code}/resubmit`: a returned log sent back with its checklist and notes corrected.
pub async fn resubmit(
    State(app): State<App>,
    Path(code): Path<String>,
    SignedForm(viewer, session, form): SignedForm,
) -> Response {
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok());
    let input = Resubmission { checklist: checklist_of(&form), notes: form.get("notes") };
    let (actor, now, c2) = (session.actor.clone(), app.now_s(), code.clone());
    let done = app.store.write(move |c| patrols::resubmit(c, &actor, &c2, &input, version, now).map(drop)).await;
    after_write(&app, &viewer, &session, code, "resubmit", &form, done).await
}

fn upload_form(
    viewer: &Viewer,
    choices: &[PatrolChoice],
    form: &FormData,
    key: &str,
    error: Option<&Error>,
) -> Response {
    let status = error.map_or(StatusCode::OK, crate::http::error::status);
    let csrf = viewer.session.as_ref().map_or("", |s| s.csrf.as_str());
    let fields = ["river", "track", "started_at", "ended_at", "checklist", "notes"];
    let body = html! {
        h1 { (viewer.t("patrol.upload")) }
        form.card method="post" enctype="multipart/form-data" action={ "/patrols/new?csrf=" (csrf) } {
            input type="hidden" name="key" value=(key);
            (form_error(viewer, error, &fields))
            label for="upload-river" { (viewer.t("field.river")) }
            select #upload-river name="river" required {
                @for c in choices {
                    option value=(c.river) selected[form.typed("river") == c.river] { (c.name) " · " (level_name(viewer, &c.level)) }
                }
            }
            (field_error(viewer, error, "river"))
            label for="upload-track" { (viewer.t("field.track_file")) }
            input #upload-track name="track" type="file" accept=".gpx,.geojson,.json,application/gpx+xml,application/geo+json,application/json" required;
            p.muted { (viewer.t("patrol.track_hint")) }
            (field_error(viewer, error, "track"))
            div.pair {
                label { (viewer.t("field.started_at")) input type="datetime-local" name="started_at" value=(form.typed("started_at")); }
                label { (viewer.t("field.ended_at")) input type="datetime-local" name="ended_at" value=(form.typed("ended_at")); }
            }
            p.muted { (viewer.t("patrol.times_hint")) }
            (field_error(viewer, error, "started_at"))
            (field_error(viewer, error, "ended_at"))
            h2 { (viewer.t("patrol.checklist")) }
            (checklist_fields(viewer, &checklist_of(form)))
            (field_error(viewer, error, "checklist"))
            label for="upload-notes" { (viewer.t("field.notes")) }
            textarea #upload-notes name="notes" rows="3" { (form.typed("notes")) }
            (field_error(viewer, error, "notes"))
            div.sticky-submit { button.primary.wide type="submit" { (viewer.t("patrol.file")) } }
        }
    };
    html_status(status, page(viewer, viewer.t("patrol.upload"), &body))
}

/// `GET /patrols/new`: a log from a GPX or GeoJSON file (works without JavaScript).
pub async fn upload(State(app): State<App>, SignedIn(viewer, session): SignedIn) -> Response {
    let choices = patrols::choices(&app.maps(), &session.actor);
    if choices.is_empty() {
        return error_page(&viewer, &not_a_chief());
    }
    match accounts::new_uuid() {
        Ok(key) => upload_form(&viewer, &choices, &FormData::default(), &key, None),
        Err(e) => error_page(&viewer, &e),
    }
}

/// A `datetime-local` value (China time, the town's clock) as RFC 3339.
fn local_time(text: &str) -> String {
    let seconds = if text.len() == 16 { ":00" } else { "" };
    format!("{text}{seconds}+08:00")
}

/// The filing a posted upload describes: the file as GPX (it starts with `<`)
/// or GeoJSON; blank times taken from the track's first and last fix.
fn upload_input(form: &FormData) -> Result<PatrolInput, Error> {
    let file = form.files.iter().find(|(name, _)| name == "track").map(|(_, bytes)| bytes);
    let text =
        file.map(|b| String::from_utf8_lossy(b).into_owned()).filter(|t| !t.trim().is_empty()).ok_or_else(|| {
            Error::invalid("track", "须选择轨迹文件（GPX 或 GeoJSON）", "choose a track file (GPX or GeoJSON)")
        })?;
    let gpx = text.trim_start().trim_start_matches('\u{feff}').starts_with('<');
    let (track, parsed) = if gpx {
        (None, track_input::from_gpx(&text)?)
    } else {
        let value: serde_json::Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
            Error::invalid(
                "track",
                format!("轨迹文件不是有效的 GPX 或 GeoJSON：{e}"),
                format!("the file is not GPX or GeoJSON: {e}"),
            )
        })?;
        let parsed = track_input::from_geojson(&value)?;
        (Some(value), parsed)
    };
    let from_track = |first: bool| {
        parsed.times.as_ref().and_then(|t| if first { t.first() } else { t.last() }).map(|s| {
            let t = crate::domain::time::china_timestamp(*s);
            format!("{}+08:00", &t[..19])
        })
    };
    let time = |name: &str, first: bool| {
        form.get(name).map(|t| local_time(&t)).or_else(|| from_track(first)).ok_or_else(|| {
            Error::invalid(name, "轨迹没有时间，须填写开始和结束时间", "the track has no times: give the start and end")
        })
    };
    Ok(PatrolInput {
        river: form.get("river").unwrap_or_default(),
        started_at: time("started_at", true)?,
        ended_at: time("ended_at", false)?,
        track,
        gpx: gpx.then_some(text),
        checklist: checklist_of(form),
        findings: Vec::new(),
        notes: form.get("notes"),
        photos: Vec::new(),
    })
}

/// `POST /patrols/new`: files the uploaded log once per draft key, through the API's filing.
pub async fn file_upload(State(app): State<App>, SignedForm(viewer, session, form): SignedForm) -> Response {
    let key = form.get("key").filter(|k| k.len() <= 100);
    let filed = async {
        let input = upload_input(&form)?;
        let hash = crate::domain::audit::sha256_hex(format!("{input:?}").as_bytes());
        crate::http::api::patrols::file_once(&app, session.actor.clone(), key.clone(), input, hash).await
    }
    .await;
    match filed {
        Ok((_, body)) => {
            Redirect::to(&format!("/patrols/{}", body["code"].as_str().unwrap_or_default())).into_response()
        }
        Err(error) => {
            let choices = patrols::choices(&app.maps(), &session.actor);
            let key = key.unwrap_or_else(|| accounts::new_uuid().unwrap_or_default());
            upload_form(&viewer, &choices, &form, &key, Some(&error))
        }
    }
}
