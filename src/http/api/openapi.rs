//! The OpenAPI 3.1 document of the JSON API, served at `/api/v1/openapi.json`.
//!
//! Operations come from the handlers' `#[utoipa::path]` through the router
//! (`utoipa_axum`), so a route cannot exist without its operation. The error
//! answers every operation can give are added here by one rule set
//! ([`add_errors`]) rather than listed on each handler: what a layer or an
//! extractor answers is the same wherever it runs.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{self, ContentBuilder, HttpMethod, OpenApi, RefOr, ResponseBuilder};
use utoipa::{Modify, ToSchema};

/// The document's frame: title, base path, the bearer scheme, shared schemas.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "gridsafe API",
        version = "1",
        description = "网格化安全生产与环境巡查、河长制：JSON 接口。\
                       Grid-based safety and environmental inspection and the river-chief system: the JSON API.\n\n\
                       Sign in with `POST /login` and send the token as `Authorization: Bearer <token>`. \
                       Every error answers `{\"error\": {code, message, message_en, details}}`, \
                       the message in Chinese first.",
        license(name = "MIT OR Apache-2.0")
    ),
    servers((url = "/api/v1")),
    modifiers(&BearerScheme),
    security(("bearer" = [])),
    components(schemas(ErrorBody, ErrorDetail, ErrorCode, Geometry, Feature, FeatureCollection)),
    tags(
        (name = "geography", description = "网格与河流 · grids and rivers"),
        (name = "accounts", description = "登录与人员 · sign-in, people, assignments"),
        (name = "enterprises", description = "企业 · enterprises"),
        (name = "cases", description = "隐患案件 · hazard cases"),
        (name = "documents", description = "文书 · documents"),
        (name = "map", description = "地图 · map layers"),
        (name = "patrols", description = "河长巡河 · river patrols"),
        (name = "settings", description = "设置 · settings"),
    )
)]
pub struct ApiDoc;

/// Declares the bearer token scheme the session tokens use.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(openapi::Components::new);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("会话令牌（POST /login 所得）· the session token from POST /login"))
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Every error: `{"error": {...}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// One error, for people (Chinese first, English) and for programs (`code`, `details`).
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// What kind of error.
    pub code: ErrorCode,
    /// 中文说明。
    pub message: String,
    /// The same in English.
    pub message_en: String,
    /// `invalid`: `{field}`; `rejected`: `{problems}`; `refused`: `{allowed}`;
    /// `rate_limited`: `{retry_after_s}`; otherwise null.
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

/// The machine-readable kinds of error (`http::error`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: a field or parameter is wrong.
    Invalid,
    /// 401: no valid session.
    Unauthenticated,
    /// 403: the caller may not do this.
    Forbidden,
    /// 404: not there, or outside the caller's scope.
    NotFound,
    /// 409: the state does not allow it (`details.allowed` lists what does).
    Refused,
    /// 409: a duplicate, or an `Idempotency-Key` used for another request.
    Conflict,
    /// 412: `If-Match` named an old version.
    Stale,
    /// 413: the body is too large.
    TooLarge,
    /// 415: the body is not of the declared media type.
    UnsupportedMediaType,
    /// 422: a whole document was rejected (`details.problems`).
    Rejected,
    /// 429: too many attempts (`Retry-After`).
    RateLimited,
    /// 503: the store is busy (`Retry-After`).
    Busy,
    /// 500: logged on the server, opaque here.
    Internal,
}

/// A GeoJSON geometry (RFC 7946), longitude first, WGS 84.
#[derive(ToSchema)]
#[allow(dead_code)] // a schema only: geometries are written by `spatial::features`
pub struct Geometry {
    /// `Point`, `LineString`, `Polygon`, `MultiPolygon`...
    #[schema(value_type = String)]
    r#type: (),
    /// Nested arrays of `[lon, lat]`, by geometry type.
    #[schema(value_type = Vec<Value>)]
    coordinates: (),
}

/// A GeoJSON feature.
#[derive(ToSchema)]
#[allow(dead_code)] // a schema only
pub struct Feature {
    /// `Feature`.
    #[schema(value_type = String)]
    r#type: (),
    /// The feature's code.
    #[schema(value_type = Option<String>)]
    id: (),
    /// Its shape.
    #[schema(value_type = Option<Geometry>)]
    geometry: (),
    /// Its attributes.
    #[schema(value_type = Object)]
    properties: (),
}

/// A GeoJSON feature collection.
#[derive(ToSchema)]
#[allow(dead_code)] // a schema only
pub struct FeatureCollection {
    /// `FeatureCollection`.
    #[schema(value_type = String)]
    r#type: (),
    /// The features.
    #[schema(value_type = Vec<Feature>)]
    features: (),
}

/// Adds the error answers each operation can give, by what it takes:
///
/// - every operation: 503 (the store's bounded wait);
/// - a query, path parameter or body: 400;
/// - a session: 401, and 403 (scope, role, CSRF for cookie sessions);
/// - a path parameter: 404;
/// - a body: 413 and 415; a writing method: 409 (state, duplicates, reused keys);
/// - an `If-Match` header: 412.
///
/// Operation-specific answers (429 at login, 422 for a rejected document,
/// 304 for a cached document) are declared on the handlers.
pub fn add_errors(doc: &mut OpenApi) {
    let global_security = doc.security.clone().is_some_and(|s| !s.is_empty());
    for item in doc.paths.paths.values_mut() {
        for (method, op) in operations(item) {
            let secured = op.security.as_ref().map_or(global_security, |s| {
                // `security(())` is one empty requirement: public.
                serde_json::to_value(s)
                    .is_ok_and(|v| v.as_array().is_some_and(|a| a.iter().any(|r| r != &serde_json::json!({}))))
            });
            let params = op.parameters.as_deref().unwrap_or_default();
            let has = |place: ParameterIn| params.iter().any(|p| p.parameter_in == place);
            let body = op.request_body.is_some();
            let writes = matches!(method, HttpMethod::Post | HttpMethod::Patch | HttpMethod::Put | HttpMethod::Delete);
            let if_match = params.iter().any(|p| p.parameter_in == ParameterIn::Header && p.name == "If-Match");
            let mut add = |status: &str, text: &str| {
                op.responses.responses.entry(status.to_owned()).or_insert_with(|| error_response(text));
            };
            if has(ParameterIn::Query) || has(ParameterIn::Path) || body {
                add("400", "参数或请求内容有误 · a parameter or the body is wrong");
            }
            if secured {
                add("401", "未登录或会话已失效 · no valid session");
                add("403", "无此权限 · not allowed for this caller");
            }
            if has(ParameterIn::Path) {
                add("404", "不存在或不在权限范围内 · not found, or outside the caller's scope");
            }
            if writes {
                // A body may name a case, person or record that is not there.
                add(
                    "404",
                    "所指对象不存在或不在权限范围内 · something it names is not there, or outside the caller's scope",
                );
                add("409", "当前状态不允许或重复 · refused in this state, a duplicate, or a reused Idempotency-Key");
            }
            if if_match {
                add("412", "记录已被他人更新 · If-Match named an older version");
            }
            if body {
                add("413", "请求内容过大 · the body is too large");
                add("415", "请求内容类型不符 · the body is not of the declared type");
            }
            add("503", "系统繁忙，请稍后重试 · busy, retry after the Retry-After seconds");
        }
    }
}

/// The operations of a path item with their methods.
fn operations(item: &mut openapi::PathItem) -> impl Iterator<Item = (HttpMethod, &mut Operation)> {
    [
        (HttpMethod::Get, item.get.as_mut()),
        (HttpMethod::Post, item.post.as_mut()),
        (HttpMethod::Put, item.put.as_mut()),
        (HttpMethod::Patch, item.patch.as_mut()),
        (HttpMethod::Delete, item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.map(|op| (method, op)))
}

fn error_response(description: &str) -> RefOr<openapi::Response> {
    let content = ContentBuilder::new().schema(Some(RefOr::Ref(openapi::Ref::from_schema_name("ErrorBody")))).build();
    RefOr::T(ResponseBuilder::new().description(description).content("application/json", content).build())
}

/// The document as served: the routes' operations, then the errors.
pub fn finish(mut doc: OpenApi) -> String {
    add_errors(&mut doc);
    doc.to_pretty_json().expect("the OpenAPI document serialises")
}

/// The finished document, set once when the router is first built.
pub static DOCUMENT: OnceLock<String> = OnceLock::new();

/// `GET /api/v1/openapi.json`: this document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "settings",
    security(()),
    responses((status = 200, description = "OpenAPI 3.1 文档 · the OpenAPI 3.1 document", content_type = "application/json", body = Object))
)]
pub async fn show_document() -> Response {
    let body = DOCUMENT.get().map_or("{}", String::as_str);
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The `Idempotency-Key` header of creating requests.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // a parameter description only: `http::idempotency` reads the header
pub struct IdempotencyKey {
    /// 幂等键：重发同一请求时原样返回首次结果，不重复创建 · a retry with the same key gets the first answer and creates nothing new.
    #[param(rename = "Idempotency-Key")]
    key: Option<String>,
}

/// The `If-Match` header of updates.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // a parameter description only: `http::extract::if_match` reads the header
pub struct IfMatch {
    /// 记录版本号（`"<version>"`），版本已变时答 412 · the record's version; an older one is answered 412.
    #[param(rename = "If-Match")]
    version: Option<String>,
}

// What the main answers hold. The handlers build them as JSON from the
// service's rows; these describe them, and schemathesis checks each answer
// it sees against them (`.ci/schemathesis.sh`).

/// A case in a list: the stored case and whether it is overdue today.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // a schema only
pub struct CaseListItem {
    /// The case.
    #[serde(flatten)]
    case: crate::store::cases::CaseRow,
    /// Past its deadline and not yet fixed.
    overdue: bool,
}

/// A page of cases, overdue first, then newest.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // a schema only
pub struct CasePage {
    /// The cases of this page.
    items: Vec<CaseListItem>,
    /// The cursor of the next page (`after`), null on the last.
    next: Option<String>,
}

/// A photo of a case, by the stage it was taken at.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // a schema only
pub struct CasePhoto {
    /// `report`, `fix`...
    stage: String,
    /// Its media id (`GET /media/{id}`).
    id: String,
}

/// A case with what its reader needs: the timeline and what they may do next.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // a schema only
pub struct CaseView {
    /// The case.
    #[serde(flatten)]
    case: crate::store::cases::CaseRow,
    /// Past its deadline and not yet fixed.
    overdue: bool,
    /// The grids from the town down to its village.
    #[schema(value_type = Vec<Object>)]
    grid_chain: (),
    /// The actions this reader may take now.
    allowed_actions: Vec<String>,
    /// Its photos.
    photos: Vec<CasePhoto>,
    /// Its audit entries, oldest first.
    #[schema(value_type = Vec<Object>)]
    timeline: (),
    /// Its documents (absent in the answer to a filing).
    #[schema(value_type = Option<Vec<Object>>)]
    documents: (),
}

/// A page of people.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // a schema only
pub struct PeoplePage {
    /// This page: the people the caller may see.
    #[schema(value_type = Vec<Object>)]
    people: (),
    /// The cursor of the next page (`after`), null on the last.
    next: Option<String>,
}

/// A page of enterprises.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // a schema only
pub struct EnterprisePage {
    /// This page: the enterprises the caller may read.
    #[schema(value_type = Vec<Object>)]
    enterprises: (),
    /// The cursor of the next page (`after`), null on the last.
    next: Option<String>,
}

/// A page of patrols.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // a schema only
pub struct PatrolPage {
    /// This page: the patrol logs the caller may read, newest walk first.
    #[schema(value_type = Vec<Object>)]
    patrols: (),
    /// The cursor of the next page (`after`), null on the last.
    next: Option<String>,
}

/// A page of documents.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // a schema only
pub struct DocumentPage {
    /// The month, `YYYY-MM`.
    month: String,
    /// This page: the month's documents the caller may read.
    #[schema(value_type = Vec<Object>)]
    documents: (),
    /// The cursor of the next page (`after`), null on the last.
    next: Option<String>,
}

/// The answer to a sign-in.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // a schema only
pub struct SignedIn {
    /// The session token, for `Authorization: Bearer`.
    token: String,
    /// Who signed in, with their duties.
    #[schema(value_type = Object)]
    user: (),
}

/// A stored photo.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // a schema only
pub struct Uploaded {
    /// Its media id, to name in a filing's `photos`.
    id: String,
}
