//! The `enterprises`, `governance_events` and `closure_checklist` tables.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use crate::domain::enterprise::Governance;
use crate::domain::time::add_days;
use crate::error::{Error, Msg, Result};

/// An enterprise or premises as stored, plus its computed next re-inspection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Enterprise {
    /// Row id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Normalised unified social credit code, if any.
    pub uscc: Option<String>,
    /// The admin's note when a code failing its checksum was accepted.
    pub uscc_override: Option<String>,
    /// Address.
    pub address: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// The village grid holding the location (computed).
    pub grid_code: String,
    /// Line of business.
    pub industry: String,
    /// 规模以上企业.
    pub above_scale: bool,
    /// 重点企业.
    pub key: bool,
    /// Contact person.
    pub contact_name: Option<String>,
    /// Contact phone.
    pub contact_phone: Option<String>,
    /// 小散乱污 governance status.
    pub governance: Governance,
    /// Date closed down, when closed.
    pub closed_on: Option<String>,
    /// Days between re-inspections of closed premises.
    pub reinspect_days: i64,
    /// Last re-inspection of closed premises.
    pub last_reinspected_on: Option<String>,
    /// When closed premises are next due a visit (computed, never stored).
    pub next_reinspection: Option<String>,
    /// Created by the demo seed (synthetic codes).
    pub demo: bool,
    /// Optimistic-concurrency version, bumped by every change.
    pub version: i64,
}

/// The editable fields of an enterprise, validated.
#[derive(Debug, Clone)]
pub struct EnterpriseFields {
    /// Name.
    pub name: String,
    /// Normalised USCC.
    pub uscc: Option<String>,
    /// Override note for a checksum failure.
    pub uscc_override: Option<String>,
    /// Address.
    pub address: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// The village grid of the point.
    pub grid_code: String,
    /// Line of business.
    pub industry: String,
    /// 规模以上企业.
    pub above_scale: bool,
    /// 重点企业.
    pub key: bool,
    /// Contact person.
    pub contact_name: Option<String>,
    /// Contact phone.
    pub contact_phone: Option<String>,
    /// Demo data.
    pub demo: bool,
}

const COLUMNS: &str = "id, name, uscc, uscc_override, address, lon, lat, grid_code, industry, above_scale, key,
     contact_name, contact_phone, governance, closed_on, reinspect_days, last_reinspected_on, demo, version";

fn enterprise(r: &Row<'_>) -> rusqlite::Result<Enterprise> {
    let governance: String = r.get(13)?;
    let closed_on: Option<String> = r.get(14)?;
    let reinspect_days: i64 = r.get(15)?;
    let last: Option<String> = r.get(16)?;
    let governance = Governance::parse(&governance)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(13, rusqlite::types::Type::Text, e.into()))?;
    let next_reinspection = match (governance, &last, &closed_on) {
        (Governance::Closed, Some(base), _) | (Governance::Closed, None, Some(base)) => add_days(base, reinspect_days),
        _ => None,
    };
    Ok(Enterprise {
        id: r.get(0)?,
        name: r.get(1)?,
        uscc: r.get(2)?,
        uscc_override: r.get(3)?,
        address: r.get(4)?,
        lon: r.get(5)?,
        lat: r.get(6)?,
        grid_code: r.get(7)?,
        industry: r.get(8)?,
        above_scale: r.get(9)?,
        key: r.get(10)?,
        contact_name: r.get(11)?,
        contact_phone: r.get(12)?,
        governance,
        closed_on,
        reinspect_days,
        last_reinspected_on: last,
        next_reinspection,
        demo: r.get(17)?,
        version: r.get(18)?,
    })
}

fn duplicate(uscc: Option<&str>) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| {
        let code = uscc.unwrap_or("");
        crate::store::on_unique(
            e,
            &format!("统一社会信用代码 {code} 已登记，不能重复"),
            &format!("unified social credit code {code} is already registered"),
        )
    }
}

/// Inserts an enterprise; a duplicate USCC is a conflict.
pub fn insert(conn: &Connection, f: &EnterpriseFields, now: &str) -> Result<Enterprise> {
    conn.prepare_cached(
        "INSERT INTO enterprises (name, uscc, uscc_override, address, lon, lat, grid_code, industry, above_scale, key,
            contact_name, contact_phone, demo, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
    )?
    .execute(params![
        f.name,
        f.uscc,
        f.uscc_override,
        f.address,
        f.lon,
        f.lat,
        f.grid_code,
        f.industry,
        f.above_scale,
        f.key,
        f.contact_name,
        f.contact_phone,
        f.demo,
        now
    ])
    .map_err(duplicate(f.uscc.as_deref()))?;
    get(conn, conn.last_insert_rowid())?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("enterprise vanished after insert")))
}

/// Rewrites the editable fields if the stored version is still `version`.
pub fn update(conn: &Connection, id: i64, version: i64, f: &EnterpriseFields, now: &str) -> Result<Enterprise> {
    let changed = conn
        .execute(
            "UPDATE enterprises SET name = ?3, uscc = ?4, uscc_override = ?5, address = ?6, lon = ?7, lat = ?8,
                grid_code = ?9, industry = ?10, above_scale = ?11, key = ?12, contact_name = ?13, contact_phone = ?14,
                updated_at = ?15, version = version + 1
             WHERE id = ?1 AND version = ?2",
            params![
                id,
                version,
                f.name,
                f.uscc,
                f.uscc_override,
                f.address,
                f.lon,
                f.lat,
                f.grid_code,
                f.industry,
                f.above_scale,
                f.key,
                f.contact_name,
                f.contact_phone,
                now
            ],
        )
        .map_err(duplicate(f.uscc.as_deref()))?;
    if changed == 0 {
        return Err(stale());
    }
    get(conn, id)?.ok_or_else(|| Error::Internal(anyhow::anyhow!("enterprise {id} vanished after update")))
}

/// The error for a write based on an outdated version.
pub fn stale() -> Error {
    Error::Stale(Msg::new("记录已被他人修改，请刷新后重试", "the record was changed by someone else; reload and retry"))
}

/// A checked governance change.
#[derive(Debug, Clone)]
pub struct GovernanceChange<'a> {
    /// The new status.
    pub to: Governance,
    /// Why.
    pub note: &'a str,
    /// For a closure, each checklist item with its photo's media id.
    pub checklist: Vec<(&'static str, String)>,
    /// Who.
    pub by: i64,
    /// Today's date (the closure date).
    pub today: String,
    /// Timestamp of the change.
    pub now: String,
}

/// Moves the governance status, recording who, why and (for a closure) the checklist.
pub fn set_governance(conn: &Connection, current: &Enterprise, change: &GovernanceChange<'_>) -> Result<Enterprise> {
    let GovernanceChange { to, note, checklist, by, today, now } = change;
    let closed_on = (*to == Governance::Closed).then_some(today);
    let changed = conn
        .prepare_cached(
            "UPDATE enterprises SET governance = ?3, closed_on = coalesce(?4, closed_on), updated_at = ?5,
            version = version + 1 WHERE id = ?1 AND version = ?2",
        )?
        .execute(params![current.id, current.version, to.as_str(), closed_on, now])?;
    if changed == 0 {
        return Err(stale());
    }
    conn.prepare_cached(
        "INSERT INTO governance_events (enterprise_id, from_status, to_status, note, by_person, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![current.id, current.governance.as_str(), to.as_str(), note, by, now])?;
    let mut item = conn.prepare_cached(
        "INSERT INTO closure_checklist (enterprise_id, item, media_id, recorded_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (enterprise_id, item) DO UPDATE SET media_id = excluded.media_id, recorded_at = excluded.recorded_at",
    )?;
    for (name, media) in checklist {
        item.execute(params![current.id, name, media, now])?;
    }
    get(conn, current.id)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("enterprise vanished after governance change")))
}

/// Records a re-inspection of closed premises on `on` (YYYY-MM-DD): the next
/// one falls due from that day. Logged with the governance events, as a move
/// from closed to closed.
pub fn record_reinspection(
    conn: &Connection,
    current: &Enterprise,
    on: &str,
    note: &str,
    by: i64,
    now: &str,
) -> Result<Enterprise> {
    let changed = conn
        .prepare_cached(
            "UPDATE enterprises SET last_reinspected_on = ?3, updated_at = ?4, version = version + 1
             WHERE id = ?1 AND version = ?2",
        )?
        .execute(params![current.id, current.version, on, now])?;
    if changed == 0 {
        return Err(stale());
    }
    conn.prepare_cached(
        "INSERT INTO governance_events (enterprise_id, from_status, to_status, note, by_person, at)
         VALUES (?1, 'closed', 'closed', ?2, ?3, ?4)",
    )?
    .execute(params![current.id, format!("复查 {on}：{note}"), by, now])?;
    get(conn, current.id)?.ok_or_else(|| Error::Internal(anyhow::anyhow!("enterprise vanished after re-inspection")))
}

/// The closure checklist of an enterprise: (item, media id).
pub fn checklist(conn: &Connection, id: i64) -> Result<Vec<(String, String)>> {
    let mut stmt =
        conn.prepare_cached("SELECT item, media_id FROM closure_checklist WHERE enterprise_id = ?1 ORDER BY item")?;
    let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One enterprise.
pub fn get(conn: &Connection, id: i64) -> Result<Option<Enterprise>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM enterprises WHERE id = ?1"))?
        .query_row([id], enterprise)
        .optional()?)
}

/// The enterprise registered under a (normalised) unified social credit code.
pub fn by_uscc(conn: &Connection, uscc: &str) -> Result<Option<Enterprise>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM enterprises WHERE uscc = ?1"))?
        .query_row([uscc], enterprise)
        .optional()?)
}

/// The enterprises registered under exactly this name (usually one).
pub fn by_name(conn: &Connection, name: &str) -> Result<Vec<Enterprise>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM enterprises WHERE name = ?1 ORDER BY id LIMIT 2"))?;
    let rows = stmt.query_map([name], enterprise)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every enterprise, by id. Callers filter by scope and query.
pub fn list(conn: &Connection) -> Result<Vec<Enterprise>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM enterprises ORDER BY id"))?;
    let rows = stmt.query_map([], enterprise)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
