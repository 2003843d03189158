//! 上报隐患: the report form. Without JavaScript it is a plain multipart form
//! (position typed in, photos attached). With it, `report.js` fills the
//! position from GPS with its accuracy, lets the pin be dragged, shows the
//! village and possible duplicates, downscales photos, orders enterprises by
//! distance, and files through the offline outbox (`outbox.js`) with the
//! `Idempotency-Key` made here, when the draft is created.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::form::{FormData, save_photos};
use super::layout::{csrf_field, field_error, form_error, page_with};
use super::{SignedIn, Viewer, error_page, html_status};
use crate::app::App;
use crate::error::{Error, Msg};
use crate::http::api::cases::file_once;
use crate::service::accounts::{self, Actor};
use crate::service::cases::{self, CaseInput};
use crate::service::categories;
use crate::service::enterprises::{self, EnterpriseFilter};
use crate::store::cases::Category;
use crate::store::enterprises::Enterprise;

/// What the form offers: categories and the enterprises in scope.
struct Choices {
    categories: Vec<Category>,
    enterprises: Vec<Enterprise>,
}

async fn choices(app: &App, actor: &Actor) -> Result<Choices, Error> {
    let (maps, scope) = (app.maps(), actor.scope.clone());
    app.store
        .read(move |c| {
            let mut enterprises = enterprises::list_readable(c, &maps, &scope, &EnterpriseFilter::default())?;
            enterprises.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(Choices { categories: categories::all(c)?, enterprises })
        })
        .await
}

const FIELDS: [&str; 10] =
    ["kind", "category", "grade", "criterion", "title", "description", "lon", "lat", "enterprise_id", "photos"];

fn radio(viewer: &Viewer, name: &str, prefix: &str, values: &[&str], chosen: &str) -> Markup {
    html! {
        div.choices role="radiogroup" {
            @for v in values {
                label.choice {
                    input type="radio" name=(name) value=(v) required checked[chosen == *v];
                    span { (viewer.t(&format!("{prefix}.{v}"))) }
                }
            }
        }
    }
}

fn render(
    viewer: &Viewer,
    choices: &Choices,
    form: &FormData,
    key: &str,
    photo_ids: &[String],
    error: Option<&Error>,
) -> Markup {
    let typed = |name: &str| form.typed(name).to_owned();
    let kind = if form.typed("kind").is_empty() { "safety".to_owned() } else { typed("kind") };
    let grade = if form.typed("grade").is_empty() { "general".to_owned() } else { typed("grade") };
    let csrf = viewer.session.as_ref().map_or("", |s| s.csrf.as_str());
    let tops: Vec<&Category> = choices.categories.iter().filter(|c| c.parent.is_none()).collect();
    html! {
        h1 { (viewer.t("report.title")) }
        @if viewer.insecure {
            p.warning role="note" { (viewer.t("login.insecure")) }
        }
        (form_error(viewer, error, &FIELDS))
        form #report-form method="post" action={ "/report?csrf=" (csrf) } enctype="multipart/form-data" data-key=(key) {
            (csrf_field(viewer))
            input type="hidden" name="key" value=(key);
            @for id in photo_ids {
                input type="hidden" name="photo_id" value=(id);
            }
            fieldset.card {
                legend { "1 · " (viewer.t("report.step_place")) }
                p #gps-status .gps aria-live="polite" data-waiting=(viewer.t("report.gps_waiting"))
                    data-good=(viewer.t("report.gps_good")) data-fair=(viewer.t("report.gps_fair"))
                    data-poor=(viewer.t("report.gps_poor")) data-denied=(viewer.t("report.gps_denied"))
                    data-village=(viewer.t("report.village")) data-outside=(viewer.t("report.outside")) {
                    (viewer.t("report.gps_manual"))
                }
                div #report-map .minimap.tall {}
                p #village-line .muted {}
                div.pair {
                    label { (viewer.t("field.lon")) input #lon name="lon" type="number" step="any" min="-180" max="180" required value=(typed("lon")) inputmode="decimal"; }
                    label { (viewer.t("field.lat")) input #lat name="lat" type="number" step="any" min="-90" max="90" required value=(typed("lat")) inputmode="decimal"; }
                }
                (field_error(viewer, error, "lon"))
                (field_error(viewer, error, "lat"))
                (field_error(viewer, error, "point"))
                button #gps-again .secondary type="button" hidden { (viewer.t("report.gps_again")) }
            }
            fieldset.card {
                legend { "2 · " (viewer.t("report.step_what")) }
                (radio(viewer, "kind", "kind", &["safety", "environment", "river"], &kind))
                (field_error(viewer, error, "kind"))
                label for="category" { (viewer.t("field.category")) }
                select #category name="category" required {
                    option value="" { (viewer.t("report.choose")) }
                    @for top in &tops {
                        optgroup label=(top.name) data-kind=(top.kind) {
                            @for c in choices.categories.iter().filter(|c| c.parent.as_deref() == Some(top.code.as_str())) {
                                option value=(c.code) data-kind=(c.kind) selected[form.typed("category") == c.code] { (c.name) }
                            }
                        }
                    }
                }
                (field_error(viewer, error, "category"))
                (radio(viewer, "grade", "grade", &["general", "major"], &grade))
                (field_error(viewer, error, "grade"))
                div #criterion-box {
                    label for="criterion" { (viewer.t("field.criterion")) }
                    input #criterion name="criterion" type="text" value=(typed("criterion"));
                    (field_error(viewer, error, "criterion"))
                }
                div #duplicates .duplicates hidden data-title=(viewer.t("report.duplicates")) {}
            }
            fieldset.card {
                legend { "3 · " (viewer.t("report.step_photos")) }
                @if !photo_ids.is_empty() {
                    p.muted { (viewer.tf_count("report.photos_kept", photo_ids.len())) }
                }
                label.button.secondary.wide for="photos" { (viewer.t("report.take_photo")) }
                input #photos .visually-hidden name="photos" type="file" accept="image/*" capture="environment" multiple;
                div #photo-previews .previews {}
                (field_error(viewer, error, "photos"))
            }
            fieldset.card {
                legend { "4 · " (viewer.t("report.step_text")) }
                label for="enterprise_id" { (viewer.t("field.enterprise")) }
                select #enterprise_id name="enterprise_id" {
                    option value="" { (viewer.t("report.no_enterprise")) }
                    @for e in &choices.enterprises {
                        option value=(e.id) data-lon=(e.lon) data-lat=(e.lat) selected[form.typed("enterprise_id") == e.id.to_string()] { (e.name) }
                    }
                }
                (field_error(viewer, error, "enterprise_id"))
                label for="title" { (viewer.t("field.title")) }
                input #title name="title" type="text" maxlength="100" required value=(typed("title"));
                (field_error(viewer, error, "title"))
                label for="description" { (viewer.t("field.description")) }
                textarea #description name="description" rows="4" required { (typed("description")) }
                (field_error(viewer, error, "description"))
            }
            div.sticky-submit {
                button.primary.wide type="submit" { (viewer.t("report.submit")) }
            }
        }
    }
}

fn show_form(
    viewer: &Viewer,
    choices: &Choices,
    form: &FormData,
    key: &str,
    photo_ids: &[String],
    error: Option<&Error>,
) -> Response {
    let status = error.map_or(StatusCode::OK, crate::http::error::status);
    let body = render(viewer, choices, form, key, photo_ids, error);
    html_status(status, page_with(viewer, viewer.t("report.title"), &["leaflet/leaflet.js", "report.js"], &body))
}

fn may_not_file() -> Error {
    Error::Forbidden(Msg::new("您没有上报隐患的职责范围", "you have no scope in which to file a report"))
}

/// `GET /report`: a new draft with its own `Idempotency-Key`.
pub async fn form(State(app): State<App>, SignedIn(viewer, session): SignedIn) -> Response {
    if !cases::may_file(&session.actor) {
        return error_page(&viewer, &may_not_file());
    }
    let key = match accounts::new_uuid() {
        Ok(k) => k,
        Err(e) => return error_page(&viewer, &e),
    };
    match choices(&app, &session.actor).await {
        Ok(choices) => show_form(&viewer, &choices, &FormData::default(), &key, &[], None),
        Err(e) => error_page(&viewer, &e),
    }
}

fn number_field(form: &FormData, name: &str) -> Result<f64, Error> {
    let text =
        form.get(name).ok_or_else(|| Error::invalid(name, "须填写位置（经纬度）", "the position is required"))?;
    text.parse().map_err(|_| Error::invalid(name, "经纬度须为数字", "longitude and latitude are numbers"))
}

fn case_input(form: &FormData, photos: Vec<String>) -> Result<CaseInput, Error> {
    let enterprise_id = form
        .get("enterprise_id")
        .map(|v| v.parse::<i64>().map_err(|_| Error::invalid("enterprise_id", "企业选择无效", "invalid enterprise")))
        .transpose()?;
    Ok(CaseInput {
        kind: form.get("kind").unwrap_or_default(),
        category: form.get("category").unwrap_or_default(),
        grade: form.get("grade").unwrap_or_default(),
        criterion: form.get("criterion"),
        title: form.typed("title").to_owned(),
        description: form.typed("description").to_owned(),
        lon: number_field(form, "lon")?,
        lat: number_field(form, "lat")?,
        enterprise_id,
        photos,
    })
}

/// `POST /report`: the form without the outbox (no JavaScript). Photos are
/// saved first and kept in the form if the filing is refused, so a correction
/// does not mean taking them again; the draft's key files it once however
/// often it is sent.
pub async fn submit(
    State(app): State<App>,
    SignedIn(viewer, session): SignedIn,
    form: Result<FormData, Error>,
) -> Response {
    let mut form = match form {
        Ok(f) => f,
        Err(e) => return error_page(&viewer, &e),
    };
    let key = form.get("key").filter(|k| k.len() <= 100).unwrap_or_default();
    let mut photo_ids: Vec<String> =
        form.fields.iter().filter(|(k, _)| k == "photo_id").map(|(_, v)| v.clone()).filter(|v| v.len() == 64).collect();
    let filed = async {
        let uploads = std::mem::take(&mut form.photos);
        photo_ids.extend(save_photos(&app, &session.actor, uploads).await?);
        let input = case_input(&form, photo_ids.clone())?;
        let hash = crate::domain::audit::sha256_hex(format!("{input:?}").as_bytes());
        let key = (!key.is_empty()).then(|| key.clone());
        file_once(&app, Arc::new(session.actor.clone()), key, input, hash, app.now_s()).await
    }
    .await;
    match filed {
        Ok(filed) => Redirect::to(&format!("/cases/{}", filed.number())).into_response(),
        Err(error) => match choices(&app, &session.actor).await {
            Ok(choices) => {
                let key = if key.is_empty() { accounts::new_uuid().unwrap_or_default() } else { key };
                show_form(&viewer, &choices, &form, &key, &photo_ids, Some(&error))
            }
            Err(e) => error_page(&viewer, &e),
        },
    }
}
