//! 巡河规则: the town office's settings page for the anti-fake rules per
//! chief level. The labels, units and bounds come from the domain's
//! [`RULE_FIELDS`]; the checks and the audit entry from the service that
//! `PATCH /api/v1/settings/patrol-rules` calls.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::layout::{csrf_field, field_error, form_error, page};
use super::{SignedIn, Viewer, error_page, html_status};
use crate::app::App;
use crate::domain::patrol::RULE_FIELDS;
use crate::domain::people::ChiefLevel;
use crate::error::{Error, Msg};
use crate::service::patrol_rules::{self, RulesPatch, RulesView};

fn render(
    viewer: &Viewer,
    view: &RulesView,
    typed: &HashMap<String, String>,
    error: Option<&Error>,
    saved: bool,
) -> Response {
    let names: Vec<String> = ChiefLevel::ALL
        .iter()
        .flat_map(|l| RULE_FIELDS.iter().map(move |f| format!("{}.{}", l.as_str(), f.name)))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let body = html! {
        h1 { (viewer.t("rules.title")) }
        p.muted { (viewer.t("rules.intro")) }
        @if saved {
            p.notice role="status" { (viewer.t("rules.saved")) }
        }
        (form_error(viewer, error, &names))
        form method="post" action="/settings/patrols" {
            (csrf_field(viewer))
            input type="hidden" name="version" value=(typed.get("version").cloned().unwrap_or_else(|| view.version.to_string()));
            @for level in &view.levels {
                @let chief = ChiefLevel::parse(level.level).unwrap_or(ChiefLevel::Village);
                fieldset.card data-level=(level.level) {
                    legend { (viewer.msg(&Msg::new(chief.zh(), chief.en()))) }
                    @for f in &RULE_FIELDS {
                        @let name = format!("{}.{}", level.level, f.name);
                        @let value = typed.get(&name).cloned().unwrap_or_else(|| level.rules.get(f.name).unwrap_or_default().to_string());
                        label for=(name) {
                            (viewer.msg(&Msg::new(f.zh, f.en)))
                            " (" (viewer.msg(&Msg::new(f.unit_zh, f.unit_en))) ", " (f.min) "–" (f.max) ")"
                        }
                        input id=(name) name=(name) type="number" inputmode="decimal" required
                            step=(if f.whole { "1" } else { "any" }) min=(f.min) max=(f.max) value=(value)
                            aria-describedby=[error.and_then(Error::field).filter(|e| *e == name).map(|_| format!("error-{name}"))];
                        (field_error(viewer, error, &name))
                    }
                }
            }
            button.primary.wide type="submit" { (viewer.t("rules.save")) }
        }
    };
    let status = error.map_or(StatusCode::OK, crate::http::error::status);
    html_status(status, page(viewer, viewer.t("rules.title"), &body))
}

async fn current(app: &App, session: &super::Session) -> Result<RulesView, Error> {
    let actor = session.actor.clone();
    app.store.read(move |c| patrol_rules::settings(c, &actor)).await
}

/// `?saved=1` after a change.
#[derive(Debug, Deserialize)]
pub struct Shown {
    saved: Option<u8>,
}

/// `GET /settings/patrols`: the rules of each level in a form (the town office only).
pub async fn show(State(app): State<App>, SignedIn(viewer, session): SignedIn, Query(q): Query<Shown>) -> Response {
    match current(&app, &session).await {
        Ok(view) => render(&viewer, &view, &HashMap::new(), None, q.saved.is_some()),
        Err(e) => error_page(&viewer, &e),
    }
}

/// The typed form as a patch of every rule field it carries.
fn patch_of(form: &HashMap<String, String>) -> Result<RulesPatch, Error> {
    let mut patch = RulesPatch::new();
    for level in ChiefLevel::ALL {
        for f in &RULE_FIELDS {
            let name = format!("{}.{}", level.as_str(), f.name);
            if let Some(text) = form.get(&name) {
                let value = patrol_rules::parse_value(&name, text)?;
                patch.entry(level.as_str().to_owned()).or_default().insert(f.name.to_owned(), value);
            }
        }
    }
    Ok(patch)
}

/// `POST /settings/patrols`: saves the changed rules (audited) and shows them
/// again; a value out of bounds is named beside its field, the typed values kept.
#[expect(clippy::implicit_hasher, reason = "the Form extractor fills a std HashMap")]
pub async fn save(
    State(app): State<App>,
    SignedIn(viewer, session): SignedIn,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let expected = form.get("version").and_then(|v| v.trim().parse::<i64>().ok());
    let saved = match patch_of(&form) {
        Ok(patch) => {
            let (actor, now) = (session.actor.clone(), app.now_s());
            app.store.write(move |c| patrol_rules::update(c, &actor, &patch, expected, now)).await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Redirect::to("/settings/patrols?saved=1").into_response(),
        Err(error) => match current(&app, &session).await {
            Ok(view) => {
                // A stale form shows the rules now in force, not what was typed.
                let typed = if matches!(error, Error::Stale(_)) { HashMap::new() } else { form };
                render(&viewer, &view, &typed, Some(&error), false)
            }
            Err(e) => error_page(&viewer, &e),
        },
    }
}
