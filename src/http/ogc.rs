//! OGC API – Features under `/ogc` (SPEC §9): the routes and their media
//! types. The documents, the parameters and who sees what are
//! `service::ogc`'s; this module resolves the caller (a bearer token, as GDAL
//! sends it through `GDAL_HTTP_HEADERS`), the address links start from, and
//! writes the answers. Errors keep the JSON API's shape.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

use crate::app::App;
use crate::error::{Error, Result};
use crate::http::auth::Caller;
use crate::service::ogc::{self, Collection, ItemsQuery};

/// Routes under `/ogc`.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(show_landing))
        .route("/api", get(show_api))
        .route("/conformance", get(show_conformance))
        .route("/collections", get(list_collections))
        .route("/collections/{id}", get(show_collection))
        .route("/collections/{id}/items", get(list_items))
        .route("/collections/{id}/items/{fid}", get(show_item))
}

/// A JSON body with its media type.
fn answer(kind: &'static str, body: &Value) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static(kind))], body.to_string()).into_response()
}

/// Where links start: the configured public address, else the `Host` the
/// client used (checked to be a plain host and port).
fn base_url(app: &App, headers: &HeaderMap) -> String {
    if let Some(url) = app.ui.public_url.as_deref() {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// The query string's pairs, percent-decoded.
fn pairs(query: Option<&str>) -> Result<Vec<(String, String)>> {
    serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|_| Error::invalid("query", "查询字符串无法解析", "the query string cannot be parsed"))
}

/// The caller a collection needs: a session for enterprises, cases and
/// patrols (401 without one), nobody for the geography.
fn actor_for(c: Collection, caller: Result<Caller>) -> Result<Option<crate::service::accounts::Actor>> {
    match caller {
        Ok(caller) => Ok(Some(caller.actor)),
        Err(e) if c.needs_session() => Err(e),
        Err(_) => Ok(None),
    }
}

/// `GET /ogc` and `GET /ogc/` (OWSLib asks with the slash; a nested
/// router's `/` matches only `/ogc`, so the router routes `/ogc/` here too):
/// the landing page.
pub async fn show_landing(State(app): State<App>, headers: HeaderMap, RawQuery(q): RawQuery) -> Result<Response> {
    ogc::check_no_parameters(&pairs(q.as_deref())?)?;
    Ok(answer(ogc::JSON, &ogc::landing(&base_url(&app, &headers))))
}

/// `GET /ogc/api`: the OpenAPI 3.0 definition of `/ogc`.
pub async fn show_api(State(app): State<App>, headers: HeaderMap, RawQuery(q): RawQuery) -> Result<Response> {
    ogc::check_no_parameters(&pairs(q.as_deref())?)?;
    Ok(answer(ogc::OPENAPI_30, &ogc::openapi(&base_url(&app, &headers))))
}

/// `GET /ogc/conformance`: the conformance classes.
pub async fn show_conformance(RawQuery(q): RawQuery) -> Result<Response> {
    ogc::check_no_parameters(&pairs(q.as_deref())?)?;
    Ok(answer(ogc::JSON, &ogc::conformance()))
}

/// `GET /ogc/collections`: the six collections with their extents.
pub async fn list_collections(State(app): State<App>, headers: HeaderMap, RawQuery(q): RawQuery) -> Result<Response> {
    ogc::check_no_parameters(&pairs(q.as_deref())?)?;
    let (maps, base) = (app.maps(), base_url(&app, &headers));
    let body = app.store.read(move |c| ogc::collections(c, &maps, &base)).await?;
    Ok(answer(ogc::JSON, &body))
}

/// `GET /ogc/collections/{id}`: one collection.
pub async fn show_collection(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response> {
    let collection = Collection::parse(&id)?;
    ogc::check_no_parameters(&pairs(q.as_deref())?)?;
    let (maps, base) = (app.maps(), base_url(&app, &headers));
    let body = app.store.read(move |c| ogc::collection(c, &maps, &base, collection)).await?;
    Ok(answer(ogc::JSON, &body))
}

/// `GET /ogc/collections/{id}/items?limit=&bbox=&datetime=&after=`: a page of
/// features as GeoJSON, with `self`, `collection` and `next` links.
pub async fn list_items(
    State(app): State<App>,
    headers: HeaderMap,
    caller: Result<Caller>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response> {
    let collection = Collection::parse(&id)?;
    let actor = actor_for(collection, caller)?;
    let query = ItemsQuery::parse(&pairs(q.as_deref())?)?;
    let (maps, base, today, now) = (app.maps(), base_url(&app, &headers), app.clock.today(), app.now_s());
    let body = app
        .store
        .read(move |c| {
            let page = ogc::items(c, &maps, actor.as_ref(), collection, &query, &today)?;
            Ok(ogc::items_document(&base, collection, &query, page, now))
        })
        .await?;
    Ok(answer(ogc::GEOJSON, &body))
}

/// `GET /ogc/collections/{id}/items/{fid}`: one feature (404 outside the reader's scope).
pub async fn show_item(
    State(app): State<App>,
    headers: HeaderMap,
    caller: Result<Caller>,
    Path((id, fid)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response> {
    let collection = Collection::parse(&id)?;
    let actor = actor_for(collection, caller)?;
    ogc::check_no_parameters(&pairs(q.as_deref())?)?;
    let (maps, base, today) = (app.maps(), base_url(&app, &headers), app.clock.today());
    let body = app.store.read(move |c| ogc::item(c, &maps, actor.as_ref(), collection, &fid, &base, &today)).await?;
    Ok(answer(ogc::GEOJSON, &body))
}
