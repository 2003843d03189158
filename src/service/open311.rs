//! Open311 GeoReport v2 (SPEC §9): the public read view of cases that a city
//! platform or any outside tool pulls without an account. Services are the
//! leaf case categories; requests are cases, shown by their number, status
//! (`open`, or `closed` for signed-off and cancelled cases), category, finding,
//! the body handling them, their times in China time and their point.
//!
//! Nothing personal is shown: no reporter, inspector, responsible person,
//! phone, photo or track. The free-text responsible party named at dispatch
//! may be a person (责任单位或责任人), so it is not shown; `agency_responsible`
//! is the county department a case was handed to, else the town government.
//! The rows come from [`case_query::public_in_window`], which reads only the
//! columns shown here.
//!
//! The view is on unless the `open311_enabled` setting says otherwise
//! (`gridsafe serve --open311 off`); when off, every request is answered
//! [`Error::NotFound`]. How the answers are written (JSON, XML) is `http`'s.

use std::collections::HashMap;

use rusqlite::Connection;
use serde::Serialize;

use crate::domain::case::Status;
use crate::domain::time::{china_date, china_timestamp, parse_date};
use crate::error::{Error, Result};
use crate::spatial::Maps;
use crate::spatial::track_input::parse_rfc3339;
use crate::store::case_query::{self, PublicCase, PublicWindow};
use crate::store::{cases as case_store, documents as settings};

/// The setting that turns the view on (`true`, the default when absent) or off (`false`).
pub const ENABLED_SETTING: &str = "open311_enabled";

/// Most requests one answer lists (the standard's 1,000).
pub const MAX_REQUESTS: usize = 1000;

/// The default window and the widest one asked for, in days (the standard's 90).
pub const WINDOW_DAYS: i64 = 90;

/// When this interface last changed, as discovery reports it.
const CHANGESET: &str = "2026-11-20T00:00:00+08:00";

/// Whether the view is on. Only `true`, `on`, `yes` or `1` keep it on once the
/// setting is written: a value nobody can read turns it off, not on.
pub fn enabled(conn: &Connection) -> Result<bool> {
    Ok(settings::setting(conn, ENABLED_SETTING)?
        .is_none_or(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "on" | "yes" | "1")))
}

/// Turns the view on or off (kept in the database until changed again).
pub fn set_enabled(conn: &Connection, on: bool) -> Result<()> {
    settings::set_setting(conn, ENABLED_SETTING, if on { "true" } else { "false" })
}

/// Every answer starts here: when the view is off it does not exist.
fn require_enabled(conn: &Connection) -> Result<()> {
    if enabled(conn)? {
        Ok(())
    } else {
        Err(Error::not_found("本镇未开放 Open311 接口", "the Open311 interface is turned off in this town"))
    }
}

/// `discovery`: where the endpoint is and what it speaks.
#[derive(Debug, Clone, Serialize)]
pub struct Discovery {
    /// When the interface last changed.
    pub changeset: String,
    /// Who runs it (the issuing body, never a person's phone).
    pub contact: String,
    /// How to get an API key: none is needed, the view is read-only.
    pub key_service: String,
    /// The one endpoint.
    pub endpoints: Vec<Endpoint>,
}

/// One endpoint of [`Discovery`].
#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    /// The standard's address.
    pub specification: String,
    /// The endpoint's base address.
    pub url: String,
    /// When it last changed.
    pub changeset: String,
    /// `production`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The formats it answers in.
    pub formats: Vec<String>,
}

/// The discovery document; the URL is built on the server's public address.
pub fn discovery(conn: &Connection) -> Result<Discovery> {
    require_enabled(conn)?;
    let base = crate::service::documents::link_base(conn)?;
    Ok(Discovery {
        changeset: CHANGESET.to_owned(),
        contact: issuer(conn)?,
        key_service: "无需密钥：只读公开接口 (no key needed: a public read-only view)".to_owned(),
        endpoints: vec![Endpoint {
            specification: "http://wiki.open311.org/GeoReport_v2".to_owned(),
            url: format!("{base}/open311/v2"),
            changeset: CHANGESET.to_owned(),
            kind: "production".to_owned(),
            formats: vec!["text/xml".to_owned(), "application/json".to_owned()],
        }],
    })
}

fn issuer(conn: &Connection) -> Result<String> {
    Ok(settings::setting(conn, "issuer")?.unwrap_or_else(|| "乡镇人民政府 (the town government)".to_owned()))
}

/// A service: one leaf case category.
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    /// The category code, e.g. `S-F10`.
    pub service_code: String,
    /// The category name, e.g. `用电安全`.
    pub service_name: String,
    /// Its kind and first level, Chinese first.
    pub description: String,
    /// Always false: no extra attributes are asked for.
    pub metadata: bool,
    /// `realtime`: a filing gets its number at once.
    #[serde(rename = "type")]
    pub kind: String,
    /// The kind's machine name and Chinese name.
    pub keywords: String,
    /// The first-level category's name.
    pub group: String,
}

/// A service definition: its code and (none) attributes.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceDefinition {
    /// The category code.
    pub service_code: String,
    /// Always empty (see [`Service::metadata`]).
    pub attributes: Vec<String>,
}

fn kind_names(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "environment" => ("环境问题", "environmental problem"),
        "river" => ("河湖问题", "river problem"),
        _ => ("安全生产隐患", "safety hazard"),
    }
}

/// Every leaf category in display order, retired ones too: the cases filed
/// under them are still listed.
pub fn services(conn: &Connection) -> Result<Vec<Service>> {
    require_enabled(conn)?;
    let all = case_store::categories_with_retired(conn)?;
    let names: HashMap<&str, &str> = all.iter().map(|(c, _)| (c.code.as_str(), c.name.as_str())).collect();
    Ok(all
        .iter()
        .filter_map(|(c, active)| {
            let parent = c.parent.as_deref()?;
            let group = names.get(parent).copied().unwrap_or(parent);
            let (zh, en) = kind_names(&c.kind);
            let retired = if *active { "" } else { "（已停用）" };
            Some(Service {
                service_code: c.code.clone(),
                service_name: c.name.clone(),
                description: format!("{zh}：{group}·{}{retired} ({en})", c.name),
                metadata: false,
                kind: "realtime".to_owned(),
                keywords: format!("{},{zh}", c.kind),
                group: group.to_owned(),
            })
        })
        .collect())
}

/// One service's definition; an unknown code is not found.
pub fn service_definition(conn: &Connection, code: &str) -> Result<ServiceDefinition> {
    let known = services(conn)?.into_iter().any(|s| s.service_code == code);
    if !known {
        return Err(Error::not_found(format!("没有服务类别 {code}"), format!("no service {code}")));
    }
    Ok(ServiceDefinition { service_code: code.to_owned(), attributes: Vec::new() })
}

/// A service request: one case as the public sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceRequest {
    /// The case number, e.g. `TF-2026-000123`.
    pub service_request_id: String,
    /// `open`, or `closed` (signed off or cancelled).
    pub status: String,
    /// Where the case stands in the loop, Chinese first.
    pub status_notes: String,
    /// The category name.
    pub service_name: String,
    /// The category code.
    pub service_code: String,
    /// What was found.
    pub description: String,
    /// The county department it was handed to, else the town government.
    pub agency_responsible: String,
    /// Never set.
    pub service_notice: Option<String>,
    /// When filed.
    pub requested_datetime: String,
    /// When it last changed.
    pub updated_datetime: String,
    /// The end of its deadline day, if it has one.
    pub expected_datetime: Option<String>,
    /// Town, community and village.
    pub address: String,
    /// Latitude of the case's point.
    pub lat: f64,
    /// Longitude of the case's point.
    #[serde(rename = "long")]
    pub lon: f64,
}

/// What `requests` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestQuery {
    /// These case numbers, whatever else was asked (the standard: ids override).
    Numbers(Vec<String>),
    /// A window of filing times with filters.
    Window(PublicWindow),
}

/// A comma list: items trimmed, empty ones dropped, at most `max`.
fn comma_list(field: &str, value: &str, max: usize) -> Result<Vec<String>> {
    let mut items: Vec<String> = Vec::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if item.chars().count() > 64 || item.chars().any(char::is_control) {
            return Err(Error::invalid(
                field,
                format!("{field} 含无效的值"),
                format!("{field} holds an invalid value"),
            ));
        }
        if !items.iter().any(|i| i == item) {
            items.push(item.to_owned());
        }
    }
    if items.len() > max {
        return Err(Error::invalid(
            field,
            format!("{field} 最多 {max} 项"),
            format!("{field} takes at most {max} values"),
        ));
    }
    Ok(items)
}

fn instant(field: &str, value: &str) -> Result<i64> {
    parse_rfc3339(value).ok_or_else(|| {
        Error::invalid(
            field,
            format!("{field} 须为带时区的 ISO 8601 时间，如 2026-11-01T00:00:00+08:00：{value}"),
            format!("{field} must be an ISO 8601 time with its zone, e.g. 2026-11-01T00:00:00+08:00: {value}"),
        )
    })
}

impl RequestQuery {
    /// Parses the standard's parameters (`service_request_id`, `service_code`,
    /// `status`, `start_date`, `end_date`); others (`jurisdiction_id`,
    /// `api_key`, extensions) are ignored, as are empty values. Without dates
    /// the window is the 90 days before `now_s`; one date alone reaches 90
    /// days from it; a window longer than 90 days or ending before it starts
    /// is refused.
    pub fn parse(pairs: &[(String, String)], now_s: i64) -> Result<Self> {
        let get = |key: &str| pairs.iter().rev().find(|(k, v)| k == key && !v.trim().is_empty()).map(|(_, v)| v.trim());
        if let Some(ids) = get("service_request_id") {
            return Ok(Self::Numbers(comma_list("service_request_id", ids, MAX_REQUESTS)?));
        }
        let categories =
            get("service_code").map(|v| comma_list("service_code", v, 200)).transpose()?.unwrap_or_default();
        let closed = match get("status").map(|v| comma_list("status", v, 2)).transpose()?.as_deref() {
            None => None,
            Some(statuses) => {
                let (mut open, mut closed) = (false, false);
                for s in statuses {
                    match s.to_ascii_lowercase().as_str() {
                        "open" => open = true,
                        "closed" => closed = true,
                        _ => {
                            return Err(Error::invalid(
                                "status",
                                format!("status 须为 open 或 closed：{s}"),
                                format!("status must be open or closed: {s}"),
                            ));
                        }
                    }
                }
                if open == closed { None } else { Some(closed) }
            }
        };
        let window = WINDOW_DAYS * 86_400;
        let start = get("start_date").map(|v| instant("start_date", v)).transpose()?;
        let end = get("end_date").map(|v| instant("end_date", v)).transpose()?;
        let (start, end) = match (start, end) {
            (None, None) => (now_s - window, now_s),
            (Some(s), None) => (s, s + window),
            (None, Some(e)) => (e - window, e),
            (Some(s), Some(e)) => (s, e),
        };
        if end < start {
            return Err(Error::invalid(
                "end_date",
                "end_date 不能早于 start_date",
                "end_date cannot be before start_date",
            ));
        }
        if end - start > window {
            return Err(Error::invalid(
                "start_date",
                format!("start_date 到 end_date 最长 {WINDOW_DAYS} 天"),
                format!("start_date to end_date spans at most {WINDOW_DAYS} days"),
            ));
        }
        Ok(Self::Window(PublicWindow { from: china_timestamp(start), to: china_timestamp(end), categories, closed }))
    }
}

/// The requests asked for and whether the window held more than were listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Requests {
    /// At most [`MAX_REQUESTS`], newest first (or in the order the numbers were asked).
    pub requests: Vec<ServiceRequest>,
    /// True when the window held more: narrow it to see the rest.
    pub more: bool,
}

/// The requests that the standard's parameters ask for (see
/// [`RequestQuery::parse`]); `now_s` is the default window's end and decides
/// which cases are overdue. When the view is off, not even the parameters are checked.
pub fn requests(conn: &Connection, maps: &Maps, params: &[(String, String)], now_s: i64) -> Result<Requests> {
    require_enabled(conn)?;
    list(conn, maps, &RequestQuery::parse(params, now_s)?, now_s)
}

/// One request by case number; an unknown number is not found.
pub fn request(conn: &Connection, maps: &Maps, number: &str, now_s: i64) -> Result<ServiceRequest> {
    require_enabled(conn)?;
    list(conn, maps, &RequestQuery::Numbers(vec![number.to_owned()]), now_s)?
        .requests
        .pop()
        .ok_or_else(|| Error::not_found(format!("没有编号为 {number} 的隐患"), format!("no case numbered {number}")))
}

fn list(conn: &Connection, maps: &Maps, query: &RequestQuery, now_s: i64) -> Result<Requests> {
    let (mut rows, more) = match query {
        RequestQuery::Numbers(numbers) => (case_query::public_by_numbers(conn, numbers)?, false),
        RequestQuery::Window(window) => {
            let rows = case_query::public_in_window(conn, window, MAX_REQUESTS + 1)?;
            let more = rows.len() > MAX_REQUESTS;
            (rows, more)
        }
    };
    rows.truncate(MAX_REQUESTS);
    let view = View::read(conn, maps, now_s)?;
    Ok(Requests { requests: rows.into_iter().map(|row| view.request(row)).collect(), more })
}

/// What turns a [`PublicCase`] into a [`ServiceRequest`]: category and place names, the town body, today.
struct View<'m> {
    maps: &'m Maps,
    categories: HashMap<String, String>,
    issuer: String,
    today: String,
}

impl<'m> View<'m> {
    fn read(conn: &Connection, maps: &'m Maps, now_s: i64) -> Result<Self> {
        let categories =
            case_store::categories_with_retired(conn)?.into_iter().map(|(c, _)| (c.code, c.name)).collect();
        Ok(Self { maps, categories, issuer: issuer(conn)?, today: china_date(now_s) })
    }

    fn request(&self, c: PublicCase) -> ServiceRequest {
        let status = Status::parse(&c.status);
        let closed = status.is_some_and(|s| !s.is_open());
        let requested = in_china_time(&c.reported_at);
        let address: String = self.maps.chain(&c.grid_code).into_iter().map(|g| g.name).collect();
        ServiceRequest {
            status: if closed { "closed" } else { "open" }.to_owned(),
            status_notes: self.notes(status, &c),
            service_name: self.categories.get(&c.category).cloned().unwrap_or_else(|| c.category.clone()),
            description: c.description,
            agency_responsible: c.transferred_to.clone().unwrap_or_else(|| self.issuer.clone()),
            service_notice: None,
            updated_datetime: c.changed_at.as_deref().map_or_else(|| requested.clone(), in_china_time),
            requested_datetime: requested,
            // A deadline is a day, met until that day ends in China time.
            expected_datetime: c
                .deadline
                .as_deref()
                .filter(|d| parse_date(d).is_some())
                .map(|d| format!("{d}T23:59:59+08:00")),
            address: if address.is_empty() { c.grid_code } else { address },
            lat: c.lat,
            lon: c.lon,
            service_code: c.category,
            service_request_id: c.number,
        }
    }

    /// The status in words, with overdue and transfer when they apply.
    fn notes(&self, status: Option<Status>, c: &PublicCase) -> String {
        let (mut zh, mut en) = match status {
            Some(Status::Reported) => ("已上报，待立案".to_owned(), "reported, awaiting registration".to_owned()),
            Some(Status::Registered) => ("已立案".to_owned(), "registered".to_owned()),
            Some(Status::Dispatched) => ("整改中".to_owned(), "under rectification".to_owned()),
            Some(Status::Submitted) => ("已整改，待验收".to_owned(), "fixed, awaiting sign-off".to_owned()),
            Some(Status::Closed) => ("已验收销号".to_owned(), "signed off".to_owned()),
            Some(Status::Cancelled) => ("已注销".to_owned(), "cancelled".to_owned()),
            None => (c.status.clone(), c.status.clone()),
        };
        if status.is_some_and(Status::is_open) && c.deadline.as_deref().is_some_and(|d| d < self.today.as_str()) {
            zh.push_str("，已超期");
            en.push_str(", overdue");
        }
        if let Some(department) = &c.transferred_to {
            zh.push_str("，已移送");
            zh.push_str(department);
            en.push_str(", transferred to ");
            en.push_str(department);
        }
        format!("{zh} ({en})")
    }
}

/// A stored time as RFC 3339 in China time (`+08:00`), whatever zone it was written in.
fn in_china_time(text: &str) -> String {
    parse_rfc3339(text).map_or_else(|| text.to_owned(), china_timestamp)
}

/// The query plan of a window's statement (for tests: no full scan, no sort).
pub fn window_plan(conn: &Connection, query: &RequestQuery) -> Result<Option<String>> {
    match query {
        RequestQuery::Window(window) => Ok(Some(case_query::public_window_plan(conn, window)?)),
        RequestQuery::Numbers(_) => Ok(None),
    }
}
