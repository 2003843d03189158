//! The case list (the API's filters and keyset pages) and the case page:
//! status, deadline, place, photos before and after side by side, the
//! timeline, the documents, and one small form per action the viewer may take
//! now, posted to the same service the JSON API calls.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::form::{FormData, save_photos};
use super::home::{case_row, deadline_words};
use super::layout::{csrf_field, field_error, form_error, page_with};
use super::{SignedIn, Viewer, error_page, html_status};
use crate::app::App;
use crate::domain::case::Action;
use crate::error::Error;
use crate::http::api::cases::CaseQuery;
use crate::service::cases::{self, ActionInput, CasePage, Plan};

/// Reads the list's query string: blank form fields count as absent.
fn case_query(raw: Option<&str>) -> Result<CaseQuery, Error> {
    super::fields::query(raw)
}

fn select(viewer: &Viewer, name: &str, prefix: &str, values: &[&str], chosen: Option<&str>) -> Markup {
    html! {
        label {
            (viewer.t(&format!("filter.{name}")))
            select name=(name) {
                option value="" { (viewer.t("filter.any")) }
                @for v in values {
                    option value=(v) selected[chosen == Some(*v)] { (viewer.t(&format!("{prefix}.{v}"))) }
                }
            }
        }
    }
}

const STATUSES: [&str; 6] = ["reported", "registered", "dispatched", "submitted", "closed", "cancelled"];

/// `GET /cases`: the cases the viewer may read, filtered, overdue first, in pages.
pub async fn list(State(app): State<App>, SignedIn(viewer, session): SignedIn, RawQuery(raw): RawQuery) -> Response {
    let query = match case_query(raw.as_deref()) {
        Ok(q) => q,
        Err(e) => return error_page(&viewer, &e),
    };
    let filter = match query.filter() {
        Ok(f) => f,
        Err(e) => return error_page(&viewer, &e),
    };
    let (maps, actor, today) = (app.maps(), session.actor.clone(), app.clock.today());
    let after = query.after.clone();
    let limit = query.limit.unwrap_or(30);
    let listed =
        app.store.read(move |c| cases::list_rows(c, &maps, &actor, &filter, after.as_deref(), limit, &today)).await;
    let (rows, next) = match listed {
        Ok(found) => found,
        Err(e) => return error_page(&viewer, &e),
    };
    let today = app.clock.today();
    let maps = app.maps();
    let mut grids: Vec<(&str, String, bool)> = maps
        .grids()
        .iter()
        .filter(|g| g.grid.level != crate::domain::grid::GridLevel::Town)
        .map(|g| (g.grid.code.as_str(), g.grid.name.clone(), g.grid.level == crate::domain::grid::GridLevel::Community))
        .collect();
    grids.sort_by(|a, b| a.0.cmp(b.0));
    let mut next_query = CaseQuery { after: next.clone(), ..query.clone() };
    next_query.limit = query.limit;
    let ledger =
        serde_urlencoded::to_string(&CaseQuery { after: None, limit: None, ..query.clone() }).unwrap_or_default();
    let body = html! {
        h1 { (viewer.t("cases.title")) }
        details.card.filters open[raw.as_deref().is_some_and(|r| !r.is_empty())] {
            summary { (viewer.t("cases.filters")) }
            form method="get" action="/cases" {
                (select(&viewer, "status", "status", &STATUSES, query.status.as_deref()))
                (select(&viewer, "kind", "kind", &["safety", "environment", "river"], query.kind.as_deref()))
                (select(&viewer, "grade", "grade", &["general", "major"], query.grade.as_deref()))
                label {
                    (viewer.t("filter.grid"))
                    select name="grid" {
                        option value="" { (viewer.t("filter.any")) }
                        @for (code, name, community) in &grids {
                            option value=(code) selected[query.grid.as_deref() == Some(*code)] {
                                @if !community { "　" } (name)
                            }
                        }
                    }
                }
                label {
                    (viewer.t("filter.overdue"))
                    select name="overdue" {
                        option value="" { (viewer.t("filter.any")) }
                        option value="true" selected[query.overdue == Some(true)] { (viewer.t("filter.yes")) }
                        option value="false" selected[query.overdue == Some(false)] { (viewer.t("filter.no")) }
                    }
                }
                label {
                    (viewer.t("filter.supervised"))
                    select name="supervised" {
                        option value="" { (viewer.t("filter.any")) }
                        option value="true" selected[query.supervised == Some(true)] { (viewer.t("filter.yes")) }
                        option value="false" selected[query.supervised == Some(false)] { (viewer.t("filter.no")) }
                    }
                }
                label { (viewer.t("filter.from")) input type="date" name="from" value=[query.from.as_deref()]; }
                label { (viewer.t("filter.to")) input type="date" name="to" value=[query.to.as_deref()]; }
                button.primary type="submit" { (viewer.t("filter.apply")) }
                a.button.secondary href="/cases" { (viewer.t("filter.clear")) }
            }
        }
        @if rows.is_empty() {
            p.card.muted { (viewer.t("cases.none")) }
        }
        ul.case-list {
            @for (case, overdue) in &rows {
                (case_row(&viewer, case, cases::days_left(case.deadline.as_deref(), &today), *overdue, &[]))
            }
        }
        p.pager {
            @if next.is_some() {
                a.button.secondary href={ "/cases?" (serde_urlencoded::to_string(&next_query).unwrap_or_default()) } { (viewer.t("cases.next")) }
            }
            a.button.secondary href={ "/api/v1/ledger.xlsx?" (ledger) } download { (viewer.t("cases.ledger")) }
            a.button.secondary href={ "/api/v1/ledger.csv?" (ledger) } download { (viewer.t("cases.ledger_csv")) }
        }
    };
    html_status(StatusCode::OK, page_with(&viewer, viewer.t("cases.title"), &[], &body))
}

/// What the last submission on the page was, to show its error in its form.
struct Attempt<'a> {
    action: String,
    form: &'a FormData,
    error: &'a Error,
}

fn fact(label: &str, value: Option<&str>) -> Markup {
    html! {
        @if let Some(v) = value.filter(|v| !v.is_empty()) {
            dt { (label) }
            dd { (v) }
        }
    }
}

fn photo_column(viewer: &Viewer, title: &str, ids: &[&str]) -> Markup {
    html! {
        figure.photos {
            figcaption { (title) }
            @if ids.is_empty() {
                p.muted { (viewer.t("case.no_photos")) }
            }
            @for id in ids {
                a href={ "/api/v1/media/" (id) } {
                    img src={ "/api/v1/media/" (id) "?thumbnail=true" } alt=(title) loading="lazy" width="160" height="120";
                }
            }
        }
    }
}

/// The input fields each action's form carries (the service checks them).
fn action_fields(
    viewer: &Viewer,
    action: Action,
    data: &CasePage,
    typed: &dyn Fn(&str) -> String,
    error: Option<&Error>,
) -> Markup {
    let text = |name: &str, label: &str, required: bool| {
        html! {
            label for={ (action.as_str()) "-" (name) } { (label) }
            input id={ (action.as_str()) "-" (name) } name=(name) type="text" required[required] value=(typed(name));
            (field_error(viewer, error, name))
        }
    };
    let area = |name: &str, label: &str, required: bool| {
        html! {
            label for={ (action.as_str()) "-" (name) } { (label) }
            textarea id={ (action.as_str()) "-" (name) } name=(name) rows="3" required[required] { (typed(name)) }
            (field_error(viewer, error, name))
        }
    };
    let date_input = |name: &str, label: &str| {
        html! {
            label for={ (action.as_str()) "-" (name) } { (label) }
            input id={ (action.as_str()) "-" (name) } name=(name) type="date" required value=(typed(name));
            (field_error(viewer, error, name))
        }
    };
    match action {
        Action::Register | Action::Supervise | Action::Unsupervise => area("comment", viewer.t("field.note"), false),
        Action::Cancel | Action::Reopen | Action::Refer => {
            area("reason", viewer.t(&format!("field.reason.{}", action.as_str())), true)
        }
        Action::Return => area("reason", viewer.t("field.reason.return"), true),
        Action::Approve => area("comment", viewer.t("field.opinion"), true),
        Action::Extend => {
            html! { (date_input("deadline", viewer.t("field.new_deadline"))) (area("reason", viewer.t("field.reason.extend"), true)) }
        }
        Action::Transfer => {
            html! { (text("department", viewer.t("field.department"), true)) (area("comment", viewer.t("field.note"), false)) }
        }
        Action::Outcome => html! {
            label for="outcome-outcome" { (viewer.t("field.outcome")) }
            select #outcome-outcome name="outcome" required {
                @for o in ["filed", "dispersed", "handed_over"] {
                    option value=(o) selected[typed("outcome") == o] { (viewer.t(&format!("outcome.{o}"))) }
                }
            }
            (field_error(viewer, error, "outcome"))
            (area("comment", viewer.t("field.note"), false))
        },
        Action::Submit => html! {
            label for="submit-photos" { (viewer.t("field.after_photos")) }
            input #submit-photos name="photos" type="file" accept="image/*" capture="environment" multiple required;
            (field_error(viewer, error, "photos"))
            (area("description", viewer.t("field.fix_description"), true))
        },
        Action::Dispatch => html! {
            (text("responsible", viewer.t("field.responsible"), true))
            (area("measures", viewer.t("field.measures"), true))
            (date_input("deadline", viewer.t("field.deadline")))
            @if data.case.grade == "major" && data.case.plan.is_none() {
                fieldset {
                    legend { (viewer.t("field.plan")) }
                    (text("plan.responsible_person", viewer.t("field.plan.responsible_person"), true))
                    (area("plan.measures", viewer.t("field.plan.measures"), true))
                    (text("plan.funds", viewer.t("field.plan.funds"), true))
                    (text("plan.deadline", viewer.t("field.plan.deadline"), true))
                    (area("plan.contingency", viewer.t("field.plan.contingency"), true))
                }
            }
        },
    }
}

fn action_form(viewer: &Viewer, data: &CasePage, action: Action, attempt: Option<&Attempt>) -> Markup {
    let mine = attempt.filter(|a| a.action == action.as_str());
    let error = mine.map(|a| a.error);
    let typed = |name: &str| mine.map_or_else(String::new, |a| a.form.typed(name).to_owned());
    let multipart = action == Action::Submit;
    let csrf = viewer.session.as_ref().map_or("", |s| s.csrf.as_str());
    let url = if multipart {
        format!("/cases/{}/act?csrf={csrf}", data.case.number)
    } else {
        format!("/cases/{}/act", data.case.number)
    };
    let fields: &[&str] = &[
        "comment",
        "reason",
        "responsible",
        "measures",
        "deadline",
        "plan",
        "photos",
        "description",
        "department",
        "outcome",
    ];
    html! {
        details.action id=(action.as_str()) data-action=(action.as_str()) open[mine.is_some()] {
            summary.button { (viewer.t(&format!("action.{}", action.as_str()))) }
            form method="post" action=(url) enctype=[multipart.then_some("multipart/form-data")] {
                (csrf_field(viewer))
                input type="hidden" name="action" value=(action.as_str());
                input type="hidden" name="version" value=(data.case.version);
                (form_error(viewer, error, fields))
                (action_fields(viewer, action, data, &typed, error))
                button.primary.wide type="submit" { (viewer.t(&format!("action.{}", action.as_str()))) }
            }
        }
    }
}

fn render(viewer: &Viewer, data: &CasePage, attempt: Option<&Attempt>, stale: bool) -> Markup {
    let c = &data.case;
    let before: Vec<&str> = data.photos.iter().filter(|(s, _)| s == "report").map(|(_, id)| id.as_str()).collect();
    let after: Vec<&str> = data.photos.iter().filter(|(s, _)| s == "fix").map(|(_, id)| id.as_str()).collect();
    let plan: Option<Plan> = c.plan.clone().and_then(|p| serde_json::from_value(p).ok());
    html! {
        @if stale {
            p.warning role="alert" { (viewer.t("case.stale")) }
        }
        section.card.case-head {
            p.row-top {
                span.number { (c.number) }
                span.badge data-status=(c.status) { (viewer.t(&format!("status.{}", c.status))) }
                @if c.grade == "major" { span.badge.major { (viewer.t("grade.major")) } }
                @if c.supervised { span.badge.supervised { (viewer.t("case.supervised")) } }
            }
            h1 { (c.title) }
            @if let Some(deadline) = &c.deadline {
                p.deadline data-urgency=(if data.overdue { "overdue" } else { "normal" }) {
                    (viewer.t("field.deadline")) "：" (deadline)
                    @if let Some(words) = deadline_words(viewer, data.days_left).filter(|_| cases_open(c)) { " · " (words) }
                }
            }
        }
        section.card {
            dl.facts {
                (fact(viewer.t("field.kind"), Some(viewer.t(&format!("kind.{}", c.kind)))))
                (fact(viewer.t("field.category"), Some(&data.category)))
                (fact(viewer.t("field.place"), Some(&data.places.join(" › "))))
                (fact(viewer.t("field.enterprise"), data.enterprise.as_deref()))
                (fact(viewer.t("field.reach"), data.reach.as_deref()))
                (fact(viewer.t("field.reported_at"), Some(&c.reported_at.replace('T', " ")[..16.min(c.reported_at.len())])))
                (fact(viewer.t("field.description"), Some(&c.description)))
                (fact(viewer.t("field.criterion"), c.criterion.as_deref()))
                (fact(viewer.t("field.responsible"), c.responsible.as_deref()))
                (fact(viewer.t("field.measures"), c.measures.as_deref()))
                (fact(viewer.t("field.fix_description"), c.fix_description.as_deref()))
                (fact(viewer.t("field.department"), c.transferred_to.as_deref()))
            }
            @if let Some(plan) = &plan {
                h2 { (viewer.t("field.plan")) }
                dl.facts {
                    (fact(viewer.t("field.plan.responsible_person"), Some(&plan.responsible_person)))
                    (fact(viewer.t("field.plan.measures"), Some(&plan.measures)))
                    (fact(viewer.t("field.plan.funds"), Some(&plan.funds)))
                    (fact(viewer.t("field.plan.deadline"), Some(&plan.deadline)))
                    (fact(viewer.t("field.plan.contingency"), Some(&plan.contingency)))
                }
            }
            p.muted { (viewer.t("field.position")) "：" (format!("{:.5}, {:.5}", c.lon, c.lat)) }
            div.minimap data-lon=(c.lon) data-lat=(c.lat) {}
        }
        section.card.side-by-side {
            (photo_column(viewer, viewer.t("case.before"), &before))
            (photo_column(viewer, viewer.t("case.after"), &after))
        }
        @if !data.allowed.is_empty() {
            section.card.actions {
                h2 { (viewer.t("case.actions")) }
                @for action in &data.allowed {
                    (action_form(viewer, data, *action, attempt))
                }
            }
        }
        @if !data.documents.is_empty() {
            section.card {
                h2 { (viewer.t("case.documents")) }
                ul.plain {
                    @for d in &data.documents {
                        li {
                            a href={ "/api/v1/documents/" (d.code) } data-kind=(d.kind) { (viewer.t(&format!("document.{}", d.kind))) " " (d.number) }
                            " · " span.muted { (&d.issued_at[..10.min(d.issued_at.len())]) }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { (viewer.t("case.timeline")) }
            ol.timeline {
                @for (entry, name) in &data.timeline {
                    li {
                        span.when { (entry.record.at.replace('T', " ").chars().take(16).collect::<String>()) }
                        " " strong { (viewer.t(&format!("action.{}", entry.record.action))) }
                        " · " (name)
                        @if !entry.record.comment.is_empty() { p { (entry.record.comment) } }
                        @if !entry.record.media.is_empty() {
                            p.muted { (viewer.tf_count("case.photo_count", entry.record.media.len())) }
                        }
                    }
                }
            }
        }
    }
}

fn cases_open(c: &cases::CaseRow) -> bool {
    crate::domain::case::Status::parse(&c.status).is_some_and(crate::domain::case::Status::is_open)
}

impl Viewer {
    /// A catalogue string with its `{n}` filled by a count.
    pub fn tf_count(&self, key: &str, n: usize) -> String {
        self.lang.tf(key, &[("n", &n.to_string())])
    }
}

async fn load(app: &App, session: &super::Session, number: String) -> Result<CasePage, Error> {
    let (maps, actor, today) = (app.maps(), session.actor.clone(), app.clock.today());
    app.store.read(move |c| cases::page(c, &maps, &actor, &number, &today)).await
}

fn show_page(viewer: &Viewer, data: &CasePage, attempt: Option<&Attempt>, stale: bool, status: StatusCode) -> Response {
    html_status(
        status,
        page_with(viewer, &data.case.number, &["leaflet/leaflet.js", "case.js"], &render(viewer, data, attempt, stale)),
    )
}

/// `GET /cases/{number}`.
pub async fn show(State(app): State<App>, SignedIn(viewer, session): SignedIn, Path(number): Path<String>) -> Response {
    match load(&app, &session, number).await {
        Ok(data) => show_page(&viewer, &data, None, false, StatusCode::OK),
        Err(e) => error_page(&viewer, &e),
    }
}

/// The action input a posted form describes.
fn action_input(form: &FormData, photos: Vec<String>) -> ActionInput {
    let plan_fields = ["responsible_person", "measures", "funds", "deadline", "contingency"];
    let any_plan = plan_fields.iter().any(|f| form.get(&format!("plan.{f}")).is_some());
    let plan = any_plan.then(|| Plan {
        responsible_person: form.get("plan.responsible_person").unwrap_or_default(),
        measures: form.get("plan.measures").unwrap_or_default(),
        funds: form.get("plan.funds").unwrap_or_default(),
        deadline: form.get("plan.deadline").unwrap_or_default(),
        contingency: form.get("plan.contingency").unwrap_or_default(),
    });
    ActionInput {
        action: form.get("action").unwrap_or_default(),
        comment: form.get("comment"),
        reason: form.get("reason"),
        responsible: form.get("responsible"),
        measures: form.get("measures"),
        deadline: form.get("deadline"),
        plan,
        photos,
        description: form.get("description"),
        department: form.get("department"),
        outcome: form.get("outcome"),
    }
}

/// `POST /cases/{number}/act`: one action through the same service as the
/// API, at the version the page showed. A stale page is shown again with the
/// new state and a note that someone else acted.
pub async fn act(
    State(app): State<App>,
    SignedIn(viewer, session): SignedIn,
    Path(number): Path<String>,
    form: Result<FormData, Error>,
) -> Response {
    let form = match form {
        Ok(f) => f,
        Err(e) => return error_page(&viewer, &e),
    };
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok());
    let acted = async {
        let photos = save_photos(&app, &session.actor, form.photos.clone()).await?;
        let input = action_input(&form, photos);
        let (maps, actor, now, n) = (app.maps(), session.actor.clone(), app.now_s(), number.clone());
        app.store.write(move |c| cases::act(c, &maps, &actor, &n, &input, version, now).map(|_| ())).await
    }
    .await;
    match acted {
        Ok(()) => match form.get("back").filter(|b| super::login::local_path(Some(b)) == b.as_str()) {
            Some(back) => Redirect::to(&back).into_response(),
            None => Redirect::to(&format!("/cases/{number}")).into_response(),
        },
        Err(error) => {
            let stale = matches!(error, Error::Stale(_));
            let status = crate::http::error::status(&error);
            match load(&app, &session, number).await {
                Ok(data) => {
                    let attempt =
                        Attempt { action: form.get("action").unwrap_or_default(), form: &form, error: &error };
                    show_page(&viewer, &data, (!stale).then_some(&attempt), stale, status)
                }
                Err(e) => error_page(&viewer, &e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::STATUSES;
    use crate::domain::case::Status;

    #[test]
    fn the_status_filter_offers_every_status() {
        assert_eq!(STATUSES.to_vec(), Status::ALL.map(Status::as_str).to_vec());
    }
}
