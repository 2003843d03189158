//! Settings the town office edits: the patrol rules per chief level
//! (`GET|PATCH /api/v1/settings/patrol-rules`), through the same service as
//! the settings page.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::app::App;
use crate::error::Result;
use crate::http::auth::Caller;
use crate::http::extract::JsonBody;
use crate::service::patrol_rules::{self, RulesPatch, RulesView};

fn answer(view: &RulesView) -> Response {
    let etag = HeaderValue::try_from(format!("\"{}\"", view.version)).expect("a number is a valid header value");
    ([(header::ETAG, etag)], Json(view)).into_response()
}

/// `GET /api/v1/settings/patrol-rules`: every level's rules and their version (ETag), admin only.
#[utoipa::path(
    get,
    path = "/settings/patrol-rules",
    tag = "settings",
    responses((status = 200, description = "巡河规则 · the patrol rules", body = Object))
)]
pub async fn show_patrol_rules(State(app): State<App>, caller: Caller) -> Result<Response> {
    let actor = caller.actor;
    let view = app.store.read(move |c| patrol_rules::settings(c, &actor)).await?;
    Ok(answer(&view))
}

/// `PATCH /api/v1/settings/patrol-rules` `{level: {field: value}}`, optionally
/// with `If-Match: "<version>"`: changes some rules (admin only), audited.
#[utoipa::path(
    patch,
    path = "/settings/patrol-rules",
    tag = "settings",
    params(crate::http::api::openapi::IfMatch),
    request_body(content = Object, description = "按级别的规则值 · rule values by chief level: `{level: {rule: number}}`"),
    responses((status = 200, description = "更新后的规则 · the rules after the change", body = Object))
)]
pub async fn update_patrol_rules(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(patch): JsonBody<RulesPatch>,
) -> Result<Response> {
    let expected = crate::http::extract::if_match(&headers)?;
    let (actor, now) = (caller.actor, app.now_s());
    let view = app.store.write(move |c| patrol_rules::update(c, &actor, &patch, expected, now)).await?;
    Ok(answer(&view))
}
