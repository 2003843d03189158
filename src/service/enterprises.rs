//! Enterprises and premises as a unit of work: input checked once (USCC,
//! location → village grid, the governance lifecycle), then stored. Shared by
//! the API and the CSV import of the CLI.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;
use serde::Deserialize;

use crate::domain::access::{Scope, forbidden};
use crate::domain::enterprise::{CLOSURE_ITEMS, Governance, Uscc, UsccError, uscc_error};
use crate::domain::geo_point::Lonlat;
use crate::domain::time::{china_date, china_timestamp};
use crate::error::{Error, Msg, Result};
use crate::service::printable::{printable, printable_opt};
use crate::spatial::Maps;
use crate::store::enterprise_query::{
    self, EnterpriseCursor, EnterpriseQuery, EnterpriseResidual, EnterpriseScope, EnterpriseTerm,
};
use crate::store::enterprises::{self as store, Enterprise, EnterpriseFields, GovernanceChange};

/// A new enterprise as received.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseInput {
    /// Name.
    pub name: String,
    /// Unified social credit code; omit for premises without one.
    #[serde(default)]
    pub uscc: Option<String>,
    /// An admin's note accepting a code whose check digit fails (early pilot codes).
    #[serde(default)]
    pub uscc_override: Option<String>,
    /// Address.
    #[serde(default)]
    pub address: String,
    /// Longitude (WGS84).
    pub lon: f64,
    /// Latitude (WGS84).
    pub lat: f64,
    /// Line of business.
    #[serde(default)]
    pub industry: String,
    /// 规模以上企业.
    #[serde(default)]
    pub above_scale: bool,
    /// 重点企业.
    #[serde(default)]
    pub key: bool,
    /// Contact person.
    #[serde(default)]
    pub contact_name: Option<String>,
    /// Contact phone.
    #[serde(default)]
    pub contact_phone: Option<String>,
}

/// A partial update; absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterprisePatch {
    name: Option<String>,
    uscc: Option<String>,
    uscc_override: Option<String>,
    address: Option<String>,
    lon: Option<f64>,
    lat: Option<f64>,
    industry: Option<String>,
    above_scale: Option<bool>,
    key: Option<bool>,
    contact_name: Option<String>,
    contact_phone: Option<String>,
}

impl From<EnterpriseInput> for EnterprisePatch {
    /// Every field set: a whole record as an edit form sends it.
    fn from(input: EnterpriseInput) -> Self {
        Self {
            name: Some(input.name),
            uscc: Some(input.uscc.unwrap_or_default()),
            uscc_override: Some(input.uscc_override.unwrap_or_default()),
            address: Some(input.address),
            lon: Some(input.lon),
            lat: Some(input.lat),
            industry: Some(input.industry),
            above_scale: Some(input.above_scale),
            key: Some(input.key),
            contact_name: Some(input.contact_name.unwrap_or_default()),
            contact_phone: Some(input.contact_phone.unwrap_or_default()),
        }
    }
}

/// Checks an input and computes its grid. `admin` may accept a failing check digit with a note.
pub fn fields(input: &EnterpriseInput, maps: &Maps, admin: bool) -> Result<EnterpriseFields> {
    // Every text is stored as it will print on a notice.
    let name = printable("name", &input.name)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid("name", "企业名称不能为空且不超过 100 字", "a name is 1–100 characters"));
    }
    let note = printable_opt("uscc_override", input.uscc_override.as_deref())?;
    let note = note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let (uscc, uscc_override) = match input.uscc.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => (None, None),
        Some(code) => match (Uscc::parse(code), note) {
            (Ok(uscc), _) => (Some(uscc.to_string()), None),
            (Err(UsccError::Check { .. }), Some(note)) if admin => {
                let uscc = Uscc::parse_overridden(code).map_err(|e| uscc_error(&e))?;
                (Some(uscc.to_string()), Some(note.to_owned()))
            }
            (Err(UsccError::Check { .. }), Some(_)) => {
                return Err(Error::Forbidden(Msg::new(
                    "只有镇管理员可以强制录入校验位不符的代码",
                    "only the town office may override a failing check digit",
                )));
            }
            (Err(e), _) => return Err(uscc_error(&e)),
        },
    };
    let point = Lonlat::parse(input.lon, input.lat)?;
    let grid_code = maps.locate(point)?.village.code.to_string();
    let text = |field: &str, s: &Option<String>| -> Result<Option<String>> {
        Ok(printable_opt(field, s.as_deref())?.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()))
    };
    Ok(EnterpriseFields {
        name: name.to_owned(),
        uscc,
        uscc_override,
        address: printable("address", &input.address)?.trim().to_owned(),
        lon: point.lon,
        lat: point.lat,
        grid_code,
        industry: printable("industry", &input.industry)?.trim().to_owned(),
        above_scale: input.above_scale,
        key: input.key,
        contact_name: text("contact_name", &input.contact_name)?,
        contact_phone: text("contact_phone", &input.contact_phone)?,
        demo: false,
    })
}

/// Applies a patch over the stored values and re-checks the whole record.
pub fn patched(current: &Enterprise, patch: EnterprisePatch, maps: &Maps, admin: bool) -> Result<EnterpriseFields> {
    let input = EnterpriseInput {
        name: patch.name.unwrap_or_else(|| current.name.clone()),
        uscc: patch.uscc.or_else(|| current.uscc.clone()),
        uscc_override: patch.uscc_override.or_else(|| current.uscc_override.clone()),
        address: patch.address.unwrap_or_else(|| current.address.clone()),
        lon: patch.lon.unwrap_or(current.lon),
        lat: patch.lat.unwrap_or(current.lat),
        industry: patch.industry.unwrap_or_else(|| current.industry.clone()),
        above_scale: patch.above_scale.unwrap_or(current.above_scale),
        key: patch.key.unwrap_or(current.key),
        contact_name: patch.contact_name.or_else(|| current.contact_name.clone()),
        contact_phone: patch.contact_phone.or_else(|| current.contact_phone.clone()),
    };
    // An override already on record stays valid without re-asking for admin rights.
    let mut fields = fields(&input, maps, admin || current.uscc_override.is_some())?;
    fields.demo = current.demo;
    Ok(fields)
}

/// A governance change as received.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GovernanceInput {
    /// The new status.
    pub to: String,
    /// Why (required).
    pub note: String,
    /// For a closure: each 两断三清 item → the media id of its photo.
    #[serde(default)]
    pub checklist: BTreeMap<String, String>,
}

/// Checks and applies a governance change.
pub fn change_governance(
    conn: &Connection,
    current: &Enterprise,
    input: &GovernanceInput,
    by: i64,
    now_s: i64,
) -> Result<Enterprise> {
    let to = Governance::parse(&input.to)?;
    if !current.governance.can_move_to(to) {
        return Err(Error::Conflict(Msg::new(
            format!("整治状态不能从“{}”变为“{}”", current.governance.zh(), to.zh()),
            format!("governance cannot move from {} to {}", current.governance.as_str(), to.as_str()),
        )));
    }
    let note = printable("note", &input.note)?;
    let note = note.trim();
    if note.is_empty() {
        return Err(Error::invalid("note", "须说明变更原因", "a note is required"));
    }
    if let Some(unknown) = input.checklist.keys().find(|k| !CLOSURE_ITEMS.iter().any(|(item, _)| item == k)) {
        return Err(Error::invalid(
            "checklist",
            format!("未知的两断三清项目 “{unknown}”"),
            format!("unknown checklist item \"{unknown}\""),
        ));
    }
    let mut checklist = Vec::new();
    if to == Governance::Closed {
        for (item, zh) in CLOSURE_ITEMS {
            let media = input.checklist.get(item).map(|m| m.trim()).filter(|m| !m.is_empty()).ok_or_else(|| {
                Error::invalid(
                    "checklist",
                    format!("关停取缔须附“{zh}”照片（{item}）"),
                    format!("closing down needs a photo for {item}"),
                )
            })?;
            checklist.push((item, media.to_owned()));
        }
    } else if !input.checklist.is_empty() {
        return Err(Error::invalid("checklist", "只有关停取缔需要两断三清清单", "only a closure takes a checklist"));
    }
    let change = GovernanceChange { to, note, checklist, by, today: china_date(now_s), now: china_timestamp(now_s) };
    store::set_governance(conn, current, &change)
}

/// Moves the governance status of enterprise `id` in the caller's grids, at
/// version `expected` (the current one if none is given).
pub fn govern(
    conn: &Connection,
    scope: &Scope,
    id: i64,
    input: &GovernanceInput,
    expected: Option<i64>,
    by: i64,
    now_s: i64,
) -> Result<Enterprise> {
    let current = writable_at(conn, scope, id, expected)?;
    change_governance(conn, &current, input, by, now_s)
}

/// Enterprise `id` in the caller's grids, as of version `expected` (the
/// current one if none is given): a write at an older version is refused as stale.
fn writable_at(conn: &Connection, scope: &Scope, id: i64, expected: Option<i64>) -> Result<Enterprise> {
    let mut current = load_writable(conn, scope, id)?;
    if let Some(version) = expected {
        current.version = version;
    }
    Ok(current)
}

/// A re-inspection of closed premises (回头看): the closure still holds.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReinspectionInput {
    /// The day it was done (YYYY-MM-DD); today when left out.
    #[serde(default)]
    pub on: Option<String>,
    /// What was found (required).
    pub note: String,
}

/// Records a re-inspection of closed premises in the caller's grids, at
/// version `expected` (the current one if none is given): the day may not be
/// in the future, nor before the closure or the last re-inspection. Premises
/// found working again are not re-inspected but reported as a case.
pub fn reinspect(
    conn: &Connection,
    scope: &Scope,
    id: i64,
    input: &ReinspectionInput,
    expected: Option<i64>,
    by: i64,
    now_s: i64,
) -> Result<Enterprise> {
    let current = writable_at(conn, scope, id, expected)?;
    if current.governance != Governance::Closed {
        return Err(Error::Conflict(Msg::new(
            format!("只有已关停取缔的场所需要复查，该场所为“{}”", current.governance.zh()),
            format!("only closed premises are re-inspected; these are {}", current.governance.as_str()),
        )));
    }
    let today = china_date(now_s);
    let on = match input.on.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => crate::domain::people::date("on", d)?,
        None => today.clone(),
    };
    if on > today {
        return Err(Error::invalid("on", format!("复查日期 {on} 不能晚于今天"), format!("{on} is in the future")));
    }
    let earliest = current.last_reinspected_on.iter().chain(&current.closed_on).max();
    if let Some(earliest) = earliest.filter(|d| on < **d) {
        return Err(Error::invalid(
            "on",
            format!("复查日期 {on} 早于关停或上次复查日期 {earliest}"),
            format!("{on} is before the closure or the last re-inspection ({earliest})"),
        ));
    }
    let note = printable("note", &input.note)?;
    let note = note.trim();
    if note.is_empty() {
        return Err(Error::invalid("note", "须填写复查情况", "say what the re-inspection found"));
    }
    store::record_reinspection(conn, &current, &on, note, by, &china_timestamp(now_s))
}

/// One CSV row of `gridsafe import enterprises`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CsvRow {
    name: String,
    #[serde(default)]
    uscc: Option<String>,
    #[serde(default)]
    uscc_override: Option<String>,
    #[serde(default)]
    address: String,
    lon: f64,
    lat: f64,
    #[serde(default)]
    industry: String,
    #[serde(default, deserialize_with = "yes_no")]
    above_scale: bool,
    #[serde(default, deserialize_with = "yes_no")]
    key: bool,
    #[serde(default)]
    contact_name: Option<String>,
    #[serde(default)]
    contact_phone: Option<String>,
}

fn yes_no<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    let text = String::deserialize(d)?;
    match text.trim() {
        "1" | "true" | "yes" | "是" | "y" | "Y" => Ok(true),
        "0" | "false" | "no" | "否" | "n" | "N" | "" => Ok(false),
        other => Err(serde::de::Error::custom(format!("expected 是/否, yes/no, 1/0, got \"{other}\""))),
    }
}

/// Imports a CSV of enterprises (header: name,uscc,uscc_override,address,lon,lat,industry,
/// above_scale,key,contact_name,contact_phone) inside the caller's transaction. Every row is
/// checked; any bad row rejects the whole file with a report naming each row (1-based, after
/// the header) and field.
pub fn import_csv(conn: &Connection, maps: &Maps, text: &str, now_s: i64) -> Result<usize> {
    let mut reader =
        csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    for (i, record) in reader.deserialize::<CsvRow>().enumerate() {
        let line = i + 1;
        let row = match record {
            Ok(row) => row,
            Err(e) => {
                problems.push(format!("第 {line} 行 / row {line}: {e}"));
                continue;
            }
        };
        let input = EnterpriseInput {
            name: row.name,
            uscc: row.uscc,
            uscc_override: row.uscc_override,
            address: row.address,
            lon: row.lon,
            lat: row.lat,
            industry: row.industry,
            above_scale: row.above_scale,
            key: row.key,
            contact_name: row.contact_name,
            contact_phone: row.contact_phone,
        };
        match fields(&input, maps, true) {
            Ok(f) => rows.push((line, f)),
            Err(Error::Invalid { field, reason }) => {
                problems.push(format!("第 {line} 行 / row {line} [{field}]: {} / {}", reason.zh, reason.en));
            }
            Err(e) => problems.push(format!("第 {line} 行 / row {line}: {e}")),
        }
    }
    if problems.is_empty() {
        let now = china_timestamp(now_s);
        for (line, f) in &rows {
            if let Err(e) = store::insert(conn, f, &now) {
                problems.push(format!("第 {line} 行 / row {line} [uscc]: {e}"));
            }
        }
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push("文件中没有数据行 / the file has no data rows".into());
    }
    if problems.is_empty() {
        Ok(rows.len())
    } else {
        Err(Error::Rejected {
            summary: Msg::new(
                format!("企业文件被整体拒绝，共 {} 处问题，数据库未作任何修改", problems.len()),
                format!(
                    "enterprises file rejected as a whole, {} problem(s); the database was not changed",
                    problems.len()
                ),
            ),
            problems,
        })
    }
}

/// Filters of the enterprise list.
#[derive(Debug, Clone, Default)]
pub struct EnterpriseFilter {
    /// A grid code: enterprises in it or any grid below.
    pub grid: Option<String>,
    /// Above-scale (规模以上) or not.
    pub above_scale: Option<bool>,
    /// Key enterprise (重点企业) or not.
    pub key: Option<bool>,
    /// The 小散乱污 governance status.
    pub governance: Option<Governance>,
    /// Words the name or the unified social credit code contains (case-insensitive).
    pub text: Option<String>,
    /// Closed premises due a re-inspection on or before this date, soonest first.
    pub reinspection_due_by: Option<String>,
}

fn no_enterprise(id: i64) -> Error {
    Error::not_found(format!("没有编号为 {id} 的企业"), format!("no enterprise {id}"))
}

/// Most enterprises one page lists.
pub const MAX_PAGE: usize = 500;

/// Past this many grids or enterprises a list reads the table in id order
/// with its scope in the residual rather than one index stream per term.
const MANY_TERMS: usize = 256;

/// The SQL list of the enterprises in the caller's scope that pass `filter`
/// (see [`enterprise_query`]): the filters and the scope as the residual,
/// the reader's grids (or the filter's) as the terms.
pub fn list_query(maps: &Maps, scope: &Scope, filter: &EnterpriseFilter) -> Result<EnterpriseQuery> {
    let grids: Option<BTreeSet<String>> = match &filter.grid {
        Some(grid) => {
            maps.grid(grid).ok_or_else(|| {
                Error::invalid("grid", format!("没有编码为 {grid} 的网格"), format!("no grid with code {grid}"))
            })?;
            Some(maps.descendants(grid).into_iter().collect())
        }
        None => None,
    };
    let wide = scope.admin || scope.town_expert;
    let text = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_uppercase);
    let residual = EnterpriseResidual {
        grids: grids.as_ref().map(|g| g.iter().cloned().collect()),
        above_scale: filter.above_scale,
        key: filter.key,
        governance: filter.governance.map(|g| g.as_str().to_owned()),
        text,
        due_by: filter.reinspection_due_by.clone(),
        within: None,
        scope: (!wide).then(|| EnterpriseScope {
            grids: scope.grids.iter().cloned().collect(),
            enterprises: scope.enterprises.iter().copied().collect(),
        }),
    };
    let in_filter = |g: &String| grids.as_ref().is_none_or(|f| f.contains(g));
    let terms = if grids.as_ref().is_some_and(BTreeSet::is_empty) {
        Vec::new()
    } else if !wide && scope.grids.len() + scope.enterprises.len() <= MANY_TERMS {
        // The reader's own grids and enterprises bound the list.
        let grids = scope.grids.iter().filter(|g| in_filter(g)).cloned().map(EnterpriseTerm::Grid);
        grids.chain(scope.enterprises.iter().copied().map(EnterpriseTerm::Id)).collect()
    } else if let Some(g) = grids.filter(|g| g.len() <= MANY_TERMS) {
        g.into_iter().map(EnterpriseTerm::Grid).collect()
    } else {
        vec![EnterpriseTerm::All]
    };
    Ok(EnterpriseQuery { terms, residual })
}

fn parse_cursor(after: &str) -> Result<EnterpriseCursor> {
    let (due, id) = after.rsplit_once('_').unwrap_or(("", after));
    id.parse()
        .ok()
        .filter(|id| *id > 0)
        .map(|id| EnterpriseCursor { due: due.to_owned(), id })
        .ok_or_else(|| Error::invalid("after", "查询参数 after 无效", "invalid query parameter after"))
}

/// One page of the enterprises in the caller's scope that pass `filter`:
/// by id, or for `reinspection_due_by` the closed premises soonest due
/// first. `after` is the previous page's `next` (`<id>`, or `<due>_<id>`).
pub fn page_readable(
    conn: &Connection,
    maps: &Maps,
    scope: &Scope,
    filter: &EnterpriseFilter,
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<Enterprise>, Option<String>)> {
    let query = list_query(maps, scope, filter)?;
    let after = after.map(parse_cursor).transpose()?;
    let (rows, next) = enterprise_query::page(conn, &query, after, limit.clamp(1, usize::MAX / 2))?;
    let next = next.map(|c| if c.due.is_empty() { c.id.to_string() } else { format!("{}_{}", c.due, c.id) });
    Ok((rows, next))
}

/// How many enterprises [`page_readable`] lists over all its pages.
pub fn count_readable(conn: &Connection, maps: &Maps, scope: &Scope, filter: &EnterpriseFilter) -> Result<i64> {
    enterprise_query::count(conn, &list_query(maps, scope, filter)?)
}

/// Every enterprise of [`page_readable`] at once: for lists a scope bounds
/// (a form's choices, the re-inspection list), not for the whole county.
pub fn list_readable(
    conn: &Connection,
    maps: &Maps,
    scope: &Scope,
    filter: &EnterpriseFilter,
) -> Result<Vec<Enterprise>> {
    Ok(page_readable(conn, maps, scope, filter, None, usize::MAX / 2)?.0)
}

/// An enterprise the caller may read, with its closure checklist (item → photo); anything else is a 404.
pub fn load_readable(conn: &Connection, scope: &Scope, id: i64) -> Result<(Enterprise, BTreeMap<String, String>)> {
    let enterprise = store::get(conn, id)?
        .filter(|e| scope.reads_enterprise(e.id, &e.grid_code))
        .ok_or_else(|| no_enterprise(id))?;
    Ok((enterprise, store::checklist(conn, id)?.into_iter().collect()))
}

/// An enterprise for a write: 404 if it does not exist, 403 if it lies
/// outside the grids the caller may write in.
pub fn load_writable(conn: &Connection, scope: &Scope, id: i64) -> Result<Enterprise> {
    let found = store::get(conn, id)?.ok_or_else(|| no_enterprise(id))?;
    if scope.writes_enterprise(&found.grid_code) { Ok(found) } else { Err(forbidden()) }
}

/// Registers an enterprise or premises in the caller's grids.
pub fn create(conn: &Connection, maps: &Maps, scope: &Scope, input: &EnterpriseInput, now: &str) -> Result<Enterprise> {
    let fields = fields(input, maps, scope.admin)?;
    if !scope.writes_enterprise(&fields.grid_code) {
        return Err(forbidden());
    }
    store::insert(conn, &fields, now)
}

/// Edits an enterprise at version `expected` (the current one if none is
/// given); the new location must lie in the caller's grids too.
pub fn update(
    conn: &Connection,
    maps: &Maps,
    scope: &Scope,
    id: i64,
    patch: EnterprisePatch,
    expected: Option<i64>,
    now: &str,
) -> Result<Enterprise> {
    let current = load_writable(conn, scope, id)?;
    let expected = expected.unwrap_or(current.version);
    let fields = patched(&current, patch, maps, scope.admin)?;
    if !scope.writes_enterprise(&fields.grid_code) {
        return Err(forbidden());
    }
    store::update(conn, id, expected, &fields, now)
}
