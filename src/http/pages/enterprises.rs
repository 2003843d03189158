//! Enterprises and premises for the town office (and, within their grids,
//! the inspectors): the searchable list, the create and edit forms, the
//! governance lifecycle with the 两断三清 photos of a closure, and the closed
//! premises due a re-inspection. Every read and write goes through
//! `service::enterprises`, as `GET|POST|PATCH /api/v1/enterprises` and
//! `POST /api/v1/enterprises/{id}/governance` do.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::fields::{Shown, SignedForm, answer, given, number, query, ticked, values};
use super::form::{FormData, save_photos};
use super::home::deadline_words;
use super::layout::csrf_field;
use super::{SignedIn, Viewer, error_page};
use crate::app::App;
use crate::domain::enterprise::{CLOSURE_ITEMS, Governance};
use crate::domain::time::{add_days, china_timestamp};
use crate::error::Error;
use crate::service::accounts::Actor;
use crate::service::cases::days_left;
use crate::service::enterprises::{
    self, EnterpriseFilter, EnterpriseInput, EnterprisePatch, GovernanceInput, ReinspectionInput,
};
use crate::store::enterprises::Enterprise;

/// Rows per page of the list.
const PAGE: usize = 30;

/// Closed premises due within this many days are listed as soon due.
pub const REINSPECTION_SOON_DAYS: i64 = 14;

/// The fields of the enterprise form, in order.
const FIELDS: [&str; 11] = [
    "name",
    "uscc",
    "uscc_override",
    "address",
    "lon",
    "lat",
    "industry",
    "above_scale",
    "key",
    "contact_name",
    "contact_phone",
];

/// `?q=&above_scale=&key=&governance=&after=` of the list (blank = any).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    above_scale: Option<String>,
    key: Option<String>,
    governance: Option<String>,
    after: Option<String>,
}

fn yes_no(text: Option<&String>) -> Option<bool> {
    given(text).map(|t| t == "true")
}

fn filter(q: &ListQuery) -> Result<EnterpriseFilter, Error> {
    Ok(EnterpriseFilter {
        above_scale: yes_no(q.above_scale.as_ref()),
        key: yes_no(q.key.as_ref()),
        governance: given(q.governance.as_ref()).as_deref().map(Governance::parse).transpose()?,
        text: given(q.q.as_ref()),
        ..EnterpriseFilter::default()
    })
}

fn village(app: &App, e: &Enterprise) -> String {
    app.maps().grid(&e.grid_code).map_or_else(|| e.grid_code.clone(), |g| g.grid.name.clone())
}

fn badges(viewer: &Viewer, e: &Enterprise) -> Markup {
    html! {
        @if e.above_scale { span.badge { (viewer.t("enterprise.above_scale")) } }
        @if e.key { span.badge { (viewer.t("enterprise.key")) } }
        @if e.governance != Governance::Normal {
            span.badge data-governance=(e.governance.as_str()) { (viewer.t(&format!("governance.{}", e.governance.as_str()))) }
        }
    }
}

fn row(app: &App, viewer: &Viewer, e: &Enterprise, today: &str) -> Markup {
    let left = days_left(e.next_reinspection.as_deref(), today);
    let urgency = match left {
        Some(d) if d < 0 => "overdue",
        Some(d) if d <= REINSPECTION_SOON_DAYS => "soon",
        _ => "normal",
    };
    html! {
        li.case-row data-urgency=(urgency) {
            a href={ "/enterprises/" (e.id) } {
                span.row-top {
                    span.title { (e.name) }
                    (badges(viewer, e))
                }
                span.row-bottom.muted {
                    span { (village(app, e)) }
                    @if let Some(uscc) = &e.uscc { span.number { (uscc) } }
                    @if let Some(next) = &e.next_reinspection {
                        span.deadline data-urgency=(urgency) {
                            (viewer.t("enterprise.next_reinspection")) " " (next)
                            @if let Some(words) = deadline_words(viewer, left) { " · " (words) }
                        }
                    }
                }
            }
        }
    }
}

fn governance_options(viewer: &Viewer) -> Vec<(String, String)> {
    Governance::ALL
        .iter()
        .map(|g| (g.as_str().to_owned(), viewer.t(&format!("governance.{}", g.as_str())).to_owned()))
        .collect()
}

fn yes_no_options(viewer: &Viewer) -> Vec<(String, String)> {
    vec![("true".into(), viewer.t("filter.yes").into()), ("false".into(), viewer.t("filter.no").into())]
}

async fn readable(app: &App, actor: &Actor, filter: EnterpriseFilter) -> Result<Vec<Enterprise>, Error> {
    let (maps, scope) = (app.maps(), actor.scope.clone());
    app.store.read(move |c| enterprises::list_readable(c, &maps, &scope, &filter)).await
}

/// `GET /enterprises`: the enterprises in the viewer's scope, searched and filtered, in pages.
pub async fn list(State(app): State<App>, SignedIn(viewer, session): SignedIn, RawQuery(raw): RawQuery) -> Response {
    let filter = query::<ListQuery>(raw.as_deref()).and_then(|q| Ok((filter(&q)?, q)));
    let (filter, q) = match filter {
        Ok(f) => f,
        Err(e) => return error_page(&viewer, &e),
    };
    let (maps, scope, after) = (app.maps(), session.actor.scope.clone(), q.after.clone());
    let listed = app
        .store
        .read(move |c| {
            let count = enterprises::count_readable(c, &maps, &scope, &filter)?;
            Ok((count, enterprises::page_readable(c, &maps, &scope, &filter, after.as_deref(), PAGE)?))
        })
        .await;
    let (count, (shown, next)) = match listed {
        Ok(listed) => listed,
        Err(e) => return error_page(&viewer, &e),
    };
    let today = app.clock.today();
    let chosen = values([
        ("q", q.q.clone().unwrap_or_default()),
        ("above_scale", q.above_scale.clone().unwrap_or_default()),
        ("key", q.key.clone().unwrap_or_default()),
        ("governance", q.governance.clone().unwrap_or_default()),
    ]);
    let shown_form = Shown { viewer: &viewer, form: &chosen, error: None, id: "f-" };
    let next_query = next.map(|id| {
        let pairs: Vec<(&str, String)> =
            chosen.fields.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.as_str(), v.clone())).collect();
        let mut text = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if !text.is_empty() {
            text.push('&');
        }
        format!("{text}after={id}")
    });
    let any = viewer.t("filter.any");
    let body = html! {
        h1 { (viewer.t("enterprises.title")) }
        p.pager {
            a.button.primary href="/enterprises/new" { (viewer.t("enterprises.new")) }
            a.button.secondary href="/enterprises/reinspection" { (viewer.t("reinspection.title")) }
        }
        details.card.filters open {
            summary { (viewer.t("cases.filters")) }
            form method="get" action="/enterprises" {
                (shown_form.input("q", viewer.t("enterprises.search"), "search", false))
                (shown_form.select("above_scale", viewer.t("enterprise.above_scale"), Some(any), &yes_no_options(&viewer)))
                (shown_form.select("key", viewer.t("enterprise.key"), Some(any), &yes_no_options(&viewer)))
                (shown_form.select("governance", viewer.t("enterprise.governance"), Some(any), &governance_options(&viewer)))
                button.primary type="submit" { (viewer.t("filter.apply")) }
                a.button.secondary href="/enterprises" { (viewer.t("filter.clear")) }
            }
        }
        p.muted { (viewer.tf_count("enterprises.count", usize::try_from(count).unwrap_or(0))) }
        @if shown.is_empty() {
            p.card.muted { (viewer.t("enterprises.none")) }
        }
        ul.case-list {
            @for e in &shown {
                (row(&app, &viewer, e, &today))
            }
        }
        @if let Some(next) = &next_query {
            p.pager { a.button.secondary href={ "/enterprises?" (next) } { (viewer.t("cases.next")) } }
        }
    };
    answer(&viewer, viewer.t("enterprises.title"), &body, None)
}

/// `GET /enterprises/reinspection`: closed premises overdue or soon due a re-inspection, soonest first.
pub async fn reinspection(State(app): State<App>, SignedIn(viewer, session): SignedIn) -> Response {
    let today = app.clock.today();
    let by = add_days(&today, REINSPECTION_SOON_DAYS).unwrap_or_else(|| today.clone());
    let filter = EnterpriseFilter { reinspection_due_by: Some(by), ..EnterpriseFilter::default() };
    let found = match readable(&app, &session.actor, filter).await {
        Ok(found) => found,
        Err(e) => return error_page(&viewer, &e),
    };
    let body = html! {
        h1 { (viewer.t("reinspection.title")) }
        p.muted { (viewer.tf_count("reinspection.window", usize::try_from(REINSPECTION_SOON_DAYS).unwrap_or(0))) }
        @if found.is_empty() {
            p.card.muted { (viewer.t("reinspection.none")) }
        }
        ul.case-list {
            @for e in &found {
                (row(&app, &viewer, e, &today))
            }
        }
        p.pager { a.button.secondary href="/enterprises?governance=closed" { (viewer.t("reinspection.all_closed")) } }
    };
    answer(&viewer, viewer.t("reinspection.title"), &body, None)
}

/// The controls of the create and edit forms.
fn enterprise_fields(shown: &Shown<'_>, admin: bool) -> Markup {
    let v = shown.viewer;
    html! {
        (shown.input("name", v.t("enterprise.name"), "text", true))
        (shown.input("uscc", v.t("enterprise.uscc"), "text", false))
        @if admin {
            (shown.input("uscc_override", v.t("enterprise.uscc_override"), "text", false))
            p.muted { (v.t("enterprise.uscc_override_hint")) }
        }
        (shown.input("address", v.t("enterprise.address"), "text", false))
        div.pair {
            div { (shown.input("lon", v.t("field.lon"), "number", true)) }
            div { (shown.input("lat", v.t("field.lat"), "number", true)) }
        }
        (shown.input("industry", v.t("enterprise.industry"), "text", false))
        (shown.checkbox("above_scale", v.t("enterprise.above_scale")))
        (shown.checkbox("key", v.t("enterprise.key")))
        (shown.input("contact_name", v.t("enterprise.contact_name"), "text", false))
        (shown.input("contact_phone", v.t("enterprise.contact_phone"), "tel", false))
    }
}

fn input_of(form: &FormData) -> Result<EnterpriseInput, Error> {
    Ok(EnterpriseInput {
        name: form.typed("name").to_owned(),
        uscc: form.get("uscc"),
        uscc_override: form.get("uscc_override"),
        address: form.typed("address").to_owned(),
        lon: number(form, "lon", "经度", "the longitude")?,
        lat: number(form, "lat", "纬度", "the latitude")?,
        industry: form.typed("industry").to_owned(),
        above_scale: ticked(form, "above_scale"),
        key: ticked(form, "key"),
        contact_name: form.get("contact_name"),
        contact_phone: form.get("contact_phone"),
    })
}

fn new_form(viewer: &Viewer, actor: &Actor, form: &FormData, error: Option<&Error>) -> Response {
    let shown = Shown { viewer, form, error, id: "" };
    let body = html! {
        h1 { (viewer.t("enterprises.new")) }
        (shown.general_error(&FIELDS))
        form.card method="post" action="/enterprises" {
            (csrf_field(viewer))
            (enterprise_fields(&shown, actor.scope.admin))
            button.primary.wide type="submit" { (viewer.t("enterprises.create")) }
        }
    };
    answer(viewer, viewer.t("enterprises.new"), &body, error)
}

/// `GET /enterprises/new`.
pub async fn new(SignedIn(viewer, session): SignedIn) -> Response {
    new_form(&viewer, &session.actor, &FormData::default(), None)
}

/// `POST /enterprises`: registers an enterprise through the service the API uses.
pub async fn create(State(app): State<App>, SignedForm(viewer, session, form): SignedForm) -> Response {
    let created = async {
        let input = input_of(&form)?;
        let (maps, scope, now) = (app.maps(), session.actor.scope.clone(), china_timestamp(app.now_s()));
        app.store.write(move |c| enterprises::create(c, &maps, &scope, &input, &now)).await
    }
    .await;
    match created {
        Ok(e) => Redirect::to(&format!("/enterprises/{}", e.id)).into_response(),
        Err(error) => new_form(&viewer, &session.actor, &form, Some(&error)),
    }
}

/// The last submission on an enterprise's page: which form, what was typed, what went wrong.
struct Attempt<'a> {
    /// `edit`, or the governance status aimed at.
    form: String,
    data: &'a FormData,
    error: &'a Error,
}

fn stored(e: &Enterprise) -> FormData {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    values([
        ("name", e.name.clone()),
        ("uscc", text(&e.uscc)),
        ("uscc_override", text(&e.uscc_override)),
        ("address", e.address.clone()),
        ("lon", e.lon.to_string()),
        ("lat", e.lat.to_string()),
        ("industry", e.industry.clone()),
        ("above_scale", e.above_scale.to_string()),
        ("key", e.key.to_string()),
        ("contact_name", text(&e.contact_name)),
        ("contact_phone", text(&e.contact_phone)),
    ])
}

fn fact(label: &str, value: &str) -> Markup {
    html! {
        @if !value.is_empty() {
            dt { (label) }
            dd { (value) }
        }
    }
}

fn thumbnail(title: &str, media: &str) -> Markup {
    html! {
        a href={ "/api/v1/media/" (media) } {
            img src={ "/api/v1/media/" (media) "?thumbnail=true" } alt=(title) loading="lazy" width="160" height="120";
        }
    }
}

/// One form per status the lifecycle allows next; a closure carries a photo per 两断三清 item.
fn governance_form(viewer: &Viewer, e: &Enterprise, to: Governance, attempt: Option<&Attempt>) -> Markup {
    let mine = attempt.filter(|a| a.form == to.as_str());
    let empty = FormData::default();
    let shown = Shown { viewer, form: mine.map_or(&empty, |a| a.data), error: mine.map(|a| a.error), id: to.as_str() };
    let closing = to == Governance::Closed;
    let csrf = viewer.session.as_ref().map_or("", |s| s.csrf.as_str());
    let url = if closing {
        format!("/enterprises/{}/governance?csrf={csrf}", e.id)
    } else {
        format!("/enterprises/{}/governance", e.id)
    };
    html! {
        details.action id={ "governance-" (to.as_str()) } open[mine.is_some()] {
            summary.button { (viewer.t(&format!("governance.to.{}", to.as_str()))) }
            form method="post" action=(url) enctype=[closing.then_some("multipart/form-data")] {
                (csrf_field(viewer))
                input type="hidden" name="to" value=(to.as_str());
                input type="hidden" name="version" value=(e.version);
                (shown.general_error(&["note", "checklist"]))
                @if closing {
                    fieldset {
                        legend { (viewer.t("closure.checklist")) }
                        p.muted { (viewer.t("closure.hint")) }
                        @for (item, _) in CLOSURE_ITEMS {
                            @let kept = shown.form.get(&format!("checklist.{item}"));
                            label for={ "photo-" (item) } { (viewer.t(&format!("closure.{item}"))) }
                            @if let Some(id) = &kept {
                                input type="hidden" name={ "checklist." (item) } value=(id);
                                p.muted { (viewer.t("closure.photo_kept")) }
                            }
                            input id={ "photo-" (item) } name={ "photo." (item) } type="file" accept="image/*" capture="environment" required[kept.is_none()];
                        }
                        (super::layout::field_error(viewer, shown.error, "checklist"))
                        (super::layout::field_error(viewer, shown.error, "photos"))
                    }
                }
                (shown.area("note", viewer.t("governance.note"), true))
                button.primary.wide type="submit" { (viewer.t(&format!("governance.to.{}", to.as_str()))) }
            }
        }
    }
}

/// The 复查 form of closed premises: the day (today unless changed) and what was found.
fn reinspection_form(viewer: &Viewer, e: &Enterprise, today: &str, attempt: Option<&Attempt>) -> Markup {
    let mine = attempt.filter(|a| a.form == "reinspection");
    let today_only = values([("on", today.to_owned())]);
    let shown =
        Shown { viewer, form: mine.map_or(&today_only, |a| a.data), error: mine.map(|a| a.error), id: "reinspect-" };
    html! {
        details.action #reinspection open[mine.is_some()] {
            summary.button { (viewer.t("reinspection.record")) }
            form method="post" action={ "/enterprises/" (e.id) "/reinspections" } {
                (csrf_field(viewer))
                input type="hidden" name="version" value=(e.version);
                (shown.general_error(&["on", "note"]))
                p.muted { (viewer.t("reinspection.record_hint")) }
                (shown.input("on", viewer.t("reinspection.on"), "date", true))
                (shown.area("note", viewer.t("reinspection.note"), true))
                button.primary.wide type="submit" { (viewer.t("reinspection.record")) }
            }
        }
    }
}

fn render(
    app: &App,
    viewer: &Viewer,
    actor: &Actor,
    e: &Enterprise,
    checklist: &BTreeMap<String, String>,
    attempt: Option<&Attempt>,
) -> Markup {
    let writable = actor.scope.writes_enterprise(&e.grid_code);
    let edit = attempt.filter(|a| a.form == "edit");
    let current = stored(e);
    let shown = Shown { viewer, form: edit.map_or(&current, |a| a.data), error: edit.map(|a| a.error), id: "" };
    let today = app.clock.today();
    let next = Governance::ALL.into_iter().filter(|to| e.governance.can_move_to(*to)).collect::<Vec<_>>();
    let left = days_left(e.next_reinspection.as_deref(), &today);
    html! {
        @if attempt.is_some_and(|a| matches!(a.error, Error::Stale(_))) {
            p.warning role="alert" { (viewer.t("enterprise.stale")) }
        }
        section.card {
            p.row-top { (badges(viewer, e)) }
            h1 { (e.name) }
            dl.facts {
                (fact(viewer.t("enterprise.uscc"), e.uscc.as_deref().unwrap_or("")))
                (fact(viewer.t("enterprise.uscc_override"), e.uscc_override.as_deref().unwrap_or("")))
                (fact(viewer.t("field.place"), &village(app, e)))
                (fact(viewer.t("enterprise.address"), &e.address))
                (fact(viewer.t("enterprise.industry"), &e.industry))
                (fact(viewer.t("enterprise.contact_name"), e.contact_name.as_deref().unwrap_or("")))
                (fact(viewer.t("enterprise.contact_phone"), e.contact_phone.as_deref().unwrap_or("")))
                (fact(viewer.t("enterprise.governance"), viewer.t(&format!("governance.{}", e.governance.as_str()))))
                (fact(viewer.t("enterprise.closed_on"), e.closed_on.as_deref().unwrap_or("")))
            }
            @if let Some(next) = &e.next_reinspection {
                p.deadline data-urgency=(if left.is_some_and(|d| d < 0) { "overdue" } else { "normal" }) {
                    (viewer.t("enterprise.next_reinspection")) "：" (next)
                    @if let Some(words) = deadline_words(viewer, left) { " · " (words) }
                }
            }
            p { a href={ "/cases?enterprise=" (e.id) } { (viewer.t("enterprise.cases")) } }
        }
        @if !checklist.is_empty() {
            section.card {
                h2 { (viewer.t("closure.checklist")) }
                div.previews {
                    @for (item, _) in CLOSURE_ITEMS {
                        @if let Some(media) = checklist.get(item) {
                            figure.photos {
                                figcaption { (viewer.t(&format!("closure.{item}"))) }
                                (thumbnail(viewer.t(&format!("closure.{item}")), media))
                            }
                        }
                    }
                }
            }
        }
        @if writable && (!next.is_empty() || e.governance == Governance::Closed) {
            section.card.actions {
                h2 { (viewer.t("enterprise.governance")) }
                @if e.governance == Governance::Closed {
                    (reinspection_form(viewer, e, &today, attempt))
                }
                @for to in &next {
                    (governance_form(viewer, e, *to, attempt))
                }
            }
        }
        @if writable {
            section.card #edit {
                h2 { (viewer.t("enterprise.edit")) }
                (shown.general_error(&FIELDS))
                form method="post" action={ "/enterprises/" (e.id) } {
                    (csrf_field(viewer))
                    input type="hidden" name="version" value=(e.version);
                    (enterprise_fields(&shown, actor.scope.admin))
                    button.primary.wide type="submit" { (viewer.t("enterprise.save")) }
                }
            }
        }
    }
}

async fn load(app: &App, actor: &Actor, id: i64) -> Result<(Enterprise, BTreeMap<String, String>), Error> {
    let scope = actor.scope.clone();
    app.store.read(move |c| enterprises::load_readable(c, &scope, id)).await
}

async fn show_page(app: &App, viewer: &Viewer, actor: &Actor, id: i64, attempt: Option<&Attempt<'_>>) -> Response {
    match load(app, actor, id).await {
        Ok((e, checklist)) => {
            let body = render(app, viewer, actor, &e, &checklist, attempt);
            answer(viewer, &e.name, &body, attempt.map(|a| a.error))
        }
        Err(e) => error_page(viewer, &e),
    }
}

/// `GET /enterprises/{id}`.
pub async fn show(State(app): State<App>, SignedIn(viewer, session): SignedIn, Path(id): Path<i64>) -> Response {
    show_page(&app, &viewer, &session.actor, id, None).await
}

fn version(form: &FormData) -> Option<i64> {
    form.get("version").and_then(|v| v.parse().ok())
}

/// `POST /enterprises/{id}`: the edit form, at the version the page showed.
pub async fn update(
    State(app): State<App>,
    Path(id): Path<i64>,
    SignedForm(viewer, session, form): SignedForm,
) -> Response {
    let updated = async {
        let patch: EnterprisePatch = input_of(&form)?.into();
        let (maps, scope, now) = (app.maps(), session.actor.scope.clone(), china_timestamp(app.now_s()));
        let expected = version(&form);
        app.store.write(move |c| enterprises::update(c, &maps, &scope, id, patch.clone(), expected, &now)).await
    }
    .await;
    match updated {
        Ok(_) => Redirect::to(&format!("/enterprises/{id}")).into_response(),
        Err(error) => {
            let attempt = Attempt { form: "edit".into(), data: &form, error: &error };
            show_page(&app, &viewer, &session.actor, id, Some(&attempt)).await
        }
    }
}

/// `POST /enterprises/{id}/governance`: moves the status; a closure saves one
/// photo per 两断三清 item first (kept in the form if the change is refused).
pub async fn govern(
    State(app): State<App>,
    Path(id): Path<i64>,
    SignedForm(viewer, session, mut form): SignedForm,
) -> Response {
    let changed = async {
        let mut checklist = BTreeMap::new();
        for (item, _) in CLOSURE_ITEMS {
            let field = format!("checklist.{item}");
            let kept = form.get(&field).filter(|m| m.len() == 64 && m.bytes().all(|b| b.is_ascii_hexdigit()));
            let media = match form.take_file(&format!("photo.{item}")) {
                Some(bytes) => save_photos(&app, &session.actor, vec![bytes]).await?.pop(),
                None => kept,
            };
            if let Some(media) = media {
                form.fields.retain(|(k, _)| *k != field);
                form.fields.push((field, media.clone()));
                checklist.insert(item.to_owned(), media);
            }
        }
        let to = form.get("to").unwrap_or_default();
        if to != Governance::Closed.as_str() {
            checklist.clear();
        }
        let input = GovernanceInput { to, note: form.typed("note").to_owned(), checklist };
        let (scope, by, now, expected) =
            (session.actor.scope.clone(), session.actor.person.id, app.now_s(), version(&form));
        app.store.write(move |c| enterprises::govern(c, &scope, id, &input, expected, by, now)).await
    }
    .await;
    match changed {
        Ok(_) => Redirect::to(&format!("/enterprises/{id}")).into_response(),
        Err(error) => {
            let attempt = Attempt { form: form.get("to").unwrap_or_default(), data: &form, error: &error };
            show_page(&app, &viewer, &session.actor, id, Some(&attempt)).await
        }
    }
}

/// `POST /enterprises/{id}/reinspections`: closed premises re-inspected, as
/// `POST /api/v1/enterprises/{id}/reinspections` records it.
pub async fn reinspect(
    State(app): State<App>,
    Path(id): Path<i64>,
    SignedForm(viewer, session, form): SignedForm,
) -> Response {
    let input = ReinspectionInput { on: form.get("on"), note: form.typed("note").to_owned() };
    let (scope, by, now, expected) =
        (session.actor.scope.clone(), session.actor.person.id, app.now_s(), version(&form));
    match app.store.write(move |c| enterprises::reinspect(c, &scope, id, &input, expected, by, now)).await {
        Ok(_) => Redirect::to(&format!("/enterprises/{id}")).into_response(),
        Err(error) => {
            let attempt = Attempt { form: "reinspection".into(), data: &form, error: &error };
            show_page(&app, &viewer, &session.actor, id, Some(&attempt)).await
        }
    }
}
