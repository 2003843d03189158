//! The `patrols` table: patrol logs with their computed metrics and verdict,
//! the cases their findings opened, reviews, idempotency keys, the per-level
//! rules, and the track index (fingerprint and cells) that finds the earlier
//! logs a new track may repeat.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use serde_json::Value;

use crate::domain::patrol::Rules;
use crate::error::{Error, Msg, Result};

/// A stored patrol log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatrolRow {
    /// Row id.
    #[serde(skip)]
    pub id: i64,
    /// `XH-2026-000001`.
    pub code: String,
    /// The chief who patrolled.
    pub chief_id: i64,
    /// The chief's level on this river: `town`, `community` or `village`.
    pub level: String,
    /// River code.
    pub river_code: String,
    /// Start (Unix seconds).
    pub started_s: i64,
    /// End (Unix seconds).
    pub ended_s: i64,
    /// YYYY-MM of the start, China time.
    pub month: String,
    /// The track as a GeoJSON LineString geometry.
    pub track: Value,
    /// Unix seconds per point, when the phone recorded them.
    pub times: Option<Vec<i64>>,
    /// Number of track points.
    pub points: i64,
    /// Geodesic length of the track.
    pub distance_m: f64,
    /// Duration in minutes.
    pub minutes: f64,
    /// Fastest movement between two fixes.
    pub max_speed_kmh: f64,
    /// Share of track points outside the river buffer.
    pub off_river_share: f64,
    /// Reaches touched: `[{code, share}]`.
    pub reaches: Value,
    /// The checklist: `[{type, status, note}]`.
    pub checklist: Value,
    /// Free notes.
    pub notes: String,
    /// Photo media ids.
    pub photos: Vec<String>,
    /// Whether the log counts.
    pub valid: bool,
    /// Why it does not count: `[{zh, en}]`.
    pub reasons: Value,
    /// `pending`, `approved` or `returned`.
    pub review_status: String,
    /// Reviewer.
    pub reviewed_by: Option<i64>,
    /// When reviewed.
    pub reviewed_at: Option<String>,
    /// The reviewer's comment.
    pub review_comment: Option<String>,
    /// When filed.
    pub filed_at: String,
    /// Version for If-Match.
    pub version: i64,
}

const COLUMNS: &str = "id, code, chief_id, level, river_code, started_s, ended_s, month, track, times, points,
    distance_m, minutes, max_speed_kmh, off_river_share, reaches, checklist, notes, photos, valid, reasons,
    review_status, reviewed_by, reviewed_at, review_comment, filed_at, version";

fn json(r: &Row<'_>, i: usize) -> rusqlite::Result<Value> {
    let text: String = r.get(i)?;
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn patrol(r: &Row<'_>) -> rusqlite::Result<PatrolRow> {
    let times: Option<String> = r.get(9)?;
    let photos: String = r.get(18)?;
    Ok(PatrolRow {
        id: r.get(0)?,
        code: r.get(1)?,
        chief_id: r.get(2)?,
        level: r.get(3)?,
        river_code: r.get(4)?,
        started_s: r.get(5)?,
        ended_s: r.get(6)?,
        month: r.get(7)?,
        track: json(r, 8)?,
        times: times.and_then(|t| serde_json::from_str(&t).ok()),
        points: r.get(10)?,
        distance_m: r.get(11)?,
        minutes: r.get(12)?,
        max_speed_kmh: r.get(13)?,
        off_river_share: r.get(14)?,
        reaches: json(r, 15)?,
        checklist: json(r, 16)?,
        notes: r.get(17)?,
        photos: serde_json::from_str(&photos).unwrap_or_default(),
        valid: r.get(19)?,
        reasons: json(r, 20)?,
        review_status: r.get(21)?,
        reviewed_by: r.get(22)?,
        reviewed_at: r.get(23)?,
        review_comment: r.get(24)?,
        filed_at: r.get(25)?,
        version: r.get(26)?,
    })
}

/// Issues the next patrol code of `year`, gap-free (inside the filing transaction).
pub fn next_code(conn: &Connection, year: i64) -> Result<String> {
    let last: i64 = conn
        .prepare_cached(
            "INSERT INTO patrol_counters (year, last) VALUES (?1, 1)
             ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last",
        )?
        .query_row([year], |r| r.get(0))?;
    Ok(code(year, last))
}

/// The `n`-th patrol code of `year`: `XH-<year>-<6 digits>`.
pub fn code(year: i64, n: i64) -> String {
    format!("XH-{year}-{n:06}")
}

/// Sets the last code issued in `year` (after a bulk load coded its logs
/// itself with [`code`]).
pub fn set_counter(conn: &Connection, year: i64, last: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO patrol_counters (year, last) VALUES (?1, ?2) ON CONFLICT (year) DO UPDATE SET last = ?2",
    )?
    .execute([year, last])?;
    Ok(())
}

/// Stores a patrol; returns its id.
pub fn insert(conn: &Connection, p: &PatrolRow) -> Result<i64> {
    insert_all(conn, std::slice::from_ref(p))?;
    Ok(conn.last_insert_rowid())
}

/// Stores patrols in order (a bulk load's many at a time).
pub fn insert_all(conn: &Connection, rows: &[PatrolRow]) -> Result<()> {
    super::insert_many(conn, "patrols", COLUMNS.trim_start_matches("id, "), rows, |b, p| {
        let json = |v: &Value| v.to_string();
        b.value(&p.code)?;
        b.value(p.chief_id)?;
        b.value(&p.level)?;
        b.value(&p.river_code)?;
        b.value(p.started_s)?;
        b.value(p.ended_s)?;
        b.value(&p.month)?;
        b.value(json(&p.track))?;
        b.value(p.times.as_ref().map(|t| serde_json::to_string(t).unwrap_or_default()))?;
        b.value(p.points)?;
        b.value(p.distance_m)?;
        b.value(p.minutes)?;
        b.value(p.max_speed_kmh)?;
        b.value(p.off_river_share)?;
        b.value(json(&p.reaches))?;
        b.value(json(&p.checklist))?;
        b.value(&p.notes)?;
        b.value(serde_json::to_string(&p.photos).unwrap_or_else(|_| "[]".into()))?;
        b.value(p.valid)?;
        b.value(json(&p.reasons))?;
        b.value(&p.review_status)?;
        b.value(p.reviewed_by)?;
        b.value(&p.reviewed_at)?;
        b.value(&p.review_comment)?;
        b.value(&p.filed_at)?;
        b.value(p.version)
    })
}

/// A patrol by code.
pub fn by_code(conn: &Connection, code: &str) -> Result<Option<PatrolRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM patrols WHERE code = ?1"))?
        .query_row([code], patrol)
        .optional()?)
}

/// The logs walked in `[from_s, to_s)`, oldest first, after the log `after`
/// (a keyset page over `patrols_started`: at most `limit`).
pub fn in_window_after(
    conn: &Connection,
    (from_s, to_s): (i64, i64),
    after: Option<i64>,
    limit: usize,
) -> Result<Vec<PatrolRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id FROM patrols p INDEXED BY patrols_started WHERE p.started_s >= ?1 AND p.started_s < ?2
           AND (?3 IS NULL OR (p.started_s, p.id) > ((SELECT a.started_s FROM patrols a WHERE a.id = ?3), ?3))
         ORDER BY p.started_s, p.id LIMIT ?4",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let ids: Vec<i64> = stmt
        .query_map(rusqlite::params![from_s, to_s, after, limit], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        rows.extend(by_id(conn, id)?);
    }
    Ok(rows)
}

/// How many logs were walked in `[from_s, to_s)`.
pub fn count_in_window(conn: &Connection, (from_s, to_s): (i64, i64)) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM patrols INDEXED BY patrols_started WHERE started_s >= ?1 AND started_s < ?2",
        )?
        .query_row([from_s, to_s], |r| r.get(0))?)
}

/// Whether any log of river `river` was walked in `[from_s, to_s)`.
pub fn river_walked(conn: &Connection, river: &str, (from_s, to_s): (i64, i64)) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM patrols INDEXED BY patrols_river_started
             WHERE river_code = ?1 AND started_s >= ?2 AND started_s < ?3)",
        )?
        .query_row(rusqlite::params![river, from_s, to_s], |r| r.get(0))?)
}

/// A patrol by id.
pub fn by_id(conn: &Connection, id: i64) -> Result<Option<PatrolRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM patrols WHERE id = ?1"))?
        .query_row([id], patrol)
        .optional()?)
}

/// The end of the chief's latest patrol that started before `before_s`.
pub fn previous_end(conn: &Connection, chief_id: i64, before_s: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT max(ended_s) FROM patrols WHERE chief_id = ?1 AND started_s < ?2")?
        .query_row(params![chief_id, before_s], |r| r.get(0))?)
}

/// Patrols, newest first, optionally of one river and/or one month (over
/// the river or month index when given; everything only when neither is).
pub fn list(conn: &Connection, river: Option<&str>, month: Option<&str>) -> Result<Vec<PatrolRow>> {
    let condition = match (river, month) {
        (Some(_), Some(_)) => "river_code = ?1 AND month = ?2",
        (Some(_), None) => "river_code = ?1 AND ?2 IS NULL",
        (None, Some(_)) => "?1 IS NULL AND month = ?2",
        (None, None) => "?1 IS NULL AND ?2 IS NULL",
    };
    let mut stmt = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM patrols WHERE {condition} ORDER BY started_s DESC, id DESC"))?;
    Ok(stmt.query_map(params![river, month], patrol)?.collect::<rusqlite::Result<_>>()?)
}

/// Records a review if the version is still `expected`.
pub fn review(conn: &Connection, p: &PatrolRow, expected: i64) -> Result<()> {
    let changed = conn
        .prepare_cached(
            "UPDATE patrols SET review_status = ?3, reviewed_by = ?4, reviewed_at = ?5, review_comment = ?6,
            version = version + 1 WHERE id = ?1 AND version = ?2",
        )?
        .execute(params![p.id, expected, p.review_status, p.reviewed_by, p.reviewed_at, p.review_comment])?;
    if changed == 0 {
        return Err(stale());
    }
    Ok(())
}

fn stale() -> Error {
    Error::Stale(Msg::new(
        "巡河日志已被他人更新，请刷新后重试",
        "the patrol log changed since it was read; reload and retry",
    ))
}

/// Stores a resubmitted log's checklist, notes and review state if the
/// version is still `expected`.
pub fn resubmit(conn: &Connection, p: &PatrolRow, expected: i64) -> Result<()> {
    let changed = conn
        .prepare_cached(
            "UPDATE patrols SET checklist = ?3, notes = ?4, review_status = ?5, version = version + 1
         WHERE id = ?1 AND version = ?2",
        )?
        .execute(params![p.id, expected, p.checklist.to_string(), p.notes, p.review_status])?;
    if changed == 0 {
        return Err(stale());
    }
    Ok(())
}

/// Links a case a finding opened.
pub fn link_case(conn: &Connection, patrol_id: i64, case_id: i64) -> Result<()> {
    conn.prepare_cached("INSERT INTO patrol_cases (patrol_id, case_id) VALUES (?1, ?2)")?
        .execute(params![patrol_id, case_id])?;
    Ok(())
}

/// Case numbers a patrol opened.
pub fn case_numbers(conn: &Connection, patrol_id: i64) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.number FROM patrol_cases pc JOIN cases c ON c.id = pc.case_id WHERE pc.patrol_id = ?1 ORDER BY c.id",
    )?;
    Ok(stmt.query_map([patrol_id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
}

/// The patrol an earlier request with this key filed, and that request's hash (if recorded).
pub fn idempotent(conn: &Connection, person: i64, key: &str) -> Result<Option<(i64, Option<String>)>> {
    Ok(conn
        .prepare_cached("SELECT patrol_id, request_sha256 FROM patrol_idempotency WHERE person_id = ?1 AND key = ?2")?
        .query_row(params![person, key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Remembers the patrol a key filed and the hash of the request (same transaction as the patrol).
pub fn remember(conn: &Connection, person: i64, key: &str, patrol_id: i64, request_sha256: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO patrol_idempotency (person_id, key, patrol_id, request_sha256) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![person, key, patrol_id, request_sha256])?;
    Ok(())
}

/// The rules of a chief level.
pub fn rules(conn: &Connection, level: &str) -> Result<Rules> {
    conn.prepare_cached(
        "SELECT min_minutes, min_distance_m, min_interval_minutes, buffer_m, max_speed_kmh, per_month,
            clock_tolerance_minutes, replay_m
         FROM patrol_rules WHERE level = ?1",
    )?
    .query_row([level], |r| {
        Ok(Rules {
            min_minutes: r.get(0)?,
            min_distance_m: r.get(1)?,
            min_interval_minutes: r.get(2)?,
            buffer_m: r.get(3)?,
            max_speed_kmh: r.get(4)?,
            per_month: r.get(5)?,
            clock_tolerance_minutes: r.get(6)?,
            replay_m: r.get(7)?,
        })
    })
    .optional()?
    .ok_or_else(|| Error::Internal(anyhow::anyhow!("no patrol rules for level {level}")))
}

/// Replaces the rules of a chief level (inside the settings transaction).
pub fn set_rules(conn: &Connection, level: &str, r: &Rules) -> Result<()> {
    conn.prepare_cached(
        "UPDATE patrol_rules SET min_minutes = ?2, min_distance_m = ?3, min_interval_minutes = ?4, buffer_m = ?5,
            max_speed_kmh = ?6, per_month = ?7, clock_tolerance_minutes = ?8, replay_m = ?9
         WHERE level = ?1",
    )?
    .execute(params![
        level,
        r.min_minutes,
        r.min_distance_m,
        r.min_interval_minutes,
        r.buffer_m,
        r.max_speed_kmh,
        r.per_month,
        r.clock_tolerance_minutes,
        r.replay_m
    ])?;
    Ok(())
}

// The rules' version lives in `settings` (a key per setting, no schema change):
// 1 until the first edit.
const RULES_VERSION: &str = "patrol_rules_version";

/// The version of the rules as a whole, for If-Match.
pub fn rules_version(conn: &Connection) -> Result<i64> {
    Ok(crate::store::documents::setting(conn, RULES_VERSION)?.and_then(|v| v.parse().ok()).unwrap_or(1))
}

/// Moves the rules to the next version if they are still at `expected` (any
/// when `None`); returns the new version.
pub fn bump_rules_version(conn: &Connection, expected: Option<i64>) -> Result<i64> {
    let current = rules_version(conn)?;
    if expected.is_some_and(|e| e != current) {
        return Err(Error::Stale(Msg::new(
            "巡河规则已被他人修改，请刷新后重试",
            "the patrol rules changed since they were read; reload and retry",
        )));
    }
    crate::store::documents::set_setting(conn, RULES_VERSION, &(current + 1).to_string())?;
    Ok(current + 1)
}

/// Records a filed log's track fingerprint and cells (same transaction as the log).
pub fn index_track(conn: &Connection, patrol_id: i64, sha256: &str, cells: &[i64]) -> Result<()> {
    conn.prepare_cached("UPDATE patrols SET track_sha256 = ?2 WHERE id = ?1")?.execute(params![patrol_id, sha256])?;
    let mut insert = conn.prepare_cached("INSERT OR IGNORE INTO patrol_cells (cell, patrol_id) VALUES (?1, ?2)")?;
    for cell in cells {
        insert.execute(params![cell, patrol_id])?;
    }
    Ok(())
}

/// Records the cells of every stored track in one statement (as migration
/// 0007 did for the logs filed before it): for a bulk load that wrote its
/// logs without them.
pub fn index_all_cells(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "INSERT OR IGNORE INTO patrol_cells (cell, patrol_id)
         SELECT CAST((json_extract(c.value, '$[0]') + 180.0) / 0.002 AS INTEGER) * 1000000
                + CAST((json_extract(c.value, '$[1]') + 90.0) / 0.002 AS INTEGER),
                p.id
         FROM patrols p, json_each(p.track, '$.coordinates') c",
    )?;
    Ok(())
}

/// The code of the earliest log with exactly this track fingerprint, if any.
pub fn with_fingerprint(conn: &Connection, sha256: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT code FROM patrols WHERE track_sha256 = ?1 ORDER BY id LIMIT 1")?
        .query_row([sha256], |r| r.get(0))
        .optional()?)
}

/// The logs after `after_id` that pass through at least `min_shared` of
/// `cells`, oldest first: one index lookup per cell, never a scan of the logs.
pub fn sharing_cells(conn: &Connection, cells: &[i64], min_shared: usize, after_id: i64) -> Result<Vec<i64>> {
    let mut shared: std::collections::BTreeMap<i64, usize> = std::collections::BTreeMap::new();
    let mut stmt = conn.prepare_cached("SELECT patrol_id FROM patrol_cells WHERE cell = ?1 AND patrol_id > ?2")?;
    for cell in cells {
        for id in stmt.query_map(params![cell, after_id], |r| r.get::<_, i64>(0))? {
            *shared.entry(id?).or_default() += 1;
        }
    }
    Ok(shared.into_iter().filter(|(_, n)| *n >= min_shared.max(1)).map(|(id, _)| id).collect())
}

/// What the repeat search needs of an earlier log.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTrack {
    /// `XH-2026-000001`.
    pub code: String,
    /// The fixes, `[lon, lat]`.
    pub coordinates: Vec<[f64; 2]>,
    /// When the walk happened: the first and last fix's times, else the declared start and end.
    pub span: (i64, i64),
}

/// A log's code, fixes and time span, read without the rest of the row.
pub fn track_of(conn: &Connection, id: i64) -> Result<Option<StoredTrack>> {
    #[derive(serde::Deserialize)]
    struct Line {
        coordinates: Vec<[f64; 2]>,
    }
    let row = conn
        .prepare_cached("SELECT code, track, times, started_s, ended_s FROM patrols WHERE id = ?1")?
        .query_row([id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    Ok(row.map(|(code, track, times, started_s, ended_s)| {
        let coordinates = serde_json::from_str::<Line>(&track).map(|l| l.coordinates).unwrap_or_default();
        let times: Option<Vec<i64>> = times.and_then(|t| serde_json::from_str(&t).ok());
        let span = match times.as_deref() {
            Some([first, .., last]) => (*first, *last),
            _ => (started_s, ended_s),
        };
        StoredTrack { code, coordinates, span }
    }))
}

/// The newest log's id (0 when there is none).
pub fn last_id(conn: &Connection) -> Result<i64> {
    Ok(conn.prepare_cached("SELECT coalesce(max(id), 0) FROM patrols")?.query_row([], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::migrate::{self, MIGRATIONS};

    #[test]
    fn logs_filed_before_the_track_index_get_their_cells_and_lookups_use_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::store::open_connection(&dir.path().join("p.db")).unwrap();
        conn.pragma_update(None, "foreign_keys", false).unwrap();
        for (version, (_, sql)) in MIGRATIONS.iter().take(6).enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", version as i64 + 1).unwrap();
        }
        let line = geo::wkt!(LINESTRING(118.6001 36.7001,118.6052 36.7013,118.6103 36.7030,118.6104 36.7031));
        let track = serde_json::to_string(&geojson::Geometry::from(&line)).unwrap();
        conn.execute(
            "INSERT INTO patrols (code, chief_id, level, river_code, started_s, ended_s, month, track, points,
                distance_m, minutes, max_speed_kmh, off_river_share, reaches, checklist, notes, photos, valid,
                reasons, filed_at)
             VALUES ('XH-2026-000001', 1, 'town', 'mihe', 0, 3600, '2026-11', ?1, 4, 1000, 60, 4, 0, '[]', '[]',
                '', '[]', 1, '[]', '2026-11-20')",
            [track],
        )
        .unwrap();
        migrate::run(&mut conn).unwrap();
        let mut stmt = conn.prepare("SELECT cell FROM patrol_cells WHERE patrol_id = 1 ORDER BY cell").unwrap();
        let stored: Vec<i64> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        assert_eq!(stored, crate::spatial::track::cells(&line), "SQL and Rust agree on the cells");
        assert_eq!(stored.len(), 3);
        assert_eq!(sharing_cells(&conn, &stored[..2], 2, 0).unwrap(), [1]);
        assert!(sharing_cells(&conn, &stored[..2], 2, 1).unwrap().is_empty());
        let plan = |sql: &str| -> String {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            stmt.query_map([1, 2], |r| r.get::<_, String>(3))
                .unwrap()
                .map(Result::unwrap)
                .collect::<Vec<_>>()
                .join("; ")
        };
        let cells = plan("SELECT patrol_id FROM patrol_cells WHERE cell = ?1 AND patrol_id > ?2");
        assert!(cells.contains("SEARCH") && cells.contains("PRIMARY KEY"), "{cells}");
        let fingerprint = plan("SELECT code FROM patrols WHERE track_sha256 = ?1 AND ?2 ORDER BY id LIMIT 1");
        assert!(fingerprint.contains("patrols_by_track_sha256"), "{fingerprint}");
    }
}

/// What drives a page of logs: an index read newest walk first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatrolTerm {
    /// Every log.
    All,
    /// One chief's logs.
    Chief(i64),
    /// One river's logs by chiefs at these levels.
    River(String, Vec<String>),
}

/// Where a page of logs starts: after the log that began at `started_s` with this id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PatrolCursor {
    /// Start of the last log listed (Unix seconds).
    pub started_s: i64,
    /// Its id.
    pub id: i64,
}

/// The statement reading one term's entries between `low` and `high`, newest first, at most `want`.
fn stream(
    term: &PatrolTerm,
    (river, from_s, to_s): (Option<&str>, i64, i64),
    high: PatrolCursor,
    low: PatrolCursor,
    want: usize,
) -> (String, Vec<rusqlite::types::Value>) {
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    let (index, condition) = match term {
        PatrolTerm::All => ("patrols_started", "1".to_owned()),
        PatrolTerm::Chief(id) => {
            args.push((*id).into());
            ("patrols_by_chief", "chief_id = ?".to_owned())
        }
        PatrolTerm::River(code, levels) => {
            args.push(code.clone().into());
            args.extend(levels.iter().cloned().map(Into::into));
            let marks = vec!["?"; levels.len()].join(",");
            ("patrols_river_started", format!("river_code = ? AND level IN ({marks})"))
        }
    };
    let mut sql = format!(
        "SELECT started_s, id FROM patrols INDEXED BY {index} WHERE {condition}
         AND started_s >= ? AND started_s < ? AND (started_s, id) < (?, ?) AND (started_s, id) > (?, ?)"
    );
    args.extend([from_s, to_s, high.started_s, high.id, low.started_s, low.id].map(Into::into));
    if let Some(r) = river {
        sql.push_str(" AND river_code = ?");
        args.push(r.to_owned().into());
    }
    sql.push_str(" ORDER BY started_s DESC, id DESC LIMIT ?");
    args.push((want as i64).into());
    (sql, args)
}

/// The query plan of each statement a page over `terms` runs (`EXPLAIN QUERY PLAN` details).
pub fn plans(conn: &Connection, terms: &[PatrolTerm], window: (Option<&str>, i64, i64)) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for term in terms {
        let high = PatrolCursor { started_s: i64::MAX, id: i64::MAX };
        let low = PatrolCursor { started_s: i64::MIN, id: 0 };
        let (sql, args) = stream(term, window, high, low, 51);
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let details: Vec<String> = stmt
            .query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3))?
            .collect::<rusqlite::Result<_>>()?;
        out.push(details.join("; "));
    }
    Ok(out)
}

/// One page of the logs in any of `terms` that began in `[from_s, to_s)` (and
/// on `river`, if given), newest walk first (`started_s`, then id, both
/// descending), after `after`: at most `limit` and the next page's cursor.
/// Each term reads at most `limit + 1` entries of its index below the cursor.
pub fn page(
    conn: &Connection,
    terms: &[PatrolTerm],
    (river, from_s, to_s): (Option<&str>, i64, i64),
    after: Option<PatrolCursor>,
    limit: usize,
) -> Result<(Vec<PatrolRow>, Option<PatrolCursor>)> {
    let want = limit + 1;
    let high = after.unwrap_or(PatrolCursor { started_s: i64::MAX, id: i64::MAX });
    let mut best: Vec<PatrolCursor> = Vec::new();
    for term in terms {
        let low = if best.len() >= want { best[want - 1] } else { PatrolCursor { started_s: i64::MIN, id: 0 } };
        let (sql, args) = stream(term, (river, from_s, to_s), high, low, want);
        let mut stmt = conn.prepare_cached(&sql)?;
        let found = stmt.query_map(rusqlite::params_from_iter(args), |r| {
            Ok(PatrolCursor { started_s: r.get(0)?, id: r.get(1)? })
        })?;
        for c in found {
            best.push(c?);
        }
        best.sort_unstable_by(|a, b| b.cmp(a));
        best.dedup();
        best.truncate(want);
    }
    let next = (best.len() > limit).then(|| best[limit - 1]);
    best.truncate(limit);
    let mut rows = Vec::with_capacity(best.len());
    for c in best {
        rows.extend(by_id(conn, c.id)?);
    }
    Ok((rows, next))
}

/// How many logs a page over `terms` lists over all its pages, if at most
/// `cap`; `None` when there are more. Each term's index is read for at most
/// `cap + 1` entries, so a count never reads the whole table.
pub fn count_up_to(
    conn: &Connection,
    terms: &[PatrolTerm],
    window: (Option<&str>, i64, i64),
    cap: usize,
) -> Result<Option<usize>> {
    let mut seen: std::collections::HashSet<i64> = std::collections::HashSet::new();
    let high = PatrolCursor { started_s: i64::MAX, id: i64::MAX };
    let low = PatrolCursor { started_s: i64::MIN, id: 0 };
    for term in terms {
        let (sql, args) = stream(term, window, high, low, cap + 1);
        let mut stmt = conn.prepare_cached(&sql)?;
        for id in stmt.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, i64>(1))? {
            seen.insert(id?);
        }
        if seen.len() > cap {
            return Ok(None);
        }
    }
    Ok(Some(seen.len()))
}

/// The start of the first and of the last walk logged (Unix seconds), one
/// probe at each end of `patrols_started`; `None` when there is no log.
pub fn started_span(conn: &Connection) -> Result<Option<(i64, i64)>> {
    let end = |order: &str| -> Result<Option<i64>> {
        let sql =
            format!("SELECT started_s FROM patrols INDEXED BY patrols_started ORDER BY started_s {order} LIMIT 1");
        Ok(conn.prepare_cached(&sql)?.query_row([], |r| r.get(0)).optional()?)
    };
    Ok(end("ASC")?.zip(end("DESC")?))
}

/// The logs with a fix in any of these inclusive ranges of track-index cells
/// (see `spatial::track::cell_ranges`), or `None` when more than `cap` are.
pub fn ids_in_cells(conn: &Connection, ranges: &[(i64, i64)], cap: usize) -> Result<Option<Vec<i64>>> {
    let mut ids: std::collections::BTreeSet<i64> = std::collections::BTreeSet::new();
    let mut stmt = conn.prepare_cached("SELECT patrol_id FROM patrol_cells WHERE cell BETWEEN ?1 AND ?2")?;
    for &(low, high) in ranges {
        for id in stmt.query_map(params![low, high], |r| r.get::<_, i64>(0))? {
            ids.insert(id?);
            if ids.len() > cap {
                return Ok(None);
            }
        }
    }
    Ok(Some(ids.into_iter().collect()))
}

/// The page keys (start and id) of these logs.
pub fn keys_of(conn: &Connection, ids: &[i64]) -> Result<Vec<PatrolCursor>> {
    let mut stmt = conn.prepare_cached("SELECT started_s FROM patrols WHERE id = ?1")?;
    let mut keys = Vec::with_capacity(ids.len());
    for &id in ids {
        if let Some(started_s) = stmt.query_row([id], |r| r.get(0)).optional()? {
            keys.push(PatrolCursor { started_s, id });
        }
    }
    Ok(keys)
}

/// Whether the track index holds this log in this cell.
pub fn in_cell(conn: &Connection, cell: i64, patrol_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM patrol_cells WHERE cell = ?1 AND patrol_id = ?2)")?
        .query_row([cell, patrol_id], |r| r.get(0))?)
}

/// The first and the last log filed (by id), if any.
pub fn first_and_last(conn: &Connection) -> Result<Option<(PatrolRow, PatrolRow)>> {
    // One aggregate a statement: SQLite answers a lone min() or max() of the rowid with one probe.
    let first: Option<i64> = conn.prepare_cached("SELECT min(id) FROM patrols")?.query_row([], |r| r.get(0))?;
    let last: Option<i64> = conn.prepare_cached("SELECT max(id) FROM patrols")?.query_row([], |r| r.get(0))?;
    match (first, last) {
        (Some(a), Some(b)) => Ok(by_id(conn, a)?.zip(by_id(conn, b)?)),
        _ => Ok(None),
    }
}
