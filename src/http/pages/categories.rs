//! The case categories for the town office: the two-level taxonomy by kind
//! (retired ones too, so they can be brought back), a form to add one, and
//! a small form per category to rename or retire it. Through
//! `service::categories`, as `POST|PATCH /api/v1/categories` are.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::fields::{Shown, SignedForm, answer, ticked, values};
use super::form::FormData;
use super::layout::csrf_field;
use super::{SignedIn, Viewer, error_page};
use crate::app::App;
use crate::error::Error;
use crate::service::accounts::Actor;
use crate::service::categories::{self, CategoryPatch, NewCategory};
use crate::store::cases::Category;

const KINDS: [&str; 3] = ["safety", "environment", "river"];

/// The last submission on the page: the new-category form (`None`) or one category's edit form.
struct Attempt<'a> {
    code: Option<String>,
    form: &'a FormData,
    error: &'a Error,
}

fn edit_form(viewer: &Viewer, c: &Category, active: bool, attempt: Option<&Attempt>) -> Markup {
    let mine = attempt.filter(|a| a.code.as_deref() == Some(c.code.as_str()));
    let stored = values([("name", c.name.clone()), ("active", active.to_string())]);
    let id = format!("cat-{}-", c.code);
    let shown = Shown { viewer, form: mine.map_or(&stored, |a| a.form), error: mine.map(|a| a.error), id: &id };
    html! {
        details.action open[mine.is_some()] {
            summary.button { (viewer.t("categories.edit")) }
            form method="post" action={ "/categories/" (c.code) } {
                (csrf_field(viewer))
                (shown.general_error(&["name", "active"]))
                (shown.input("name", viewer.t("categories.name"), "text", true))
                (shown.checkbox("active", viewer.t("categories.active")))
                button.primary.wide type="submit" { (viewer.t("categories.save")) }
            }
        }
    }
}

fn row(viewer: &Viewer, c: &Category, active: bool, attempt: Option<&Attempt>) -> Markup {
    html! {
        li data-category=(c.code) {
            span.number { (c.code) } " " strong { (c.name) }
            @if !active { " " span.badge { (viewer.t("categories.retired")) } }
            (edit_form(viewer, c, active, attempt))
        }
    }
}

fn render(viewer: &Viewer, all: &[(Category, bool)], attempt: Option<&Attempt>) -> Markup {
    let new = attempt.filter(|a| a.code.is_none());
    let empty = FormData::default();
    let shown = Shown { viewer, form: new.map_or(&empty, |a| a.form), error: new.map(|a| a.error), id: "new-" };
    let kinds: Vec<(String, String)> =
        KINDS.iter().map(|k| ((*k).to_owned(), viewer.t(&format!("kind.{k}")).to_owned())).collect();
    let tops: Vec<(String, String)> = all
        .iter()
        .filter(|(c, active)| c.parent.is_none() && *active)
        .map(|(c, _)| (c.code.clone(), format!("{} {}（{}）", c.code, c.name, viewer.t(&format!("kind.{}", c.kind)))))
        .collect();
    html! {
        h1 { (viewer.t("categories.title")) }
        section.card #new {
            h2 { (viewer.t("categories.new")) }
            (shown.general_error(&["code", "kind", "parent", "name"]))
            form method="post" action="/categories" {
                (csrf_field(viewer))
                (shown.input("code", viewer.t("categories.code"), "text", true))
                (shown.select("kind", viewer.t("field.kind"), None, &kinds))
                (shown.select("parent", viewer.t("categories.parent"), Some(viewer.t("categories.top_level")), &tops))
                (shown.input("name", viewer.t("categories.name"), "text", true))
                button.primary.wide type="submit" { (viewer.t("categories.create")) }
            }
        }
        @for kind in KINDS {
            section.card {
                h2 { (viewer.t(&format!("kind.{kind}"))) }
                @for (top, active) in all.iter().filter(|(c, _)| c.parent.is_none() && c.kind == kind) {
                    ul.plain {
                        (row(viewer, top, *active, attempt))
                        @for (child, active) in all.iter().filter(|(c, _)| c.parent.as_deref() == Some(top.code.as_str())) {
                            (row(viewer, child, *active, attempt))
                        }
                    }
                }
            }
        }
    }
}

async fn page(app: &App, viewer: &Viewer, actor: &Actor, attempt: Option<&Attempt<'_>>) -> Response {
    let scope = actor.scope.clone();
    match app.store.read(move |c| categories::for_office(c, &scope)).await {
        Ok(all) => {
            answer(viewer, viewer.t("categories.title"), &render(viewer, &all, attempt), attempt.map(|a| a.error))
        }
        Err(e) => error_page(viewer, &e),
    }
}

/// `GET /categories` (the town office only).
pub async fn list(State(app): State<App>, SignedIn(viewer, session): SignedIn) -> Response {
    page(&app, &viewer, &session.actor, None).await
}

async fn answer_write(
    app: &App,
    viewer: &Viewer,
    actor: &Actor,
    written: Result<(), Error>,
    code: Option<String>,
    form: &FormData,
) -> Response {
    match written {
        Ok(()) => Redirect::to("/categories").into_response(),
        Err(error) if matches!(error, Error::Forbidden(_)) => error_page(viewer, &error),
        Err(error) => page(app, viewer, actor, Some(&Attempt { code, form, error: &error })).await,
    }
}

/// `POST /categories`: adds a category.
pub async fn create(State(app): State<App>, SignedForm(viewer, session, form): SignedForm) -> Response {
    let input = NewCategory {
        code: form.typed("code").to_owned(),
        kind: form.typed("kind").to_owned(),
        parent: form.get("parent"),
        name: form.typed("name").to_owned(),
    };
    let scope = session.actor.scope.clone();
    let written = app.store.write(move |c| categories::create(c, &scope, &input).map(drop)).await;
    answer_write(&app, &viewer, &session.actor, written, None, &form).await
}

/// `POST /categories/{code}`: renames or retires (or brings back) a category.
pub async fn update(
    State(app): State<App>,
    Path(code): Path<String>,
    SignedForm(viewer, session, form): SignedForm,
) -> Response {
    let patch = CategoryPatch { name: Some(form.typed("name").to_owned()), active: Some(ticked(&form, "active")) };
    let (scope, target) = (session.actor.scope.clone(), code.clone());
    let written = app.store.write(move |c| categories::update(c, &scope, &target, &patch)).await;
    answer_write(&app, &viewer, &session.actor, written, Some(code), &form).await
}
