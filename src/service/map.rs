//! The map of everything (UI.md "The map"): what a signed-in person sees over
//! the town's grids and rivers, in their scope: open cases aggregated by zoom,
//! enterprises, and the patrol tracks of a month.
//!
//! Scope is never decided here. Cases come through [`cases::select`] (the
//! case list's scope and filters), enterprises through
//! [`enterprises::list_readable`], tracks through [`patrols::readable_rows`]
//! (PIPL Art. 28: the chief, those above and the office). This module narrows
//! by the view, aggregates and shapes the answer.

use std::collections::HashMap;

use geo::Simplify;
use rusqlite::Connection;
use serde::Serialize;

use crate::domain::case::{Grade, Status};
use crate::error::{Error, Result};
use crate::service::accounts::Actor;
use crate::service::cases::{self, CaseFilter, CaseRow};
use crate::service::{enterprises, patrols};
use crate::spatial::Maps;

/// Below this zoom the cases always come as clusters.
pub const CLUSTER_BELOW_ZOOM: u8 = 15;
/// From this zoom on the cases always come as points (at most [`MAX_POINTS`]):
/// clusters this close cannot be split by zooming any further.
pub const POINTS_FROM_ZOOM: u8 = 18;
/// More cases than this in view come as clusters whatever the zoom.
pub const MAX_POINTS: usize = 2000;
/// At most this many clusters in one answer: the cell grows until they fit.
pub const MAX_CLUSTERS: usize = 3000;
/// The side of a cluster cell on screen, in CSS pixels.
pub const CELL_PX: f64 = 64.0;
/// Highest zoom accepted (Leaflet's usual maximum is 19).
pub const MAX_ZOOM: u8 = 22;
/// Tolerance of the simplified patrol tracks on the map, in degrees (about 3 m).
pub const TRACK_TOLERANCE_DEG: f64 = 0.000_03;

/// A view: `[west, south, east, north]` in degrees (WGS 84) and a zoom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    /// `[west, south, east, north]`.
    pub bbox: [f64; 4],
    /// Web-map zoom level.
    pub zoom: u8,
}

impl View {
    /// Parses `bbox=west,south,east,north` and `zoom` as a map sends them.
    pub fn parse(bbox: &str, zoom: u8) -> Result<Self> {
        let bad = || {
            Error::invalid(
                "bbox",
                "bbox 须为 西,南,东,北 四个经纬度（度）",
                "bbox must be west,south,east,north in degrees",
            )
        };
        let parts: Vec<f64> =
            bbox.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| bad())?;
        let [w, s, e, n] = <[f64; 4]>::try_from(parts).map_err(|_| bad())?;
        let inside = |v: f64, limit: f64| v.is_finite() && v.abs() <= limit;
        if !(inside(w, 180.0) && inside(e, 180.0) && inside(s, 90.0) && inside(n, 90.0)) || w > e || s > n {
            return Err(bad());
        }
        if zoom > MAX_ZOOM {
            return Err(Error::invalid(
                "zoom",
                format!("zoom 须在 0 至 {MAX_ZOOM} 之间"),
                format!("zoom must be between 0 and {MAX_ZOOM}"),
            ));
        }
        Ok(Self { bbox: [w, s, e, n], zoom })
    }
}

/// One open case on the map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapCase {
    /// Case number: the click opens `/cases/{number}`.
    pub number: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Status (an open one).
    pub status: String,
    /// `safety`, `environment` or `river`.
    pub kind: String,
    /// `general` or `major` (drawn larger).
    pub grade: String,
    /// Past its deadline (a red ring).
    pub overdue: bool,
    /// Short title, for the tooltip.
    pub title: String,
}

/// Open cases close together on screen, drawn as one marker.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// Mean longitude of its cases.
    pub lon: f64,
    /// Mean latitude of its cases.
    pub lat: f64,
    /// How many cases.
    pub count: usize,
    /// The least advanced state among them (see [`worst_first`]).
    pub worst: &'static str,
    /// How many are overdue.
    pub overdue: usize,
    /// How many are major hazards.
    pub major: usize,
    /// `[west, south, east, north]` of its cases: a click zooms there.
    pub bbox: [f64; 4],
}

/// The open cases of a view: clusters, single cases, or both (a cell holding
/// one case answers the case itself).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapCases {
    /// `clusters` or `points`.
    pub mode: &'static str,
    /// The zoom answered.
    pub zoom: u8,
    /// Open cases in view that pass the filter: the clusters' counts plus the single cases, unless truncated.
    pub total: usize,
    /// Points mode dropped cases past [`MAX_POINTS`] (overdue and newest are kept).
    pub truncated: bool,
    /// The clusters (cluster mode).
    pub clusters: Vec<Cluster>,
    /// The single cases.
    pub cases: Vec<MapCase>,
}

/// The open states from the least advanced (nothing done yet) to the most:
/// a cluster shows the first one any of its cases is in.
pub fn worst_first() -> [Status; 4] {
    [Status::Reported, Status::Registered, Status::Dispatched, Status::Submitted]
}

fn rank(status: &str) -> usize {
    worst_first().iter().position(|s| s.as_str() == status).unwrap_or(0)
}

/// Web Mercator pixel coordinates of a point at `zoom` (256-pixel tiles).
fn pixel(lon: f64, lat: f64, zoom: u8) -> (f64, f64) {
    let scale = 256.0 * f64::from(1u32 << zoom.min(30));
    let sin = lat.to_radians().sin().clamp(-0.9999, 0.9999);
    let x = (lon + 180.0) / 360.0 * scale;
    let y = (0.5 - ((1.0 + sin) / (1.0 - sin)).ln() / (4.0 * std::f64::consts::PI)) * scale;
    (x, y)
}

fn map_case(c: &CaseRow, today: &str) -> MapCase {
    MapCase {
        number: c.number.clone(),
        lon: c.lon,
        lat: c.lat,
        status: c.status.clone(),
        kind: c.kind.clone(),
        grade: c.grade.clone(),
        overdue: cases::is_overdue(c, today),
        title: c.title.clone(),
    }
}

/// A cluster being summed up.
struct Acc {
    first: usize,
    count: usize,
    lon: f64,
    lat: f64,
    worst: usize,
    overdue: usize,
    major: usize,
    bbox: [f64; 4],
}

/// Sums `rows` into square cells of `cell_px` screen pixels at `zoom`, in the
/// order of their first case.
fn cells(rows: &[CaseRow], zoom: u8, cell_px: f64, today: &str) -> Vec<Acc> {
    let mut index: HashMap<(i64, i64), usize> = HashMap::new();
    let mut out: Vec<Acc> = Vec::new();
    for (i, c) in rows.iter().enumerate() {
        let (x, y) = pixel(c.lon, c.lat, zoom);
        let key = ((x / cell_px).floor() as i64, (y / cell_px).floor() as i64);
        let at = *index.entry(key).or_insert_with(|| {
            out.push(Acc {
                first: i,
                count: 0,
                lon: 0.0,
                lat: 0.0,
                worst: usize::MAX,
                overdue: 0,
                major: 0,
                bbox: [c.lon, c.lat, c.lon, c.lat],
            });
            out.len() - 1
        });
        let a = &mut out[at];
        a.count += 1;
        a.lon += c.lon;
        a.lat += c.lat;
        a.worst = a.worst.min(rank(&c.status));
        a.overdue += usize::from(cases::is_overdue(c, today));
        a.major += usize::from(c.grade == Grade::Major.as_str());
        a.bbox = [a.bbox[0].min(c.lon), a.bbox[1].min(c.lat), a.bbox[2].max(c.lon), a.bbox[3].max(c.lat)];
    }
    out
}

/// Clusters `rows` at `zoom`: cells of [`CELL_PX`], doubled until at most
/// [`MAX_CLUSTERS`] remain; a cell of one case answers the case itself.
pub fn cluster(rows: &[CaseRow], zoom: u8, today: &str) -> (Vec<Cluster>, Vec<MapCase>) {
    let mut cell_px = CELL_PX;
    let mut acc = cells(rows, zoom, cell_px, today);
    while acc.len() > MAX_CLUSTERS {
        cell_px *= 2.0;
        acc = cells(rows, zoom, cell_px, today);
    }
    let (mut clusters, mut single) = (Vec::new(), Vec::new());
    for a in acc {
        if a.count == 1 {
            single.push(map_case(&rows[a.first], today));
        } else {
            let n = a.count as f64;
            clusters.push(Cluster {
                lon: a.lon / n,
                lat: a.lat / n,
                count: a.count,
                worst: worst_first().get(a.worst).copied().unwrap_or(Status::Reported).as_str(),
                overdue: a.overdue,
                major: a.major,
                bbox: a.bbox,
            });
        }
    }
    (clusters, single)
}

/// The open cases `actor` may read in `view` that pass `filter` (the case
/// list's own scope and filters, [`cases::open_in_view`]): clusters below
/// [`CLUSTER_BELOW_ZOOM`] or past [`MAX_POINTS`], single cases otherwise.
pub fn cases_in_view(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    view: View,
    filter: &CaseFilter,
    today: &str,
) -> Result<MapCases> {
    if filter.status.is_some_and(|s| !s.is_open()) {
        return Err(Error::invalid(
            "status",
            "地图只显示未结案件：状态须为 reported、registered、dispatched 或 submitted",
            "the map shows open cases only: status must be reported, registered, dispatched or submitted",
        ));
    }
    let rows = cases::open_in_view(conn, maps, actor, filter, view.bbox, today)?;
    let total = rows.len();
    let points = view.zoom >= POINTS_FROM_ZOOM || (view.zoom >= CLUSTER_BELOW_ZOOM && total <= MAX_POINTS);
    if points {
        // The list's order, overdue first, then newest: those are kept.
        let cases: Vec<MapCase> = rows.iter().take(MAX_POINTS).map(|c| map_case(c, today)).collect();
        return Ok(MapCases {
            mode: "points",
            zoom: view.zoom,
            total,
            truncated: total > MAX_POINTS,
            clusters: Vec::new(),
            cases,
        });
    }
    let (clusters, cases) = cluster(&rows, view.zoom, today);
    Ok(MapCases { mode: "clusters", zoom: view.zoom, total, truncated: false, clusters, cases })
}

/// An enterprise on the map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapEnterprise {
    /// Row id: the popup links its cases, `/cases?enterprise={id}`.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// 重点企业.
    pub key: bool,
}

/// The enterprises in `actor`'s scope, for the map: where and what, no contacts.
pub fn enterprises(conn: &Connection, maps: &Maps, actor: &Actor) -> Result<Vec<MapEnterprise>> {
    let list = enterprises::list_readable(conn, maps, &actor.scope, &enterprises::EnterpriseFilter::default())?;
    Ok(list
        .into_iter()
        .map(|e| MapEnterprise { id: e.id, name: e.name, address: e.address, lon: e.lon, lat: e.lat, key: e.key })
        .collect())
}

/// A patrol track on the map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapTrack {
    /// Log code: a click opens `/patrols/{code}`.
    pub code: String,
    /// River code.
    pub river_code: String,
    /// River name.
    pub river_name: String,
    /// Day of the patrol (China time).
    pub date: String,
    /// Geodesic length.
    pub distance_m: f64,
    /// Whether the log counts.
    pub valid: bool,
    /// `pending`, `approved` or `returned`.
    pub review_status: String,
    /// The track, simplified to [`TRACK_TOLERANCE_DEG`], as `[lon, lat]` pairs.
    pub line: Vec<[f64; 2]>,
}

/// The patrol tracks of `month` (`YYYY-MM`) that `actor` may read, simplified for drawing.
pub fn tracks(conn: &Connection, maps: &Maps, actor: &Actor, month: &str) -> Result<Vec<MapTrack>> {
    let valid_month = month.len() == 7
        && month.as_bytes()[4] == b'-'
        && month[..4].bytes().all(|b| b.is_ascii_digit())
        && month[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
    if !valid_month {
        return Err(Error::invalid("month", "月份须为 YYYY-MM", "month must be YYYY-MM"));
    }
    let round = |v: f64| (v * 1e6).round() / 1e6;
    Ok(patrols::readable_rows(conn, maps, actor, None, Some(month))?
        .into_iter()
        .map(|p| {
            let line = patrols::stored_line(&p.track).simplify(TRACK_TOLERANCE_DEG);
            MapTrack {
                river_name: maps.river(&p.river_code).map_or_else(|| p.river_code.clone(), |r| r.river.name.clone()),
                date: crate::domain::time::china_date(p.started_s),
                line: line.0.iter().map(|c| [round(c.x), round(c.y)]).collect(),
                code: p.code,
                river_code: p.river_code,
                distance_m: p.distance_m.round(),
                valid: p.valid,
                review_status: p.review_status,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bbox_must_have_four_ordered_degrees() {
        assert!(View::parse("115.1,35.1,115.4,35.3", 12).is_ok());
        for bad in ["", "1,2,3", "1,2,3,4,5", "a,b,c,d", "10,0,5,1", "0,10,1,5", "0,0,190,1", "NaN,0,1,1"] {
            assert!(View::parse(bad, 12).is_err(), "{bad:?} accepted");
        }
        assert!(View::parse("0,0,1,1", MAX_ZOOM + 1).is_err());
    }

    #[test]
    fn pixels_double_with_each_zoom_level() {
        let (x1, y1) = pixel(115.2, 35.2, 10);
        let (x2, y2) = pixel(115.2, 35.2, 11);
        assert!((x2 - 2.0 * x1).abs() < 1e-6 && (y2 - 2.0 * y1).abs() < 1e-6);
        assert!((pixel(0.0, 0.0, 0).0 - 128.0).abs() < 1e-9);
    }
}
