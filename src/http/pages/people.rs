//! People and their assignments for the town office: the searchable list,
//! registering a person, a person's assignments in force and ended (the
//! history), assigning a role over a scope, and ending an assignment with a
//! reason. Through `service::people` and `service::accounts`, as
//! `/api/v1/people` and `/api/v1/assignments` are.

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::fields::{Shown, SignedForm, answer, given, query, values};
use super::form::{FormData, create_once, created_id};
use super::layout::{csrf_field, field_error, key_field};
use super::login::local_path;
use super::{SignedIn, Viewer, error_page};
use crate::app::App;
use crate::domain::people::{Assignment, ChiefLevel, Duty, Role, date};
use crate::domain::time::china_timestamp;
use crate::error::Error;
use crate::service::accounts::{self, Actor, AssignmentInput, PersonInput};
use crate::service::people;
use crate::store::people::Person;

/// Every role an assignment may take, in the order the form offers them.
const ROLES: [Role; 9] = [
    Role::Inspector,
    Role::GridLeader,
    Role::TownExpert,
    Role::EnterpriseExpert,
    Role::RiverChief,
    Role::RiverPolice,
    Role::Cadre,
    Role::EnterpriseContact,
    Role::Admin,
];

const PERSON_FIELDS: [&str; 4] = ["username", "name", "phone", "password"];
const ASSIGNMENT_FIELDS: [&str; 8] = ["username", "role", "scope", "duty", "level", "specialty", "from", "to"];

/// `?q=` of the list.
#[derive(Debug, Deserialize)]
pub struct Search {
    q: Option<String>,
    after: Option<String>,
}

/// Rows per page of the list.
const PAGE: usize = 50;

/// `GET /people`: everyone for the town office (only oneself for anyone else, as the API answers).
pub async fn list(State(app): State<App>, SignedIn(viewer, session): SignedIn, RawQuery(raw): RawQuery) -> Response {
    let (q, after) = match query::<Search>(raw.as_deref()) {
        Ok(s) => (given(s.q.as_ref()), s.after),
        Err(e) => return error_page(&viewer, &e),
    };
    let (actor, text) = (session.actor.clone(), q.clone());
    let listed = app.store.read(move |c| people::visible(c, &actor, text.as_deref(), after.as_deref(), PAGE)).await;
    let (count, found, next) = match listed {
        Ok(listed) => listed,
        Err(e) => return error_page(&viewer, &e),
    };
    let next_query = next.map(|after| {
        let mut pairs = vec![("after", after)];
        if let Some(q) = &q {
            pairs.insert(0, ("q", q.clone()));
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    });
    let typed = values([("q", q.unwrap_or_default())]);
    let search = Shown { viewer: &viewer, form: &typed, error: None, id: "" };
    let body = html! {
        h1 { (viewer.t("people.title")) }
        @if session.actor.scope.admin {
            p.pager {
                a.button.primary href="/people/new" { (viewer.t("people.new")) }
                a.button.secondary href="/coverage" { (viewer.t("coverage.title")) }
            }
        }
        form.card method="get" action="/people" {
            (search.input("q", viewer.t("people.search"), "search", false))
            button.primary type="submit" { (viewer.t("filter.apply")) }
        }
        p.muted { (viewer.tf_count("people.count", usize::try_from(count).unwrap_or(0))) }
        ul.plain {
            @for p in &found {
                li {
                    a href={ "/people/" (p.id) } { strong { (p.name) } }
                    " · " span.muted { (p.username) }
                    @if let Some(phone) = &p.phone { " · " span.muted { (phone) } }
                }
            }
        }
        @if let Some(next) = &next_query {
            p.pager { a.button.secondary href={ "/people?" (next) } { (viewer.t("cases.next")) } }
        }
    };
    answer(&viewer, viewer.t("people.title"), &body, None)
}

fn person_form(viewer: &Viewer, form: &FormData, error: Option<&Error>) -> Response {
    let shown = Shown { viewer, form, error, id: "" };
    let body = html! {
        h1 { (viewer.t("people.new")) }
        (shown.general_error(&PERSON_FIELDS))
        form.card method="post" action="/people" {
            (csrf_field(viewer))
            (key_field(form.typed("key")))
            (shown.input("name", viewer.t("person.name"), "text", true))
            (shown.input("username", viewer.t("person.username"), "text", true))
            (shown.input("phone", viewer.t("person.phone"), "tel", false))
            label for="password" { (viewer.t("person.password")) }
            input #password name="password" type="password" autocomplete="new-password" minlength="10" required;
            (field_error(viewer, error, "password"))
            button.primary.wide type="submit" { (viewer.t("people.create")) }
        }
    };
    answer(viewer, viewer.t("people.new"), &body, error)
}

/// `GET /people/new` (the town office only).
pub async fn new(SignedIn(viewer, session): SignedIn) -> Response {
    match session.actor.scope.require_admin() {
        Ok(()) => person_form(&viewer, &FormData::default(), None),
        Err(e) => error_page(&viewer, &e),
    }
}

/// `POST /people`: registers a person as `POST /api/v1/people` does.
pub async fn create(State(app): State<App>, SignedForm(viewer, session, mut form): SignedForm) -> Response {
    let created = async {
        session.actor.scope.require_admin()?;
        let input = PersonInput {
            username: form.typed("username").to_owned(),
            name: form.typed("name").to_owned(),
            phone: form.get("phone"),
            password: form.typed("password").to_owned(),
        };
        let new = tokio::task::spawn_blocking(move || accounts::new_person(&input))
            .await
            .map_err(|e| Error::Internal(anyhow::anyhow!("hashing task failed: {e}")))??;
        let (actor, now) = (session.actor.clone(), china_timestamp(app.now_s()));
        let body = create_once(&app, actor.person.id, "/people", &mut form, move |c| {
            Ok(serde_json::json!({"id": people::register(c, &actor, &new, &now)?.id}))
        })
        .await?;
        created_id(&body, "id")
    }
    .await;
    match created {
        Ok(id) => Redirect::to(&format!("/people/{id}")).into_response(),
        Err(error) if matches!(error, Error::Forbidden(_)) => error_page(&viewer, &error),
        Err(error) => person_form(&viewer, &form, Some(&error)),
    }
}

/// The assignment form: for one person (`person` given, their login hidden)
/// or for anyone (a choice of `people`), pre-filled from `form`.
fn assignment_form(
    app: &App,
    viewer: &Viewer,
    person: Option<&Person>,
    people: &[Person],
    form: &FormData,
    error: Option<&Error>,
) -> Markup {
    let shown = Shown { viewer, form, error, id: "assign-" };
    let roles: Vec<(String, String)> =
        ROLES.iter().map(|r| (r.as_str().to_owned(), viewer.t(&format!("role.{}", r.as_str())).to_owned())).collect();
    let duties: Vec<(String, String)> = [Duty::Safety, Duty::Environment]
        .iter()
        .map(|d| (d.as_str().to_owned(), viewer.t(&format!("duty.{}", d.as_str())).to_owned()))
        .collect();
    let levels: Vec<(String, String)> = [ChiefLevel::Town, ChiefLevel::Community, ChiefLevel::Village]
        .iter()
        .map(|l| (l.as_str().to_owned(), viewer.t(&format!("level.{}", l.as_str())).to_owned()))
        .collect();
    let choices: Vec<(String, String)> =
        people.iter().map(|p| (p.username.clone(), format!("{}（{}）", p.name, p.username))).collect();
    let named = scope_names(app, form.typed("scope"));
    html! {
        (shown.general_error(&ASSIGNMENT_FIELDS))
        form method="post" action="/assignments" {
            (csrf_field(viewer))
            (key_field(form.typed("key")))
            input type="hidden" name="back" value=(form.typed("back"));
            @if let Some(person) = person {
                input type="hidden" name="username" value=(person.username);
                (field_error(viewer, error, "username"))
            } @else {
                (shown.select("username", viewer.t("assignment.person"), Some(viewer.t("report.choose")), &choices))
            }
            (shown.select("role", viewer.t("assignment.role"), None, &roles))
            (shown.input("scope", viewer.t("assignment.scope"), "text", true))
            @if !named.is_empty() {
                p.muted { (viewer.t("assignment.scope_is")) "：" (named) }
            }
            p.muted { (viewer.t("assignment.scope_hint")) }
            (shown.select("duty", viewer.t("assignment.duty"), Some(viewer.t("assignment.not_inspector")), &duties))
            (shown.select("level", viewer.t("assignment.level"), Some(viewer.t("assignment.not_chief")), &levels))
            (shown.input("specialty", viewer.t("assignment.specialty"), "text", false))
            div.pair {
                div { (shown.input("from", viewer.t("assignment.from"), "date", false)) }
                div { (shown.input("to", viewer.t("assignment.to"), "date", false)) }
            }
            button.primary.wide type="submit" { (viewer.t("assignment.create")) }
        }
    }
}

/// The names of the grids, rivers and reaches a typed scope names (for the reader's check).
fn scope_names(app: &App, typed: &str) -> String {
    let maps = app.maps();
    scope_codes(typed)
        .iter()
        .filter_map(|code| {
            maps.grid(code)
                .map(|g| g.grid.name.clone())
                .or_else(|| maps.river(code).map(|r| r.river.name.clone()))
                .or_else(|| maps.reach(code).map(|r| r.code.clone()))
        })
        .collect::<Vec<_>>()
        .join("、")
}

fn scope_codes(typed: &str) -> Vec<String> {
    typed
        .split(|c: char| c == ',' || c == '，' || c == '、' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `?role=&scope=&duty=&level=&back=`: what the new-assignment form starts with.
#[derive(Debug, Default, Deserialize)]
pub struct Prefill {
    role: Option<String>,
    scope: Option<String>,
    duty: Option<String>,
    level: Option<String>,
    back: Option<String>,
}

async fn everyone(app: &App, actor: &Actor) -> Result<Vec<Person>, Error> {
    let actor = actor.clone();
    app.store.read(move |c| Ok(people::visible(c, &actor, None, None, usize::MAX / 2)?.1)).await
}

fn new_assignment_page(
    app: &App,
    viewer: &Viewer,
    people: &[Person],
    form: &FormData,
    error: Option<&Error>,
) -> Response {
    let body = html! {
        h1 { (viewer.t("assignment.new")) }
        section.card { (assignment_form(app, viewer, None, people, form, error)) }
    };
    answer(viewer, viewer.t("assignment.new"), &body, error)
}

/// `GET /assignments/new`: the form that fills a gap, pre-filled from the query (the town office only).
pub async fn new_assignment(
    State(app): State<App>,
    SignedIn(viewer, session): SignedIn,
    RawQuery(raw): RawQuery,
) -> Response {
    let prefill = match session.actor.scope.require_admin().and_then(|()| query::<Prefill>(raw.as_deref())) {
        Ok(p) => p,
        Err(e) => return error_page(&viewer, &e),
    };
    let people = match everyone(&app, &session.actor).await {
        Ok(p) => p,
        Err(e) => return error_page(&viewer, &e),
    };
    let form = values([
        ("role", prefill.role.unwrap_or_default()),
        ("scope", prefill.scope.unwrap_or_default()),
        ("duty", prefill.duty.unwrap_or_default()),
        ("level", prefill.level.unwrap_or_default()),
        ("back", prefill.back.unwrap_or_default()),
    ]);
    new_assignment_page(&app, &viewer, &people, &form, None)
}

/// `POST /assignments`: assigns a role over a scope as `POST /api/v1/assignments` does.
pub async fn assign(State(app): State<App>, SignedForm(viewer, session, mut form): SignedForm) -> Response {
    let input = AssignmentInput {
        username: form.typed("username").to_owned(),
        role: form.typed("role").to_owned(),
        scope: scope_codes(form.typed("scope")),
        duty: form.get("duty"),
        level: form.get("level"),
        specialty: form.get("specialty"),
        from: form.get("from"),
        to: form.get("to"),
    };
    let (maps, actor, now) = (app.maps(), session.actor.clone(), app.now_s());
    let person = actor.person.id;
    let assigned = create_once(&app, person, "/assignments", &mut form, move |c| {
        Ok(serde_json::json!({"person_id": people::assign(c, &maps, &actor, &input, now)?.person_id}))
    })
    .await
    .and_then(|body| created_id(&body, "person_id"));
    match assigned {
        Ok(person_id) => {
            app.sessions.clear();
            let back = form.get("back").filter(|b| local_path(Some(b)) == b.as_str());
            Redirect::to(&back.unwrap_or_else(|| format!("/people/{person_id}"))).into_response()
        }
        Err(error) if matches!(error, Error::Forbidden(_)) => error_page(&viewer, &error),
        Err(error) => {
            let person =
                form.get("back").and_then(|b| b.strip_prefix("/people/").and_then(|id| id.parse::<i64>().ok()));
            match person {
                Some(id) => person_page(&app, &viewer, &session.actor, id, Some(Attempt::Assign(&form, &error))).await,
                None => match everyone(&app, &session.actor).await {
                    Ok(people) => new_assignment_page(&app, &viewer, &people, &form, Some(&error)),
                    Err(e) => error_page(&viewer, &e),
                },
            }
        }
    }
}

/// The last submission on a person's page, to show its error in its form.
enum Attempt<'a> {
    /// The new-assignment form.
    Assign(&'a FormData, &'a Error),
    /// The end form of one assignment.
    End(i64, &'a FormData, &'a Error),
}

fn assignment_line(viewer: &Viewer, a: &Assignment, names: &[String]) -> Markup {
    html! {
        strong { (viewer.t(&format!("role.{}", a.role.as_str()))) }
        @if let Some(duty) = a.duty { " · " (viewer.t(&format!("duty.{}", duty.as_str()))) }
        @if let Some(level) = a.level { " · " (viewer.t(&format!("level.{}", level.as_str()))) }
        " · " (names.join("、"))
        @if let Some(s) = &a.specialty { " · " (s) }
        br;
        span.muted { (a.from) " — " (a.to.as_deref().unwrap_or(viewer.t("me.open_ended"))) }
        @if let Some(reason) = &a.end_reason {
            br;
            span.muted { (viewer.t("assignment.ended_because")) "：" (reason) }
        }
    }
}

fn end_form(viewer: &Viewer, a: &Assignment, person: i64, today: &str, attempt: Option<&Attempt>) -> Markup {
    let (typed, error) = match attempt {
        Some(Attempt::End(id, form, error)) if *id == a.id => (Some(*form), Some(*error)),
        _ => (None, None),
    };
    let defaults = values([("to", today.to_owned())]);
    let shown = Shown { viewer, form: typed.unwrap_or(&defaults), error, id: &format!("end-{}-", a.id) };
    html! {
        details.action id={ "end-" (a.id) } open[error.is_some()] {
            summary.button { (viewer.t("assignment.end")) }
            form method="post" action={ "/assignments/" (a.id) "/end" } {
                (csrf_field(viewer))
                input type="hidden" name="person" value=(person);
                (shown.general_error(&["to", "reason"]))
                (shown.input("to", viewer.t("assignment.last_day"), "date", true))
                (shown.area("reason", viewer.t("assignment.reason"), true))
                button.primary.wide type="submit" { (viewer.t("assignment.end")) }
            }
        }
    }
}

async fn person_page(app: &App, viewer: &Viewer, actor: &Actor, id: i64, attempt: Option<Attempt<'_>>) -> Response {
    let (maps, reader) = (app.maps(), actor.clone());
    let loaded = app
        .store
        .read(move |c| {
            let (person, assignments) = people::with_assignments(c, &reader, id)?;
            let mut lines = Vec::with_capacity(assignments.len());
            for a in assignments {
                let names = a.scope.iter().map(|s| people::scope_name(c, &maps, s)).collect::<Result<Vec<_>, _>>()?;
                lines.push((a, names));
            }
            Ok((person, lines))
        })
        .await;
    let (person, assignments) = match loaded {
        Ok(found) => found,
        Err(e) => return error_page(viewer, &e),
    };
    let today = app.clock.today();
    let admin = actor.scope.admin;
    let (current, history): (Vec<_>, Vec<_>) =
        assignments.iter().partition(|(a, _)| a.end_reason.is_none() && a.active_on(&today));
    let fresh = values([("back", format!("/people/{id}"))]);
    let (assign_form, assign_error) = match &attempt {
        Some(Attempt::Assign(form, error)) => (*form, Some(*error)),
        _ => (&fresh, None),
    };
    let error = match &attempt {
        Some(Attempt::Assign(_, e) | Attempt::End(_, _, e)) => Some(*e),
        None => None,
    };
    let body = html! {
        section.card {
            h1 { (person.name) }
            dl.facts {
                dt { (viewer.t("person.username")) } dd { (person.username) }
                @if let Some(phone) = &person.phone { dt { (viewer.t("person.phone")) } dd { (phone) } }
            }
        }
        section.card {
            h2 { (viewer.t("assignment.in_force")) " (" (current.len()) ")" }
            @if current.is_empty() { p.muted { (viewer.t("me.no_assignments")) } }
            ul.plain {
                @for (a, names) in &current {
                    li data-assignment=(a.id) {
                        (assignment_line(viewer, a, names))
                        @if admin { (end_form(viewer, a, person.id, &today, attempt.as_ref())) }
                    }
                }
            }
        }
        section.card #history {
            h2 { (viewer.t("assignment.history")) " (" (history.len()) ")" }
            @if history.is_empty() { p.muted { (viewer.t("assignment.no_history")) } }
            ul.plain {
                @for (a, names) in &history {
                    li data-assignment=(a.id) { (assignment_line(viewer, a, names)) }
                }
            }
        }
        @if admin {
            section.card #assign {
                h2 { (viewer.t("assignment.new")) }
                (assignment_form(app, viewer, Some(&person), &[], assign_form, assign_error))
            }
        }
    };
    answer(viewer, &person.name, &body, error)
}

/// `GET /people/{id}`: oneself, or anyone for the town office; otherwise 404 as the API answers.
pub async fn show(State(app): State<App>, SignedIn(viewer, session): SignedIn, Path(id): Path<i64>) -> Response {
    person_page(&app, &viewer, &session.actor, id, None).await
}

/// `POST /assignments/{id}/end`: ends an assignment with a reason; the record stays in the history.
pub async fn end(
    State(app): State<App>,
    Path(id): Path<i64>,
    SignedForm(viewer, session, form): SignedForm,
) -> Response {
    let ended = async {
        let to = match form.get("to") {
            Some(d) => date("to", &d)?,
            None => app.clock.today(),
        };
        let (actor, reason) = (session.actor.clone(), form.typed("reason").to_owned());
        app.store.write(move |c| people::end_assignment(c, &actor, id, &to, &reason)).await
    }
    .await;
    match ended {
        Ok(a) => {
            app.sessions.clear();
            Redirect::to(&format!("/people/{}#history", a.person_id)).into_response()
        }
        Err(error) => match form.get("person").and_then(|p| p.parse::<i64>().ok()) {
            Some(person) if !matches!(error, Error::Forbidden(_)) => {
                person_page(&app, &viewer, &session.actor, person, Some(Attempt::End(id, &form, &error))).await
            }
            _ => error_page(&viewer, &error),
        },
    }
}
