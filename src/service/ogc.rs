//! OGC API – Features Part 1 (Core, GeoJSON, OpenAPI 3.0) under `/ogc`
//! (SPEC §9): the landing page, the conformance classes, the OpenAPI 3.0
//! document of this part, and six collections (`grids`, `rivers`, `reaches`,
//! `enterprises`, `cases`, `patrols`) with their items as GeoJSON.
//!
//! This module owns the standard's shapes (links, extents, paging, the
//! `limit`/`bbox`/`datetime`/`after` parameters) and nothing else: who may
//! read what is decided where the JSON API decides it. The geography is
//! public; enterprises come through [`enterprises::list_query`], cases
//! through [`cases::list_query`] (the case list's own scope and keyset pages
//! over its indexes), patrols through [`patrols::readable_terms`] and tracks
//! only where [`patrols::readable`] says so (PIPL Art. 28). A page never
//! reads the cases table from the top: a `bbox` becomes the village grids it
//! touches, a `datetime` the days it spans, and `numberMatched` is counted
//! only up to [`MATCHED_UP_TO`].

use std::collections::{BTreeMap, HashMap};

use geo::{BoundingRect, Intersects, Rect, coord};
use geojson::GeometryValue;
use rusqlite::Connection;
use serde_json::{Map, Value, json};

use crate::domain::case::Status;
use crate::domain::grid::GridLevel;
use crate::domain::time::{CHINA_OFFSET_S, china_date, china_timestamp, parse_date};
use crate::error::{Error, Result};
use crate::service::accounts::Actor;
use crate::service::cases::{self, CaseFilter, CaseRow};
use crate::service::enterprises::{self, EnterpriseFilter};
use crate::service::patrols;
use crate::spatial::Maps;
use crate::spatial::track_input::parse_rfc3339;
use crate::store::case_query::{self, Cursor, Query, Term};
use crate::store::enterprise_query::{self, EnterpriseCursor};
use crate::store::enterprises::Enterprise;
use crate::store::patrols::{self as patrol_store, PatrolCursor, PatrolRow};

/// Items per page when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 100;
/// Most items per page; a larger `limit` is clamped to it, not refused
/// (GDAL asks for 1,000, other clients for more).
pub const MAX_LIMIT: usize = 10_000;
/// `numberMatched` of cases is given when the index ranges a page reads (the
/// box's grids, the interval's days, the reader's scope) hold at most this
/// many cases, of patrols when the matches number at most this many, and
/// left out above (the standard allows it): counting ten million cases for
/// every first page would cost seconds.
pub const MATCHED_UP_TO: usize = 100_000;
/// Most patrol logs one page reads to test their tracks against a `bbox`
/// when the track index cannot narrow them (a wide box).
pub const MAX_TRACKS_SCANNED: usize = 20_000;
/// A `bbox` of at most this many track-index cells (about 200 m square
/// each: some 9 km by 11 km) finds its patrol logs through the index.
const MAX_BOX_CELLS: i64 = 2_500;
/// Most logs the track index may name for one box before the page reads
/// the logs in order instead.
const MAX_BOX_LOGS: usize = 20_000;
/// The only coordinate reference system served: WGS 84 longitude, latitude.
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// The calendar of the temporal extents.
pub const GREGORIAN: &str = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian";
/// The conformance classes implemented.
pub const CONFORMANCE: [&str; 3] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
];
/// Media type of the items.
pub const GEOJSON: &str = "application/geo+json";
/// Media type of the other documents.
pub const JSON: &str = "application/json";
/// Media type of the API definition, as OGC clients ask for it.
pub const OPENAPI_30: &str = "application/vnd.oai.openapi+json;version=3.0";

/// Past this many village grids in a `bbox`, cases are read by day or
/// by id with the box as a condition, not grid by grid.
const MANY_GRIDS: usize = 256;

/// A collection served under `/ogc/collections`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    /// The grid tree (镇, 社区, 村), public.
    Grids,
    /// The rivers, public.
    Rivers,
    /// The reaches (河段), public.
    Reaches,
    /// Enterprises in the reader's scope.
    Enterprises,
    /// Cases (隐患) in the reader's scope.
    Cases,
    /// Patrol logs (巡河日志) the reader may read.
    Patrols,
}

impl Collection {
    /// Every collection, in the order listed.
    pub const ALL: [Self; 6] =
        [Self::Grids, Self::Rivers, Self::Reaches, Self::Enterprises, Self::Cases, Self::Patrols];

    /// The collection id in URLs.
    pub fn id(self) -> &'static str {
        match self {
            Self::Grids => "grids",
            Self::Rivers => "rivers",
            Self::Reaches => "reaches",
            Self::Enterprises => "enterprises",
            Self::Cases => "cases",
            Self::Patrols => "patrols",
        }
    }

    /// The collection of an id, or a 404.
    pub fn parse(id: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|c| c.id() == id).ok_or_else(|| {
            Error::not_found(
                format!("没有集合 {id}；可用的集合：{}", Self::ids().join("、")),
                format!("no collection {id}; the collections are {}", Self::ids().join(", ")),
            )
        })
    }

    fn ids() -> Vec<&'static str> {
        Self::ALL.iter().map(|c| c.id()).collect()
    }

    /// The title, Chinese first as the town reads it.
    pub fn title(self) -> &'static str {
        match self {
            Self::Grids => "网格（镇、社区、村）",
            Self::Rivers => "河流",
            Self::Reaches => "河段",
            Self::Enterprises => "企业",
            Self::Cases => "隐患",
            Self::Patrols => "巡河日志",
        }
    }

    /// What the collection holds and who sees it.
    pub fn description(self) -> &'static str {
        match self {
            Self::Grids => {
                "网格化管理的三级网格：镇、社区（管理区）、村，公开。The grid tree: town, communities, villages; public."
            }
            Self::Rivers => "河长制管理的河流，公开。The rivers under the river-chief system; public.",
            Self::Reaches => {
                "河流按村切分的河段及长度（米），公开。Each river cut by the villages into reaches, with their length in metres; public."
            }
            Self::Enterprises => {
                "职责范围内的企业及经营场所，须登录。Enterprises and premises in the reader's scope; needs a session."
            }
            Self::Cases => {
                "职责范围内的隐患，时间为上报时间，须登录。The cases (hazards) in the reader's scope; datetime is when reported; needs a session."
            }
            Self::Patrols => {
                "可查看的巡河日志及轨迹，时间为开始巡河时间，须登录。The patrol logs (with their tracks) the reader may read; datetime is the start of the walk; needs a session."
            }
        }
    }

    /// Whether reading the items needs a session (the JSON API's own rule).
    pub fn needs_session(self) -> bool {
        matches!(self, Self::Enterprises | Self::Cases | Self::Patrols)
    }
}

/// A `datetime` parameter as Unix seconds, both ends inclusive; `None` is an open end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// From (inclusive).
    pub start: Option<i64>,
    /// To (inclusive).
    pub end: Option<i64>,
}

/// Which end of an interval a date or date-time bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Start,
    End,
}

impl Interval {
    /// Parses an RFC 3339 instant (`2026-11-18T11:06:40Z`), a date (a whole
    /// day in China time) or an interval `a/b` whose ends may be open (`..`
    /// or empty), as OGC API – Features Part 1 allows.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                "datetime",
                format!(
                    "datetime 须为 RFC 3339 时刻（如 2026-11-18T11:06:40Z）或区间 a/b（一端可为 ..），收到 “{text}”"
                ),
                format!(
                    "datetime must be an RFC 3339 instant (e.g. 2026-11-18T11:06:40Z) or an interval a/b \
                     (one end may be ..), got \"{text}\""
                ),
            )
        };
        let interval = match text.split_once('/') {
            None => Self {
                start: Some(bound(text, End::Start).ok_or_else(bad)?),
                end: Some(bound(text, End::End).ok_or_else(bad)?),
            },
            Some((a, b)) => {
                let open = |s: &str| s.is_empty() || s == "..";
                if (open(a) && open(b)) || b.contains('/') {
                    return Err(bad());
                }
                let start = if open(a) { None } else { Some(bound(a, End::Start).ok_or_else(bad)?) };
                let end = if open(b) { None } else { Some(bound(b, End::End).ok_or_else(bad)?) };
                if let (Some(s), Some(e)) = (start, end) {
                    // Compared by whole seconds as given: `a/a` is one instant, never refused.
                    if floor_s(a).unwrap_or(s) > e {
                        return Err(Error::invalid(
                            "datetime",
                            format!("datetime 区间的起点晚于终点：“{text}”"),
                            format!("the datetime interval starts after it ends: \"{text}\""),
                        ));
                    }
                }
                Self { start, end }
            }
        };
        Ok(interval)
    }

    /// The instants as `reported_at` stores them (`YYYY-MM-DDTHH:MM:SS+08:00`).
    fn china_bounds(self) -> (Option<String>, Option<String>) {
        (self.start.map(china_timestamp), self.end.map(china_timestamp))
    }
}

/// The whole seconds of a date-time, or of the start of a date's China day.
fn floor_s(text: &str) -> Option<i64> {
    parse_rfc3339(text).or_else(|| day_start(text))
}

/// The first second of a date in China time.
fn day_start(text: &str) -> Option<i64> {
    if text.len() != 10 {
        return None;
    }
    let day = parse_date(text)?;
    // parse_date accepts any numbers; only a real date round-trips.
    (crate::domain::time::format_date(day) == text).then_some(day * 86_400 - CHINA_OFFSET_S)
}

/// One end of an interval: a date-time (a start with a fraction of a second
/// rounds up, an end rounds down: cases are filed to the second) or a date
/// (its first second for a start, its last for an end).
fn bound(text: &str, end: End) -> Option<i64> {
    if let Some(s) = parse_rfc3339(text) {
        let fraction = text.get(19..).is_some_and(|rest| {
            rest.strip_prefix('.').is_some_and(|f| f.bytes().take_while(u8::is_ascii_digit).any(|d| d != b'0'))
        });
        return Some(if fraction && end == End::Start { s + 1 } else { s });
    }
    let first = day_start(text)?;
    Some(if end == End::Start { first } else { first + 86_399 })
}

/// A `bbox` parameter: `west,south,east,north` in CRS84 degrees (or the six
/// numbers of a box with heights, whose heights are ignored), clamped to the
/// world; reversed corners are refused.
pub fn parse_bbox(text: &str) -> Result<[f64; 4]> {
    let bad = |why_zh: &str, why_en: &str| {
        Error::invalid(
            "bbox",
            format!("bbox 须为 西,南,东,北 四个经纬度（CRS84，度）{why_zh}，收到 “{text}”"),
            format!("bbox must be west,south,east,north in CRS84 degrees{why_en}, got \"{text}\""),
        )
    };
    let numbers: Vec<f64> =
        text.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| bad("", ""))?;
    let (&[w, s, e, n] | &[w, s, _, e, n, _]) = numbers.as_slice() else {
        return Err(bad("", ""));
    };
    if ![w, s, e, n].iter().all(|v| v.is_finite()) || s > n {
        return Err(bad("", ""));
    }
    if w > e {
        return Err(bad("；不支持跨越 180° 经线的范围", "; a box across the antimeridian is not supported"));
    }
    // A corner a little past the pole or the antimeridian (float noise, or a
    // client's "everything") is the world's edge, as GDAL clamps it too.
    Ok([w.max(-180.0), s.max(-90.0), e.min(180.0), n.min(90.0)])
}

/// The parameters of an items request, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemsQuery {
    /// Items per page, already clamped to [`MAX_LIMIT`].
    pub limit: usize,
    /// `[west, south, east, north]`.
    pub bbox: Option<[f64; 4]>,
    /// The time filter.
    pub datetime: Option<Interval>,
    /// The opaque cursor of the page to read (a `next` link's).
    pub after: Option<String>,
    /// `bbox` and `datetime` as sent, for the links.
    given: Vec<(&'static str, String)>,
}

impl Default for ItemsQuery {
    fn default() -> Self {
        Self { limit: DEFAULT_LIMIT, bbox: None, datetime: None, after: None, given: Vec::new() }
    }
}

/// The parameters an items request accepts.
pub const ITEMS_PARAMETERS: [&str; 5] = ["limit", "bbox", "datetime", "after", "f"];

/// Refuses any parameter but `f=json`: the documents other than items take none.
pub fn check_no_parameters(pairs: &[(String, String)]) -> Result<()> {
    for (name, value) in pairs {
        if name != "f" {
            return Err(unknown_parameter(name, &["f"]));
        }
        check_format(value)?;
    }
    Ok(())
}

fn check_format(value: &str) -> Result<()> {
    if matches!(value, "json" | "geojson") {
        Ok(())
    } else {
        Err(Error::invalid("f", "f 只能为 json", format!("f must be json, got \"{value}\"")))
    }
}

fn unknown_parameter(name: &str, accepted: &[&str]) -> Error {
    Error::invalid(
        name,
        format!("未知的查询参数 {name}；可用的参数：{}", accepted.join("、")),
        format!("unknown query parameter {name}; accepted: {}", accepted.join(", ")),
    )
}

impl ItemsQuery {
    /// Checks the query string's pairs: unknown or repeated parameters and
    /// bad values are a 400 naming the parameter; a `limit` above
    /// [`MAX_LIMIT`] is clamped.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self> {
        let mut q = Self::default();
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in pairs {
            let Some(&known) = ITEMS_PARAMETERS.iter().find(|p| **p == name.as_str()) else {
                return Err(unknown_parameter(name, &ITEMS_PARAMETERS));
            };
            if seen.contains(&known) {
                return Err(Error::invalid(
                    known,
                    format!("查询参数 {known} 重复"),
                    format!("query parameter {known} is given twice"),
                ));
            }
            seen.push(known);
            match known {
                "limit" => q.limit = parse_limit(value)?,
                "bbox" => {
                    q.bbox = Some(parse_bbox(value)?);
                    q.given.push(("bbox", value.clone()));
                }
                "datetime" => {
                    q.datetime = Some(Interval::parse(value)?);
                    q.given.push(("datetime", value.clone()));
                }
                "after" => {
                    if value.is_empty() {
                        return Err(bad_cursor());
                    }
                    q.after = Some(value.clone());
                }
                _ => check_format(value)?,
            }
        }
        Ok(q)
    }

    /// This request's query string with the page cursor `after` (the other
    /// parameters kept, `limit` as served).
    pub fn query_string(&self, after: Option<&str>) -> String {
        let mut pairs: Vec<(&str, String)> = vec![("limit", self.limit.to_string())];
        pairs.extend(self.given.iter().cloned());
        if let Some(a) = after {
            pairs.push(("after", a.to_owned()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

fn parse_limit(value: &str) -> Result<usize> {
    let bad = || {
        Error::invalid(
            "limit",
            format!("limit 须为 1 至 {MAX_LIMIT} 的整数，收到 “{value}”"),
            format!("limit must be a whole number from 1 to {MAX_LIMIT}, got \"{value}\""),
        )
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    // Digits past what a usize holds are still "more than the maximum".
    let n = value.parse::<usize>().unwrap_or(usize::MAX);
    if n == 0 { Err(bad()) } else { Ok(n.min(MAX_LIMIT)) }
}

fn bad_cursor() -> Error {
    Error::invalid(
        "after",
        "查询参数 after 无效（请使用上一页 next 链接中的值）",
        "invalid query parameter after (use the value of the previous page's next link)",
    )
}

/// One page of items: the features, the next page's cursor, and the number matched when cheap.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemsPage {
    /// GeoJSON features.
    pub features: Vec<Value>,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
    /// How many items all pages hold, when known cheaply.
    pub matched: Option<usize>,
}

/// A link object.
fn link(href: &str, rel: &str, kind: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": kind, "title": title})
}

/// The landing page (`/ogc`).
pub fn landing(base: &str) -> Value {
    let root = format!("{base}/ogc");
    json!({
        "title": "gridsafe 网格化安全生产与河长制 OGC API – Features",
        "description": "谭坊镇网格、河流、河段、企业、隐患与巡河日志的 OGC API – Features（第 1 部分：核心、GeoJSON、OpenAPI 3.0）。\
                        The town's grids, rivers, reaches, enterprises, cases and patrol logs as OGC API – Features \
                        (Part 1: Core, GeoJSON, OpenAPI 3.0). Enterprises, cases and patrols need a bearer token.",
        "links": [
            link(&root, "self", JSON, "本页 This document"),
            link(&format!("{root}/api"), "service-desc", OPENAPI_30, "API 定义（OpenAPI 3.0）The API definition"),
            link(&format!("{root}/conformance"), "conformance", JSON, "符合的标准类 Conformance classes"),
            link(&format!("{root}/collections"), "data", JSON, "数据集合 The collections"),
        ],
    })
}

/// The conformance declaration (`/ogc/conformance`).
pub fn conformance() -> Value {
    json!({"conformsTo": CONFORMANCE})
}

/// `[west, south, east, north]` of a rectangle.
fn rect_bbox(r: Rect) -> [f64; 4] {
    [r.min().x, r.min().y, r.max().x, r.max().y]
}

fn union(a: Option<Rect>, b: Option<Rect>) -> Option<Rect> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Rect::new(
            coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )),
        (a, b) => a.or(b),
    }
}

/// The town's extent: its own polygon's, or every grid's when there is no town grid.
fn town_extent(maps: &Maps) -> Option<Rect> {
    match maps.town() {
        Some(t) => t.shape.bounding_rect(),
        None => maps.grids().iter().fold(None, |acc, g| union(acc, g.shape.bounding_rect())),
    }
}

/// A collection's description (`/ogc/collections/{id}`).
pub fn collection(conn: &Connection, maps: &Maps, base: &str, c: Collection) -> Result<Value> {
    let extent = match c {
        Collection::Rivers => maps.rivers().iter().fold(None, |acc, r| union(acc, r.line.bounding_rect())),
        _ => town_extent(maps),
    }
    .map_or([73.0, 18.0, 135.0, 54.0], rect_bbox);
    let mut extent = json!({"spatial": {"bbox": [extent], "crs": CRS84}});
    let temporal = match c {
        Collection::Cases => case_query::filing_span(conn)?,
        Collection::Patrols => patrol_store::started_span(conn)?.map(|(a, b)| (china_timestamp(a), china_timestamp(b))),
        _ => None,
    };
    if let Some((first, last)) = temporal {
        extent["temporal"] = json!({"interval": [[first, last]], "trs": GREGORIAN});
    }
    let href = format!("{base}/ogc/collections/{}", c.id());
    Ok(json!({
        "id": c.id(),
        "title": c.title(),
        "description": c.description(),
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": [
            link(&href, "self", JSON, c.title()),
            link(&format!("{href}/items"), "items", GEOJSON, &format!("{}（GeoJSON）", c.title())),
        ],
    }))
}

/// The collections (`/ogc/collections`).
pub fn collections(conn: &Connection, maps: &Maps, base: &str) -> Result<Value> {
    let list = Collection::ALL.into_iter().map(|c| collection(conn, maps, base, c)).collect::<Result<Vec<_>>>()?;
    Ok(json!({
        "links": [link(&format!("{base}/ogc/collections"), "self", JSON, "数据集合 The collections")],
        "collections": list,
    }))
}

/// The reader a collection needs: none for the public geography; a
/// session for the rest (a 401 without one).
fn reader(c: Collection, actor: Option<&Actor>) -> Result<Option<&Actor>> {
    match actor {
        None if c.needs_session() => Err(Error::Unauthenticated(crate::error::Msg::new(
            format!("读取集合 {} 须先登录（Authorization: Bearer 令牌）", c.id()),
            format!("collection {} needs a session (Authorization: Bearer token)", c.id()),
        ))),
        actor => Ok(actor),
    }
}

/// One page of a collection's items for `actor` (none: anonymous).
pub fn items(
    conn: &Connection,
    maps: &Maps,
    actor: Option<&Actor>,
    c: Collection,
    q: &ItemsQuery,
    today: &str,
) -> Result<ItemsPage> {
    let actor = reader(c, actor)?;
    match (c, actor) {
        (Collection::Grids, _) => Ok(grid_page(maps, q)),
        (Collection::Rivers, _) => Ok(river_page(maps, q)),
        (Collection::Reaches, _) => Ok(reach_page(maps, q)),
        (Collection::Enterprises, Some(a)) => enterprise_page(conn, maps, a, q),
        (Collection::Cases, Some(a)) => case_page(conn, maps, a, q, today),
        (Collection::Patrols, Some(a)) => patrol_page(conn, maps, a, q),
        (_, None) => Err(Error::Internal(anyhow::anyhow!("collection {} read without a session", c.id()))),
    }
}

/// The FeatureCollection document of a page, with its links.
pub fn items_document(base: &str, c: Collection, q: &ItemsQuery, page: ItemsPage, now_s: i64) -> Value {
    let href = format!("{base}/ogc/collections/{}", c.id());
    let mut links =
        vec![link(&format!("{href}/items?{}", q.query_string(q.after.as_deref())), "self", GEOJSON, "本页 This page")];
    links.push(link(&href, "collection", JSON, c.title()));
    if let Some(next) = &page.next {
        links.push(link(&format!("{href}/items?{}", q.query_string(Some(next))), "next", GEOJSON, "下一页 Next page"));
    }
    let mut body = json!({
        "type": "FeatureCollection",
        "timeStamp": utc_timestamp(now_s),
        "numberReturned": page.features.len(),
        "links": links,
    });
    if let Some(n) = page.matched {
        body["numberMatched"] = json!(n);
    }
    body["features"] = Value::Array(page.features);
    body
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
fn utc_timestamp(unix_s: i64) -> String {
    let local = china_timestamp(unix_s - CHINA_OFFSET_S);
    format!("{}Z", &local[..19])
}

/// One item of a collection (`/items/{id}`), with its links; 404 when it
/// does not exist or lies outside the reader's scope.
pub fn item(
    conn: &Connection,
    maps: &Maps,
    actor: Option<&Actor>,
    c: Collection,
    id: &str,
    base: &str,
    today: &str,
) -> Result<Value> {
    let actor = reader(c, actor)?;
    let missing = || Error::not_found(format!("集合 {} 中没有 {id}", c.id()), format!("no item {id} in {}", c.id()));
    let mut feature = match (c, actor) {
        (Collection::Grids, _) => maps.grid(id).map(|g| grid_feature(maps, g)).ok_or_else(missing)?,
        (Collection::Rivers, _) => maps.river(id).map(|r| river_feature(maps, r)).ok_or_else(missing)?,
        (Collection::Reaches, _) => maps.reach(id).map(|r| reach_feature(maps, r)).ok_or_else(missing)?,
        (Collection::Enterprises, Some(a)) => {
            let id: i64 = id.parse().map_err(|_| missing())?;
            let (e, _) = enterprises::load_readable(conn, &a.scope, id)?;
            enterprise_feature(maps, &e)
        }
        (Collection::Cases, Some(a)) => {
            let row = cases::load_readable(conn, maps, a, id)?;
            let names = CaseNames::read(conn, std::slice::from_ref(&row))?;
            let overdue = cases::is_overdue(&row, today);
            case_feature(maps, &names, &row, overdue)
        }
        (Collection::Patrols, Some(a)) => {
            let row = patrols::load_readable(conn, maps, a, id)?;
            let chiefs = patrols::chief_names(conn, std::slice::from_ref(&row))?;
            patrol_feature(maps, a, &chiefs, &row)
        }
        (_, None) => return Err(Error::Internal(anyhow::anyhow!("collection {} read without a session", c.id()))),
    };
    let href = format!("{base}/ogc/collections/{}", c.id());
    let own =
        format!("{href}/items/{}", feature["id"].as_str().map_or_else(|| feature["id"].to_string(), str::to_owned));
    feature["links"] =
        json!([link(&own, "self", GEOJSON, "本要素 This feature"), link(&href, "collection", JSON, c.title())]);
    Ok(feature)
}

fn feature(id: Value, geometry: Value, properties: Map<String, Value>) -> Value {
    let mut f = Map::new();
    f.insert("type".to_owned(), Value::from("Feature"));
    f.insert("id".to_owned(), id);
    f.insert("geometry".to_owned(), geometry);
    f.insert("properties".to_owned(), Value::Object(properties));
    Value::Object(f)
}

fn geometry(value: GeometryValue) -> Value {
    serde_json::to_value(geojson::Geometry::new(value)).unwrap_or(Value::Null)
}

fn props(pairs: Vec<(&str, Value)>) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn box_of(bbox: [f64; 4]) -> Rect {
    Rect::new(coord! { x: bbox[0], y: bbox[1] }, coord! { x: bbox[2], y: bbox[3] })
}

/// A page of an in-memory collection sorted by code: the items after the
/// cursor (a code), built only for the page.
fn code_page<T>(all: &[(&str, &T)], q: &ItemsQuery, build: impl Fn(&T) -> Value) -> ItemsPage {
    let matched = all.len();
    let start = q.after.as_deref().map_or(0, |after| all.partition_point(|(code, _)| *code <= after));
    let rest = &all[start..];
    let shown = &rest[..rest.len().min(q.limit)];
    let next = (rest.len() > q.limit).then(|| shown.last().map(|(code, _)| (*code).to_owned())).flatten();
    ItemsPage { features: shown.iter().map(|(_, t)| build(t)).collect(), next, matched: Some(matched) }
}

fn grid_page(maps: &Maps, q: &ItemsQuery) -> ItemsPage {
    let view = q.bbox.map(box_of);
    let all: Vec<_> = maps
        .grids()
        .iter()
        .filter(|g| view.is_none_or(|v| g.shape.intersects(&v)))
        .map(|g| (g.grid.code.as_str(), g))
        .collect();
    code_page(&all, q, |g| grid_feature(maps, g))
}

fn grid_feature(maps: &Maps, g: &crate::spatial::features::GridFeature) -> Value {
    let grid = &g.grid;
    let parent = grid.parent.as_ref().and_then(|p| maps.grid(p.as_str()));
    let properties = props(vec![
        ("code", json!(grid.code)),
        ("name", json!(grid.name)),
        ("level", json!(grid.level.as_str())),
        ("level_name", json!(grid.level.zh())),
        ("parent_code", json!(grid.parent)),
        ("parent_name", json!(parent.map(|p| &p.grid.name))),
        ("stat_code", json!(grid.stat_code)),
        ("area_km2", json!((crate::spatial::validate::area_m2(&g.shape) / 1e4).round() / 100.0)),
    ]);
    feature(json!(grid.code), geometry(GeometryValue::from(&g.shape)), properties)
}

fn river_page(maps: &Maps, q: &ItemsQuery) -> ItemsPage {
    let view = q.bbox.map(box_of);
    let all: Vec<_> = maps
        .rivers()
        .iter()
        .filter(|r| view.is_none_or(|v| r.line.intersects(&v)))
        .map(|r| (r.river.code.as_str(), r))
        .collect();
    code_page(&all, q, |r| river_feature(maps, r))
}

fn river_feature(maps: &Maps, r: &crate::spatial::features::RiverFeature) -> Value {
    let code = r.river.code.as_str();
    let in_town: f64 = maps.reaches_of(code).map(|reach| reach.length_m).sum();
    let properties = props(vec![
        ("code", json!(code)),
        ("name", json!(r.river.name)),
        ("length_m", json!(in_town.round())),
        ("total_length_m", json!(crate::spatial::reach::length_m(&r.line).round())),
        ("reach_count", json!(maps.reaches_of(code).count())),
    ]);
    feature(json!(code), geometry(GeometryValue::from(&r.line)), properties)
}

fn reach_page(maps: &Maps, q: &ItemsQuery) -> ItemsPage {
    let view = q.bbox.map(box_of);
    let mut all: Vec<(&str, &crate::spatial::reach::Reach)> = maps
        .reaches()
        .iter()
        .filter(|r| view.is_none_or(|v| r.line.intersects(&v)))
        .map(|r| (r.code.as_str(), r))
        .collect();
    all.sort_unstable_by(|a, b| a.0.cmp(b.0));
    code_page(&all, q, |r| reach_feature(maps, r))
}

fn reach_feature(maps: &Maps, r: &crate::spatial::reach::Reach) -> Value {
    let properties = props(vec![
        ("code", json!(r.code)),
        ("river_code", json!(r.river)),
        ("river_name", json!(maps.river(r.river.as_str()).map(|x| &x.river.name))),
        ("grid_code", json!(r.grid)),
        ("village_name", json!(maps.grid(r.grid.as_str()).map(|g| &g.grid.name))),
        ("length_m", json!((r.length_m * 10.0).round() / 10.0)),
    ]);
    feature(json!(r.code), geometry(GeometryValue::from(&r.line)), properties)
}

fn enterprise_page(conn: &Connection, maps: &Maps, actor: &Actor, q: &ItemsQuery) -> Result<ItemsPage> {
    // Enterprises have no time of their own: `datetime` does not narrow them.
    let mut query = enterprises::list_query(maps, &actor.scope, &EnterpriseFilter::default())?;
    query.residual.within = q.bbox;
    let after = q
        .after
        .as_deref()
        .map(|a| a.parse::<i64>().ok().filter(|id| *id > 0).map(|id| EnterpriseCursor { due: String::new(), id }))
        .map(|c| c.ok_or_else(bad_cursor))
        .transpose()?;
    let first = after.is_none();
    let (rows, next) = enterprise_query::page(conn, &query, after, q.limit)?;
    // A county holds thousands of enterprises, so the count is the residual over the table.
    let matched = if first { Some(usize::try_from(enterprise_query::count(conn, &query)?).unwrap_or(0)) } else { None };
    Ok(ItemsPage {
        features: rows.iter().map(|e| enterprise_feature(maps, e)).collect(),
        next: next.map(|c| c.id.to_string()),
        matched,
    })
}

fn enterprise_feature(maps: &Maps, e: &Enterprise) -> Value {
    let properties = props(vec![
        ("name", json!(e.name)),
        ("uscc", json!(e.uscc)),
        ("industry", json!(e.industry)),
        ("address", json!(e.address)),
        ("above_scale", json!(e.above_scale)),
        ("key", json!(e.key)),
        ("governance", json!(e.governance.as_str())),
        ("governance_name", json!(e.governance.zh())),
        ("closed_on", json!(e.closed_on)),
        ("next_reinspection", json!(e.next_reinspection)),
        ("grid_code", json!(e.grid_code)),
        ("village_name", json!(maps.grid(&e.grid_code).map(|g| &g.grid.name))),
        ("community_name", json!(community_name(maps, &e.grid_code))),
    ]);
    feature(json!(e.id), geometry(GeometryValue::new_point([e.lon, e.lat])), properties)
}

/// The name of the community a village lies in.
fn community_name<'a>(maps: &'a Maps, village: &str) -> Option<&'a str> {
    let parent = maps.grid(village)?.grid.parent.as_ref()?;
    maps.grid(parent.as_str()).filter(|g| g.grid.level == GridLevel::Community).map(|g| g.grid.name.as_str())
}

/// The case list's query for an OGC page: the reader's scope and, for the
/// filters, what the JSON list would read (see [`cases::list_query`]), with
/// the box and the instants as residual conditions. A reader whose list is
/// driven by the whole table or by filing days reads the village grids the
/// box touches instead, when those are fewer rows; the days of an open-ended
/// interval stop at the first and last filing.
pub fn cases_query(conn: &Connection, maps: &Maps, actor: &Actor, q: &ItemsQuery, today: &str) -> Result<Query> {
    let span = case_query::filing_span(conn)?;
    let mut filter = CaseFilter::default();
    let mut days_spanned = None;
    if let (Some(interval), Some((first, last))) = (q.datetime, span.as_ref()) {
        let first_day = first.get(..10).unwrap_or(first);
        let last_day = last.get(..10).unwrap_or(last).max(today);
        let from = interval.start.map_or_else(|| first_day.to_owned(), |s| china_date(s).max(first_day.to_owned()));
        let to = interval.end.map_or_else(|| last_day.to_owned(), |e| china_date(e).min(last_day.to_owned()));
        days_spanned = Some(day_count(&from, &to));
        filter.from = Some(from);
        filter.to = Some(to);
    }
    let mut query = cases::list_query(maps, actor, &filter)?;
    if let Some(interval) = q.datetime {
        (query.residual.filed_since, query.residual.filed_until) = interval.china_bounds();
    }
    if let Some(bbox) = q.bbox {
        query.residual.within = Some(bbox);
        let view = box_of(bbox);
        let villages: Vec<String> = maps
            .villages()
            .filter(|v| v.shape.bounding_rect().is_some_and(|r| r.intersects(&view)))
            .map(|v| v.grid.code.as_str().to_owned())
            .collect();
        // Only the whole table or filing days carry no condition of their own
        // beyond the residual, so only they may give way to the box's grids.
        let replaceable = query.terms.iter().all(|t| matches!(t, Term::All | Term::Day(_)));
        let by_day = query.terms.iter().any(|t| matches!(t, Term::Day(_)));
        let share_of_days = match (by_day, days_spanned, span.as_ref()) {
            (true, Some(days), Some((first, _))) => {
                days as f64 / day_count(first.get(..10).unwrap_or(first), today).max(1) as f64
            }
            _ => 1.0,
        };
        let share_of_grids = villages.len() as f64 / maps.villages().count().max(1) as f64;
        if replaceable && !query.terms.is_empty() && villages.len() <= MANY_GRIDS && share_of_grids < share_of_days {
            query.terms = villages.into_iter().map(Term::Grid).collect();
        }
    }
    Ok(query)
}

/// Days from `from` to `to`, inclusive (0 when `to` is earlier).
fn day_count(from: &str, to: &str) -> usize {
    match (parse_date(from), parse_date(to)) {
        (Some(a), Some(b)) if b >= a => usize::try_from(b - a + 1).unwrap_or(usize::MAX),
        _ => 0,
    }
}

fn parse_case_cursor(after: &str) -> Result<Cursor> {
    after
        .split_once('.')
        .and_then(|(r, i)| Some(Cursor { rank: r.parse().ok().filter(|r| *r <= 1)?, id: i.parse().ok()? }))
        .ok_or_else(bad_cursor)
}

fn case_page(conn: &Connection, maps: &Maps, actor: &Actor, q: &ItemsQuery, today: &str) -> Result<ItemsPage> {
    let after = q.after.as_deref().map(parse_case_cursor).transpose()?;
    let query = cases_query(conn, maps, actor, q, today)?;
    let (rows, next) = case_query::page(conn, &query, today, after, q.limit)?;
    let matched = if after.is_none() { case_query::count_up_to(conn, &query, today, MATCHED_UP_TO)? } else { None };
    let cases: Vec<CaseRow> = rows.iter().map(|(c, _)| c.clone()).collect();
    let names = CaseNames::read(conn, &cases)?;
    Ok(ItemsPage {
        features: rows.iter().map(|(c, overdue)| case_feature(maps, &names, c, *overdue)).collect(),
        next: next.map(|c| format!("{}.{}", c.rank, c.id)),
        matched,
    })
}

/// The names a page of cases shows beside its codes.
struct CaseNames {
    categories: HashMap<String, String>,
    enterprises: BTreeMap<i64, String>,
}

impl CaseNames {
    fn read(conn: &Connection, rows: &[CaseRow]) -> Result<Self> {
        let categories =
            crate::store::cases::categories_with_retired(conn)?.into_iter().map(|(c, _)| (c.code, c.name)).collect();
        let mut enterprises = BTreeMap::new();
        for id in rows.iter().filter_map(|c| c.enterprise_id) {
            if let std::collections::btree_map::Entry::Vacant(slot) = enterprises.entry(id)
                && let Some(e) = crate::store::enterprises::get(conn, id)?
            {
                slot.insert(e.name);
            }
        }
        Ok(Self { categories, enterprises })
    }
}

fn case_feature(maps: &Maps, names: &CaseNames, c: &CaseRow, overdue: bool) -> Value {
    let properties = props(vec![
        ("number", json!(c.number)),
        ("title", json!(c.title)),
        ("kind", json!(c.kind)),
        ("category", json!(c.category)),
        ("category_name", json!(names.categories.get(&c.category))),
        ("grade", json!(c.grade)),
        ("status", json!(c.status)),
        ("status_name", json!(Status::parse(&c.status).map(Status::zh))),
        ("deadline", json!(c.deadline)),
        ("overdue", json!(overdue)),
        ("supervised", json!(c.supervised)),
        ("rework_count", json!(c.rework_count)),
        ("transferred_to", json!(c.transferred_to)),
        ("grid_code", json!(c.grid_code)),
        ("village_name", json!(maps.grid(&c.grid_code).map(|g| &g.grid.name))),
        ("community_name", json!(community_name(maps, &c.grid_code))),
        ("enterprise_id", json!(c.enterprise_id)),
        ("enterprise_name", json!(c.enterprise_id.and_then(|id| names.enterprises.get(&id)))),
        ("reach_code", json!(c.reach_code)),
        ("description", json!(c.description)),
        ("reported_at", json!(c.reported_at)),
        ("closed_at", json!(c.closed_at)),
    ]);
    feature(json!(c.number), geometry(GeometryValue::new_point([c.lon, c.lat])), properties)
}

fn parse_patrol_cursor(after: &str) -> Result<PatrolCursor> {
    after
        .split_once('.')
        .and_then(|(s, i)| Some(PatrolCursor { started_s: s.parse().ok()?, id: i.parse().ok()? }))
        .ok_or_else(bad_cursor)
}

fn patrol_page(conn: &Connection, maps: &Maps, actor: &Actor, q: &ItemsQuery) -> Result<ItemsPage> {
    let after = q.after.as_deref().map(parse_patrol_cursor).transpose()?;
    let terms = patrols::readable_terms(maps, actor);
    // The store's window is [from, to); the interval's end is inclusive.
    let window = (
        None,
        q.datetime.and_then(|d| d.start).unwrap_or(i64::MIN),
        q.datetime.and_then(|d| d.end).map_or(i64::MAX, |e| e.saturating_add(1)),
    );
    let Some(bbox) = q.bbox else {
        let (rows, next) = patrol_store::page(conn, &terms, window, after, q.limit)?;
        let matched =
            if after.is_none() { patrol_store::count_up_to(conn, &terms, window, MATCHED_UP_TO)? } else { None };
        return patrol_features(conn, maps, actor, &rows, next, matched);
    };
    let view = box_of(bbox);
    let ranges = crate::spatial::track::cell_ranges(bbox);
    if ranges.iter().map(|(low, high)| high - low + 1).sum::<i64>() <= MAX_BOX_CELLS
        && cells_indexed(conn)?
        && let Some(ids) = patrol_store::ids_in_cells(conn, &ranges, MAX_BOX_LOGS)?
    {
        return patrols_among(conn, maps, actor, q, window, after, &ids);
    }
    // A wide box: read the reader's logs a chunk at a time and keep those
    // whose track crosses it, up to a bound (a page may then come short, or
    // empty, with a `next` link to go on from).
    let chunk = q.limit.clamp(100, 1000);
    let (mut kept, mut cursor, mut scanned) = (Vec::new(), after, 0_usize);
    let next = 'scan: loop {
        let (rows, more) = patrol_store::page(conn, &terms, window, cursor, chunk)?;
        let count = rows.len();
        for (i, row) in rows.into_iter().enumerate() {
            scanned += 1;
            let here = PatrolCursor { started_s: row.started_s, id: row.id };
            cursor = Some(here);
            if patrols::stored_line(&row.track).intersects(&view) {
                kept.push(row);
                if kept.len() == q.limit {
                    let nothing_after = i + 1 == count && more.is_none();
                    break 'scan (!nothing_after).then_some(here);
                }
            }
        }
        if more.is_none() {
            break None;
        }
        if scanned >= MAX_TRACKS_SCANNED * if kept.is_empty() { 5 } else { 1 } {
            break cursor;
        }
    };
    let matched = (after.is_none() && next.is_none()).then_some(kept.len());
    patrol_features(conn, maps, actor, &kept, next, matched)
}

/// Whether the track index holds the logs: the first and the last log's
/// first cell are in it. Logs filed through the service always are (and
/// migration 0007 indexed the older ones); a town written by `gridsafe
/// generate` has no index, and is read in order instead.
fn cells_indexed(conn: &Connection) -> Result<bool> {
    let Some((first, last)) = patrol_store::first_and_last(conn)? else { return Ok(true) };
    for p in [first, last] {
        if let Some(&cell) = crate::spatial::track::cells(&patrols::stored_line(&p.track)).first()
            && !patrol_store::in_cell(conn, cell, p.id)?
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A page of the logs among `ids` (those with a fix near the box) that the
/// actor may read, whose walk began in `window` and whose track crosses the
/// box, newest walk first after `after`.
fn patrols_among(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    q: &ItemsQuery,
    (_, from_s, to_s): (Option<&str>, i64, i64),
    after: Option<PatrolCursor>,
    ids: &[i64],
) -> Result<ItemsPage> {
    let view = box_of(q.bbox.unwrap_or([-180.0, -90.0, 180.0, 90.0]));
    let mut keys: Vec<PatrolCursor> = patrol_store::keys_of(conn, ids)?
        .into_iter()
        .filter(|k| k.started_s >= from_s && k.started_s < to_s && after.is_none_or(|a| *k < a))
        .collect();
    keys.sort_unstable_by(|a, b| b.cmp(a));
    let (mut kept, mut next) = (Vec::new(), None);
    for (i, key) in keys.iter().enumerate() {
        let Some(row) = patrol_store::by_id(conn, key.id)? else { continue };
        if patrols::readable(maps, actor, &row) && patrols::stored_line(&row.track).intersects(&view) {
            kept.push(row);
            if kept.len() == q.limit {
                next = (i + 1 < keys.len()).then_some(*key);
                break;
            }
        }
    }
    let matched = (after.is_none() && next.is_none()).then_some(kept.len());
    patrol_features(conn, maps, actor, &kept, next, matched)
}

fn patrol_features(
    conn: &Connection,
    maps: &Maps,
    actor: &Actor,
    rows: &[PatrolRow],
    next: Option<PatrolCursor>,
    matched: Option<usize>,
) -> Result<ItemsPage> {
    let chiefs = patrols::chief_names(conn, rows)?;
    Ok(ItemsPage {
        features: rows.iter().map(|p| patrol_feature(maps, actor, &chiefs, p)).collect(),
        next: next.map(|c| format!("{}.{}", c.started_s, c.id)),
        matched,
    })
}

fn patrol_feature(maps: &Maps, actor: &Actor, chiefs: &BTreeMap<i64, String>, p: &PatrolRow) -> Value {
    let reasons: Vec<&str> =
        p.reasons.as_array().map(|r| r.iter().filter_map(|x| x["zh"].as_str()).collect()).unwrap_or_default();
    let reaches: Vec<&str> =
        p.reaches.as_array().map(|r| r.iter().filter_map(|x| x["code"].as_str()).collect()).unwrap_or_default();
    let properties = props(vec![
        ("code", json!(p.code)),
        ("river_code", json!(p.river_code)),
        ("river_name", json!(maps.river(&p.river_code).map(|r| &r.river.name))),
        ("chief_name", json!(chiefs.get(&p.chief_id))),
        ("chief_level", json!(p.level)),
        ("started_at", json!(china_timestamp(p.started_s))),
        ("ended_at", json!(china_timestamp(p.ended_s))),
        ("month", json!(p.month)),
        ("minutes", json!(p.minutes.round())),
        ("distance_m", json!(p.distance_m.round())),
        ("points", json!(p.points)),
        ("valid", json!(p.valid)),
        ("invalid_reasons", json!(reasons.join("；"))),
        ("review_status", json!(p.review_status)),
        ("reviewed_at", json!(p.reviewed_at)),
        ("reaches", json!(reaches.join(","))),
        ("filed_at", json!(p.filed_at)),
    ]);
    // A track is where a person walked (PIPL Art. 28): only to those who may read it.
    let track = if patrols::readable(maps, actor, p) { p.track.clone() } else { Value::Null };
    feature(json!(p.code), track, properties)
}

/// The API definition of the OGC part (`/ogc/api`): OpenAPI **3.0.3**, as
/// GDAL, OWSLib and the OGC test suite parse it (the JSON API's own document
/// is another), self-contained (no remote `$ref`).
pub fn openapi(base: &str) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "gridsafe OGC API – Features",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "OGC API – Features Part 1 (Core, GeoJSON, OpenAPI 3.0) of the town's grids, rivers, \
                            reaches, enterprises, cases and patrol logs. Grids, rivers and reaches are public; \
                            enterprises, cases and patrols need `Authorization: Bearer <token>` (from \
                            `POST /api/v1/login`) and show only what that person may read. Pages are keyset \
                            pages: follow the `next` link (its `after` cursor is opaque). `numberMatched` is \
                            given on a first page when the matches number at most 100,000 (cases, patrols) \
                            and always for the other collections.",
            "license": {"name": "MIT OR Apache-2.0"},
        },
        "servers": [{"url": format!("{base}/ogc")}],
        "tags": [{"name": "OGC API – Features"}],
        "paths": openapi_paths(),
        "components": openapi_components(),
    })
}

/// A response of JSON with the schema of this name.
fn json_response(description: &str, schema: &str) -> Value {
    json!({"description": description, "content": {JSON: {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

/// The paths of the OGC part, relative to its server (`/ogc`).
fn openapi_paths() -> Value {
    let errors = |codes: &[&str]| -> Map<String, Value> {
        codes
            .iter()
            .map(|code| {
                let name = match *code {
                    "400" => "InvalidParameter",
                    "401" => "Unauthenticated",
                    "404" => "NotFound",
                    _ => "ServerError",
                };
                ((*code).to_owned(), json!({"$ref": format!("#/components/responses/{name}")}))
            })
            .collect()
    };
    let get = |summary: &str, id: &str, parameters: Value, ok: Value, codes: &[&str], secured: bool| {
        let mut responses = errors(codes);
        responses.insert("200".to_owned(), ok);
        let mut op = json!({
            "summary": summary,
            "operationId": id,
            "tags": ["OGC API – Features"],
            "parameters": parameters,
            "responses": responses,
        });
        if secured {
            // Anonymous for the geography, a bearer token for the rest.
            op["security"] = json!([{}, {"bearerAuth": []}]);
        }
        json!({"get": op})
    };
    let p = |name: &str| json!({"$ref": format!("#/components/parameters/{name}")});
    json!({
        "/": get("Landing page", "getLandingPage", json!([p("f")]), json_response("The landing page", "landingPage"), &["400", "500"], false),
        "/api": get(
            "This API definition (OpenAPI 3.0)",
            "getApiDefinition",
            json!([p("f")]),
            json!({"description": "The API definition", "content": {OPENAPI_30: {"schema": {"type": "object"}}}}),
            &["400", "500"],
            false,
        ),
        "/conformance": get("Conformance classes", "getConformanceDeclaration", json!([p("f")]), json_response("The conformance classes", "confClasses"), &["400", "500"], false),
        "/collections": get("The collections", "getCollections", json!([p("f")]), json_response("The collections", "collections"), &["400", "500"], false),
        "/collections/{collectionId}": get(
            "One collection",
            "describeCollection",
            json!([p("collectionId"), p("f")]),
            json_response("The collection", "collection"),
            &["400", "404", "500"],
            false,
        ),
        "/collections/{collectionId}/items": get(
            "A page of a collection's features",
            "getFeatures",
            json!([p("collectionId"), p("limit"), p("bbox"), p("datetime"), p("after"), p("f")]),
            json!({"description": "The features", "content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/featureCollectionGeoJSON"}}}}),
            &["400", "401", "404", "500"],
            true,
        ),
        "/collections/{collectionId}/items/{featureId}": get(
            "One feature",
            "getFeature",
            json!([p("collectionId"), p("featureId"), p("f")]),
            json!({"description": "The feature", "content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/featureGeoJSON"}}}}),
            &["400", "401", "404", "500"],
            true,
        ),
    })
}

/// What a `datetime` looks like: an instant or date, or an interval of two
/// with at most one end open (`..` or empty).
const DATETIME_PATTERN: &str = concat!(
    r"^(?:\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:[Tt](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d))?|",
    r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:[Tt](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d))?/(?:\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:[Tt](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d))?|\.\.)?|",
    r"(?:\.\.)?/\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:[Tt](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d))?)$",
);

/// The parameters, responses and schemas the paths refer to.
fn openapi_components() -> Value {
    let ids: Vec<&str> = Collection::ALL.iter().map(|c| c.id()).collect();
    json!({
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        "parameters": {
            "collectionId": {"name": "collectionId", "in": "path", "required": true, "description": "The collection", "schema": {"type": "string", "enum": ids}},
            "featureId": {"name": "featureId", "in": "path", "required": true, "description": "A feature's id: a grid, river or reach code, an enterprise id, a case number, a patrol log code", "schema": {"type": "string"}},
            "limit": {
                "name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
                "description": format!("Features per page (default {DEFAULT_LIMIT}); a larger value than {MAX_LIMIT} is served as {MAX_LIMIT}."),
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            },
            "bbox": {
                "name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "west,south,east,north in CRS84 degrees, west not east of east and south not north of north (not across the antimeridian); six numbers with heights are accepted, heights ignored; corners past the world's edge are taken as the edge.",
                "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
            },
            "datetime": {
                "name": "datetime", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "An RFC 3339 instant or date (a date is its whole day in China time), or an interval a/b (start not after end) with one open end as `..` or empty. Cases: when reported; patrols: when the walk began; the other collections are not narrowed.",
                "schema": {"type": "string", "pattern": DATETIME_PATTERN},
            },
            "after": {
                "name": "after", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "The opaque cursor of a `next` link: the page after it.",
                "schema": {"type": "string", "pattern": "^[0-9A-Za-z._-]{1,100}$"},
            },
            "f": {
                "name": "f", "in": "query", "required": false, "style": "form", "explode": false,
                "description": "The format: JSON (GeoJSON for features), the only one served.",
                "schema": {"type": "string", "enum": ["json", "geojson"]},
            },
        },
        "responses": {
            "InvalidParameter": json_response("A bad or unknown query parameter", "exception"),
            "Unauthenticated": json_response("The collection needs a session (a bearer token)", "exception"),
            "NotFound": json_response("No such collection or feature (or not in the reader's scope)", "exception"),
            "ServerError": json_response("A server error (logged)", "exception"),
        },
        "schemas": openapi_schemas(),
    })
}

/// The schemas of the documents and features.
fn openapi_schemas() -> Value {
    let link = json!({
        "type": "object",
        "required": ["href", "rel"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
        },
    });
    let links = json!({"type": "array", "items": {"$ref": "#/components/schemas/link"}});
    let mut schemas = json!({
        "link": link,
        "exception": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "message_en": {"type": "string"},
                    "details": {"nullable": true},
                },
            }},
        },
        "landingPage": {
            "type": "object",
            "required": ["links"],
            "properties": {"title": {"type": "string"}, "description": {"type": "string"}, "links": links},
        },
        "confClasses": {
            "type": "object",
            "required": ["conformsTo"],
            "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
        },
        "extent": {
            "type": "object",
            "properties": {
                "spatial": {"type": "object", "properties": {
                    "bbox": {"type": "array", "minItems": 1, "items": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
                    "crs": {"type": "string", "enum": [CRS84]},
                }},
                "temporal": {"type": "object", "properties": {
                    "interval": {"type": "array", "minItems": 1, "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "string", "format": "date-time", "nullable": true}}},
                    "trs": {"type": "string", "enum": [GREGORIAN]},
                }},
            },
        },
        "collection": {
            "type": "object",
            "required": ["id", "links"],
            "properties": {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "links": links,
                "extent": {"$ref": "#/components/schemas/extent"},
                "itemType": {"type": "string"},
                "crs": {"type": "array", "items": {"type": "string"}},
            },
        },
        "collections": {
            "type": "object",
            "required": ["links", "collections"],
            "properties": {"links": links, "collections": {"type": "array", "items": {"$ref": "#/components/schemas/collection"}}},
        },

    });
    if let (Some(all), Value::Object(features)) = (schemas.as_object_mut(), feature_schemas(&links)) {
        all.extend(features);
    }
    schemas
}

/// The schemas of GeoJSON features and feature collections.
fn feature_schemas(links: &Value) -> Value {
    json!({
        "geometryGeoJSON": {
            "type": "object",
            "nullable": true,
            "required": ["type"],
            "properties": {
                "type": {"type": "string", "enum": ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"]},
                "coordinates": {"type": "array"},
                "geometries": {"type": "array", "items": {"type": "object"}},
            },
        },
        "featureGeoJSON": {
            "type": "object",
            "required": ["type", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                "geometry": {"$ref": "#/components/schemas/geometryGeoJSON"},
                "properties": {"type": "object", "nullable": true},
                "links": links,
            },
        },
        "featureCollectionGeoJSON": {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": {"$ref": "#/components/schemas/featureGeoJSON"}},
                "links": links,
                "timeStamp": {"type": "string", "format": "date-time"},
                "numberMatched": {"type": "integer", "minimum": 0},
                "numberReturned": {"type": "integer", "minimum": 0},
            },
        },
    })
}
