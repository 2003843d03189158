//! Photos, the category taxonomy, and cases: filing (idempotent), listing
//! (scoped, overdue first, keyset pages), reading with the timeline, actions.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::App;
use crate::domain::audit::Entry;
use crate::domain::case::{Grade, Kind, Status};
use crate::domain::people;
use crate::domain::time::{china_date, china_timestamp};
use crate::error::{Error, Msg, Result};
use crate::http::auth::Caller;
use crate::http::download;
use crate::http::extract::{JsonBody, Path, Query};
use crate::http::idempotency::{Keyed, Once};
use crate::service::cases::{self, ActionInput, CaseInput};
use crate::service::categories::{self, CategoryPatch, NewCategory};
use crate::service::media;
use crate::store::cases::CaseRow;

/// The multipart form of `POST /api/v1/media`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // a schema only: the handler reads the form field by field
struct MediaUpload {
    /// 照片（JPEG、PNG 或 WebP，至多 10 MB）· the photo (JPEG, PNG or WebP, at most 10 MB).
    #[schema(value_type = String, format = Binary)]
    file: (),
}

/// `POST /api/v1/media`: one photo in multipart field `file` → `{id}`.
#[utoipa::path(
    post,
    path = "/media",
    tag = "cases",
    params(crate::http::api::openapi::IdempotencyKey),
    request_body(content = inline(MediaUpload), content_type = "multipart/form-data"),
    responses((status = 201, description = "照片编号 · the photo's id", body = crate::http::api::openapi::Uploaded))
)]
pub async fn upload_media(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Value>)> {
    let mut form = form.map_err(|e| {
        Error::UnsupportedMedia(Msg::new(
            format!("照片须以 multipart/form-data 上传：{e}"),
            format!("a photo is sent as multipart/form-data: {e}"),
        ))
    })?;
    let bad = |e: &axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::TooLarge(Msg::new("照片不能超过 10 MB", "a photo may not exceed 10 MB"))
        } else {
            Error::invalid("file", format!("上传内容有误：{e}"), format!("bad upload: {e}"))
        }
    };
    let mut upload: Option<Bytes> = None;
    while let Some(field) = form.next_field().await.map_err(|e| bad(&e))? {
        if field.name() == Some("file") {
            upload = Some(field.bytes().await.map_err(|e| bad(&e))?);
        }
    }
    let upload =
        upload.ok_or_else(|| Error::invalid("file", "缺少文件字段 file", "the multipart field \"file\" is missing"))?;
    let photo = tokio::task::spawn_blocking(move || media::prepare(&upload))
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("photo task failed: {e}")))??;
    // A photo is stored once per content, so its id identifies the request.
    let once = Once::new(&headers, "/api/v1/media", &photo.id)?;
    let (by, now) = (caller.actor.person.id, china_timestamp(app.now_s()));
    once.create(&app, by, move |c| {
        media::save(c, &photo, by, &now)?;
        Ok(json!({"id": photo.id}))
    })
    .await
}

/// Query of `GET /api/v1/media/{id}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MediaQuery {
    /// Serve the thumbnail instead of the photo.
    #[serde(default)]
    thumbnail: bool,
}

/// `GET /api/v1/media/{id}`: a stored photo (JPEG, immutable), to whoever
/// uploaded it, the town office, and those who may read a case it belongs to.
/// Anyone else gets 404: photos of sites and people are personal information.
#[utoipa::path(
    get,
    path = "/media/{id}",
    tag = "cases",
    params(("id" = String, Path, description = "照片编号 · photo id"), MediaQuery),
    responses((status = 200, description = "照片（JPEG）· the photo", content_type = "image/jpeg", body = Vec<u8>))
)]
pub async fn show_media(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<MediaQuery>,
) -> Result<Response> {
    let (maps, actor) = (app.maps(), caller.actor);
    let bytes = app.store.read(move |c| media::readable_bytes(c, &maps, &actor, &id, query.thumbnail)).await?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "private, max-age=31536000, immutable")], bytes)
        .into_response())
}

/// `GET /api/v1/categories`: the taxonomy, grouped by kind and first level.
#[utoipa::path(
    get,
    path = "/categories",
    tag = "cases",
    security(()),
    responses((status = 200, description = "隐患类别 · the categories", body = Vec<Object>))
)]
pub async fn list_categories(State(app): State<App>) -> Result<Json<Value>> {
    Ok(Json(app.store.read(categories::tree).await?))
}

/// What a filing came to: a new case, or the case an earlier request with the
/// same `Idempotency-Key` filed.
pub enum Filed {
    /// Filed now: the row and its first audit entry.
    New(Box<(CaseRow, Entry)>),
    /// Filed by an earlier request with the same key: its number.
    Earlier(String),
}

impl Filed {
    /// The case number either way.
    pub fn number(&self) -> &str {
        match self {
            Self::New(filed) => &filed.0.number,
            Self::Earlier(number) => number,
        }
    }
}

/// What an earlier request with the same `Idempotency-Key` filed, if the key
/// was used; a 409 if it was used for a different request. `first` is the
/// recorded request hash (none for keys recorded before hashes were kept,
/// taken as matching) and what that request filed.
pub(super) fn earlier<T>(first: Option<(Option<String>, T)>, request_hash: &str) -> Result<Option<T>> {
    match first {
        Some((Some(hash), _)) if hash != request_hash => Err(crate::http::idempotency::key_reused()),
        Some((_, filed)) => Ok(Some(filed)),
        None => Ok(None),
    }
}

/// `POST /api/v1/cases`: files a case. With `Idempotency-Key`, a retry gets the
/// same case back (201) and files nothing new; the key is recorded in the same
/// transaction as the case, so a crash cannot separate them.
#[utoipa::path(
    post,
    path = "/cases",
    tag = "cases",
    params(crate::http::api::openapi::IdempotencyKey),
    request_body = crate::service::cases::CaseInput,
    responses((status = 201, description = "已登记（或同键的首次结果）· filed (or what the first request with this key filed)", body = crate::http::api::openapi::CaseView))
)]
pub async fn file_case(State(app): State<App>, caller: Caller, headers: HeaderMap, body: Bytes) -> Result<Response> {
    crate::http::extract::require_json(&headers)?;
    let key = crate::http::idempotency::idempotency_key(&headers)?;
    let input: CaseInput = crate::http::extract::parse_json(&body)?;
    let request_hash = crate::domain::audit::sha256_hex(&body);
    let (maps, now) = (app.maps(), app.now_s());
    let actor = std::sync::Arc::new(caller.actor);
    let filed = file_once(&app, actor.clone(), key, input, request_hash, now).await?;
    let body = match filed {
        Filed::New(filed) => cases::filed_view(&maps, &actor, &filed.0, &filed.1, &china_date(now))?,
        Filed::Earlier(number) => {
            app.store
                .read(move |c| {
                    let row = cases::load_readable(c, &maps, &actor, &number)?;
                    Ok(cases::view(c, &maps, &actor, &row, &china_date(now))?.to_string())
                })
                .await?
        }
    };
    Ok((StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Files a case once per `Idempotency-Key`: the checks that need no database
/// run off the writer, the rest inside one write. Shared by the JSON API and
/// the report page.
pub async fn file_once(
    app: &App,
    actor: std::sync::Arc<crate::service::accounts::Actor>,
    key: Option<String>,
    input: CaseInput,
    request_hash: String,
    now: i64,
) -> Result<Filed> {
    let maps = app.maps();
    let person = actor.person.id;
    // The writer is the bottleneck under load, so it does only what needs the
    // database: the idempotency lookup, the checks against stored data and the
    // inserts. The field and location checks run here first, and the answer
    // is rendered here after.
    let filed = match cases::check_fields(&maps, &actor, &input) {
        Err(refused) => {
            // A retry of a request that was filed gets its first answer even
            // if it would not pass now (the filer's scope may have changed).
            let Some(key) = key else { return Err(refused) };
            let number =
                app.store.read(move |c| earlier(cases::earlier_filing(c, person, &key)?, &request_hash)).await?;
            Filed::Earlier(number.ok_or(refused)?)
        }
        Ok(checked) => {
            let (maps, actor) = (maps.clone(), actor.clone());
            app.store
                .write(move |c| {
                    if let Some(key) = &key
                        && let Some(number) = earlier(cases::earlier_filing(c, person, key)?, &request_hash)?
                    {
                        return Ok(Filed::Earlier(number));
                    }
                    // Checked inside the write: what is checked is what is stored.
                    cases::check_stored(c, &actor, &checked)?;
                    let (row, entry) = cases::file_checked(c, &maps, person, checked.clone(), now)?;
                    if let Some(key) = &key {
                        cases::remember_filing(c, person, key, &request_hash, &row.number, &china_timestamp(now))?;
                    }
                    Ok(Filed::New(Box::new((row, entry))))
                })
                .await?
        }
    };
    Ok(filed)
}

/// `GET /api/v1/cases/{number}`: the case with its timeline and the viewer's actions.
#[utoipa::path(
    get,
    path = "/cases/{number}",
    tag = "cases",
    params(("number" = String, Path, description = "案件编号 · case number")),
    responses((status = 200, description = "案件、时间线与可做的操作 · the case, its timeline and the caller's actions", body = crate::http::api::openapi::CaseView))
)]
pub async fn show_case(State(app): State<App>, caller: Caller, Path(number): Path<String>) -> Result<Json<Value>> {
    let (maps, today) = (app.maps(), app.clock.today());
    let actor = caller.actor;
    let view = app
        .store
        .read(move |c| {
            let row = cases::load_readable(c, &maps, &actor, &number)?;
            cases::view(c, &maps, &actor, &row, &today)
        })
        .await?;
    Ok(Json(view))
}

/// `POST /api/v1/cases/{number}/actions` with `If-Match: "<version>"`.
#[utoipa::path(
    post,
    path = "/cases/{number}/actions",
    tag = "cases",
    params(("number" = String, Path, description = "案件编号 · case number"), crate::http::api::openapi::IfMatch),
    request_body = crate::service::cases::ActionInput,
    responses((status = 200, description = "操作后的案件 · the case after the action", body = crate::http::api::openapi::CaseView))
)]
pub async fn act_on_case(
    State(app): State<App>,
    caller: Caller,
    Path(number): Path<String>,
    headers: HeaderMap,
    JsonBody(input): JsonBody<ActionInput>,
) -> Result<Json<Value>> {
    let expected = crate::http::extract::if_match(&headers)?;
    let (maps, now) = (app.maps(), app.now_s());
    let actor = caller.actor;
    let view = app
        .store
        .write(move |c| {
            let row = cases::act(c, &maps, &actor, &number, &input, expected, now)?;
            cases::view(c, &maps, &actor, &row, &china_date(now))
        })
        .await?;
    Ok(Json(view))
}

/// Query of `GET /api/v1/cases` (and of the case list page and the ledger downloads).
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub grade: Option<String>,
    /// A grid code: cases in it or below.
    pub grid: Option<String>,
    pub enterprise: Option<i64>,
    pub reach: Option<String>,
    pub reporter: Option<i64>,
    pub overdue: Option<bool>,
    /// Under supervision (挂牌督办) or not.
    pub supervised: Option<bool>,
    /// Referred to the river police chief (涉河违法线索) or not.
    pub referred: Option<bool>,
    /// Filed on or after this date.
    pub from: Option<String>,
    /// Filed on or before this date.
    pub to: Option<String>,
    /// `below`: only cases in grids below the caller's own (the grid leader's escalation view).
    pub scope: Option<String>,
    /// Page size (default 50, at most 500).
    pub limit: Option<usize>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
}

/// `GET /api/v1/cases`: scoped, filtered, overdue first then newest, in keyset pages.
#[utoipa::path(
    get,
    path = "/cases",
    tag = "cases",
    params(CaseQuery),
    responses((status = 200, description = "案件（逾期在前，分页）· cases, overdue first, in pages", body = crate::http::api::openapi::CasePage))
)]
pub async fn list_cases(State(app): State<App>, caller: Caller, Query(q): Query<CaseQuery>) -> Result<Json<Value>> {
    let filter = q.filter()?;
    let (maps, actor, today) = (app.maps(), caller.actor, app.clock.today());
    let (items, next) = app
        .store
        .read(move |c| cases::list_page(c, &maps, &actor, &filter, q.after.as_deref(), q.limit.unwrap_or(50), &today))
        .await?;
    Ok(Json(json!({"items": items, "next": next})))
}

impl CaseQuery {
    /// The typed filter (pagination aside).
    pub fn filter(&self) -> Result<cases::CaseFilter> {
        let bad = |field: &str| {
            Error::invalid(field, format!("查询参数 {field} 无效"), format!("invalid query parameter {field}"))
        };
        Ok(cases::CaseFilter {
            status: self.status.as_deref().map(|s| Status::parse(s).ok_or_else(|| bad("status"))).transpose()?,
            kind: self.kind.as_deref().map(|s| Kind::parse(s).ok_or_else(|| bad("kind"))).transpose()?,
            grade: self.grade.as_deref().map(|s| Grade::parse(s).ok_or_else(|| bad("grade"))).transpose()?,
            grid: self.grid.clone(),
            enterprise: self.enterprise,
            reach: self.reach.clone(),
            reporter: self.reporter,
            overdue: self.overdue,
            supervised: self.supervised,
            referred: self.referred,
            from: self.from.as_deref().map(|d| people::date("from", d)).transpose()?,
            to: self.to.as_deref().map(|d| people::date("to", d)).transpose()?,
            below: match self.scope.as_deref() {
                None => false,
                Some("below") => true,
                Some(_) => return Err(bad("scope")),
            },
        })
    }
}

/// `GET /api/v1/ledger.csv`: the hazard ledger (UTF-8 with BOM), filtered
/// like the case list, streamed as it is read.
#[utoipa::path(
    get,
    path = "/ledger.csv",
    tag = "cases",
    params(CaseQuery),
    responses((status = 200, description = "隐患台账 CSV · the ledger as CSV", content_type = "text/csv", body = String))
)]
pub async fn ledger_csv(State(app): State<App>, caller: Caller, Query(q): Query<CaseQuery>) -> Result<Response> {
    let (maps, actor, filter, today) = ledger_request(&app, caller, &q)?;
    let body =
        download::body(&app.store, move |c, out| cases::csv_ledger(c, &maps, &actor, &filter, &today, out).map(drop));
    Ok(attachment(body, "text/csv; charset=utf-8", "ledger.csv"))
}

/// `GET /api/v1/ledger.xlsx`: the ledger plus a sheet of KPIs per village
/// over the period; the rows go to a temporary file as they are read
/// (constant memory), then the file is streamed.
#[utoipa::path(
    get,
    path = "/ledger.xlsx",
    tag = "cases",
    params(CaseQuery),
    responses((status = 200, description = "隐患台账 XLSX · the ledger as XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>))
)]
pub async fn ledger_xlsx(State(app): State<App>, caller: Caller, Query(q): Query<CaseQuery>) -> Result<Response> {
    let (maps, actor, filter, today) = ledger_request(&app, caller, &q)?;
    let body = download::body(&app.store, move |c, out| {
        let (file, _) = cases::xlsx_ledger(c, &maps, &actor, &filter, &today)?;
        let mut read = std::fs::File::open(file.path()).map_err(|e| Error::Internal(e.into()))?;
        std::io::copy(&mut read, out).map_err(|e| Error::Internal(e.into()))?;
        Ok(())
    });
    Ok(attachment(body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "ledger.xlsx"))
}

fn attachment(body: impl Into<axum::body::Body>, content_type: &'static str, name: &str) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    ([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], body.into())
        .into_response()
}

/// A ledger request's parts, its filter checked before the download starts
/// (a bad one is a 400, not a cut transfer).
fn ledger_request(
    app: &App,
    caller: Caller,
    q: &CaseQuery,
) -> Result<(std::sync::Arc<crate::spatial::Maps>, crate::service::accounts::Actor, cases::CaseFilter, String)> {
    let filter = q.filter()?;
    let (maps, actor, today) = (app.maps(), caller.actor, app.clock.today());
    cases::list_query(&maps, &actor, &filter)?;
    Ok((maps, actor, filter, today))
}

/// Query of `GET /api/v1/stats`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// First day of the period.
    from: String,
    /// Last day of the period.
    to: String,
    /// `grid` (default) or `person` (the reporter).
    by: Option<String>,
    /// With `by=grid`: `village` (default), `community` or `town`.
    level: Option<String>,
}

/// `GET /api/v1/stats?from=&to=&by=grid|person`: closure KPIs of the cases in the caller's scope.
#[utoipa::path(
    get,
    path = "/stats",
    tag = "cases",
    params(StatsQuery),
    responses((status = 200, description = "结案指标 · closure KPIs", body = Object))
)]
pub async fn show_stats(State(app): State<App>, caller: Caller, Query(q): Query<StatsQuery>) -> Result<Json<Value>> {
    use crate::domain::grid::GridLevel;
    let from = people::date("from", &q.from)?;
    let to = people::date("to", &q.to)?;
    let by_person = match q.by.as_deref() {
        None | Some("grid") => false,
        Some("person") => true,
        Some(_) => return Err(Error::invalid("by", "by 须为 grid 或 person", "by must be grid or person")),
    };
    let level = q.level.as_deref().map(GridLevel::parse).transpose()?.unwrap_or(GridLevel::Village);
    let by = if by_person { cases::StatsBy::Person } else { cases::StatsBy::Grid(level) };
    let stats = cases::stats_of(&app.store, app.maps(), std::sync::Arc::new(caller.actor), by, &from, &to).await?;
    Ok(Json(json!(stats)))
}

/// `POST /api/v1/categories`: the town office extends the taxonomy.
#[utoipa::path(
    post,
    path = "/categories",
    tag = "cases",
    params(crate::http::api::openapi::IdempotencyKey),
    request_body = crate::service::categories::NewCategory,
    responses((status = 201, description = "已添加 · added", body = Object))
)]
pub async fn create_category(
    State(app): State<App>,
    caller: Caller,
    Keyed { input, once }: Keyed<NewCategory>,
) -> Result<(StatusCode, Json<Value>)> {
    let scope = caller.actor.scope;
    // Checked before the write too, so a bad request is answered without queueing.
    categories::check(&scope, &input)?;
    once.create(&app, caller.actor.person.id, move |c| Ok(json!(categories::create(c, &scope, &input)?))).await
}

/// `PATCH /api/v1/categories/{code}`: rename or retire a category.
#[utoipa::path(
    patch,
    path = "/categories/{code}",
    tag = "cases",
    params(("code" = String, Path, description = "类别编码 · category code")),
    request_body = crate::service::categories::CategoryPatch,
    responses((status = 204, description = "已更新 · updated"))
)]
pub async fn update_category(
    State(app): State<App>,
    caller: Caller,
    Path(code): Path<String>,
    JsonBody(patch): JsonBody<CategoryPatch>,
) -> Result<StatusCode> {
    let scope = caller.actor.scope;
    app.store.write(move |c| categories::update(c, &scope, &code, &patch)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of `GET /api/v1/cases/nearby`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NearbyQuery {
    /// Longitude of the point about to be reported.
    lon: f64,
    /// Latitude.
    lat: f64,
    /// The category about to be reported.
    category: String,
}

/// How near an open case of the same category counts as a possible duplicate.
pub const DUPLICATE_RADIUS_M: f64 = 100.0;

/// `GET /api/v1/cases/nearby`: open cases of the category within
/// [`DUPLICATE_RADIUS_M`] of the point that the caller may read, nearest
/// first: possible duplicates, shown before a report is filed.
#[utoipa::path(
    get,
    path = "/cases/nearby",
    tag = "cases",
    params(NearbyQuery),
    responses((status = 200, description = "附近同类未结案件 · open cases of the category nearby", body = Object))
)]
pub async fn nearby_cases(State(app): State<App>, caller: Caller, Query(q): Query<NearbyQuery>) -> Result<Json<Value>> {
    let point = crate::domain::geo_point::Lonlat::parse(q.lon, q.lat)?;
    let (maps, actor) = (app.maps(), caller.actor);
    let found =
        app.store.read(move |c| cases::nearby_open(c, &maps, &actor, point, &q.category, DUPLICATE_RADIUS_M)).await?;
    let items: Vec<Value> = found
        .into_iter()
        .map(|(c, d)| json!({"number": c.number, "title": c.title, "status": c.status, "distance_m": d.round()}))
        .collect();
    Ok(Json(json!({"items": items})))
}
