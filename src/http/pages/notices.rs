//! 联合整改通知书: several registered findings at one enterprise dispatched
//! under one rectification notice, each with its own measures and deadline,
//! through `service::cases::dispatch_together` as `POST /api/v1/notices`
//! does. A major hazard still without its 五落实 plan is dispatched from its
//! own page, where the plan is written.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::fields::{SignedForm, answer, query};
use super::form::{FormData, create_once};
use super::layout::{csrf_field, field_error, form_error, key_field};
use super::{SignedIn, Viewer, error_page};
use crate::app::App;
use crate::domain::case::Status;
use crate::error::Error;
use crate::service::accounts::Actor;
use crate::service::cases::{self, CaseFilter, Listed, MAX_NOTICE_ITEMS, NoticeItem};

/// `?enterprise=` of the form.
#[derive(Debug, Deserialize)]
pub struct Which {
    enterprise: i64,
}

/// Whether a case can go on a joint notice from this form.
fn joinable(c: &cases::CaseRow) -> bool {
    c.grade != "major" || c.plan.is_some()
}

/// The enterprise's name and its registered cases the actor may see.
async fn candidates(app: &App, actor: &Actor, enterprise: i64) -> Result<(String, Vec<Listed>), Error> {
    let (maps, actor, today) = (app.maps(), actor.clone(), app.clock.today());
    app.store
        .read(move |c| {
            let (firm, _) = crate::service::enterprises::load_readable(c, &actor.scope, enterprise)?;
            let filter =
                CaseFilter { status: Some(Status::Registered), enterprise: Some(enterprise), ..CaseFilter::default() };
            let rows = cases::list_rows(c, &maps, &actor, &filter, None, MAX_NOTICE_ITEMS, &today)?.0;
            Ok((firm.name, rows))
        })
        .await
}

/// The form's field for an item's `field`, keyed by case number.
fn item_field(field: &str, number: &str) -> String {
    format!("{field}.{number}")
}

/// The form field an error of the service names: `cases.<i>.<field>` of
/// the i-th case sent becomes that case's own control.
fn error_field(error: &Error, sent: &[String]) -> Option<String> {
    let field = error.field()?;
    let mut parts = field.splitn(3, '.');
    match (parts.next(), parts.next().and_then(|i| i.parse::<usize>().ok()), parts.next()) {
        (Some("cases"), Some(i), Some(name)) => sent.get(i).map(|n| item_field(name, n)),
        _ => Some(field.to_owned()),
    }
}

fn render(
    viewer: &Viewer,
    enterprise: (i64, &str),
    rows: &[Listed],
    form: &FormData,
    error: Option<&Error>,
) -> Response {
    let (id, name) = enterprise;
    let sent: Vec<String> = form.fields.iter().filter(|(k, _)| k == "number").map(|(_, v)| v.clone()).collect();
    // An error that names one of the form's controls is shown under it;
    // any other (the cases do not go together, someone acted first) on top.
    let mut controls = vec!["responsible".to_owned()];
    for (c, _) in rows {
        controls.extend([item_field("measures", &c.number), item_field("deadline", &c.number)]);
    }
    let under = match (error, error.and_then(|e| error_field(e, &sent))) {
        (Some(Error::Invalid { reason, .. }), Some(field)) if controls.contains(&field) => {
            Some(Error::Invalid { field, reason: reason.clone() })
        }
        _ => None,
    };
    let under = under.as_ref();
    let fresh = form.fields.is_empty();
    let responsible = if fresh { name.to_owned() } else { form.typed("responsible").to_owned() };
    let chosen = |n: &str| fresh || sent.iter().any(|s| s == n);
    let body: Markup = html! {
        h1 { (viewer.t("notice.title")) }
        p.muted { (name) " · " (viewer.t("notice.hint")) }
        @if under.is_none() {
            (form_error(viewer, error, &[]))
        }
        @if rows.is_empty() {
            p.card.muted { (viewer.t("notice.none")) }
        } @else {
            form.card method="post" action="/notices" {
                (csrf_field(viewer))
                (key_field(form.typed("key")))
                input type="hidden" name="enterprise" value=(id);
                label for="responsible" { (viewer.t("field.responsible")) }
                input #responsible name="responsible" type="text" required value=(responsible);
                (field_error(viewer, under, "responsible"))
                @for (c, _) in rows {
                    @let measures = item_field("measures", &c.number);
                    @let deadline = item_field("deadline", &c.number);
                    fieldset.check-item {
                        legend {
                            label.check {
                                input type="checkbox" name="number" value=(c.number)
                                    checked[joinable(c) && chosen(&c.number)] disabled[!joinable(c)];
                                a href={ "/cases/" (c.number) } { (c.number) }
                            }
                        }
                        p { strong { (c.title) } }
                        @if joinable(c) {
                            label for=(measures) { (viewer.t("field.measures")) }
                            textarea id=(measures) name=(measures) rows="2" { (form.typed(&measures)) }
                            (field_error(viewer, under, &measures))
                            label for=(deadline) { (viewer.t("field.deadline")) }
                            input id=(deadline) name=(deadline) type="date" value=(form.typed(&deadline));
                            (field_error(viewer, under, &deadline))
                        } @else {
                            p.muted { (viewer.t("notice.major_alone")) " "
                                a href={ "/cases/" (c.number) "#dispatch" } { (viewer.t("action.dispatch")) "…" } }
                        }
                    }
                }
                button.primary.wide type="submit" { (viewer.t("notice.issue")) }
            }
        }
    };
    answer(viewer, viewer.t("notice.title"), &body, error)
}

/// `GET /notices/new?enterprise=`: the enterprise's registered cases, each
/// ticked, with its measures and deadline to fill.
pub async fn new(State(app): State<App>, SignedIn(viewer, session): SignedIn, RawQuery(raw): RawQuery) -> Response {
    let which = match query::<Which>(raw.as_deref()) {
        Ok(w) => w,
        Err(e) => return error_page(&viewer, &e),
    };
    match candidates(&app, &session.actor, which.enterprise).await {
        Ok((name, rows)) => render(&viewer, (which.enterprise, &name), &rows, &FormData::default(), None),
        Err(e) => error_page(&viewer, &e),
    }
}

/// `POST /notices`: dispatches the ticked cases under one notice, once per
/// the form's key; then the queue, which names the notice issued.
pub async fn issue(State(app): State<App>, SignedForm(viewer, session, mut form): SignedForm) -> Response {
    let Some(enterprise) = form.get("enterprise").and_then(|v| v.parse::<i64>().ok()) else {
        return error_page(&viewer, &Error::invalid("enterprise", "未指明企业", "no enterprise given"));
    };
    let items: Vec<NoticeItem> = form
        .fields
        .iter()
        .filter(|(k, _)| k == "number")
        .map(|(_, n)| NoticeItem {
            number: n.clone(),
            measures: form.typed(&item_field("measures", n)).to_owned(),
            deadline: form.typed(&item_field("deadline", n)).to_owned(),
            plan: None,
        })
        .collect();
    let responsible = form.typed("responsible").to_owned();
    let (maps, actor, now) = (app.maps(), session.actor.clone(), app.now_s());
    let issued = create_once(&app, actor.person.id, "/notices", &mut form, move |c| {
        let (_, document) = cases::dispatch_together(c, &maps, &actor, &responsible, &items, now)?;
        Ok(serde_json::json!({"code": document.code}))
    })
    .await;
    match issued {
        Ok(body) => {
            let code = body["code"].as_str().unwrap_or_default();
            Redirect::to(&format!("/queue?issued={code}")).into_response()
        }
        Err(error) if matches!(error, Error::Forbidden(_)) => error_page(&viewer, &error),
        Err(error) => match candidates(&app, &session.actor, enterprise).await {
            Ok((name, rows)) => render(&viewer, (enterprise, &name), &rows, &form, Some(&error)),
            Err(e) => error_page(&viewer, &e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_items_error_lands_under_that_cases_own_control() {
        let sent = vec!["TF-2026-000001".to_owned(), "TF-2026-000007".to_owned()];
        let e = Error::invalid("cases.1.deadline", "x", "x");
        assert_eq!(error_field(&e, &sent).as_deref(), Some("deadline.TF-2026-000007"));
        let e = Error::invalid("cases.5.deadline", "x", "x");
        assert_eq!(error_field(&e, &sent), None, "no such item");
        let e = Error::invalid("responsible", "x", "x");
        assert_eq!(error_field(&e, &sent).as_deref(), Some("responsible"));
    }
}
