//! Grids, rivers, reaches and locate: read-only views of the in-memory [`Maps`].

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::App;
use crate::domain::geo_point::Lonlat;
use crate::domain::grid::GridLevel;
use crate::error::{Error, Result};
use crate::http::extract::{Path, Query};
use crate::spatial::features::{GridFeature, RiverFeature, area_geometry, line_geometry};
use crate::spatial::reach::length_m;
use crate::spatial::validate::area_m2;
use crate::spatial::{Located, Maps};

/// Query of `GET /api/v1/grids`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GridsQuery {
    /// `town`, `community` or `village`; all levels when absent.
    level: Option<String>,
}

fn grid_json(maps: &Maps, feature: &GridFeature) -> Value {
    let grid = &feature.grid;
    let children: Vec<&str> = maps
        .grids()
        .iter()
        .filter(|g| g.grid.parent.as_ref() == Some(&grid.code))
        .map(|g| g.grid.code.as_str())
        .collect();
    json!({
        "type": "Feature",
        "id": grid.code,
        "geometry": area_geometry(&feature.shape),
        "properties": {
            "code": grid.code,
            "name": grid.name,
            "level": grid.level,
            "parent": grid.parent,
            "stat_code": grid.stat_code,
            "area_km2": (area_m2(&feature.shape) / 1e4).round() / 100.0,
            "chain": maps.chain(grid.code.as_str()),
            "children": children,
        }
    })
}

/// `GET /api/v1/grids?level=`: the grids as a GeoJSON FeatureCollection.
#[utoipa::path(
    get,
    path = "/grids",
    tag = "geography",
    security(()),
    params(GridsQuery),
    responses((status = 200, description = "网格（GeoJSON）· the grids as GeoJSON", content_type = "application/json", body = crate::http::api::openapi::FeatureCollection))
)]
pub async fn list_grids(State(app): State<App>, Query(query): Query<GridsQuery>) -> Result<Json<Value>> {
    let level = query.level.as_deref().map(GridLevel::parse).transpose()?;
    let maps = app.maps();
    let features: Vec<Value> =
        maps.grids().iter().filter(|g| level.is_none_or(|l| g.grid.level == l)).map(|g| grid_json(&maps, g)).collect();
    Ok(Json(json!({"type": "FeatureCollection", "features": features})))
}

/// `GET /api/v1/grids/{code}`: one grid as a GeoJSON Feature.
#[utoipa::path(
    get,
    path = "/grids/{code}",
    tag = "geography",
    security(()),
    params(("code" = String, Path, description = "网格编码 · grid code")),
    responses((status = 200, description = "一个网格 · one grid", body = crate::http::api::openapi::Feature))
)]
pub async fn show_grid(State(app): State<App>, Path(code): Path<String>) -> Result<Json<Value>> {
    let maps = app.maps();
    let feature = maps
        .grid(&code)
        .ok_or_else(|| Error::not_found(format!("没有编码为 {code} 的网格"), format!("no grid with code {code}")))?;
    Ok(Json(grid_json(&maps, feature)))
}

/// Query of `GET /api/v1/locate`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LocateQuery {
    lon: Option<String>,
    lat: Option<String>,
}

/// `GET /api/v1/locate?lon=&lat=`: village → community → town of a point.
#[utoipa::path(
    get,
    path = "/locate",
    tag = "geography",
    security(()),
    params(LocateQuery),
    responses((status = 200, description = "所在网格与河段 · the grids and reach at the point", body = Object))
)]
pub async fn locate_point(State(app): State<App>, Query(query): Query<LocateQuery>) -> Result<Json<Located>> {
    let missing = |field: &str| {
        Error::invalid(field, format!("缺少查询参数 {field}"), format!("query parameter {field} is required"))
    };
    let lon = query.lon.ok_or_else(|| missing("lon"))?;
    let lat = query.lat.ok_or_else(|| missing("lat"))?;
    let point = Lonlat::parse_text(&lon, &lat)?;
    Ok(Json(app.maps().locate(point)?.clone()))
}

fn river_props(maps: &Maps, river: &RiverFeature) -> Value {
    let code = river.river.code.as_str();
    let in_town: f64 = maps.reaches_of(code).map(|r| r.length_m).sum();
    json!({
        "code": code,
        "name": river.river.name,
        "length_m": in_town.round(),
        "total_length_m": length_m(&river.line).round(),
        "reach_count": maps.reaches_of(code).count(),
    })
}

/// `GET /api/v1/rivers`: the rivers as a GeoJSON FeatureCollection.
#[utoipa::path(
    get,
    path = "/rivers",
    tag = "geography",
    security(()),
    responses((status = 200, description = "河流（GeoJSON）· the rivers as GeoJSON", body = crate::http::api::openapi::FeatureCollection))
)]
pub async fn list_rivers(State(app): State<App>) -> Json<Value> {
    let maps = app.maps();
    let features: Vec<Value> = maps
        .rivers()
        .iter()
        .map(|r| {
            json!({
                "type": "Feature",
                "id": r.river.code,
                "geometry": line_geometry(&r.line),
                "properties": river_props(&maps, r),
            })
        })
        .collect();
    Json(json!({"type": "FeatureCollection", "features": features}))
}

/// `GET /api/v1/rivers/{code}`: one river with its reaches (a FeatureCollection), each
/// with its chiefs, and the river's chiefs in force today (name, level, reaches).
#[utoipa::path(
    get,
    path = "/rivers/{code}",
    tag = "geography",
    security(()),
    params(("code" = String, Path, description = "河流编码 · river code")),
    responses((status = 200, description = "河流、河段与河长 · the river, its reaches and chiefs", body = Object))
)]
pub async fn show_river(State(app): State<App>, Path(code): Path<String>) -> Result<Json<Value>> {
    let maps = app.maps();
    let river = maps
        .river(&code)
        .ok_or_else(|| Error::not_found(format!("没有编码为 {code} 的河流"), format!("no river with code {code}")))?;
    let (today, m, river_code) = (app.clock.today(), maps.clone(), code.clone());
    let chiefs = app.store.read(move |c| crate::service::patrols::river_chiefs(c, &m, &river_code, &today)).await?;
    let reaches: Vec<Value> = maps
        .reaches_of(&code)
        .map(|reach| {
            json!({
                "type": "Feature",
                "id": reach.code,
                "geometry": line_geometry(&reach.line),
                "properties": {
                    "code": reach.code,
                    "river_code": reach.river,
                    "grid_code": reach.grid,
                    "grid_name": maps.grid(reach.grid.as_str()).map(|g| g.grid.name.as_str()),
                    "chain": maps.chain(reach.grid.as_str()),
                    "length_m": (reach.length_m * 10.0).round() / 10.0,
                    "chiefs": chiefs.iter().filter(|c| c.reaches.contains(&reach.code)).map(|c| &c.name).collect::<Vec<_>>(),
                }
            })
        })
        .collect();
    let mut body = river_props(&maps, river);
    body["geometry"] = json!(line_geometry(&river.line));
    body["reaches"] = json!({"type": "FeatureCollection", "features": reaches});
    // The names the public 河长公示牌 shows: each chief with their level and reaches.
    body["chiefs"] = json!(chiefs);
    Ok(Json(body))
}
