//! The `cases`, `case_photos`, `case_counters`, `categories` and `idempotency` tables.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use crate::domain::time::{format_date, parse_date};
use crate::error::{Error, Msg, Result};

/// A case as stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CaseRow {
    /// Row id.
    #[serde(skip)]
    pub id: i64,
    /// `TF-2026-000123`.
    pub number: String,
    /// `safety`, `environment` or `river`.
    pub kind: String,
    /// Leaf category code.
    pub category: String,
    /// `general` or `major`.
    pub grade: String,
    /// The clause a major grade was judged against.
    pub criterion: Option<String>,
    /// Short title.
    pub title: String,
    /// What was found.
    pub description: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Village grid.
    pub grid_code: String,
    /// Enterprise concerned.
    pub enterprise_id: Option<i64>,
    /// Snapped reach.
    pub reach_code: Option<String>,
    /// Who filed it.
    pub reporter_id: i64,
    /// Current status.
    pub status: String,
    /// Responsible party named at dispatch.
    pub responsible: Option<String>,
    /// Required measures.
    pub measures: Option<String>,
    /// Current deadline.
    pub deadline: Option<String>,
    /// The 五落实 plan (JSON).
    #[schema(value_type = Option<Object>)]
    pub plan: Option<serde_json::Value>,
    /// The county department it was handed to.
    pub transferred_to: Option<String>,
    /// Under supervision.
    pub supervised: bool,
    /// Times returned for rework.
    pub rework_count: i64,
    /// Times extended.
    pub extension_count: i64,
    /// What the fix was.
    pub fix_description: Option<String>,
    /// When filed.
    pub reported_at: String,
    /// When closed.
    pub closed_at: Option<String>,
    /// Version for If-Match; equals the number of audit entries.
    pub version: i64,
    /// Referred to the river's police chief as a law-enforcement lead.
    pub police_referred: bool,
    /// The police chief's outcome: `filed` (立案), `dispersed` (劝离) or `handed_over` (移交).
    pub police_outcome: Option<String>,
}

const COLUMNS: &str = "id, number, kind, category_code, grade, criterion, title, description, lon, lat, grid_code,
    enterprise_id, reach_code, reporter_id, status, responsible, measures, deadline, plan, transferred_to, supervised,
    rework_count, extension_count, fix_description, reported_at, closed_at, version, police_referred, police_outcome";

fn case(r: &Row<'_>) -> rusqlite::Result<CaseRow> {
    let plan: Option<String> = r.get(18)?;
    Ok(CaseRow {
        id: r.get(0)?,
        number: r.get(1)?,
        kind: r.get(2)?,
        category: r.get(3)?,
        grade: r.get(4)?,
        criterion: r.get(5)?,
        title: r.get(6)?,
        description: r.get(7)?,
        lon: r.get(8)?,
        lat: r.get(9)?,
        grid_code: r.get(10)?,
        enterprise_id: r.get(11)?,
        reach_code: r.get(12)?,
        reporter_id: r.get(13)?,
        status: r.get(14)?,
        responsible: r.get(15)?,
        measures: r.get(16)?,
        deadline: r.get(17)?,
        plan: plan.and_then(|p| serde_json::from_str(&p).ok()),
        transferred_to: r.get(19)?,
        supervised: r.get(20)?,
        rework_count: r.get(21)?,
        extension_count: r.get(22)?,
        fix_description: r.get(23)?,
        reported_at: r.get(24)?,
        closed_at: r.get(25)?,
        version: r.get(26)?,
        police_referred: r.get(27)?,
        police_outcome: r.get(28)?,
    })
}

/// Issues the next number of `year`: `<prefix>-<year>-<6 digits>`. Gap-free because the
/// counter moves in the same transaction as the case it numbers.
pub fn next_number(conn: &Connection, prefix: &str, year: i64) -> Result<String> {
    let last: i64 = conn
        .prepare_cached(
            "INSERT INTO case_counters (year, last) VALUES (?1, 1)
         ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last",
        )?
        .query_row([year], |r| r.get(0))?;
    Ok(number(prefix, year, last))
}

/// The `n`-th case number of `year`: `<prefix>-<year>-<6 digits>`.
pub fn number(prefix: &str, year: i64, n: i64) -> String {
    format!("{prefix}-{year}-{n:06}")
}

/// Inserts a new case (version 1, status `reported`); returns its id.
pub fn insert(conn: &Connection, c: &CaseRow) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO cases (number, kind, category_code, grade, criterion, title, description, lon, lat, grid_code,
            enterprise_id, reach_code, reporter_id, status, reported_at, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 1)",
    )?
    .execute(params![
        c.number,
        c.kind,
        c.category,
        c.grade,
        c.criterion,
        c.title,
        c.description,
        c.lon,
        c.lat,
        c.grid_code,
        c.enterprise_id,
        c.reach_code,
        c.reporter_id,
        c.status,
        c.reported_at
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Inserts cases with every field as given, their ids and versions included:
/// for `gridsafe generate`, which writes each case's whole history at once
/// (the filing path is [`insert`]). The counters of the numbers are the
/// caller's to set ([`set_counter`]).
pub fn insert_all(conn: &Connection, rows: &[CaseRow]) -> Result<()> {
    super::insert_many(conn, "cases", COLUMNS, rows, |b, c| {
        b.value(c.id)?;
        b.value(&c.number)?;
        b.value(&c.kind)?;
        b.value(&c.category)?;
        b.value(&c.grade)?;
        b.value(&c.criterion)?;
        b.value(&c.title)?;
        b.value(&c.description)?;
        b.value(c.lon)?;
        b.value(c.lat)?;
        b.value(&c.grid_code)?;
        b.value(c.enterprise_id)?;
        b.value(&c.reach_code)?;
        b.value(c.reporter_id)?;
        b.value(&c.status)?;
        b.value(&c.responsible)?;
        b.value(&c.measures)?;
        b.value(&c.deadline)?;
        b.value(c.plan.as_ref().map(serde_json::Value::to_string))?;
        b.value(&c.transferred_to)?;
        b.value(c.supervised)?;
        b.value(c.rework_count)?;
        b.value(c.extension_count)?;
        b.value(&c.fix_description)?;
        b.value(&c.reported_at)?;
        b.value(&c.closed_at)?;
        b.value(c.version)?;
        b.value(c.police_referred)?;
        b.value(&c.police_outcome)
    })
}

/// Sets the last number issued in `year` (after a bulk load numbered its
/// cases itself with [`number`]).
pub fn set_counter(conn: &Connection, year: i64, last: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO case_counters (year, last) VALUES (?1, ?2) ON CONFLICT (year) DO UPDATE SET last = ?2",
    )?
    .execute([year, last])?;
    Ok(())
}

/// Writes a case's mutable fields if its version is still `expected`; bumps the version.
pub fn update(conn: &Connection, c: &CaseRow, expected: i64) -> Result<()> {
    let plan = c.plan.as_ref().map(serde_json::Value::to_string);
    let changed = conn.prepare_cached("UPDATE cases SET status = ?3, responsible = ?4, measures = ?5, deadline = ?6, plan = ?7, transferred_to = ?8,
            supervised = ?9, rework_count = ?10, extension_count = ?11, fix_description = ?12, closed_at = ?13,
            police_referred = ?14, police_outcome = ?15, version = version + 1
         WHERE id = ?1 AND version = ?2")?.execute(params![
            c.id,
            expected,
            c.status,
            c.responsible,
            c.measures,
            c.deadline,
            plan,
            c.transferred_to,
            c.supervised,
            c.rework_count,
            c.extension_count,
            c.fix_description,
            c.closed_at,
            c.police_referred,
            c.police_outcome
        ],
    )?;
    if changed == 0 {
        return Err(stale());
    }
    Ok(())
}

/// The error for an action based on an outdated case version (412).
pub fn stale() -> Error {
    Error::Stale(Msg::new("隐患已被他人更新，请刷新后重试", "the case was changed by someone else; reload and retry"))
}

/// One case by number.
pub fn by_number(conn: &Connection, number: &str) -> Result<Option<CaseRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM cases WHERE number = ?1"))?
        .query_row([number], case)
        .optional()?)
}

/// A case by row id.
pub fn by_id(conn: &Connection, id: i64) -> Result<Option<CaseRow>> {
    Ok(conn.prepare_cached(&format!("SELECT {COLUMNS} FROM cases WHERE id = ?1"))?.query_row([id], case).optional()?)
}

/// How many cases [`by_ids`] reads per statement (short lists are padded, so
/// one prepared statement serves every read).
const BY_IDS_CHUNK: usize = 100;

/// The cases with these ids, in the order given (ids not found left out):
/// a list page or a map view of thousands read a hundred per statement, not
/// a statement each.
pub fn by_ids(conn: &Connection, ids: &[i64]) -> Result<Vec<CaseRow>> {
    let marks = vec!["?"; BY_IDS_CHUNK].join(",");
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM cases WHERE id IN ({marks})"))?;
    let mut found: std::collections::HashMap<i64, CaseRow> = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(BY_IDS_CHUNK) {
        // Padded with its own first id: IN ignores the repeats.
        let padded = chunk.iter().chain(std::iter::repeat(&chunk[0])).take(BY_IDS_CHUNK);
        for row in stmt.query_map(rusqlite::params_from_iter(padded), case)? {
            let row = row?;
            found.insert(row.id, row);
        }
    }
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// Every case, newest first. Callers filter by scope.
pub fn list(conn: &Connection) -> Result<Vec<CaseRow>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM cases ORDER BY id DESC"))?;
    let rows = stmt.query_map([], case)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// What a ledger line shows of a case, borrowed from its row as it is read.
#[derive(Debug, Clone, Copy)]
pub struct LedgerCase<'r> {
    /// Case number.
    pub number: &'r str,
    /// Filing time (RFC 3339).
    pub reported_at: &'r str,
    /// Village grid code.
    pub grid_code: &'r str,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Enterprise, if any.
    pub enterprise_id: Option<i64>,
    /// Category code.
    pub category: &'r str,
    /// Title.
    pub title: &'r str,
    /// Description.
    pub description: &'r str,
    /// `general` or `major`.
    pub grade: &'r str,
    /// The party responsible (once dispatched).
    pub responsible: Option<&'r str>,
    /// Required measures.
    pub measures: Option<&'r str>,
    /// Deadline (YYYY-MM-DD).
    pub deadline: Option<&'r str>,
    /// Sign-off time.
    pub closed_at: Option<&'r str>,
    /// Status.
    pub status: &'r str,
    /// The last re-inspection verdict: (`approve` or `return`, time, comment).
    pub verdict: Option<(&'r str, &'r str, &'r str)>,
}

/// The statement of [`ledger_cases`] for `n` ids. The verdict is read from
/// the `audit_log_verdicts` index alone (migration 0013), never from the
/// audit rows: its action and time hold no space, so the three travel as one
/// text split at the first two spaces.
fn ledger_sql(n: usize) -> String {
    let marks = vec!["?"; n].join(",");
    format!(
        "SELECT number, reported_at, grid_code, lon, lat, enterprise_id, category_code, title, description, grade,
            responsible, measures, deadline, closed_at, status,
            (SELECT a.action || ' ' || a.at || ' ' || a.comment FROM audit_log a
             WHERE a.case_id = cases.id AND a.action IN ('approve', 'return') ORDER BY a.seq DESC LIMIT 1)
         FROM cases WHERE id IN ({marks}) ORDER BY id DESC"
    )
}

/// The cases `ids` as ledger lines see them, newest first, each handed to
/// `each` while its row is read (nothing is copied out of SQLite's buffers).
pub fn ledger_cases(conn: &Connection, ids: &[i64], each: &mut dyn FnMut(&LedgerCase<'_>) -> Result<()>) -> Result<()> {
    let mut stmt = conn.prepare_cached(&ledger_sql(ids.len()))?;
    let mut rows = stmt.query(rusqlite::params_from_iter(ids))?;
    while let Some(r) = rows.next()? {
        let text = |i: usize| r.get_ref(i).and_then(|v| v.as_str().map_err(rusqlite::Error::from));
        let text_or_null = |i: usize| r.get_ref(i).and_then(|v| v.as_str_or_null().map_err(rusqlite::Error::from));
        let verdict = text_or_null(15)?.and_then(|v| {
            let (action, rest) = v.split_once(' ')?;
            let (at, comment) = rest.split_once(' ')?;
            Some((action, at, comment))
        });
        each(&LedgerCase {
            number: text(0)?,
            reported_at: text(1)?,
            grid_code: text(2)?,
            lon: r.get(3)?,
            lat: r.get(4)?,
            enterprise_id: r.get(5)?,
            category: text(6)?,
            title: text(7)?,
            description: text(8)?,
            grade: text(9)?,
            responsible: text_or_null(10)?,
            measures: text_or_null(11)?,
            deadline: text_or_null(12)?,
            closed_at: text_or_null(13)?,
            status: text(14)?,
            verdict,
        })?;
    }
    Ok(())
}

/// The query plan of [`ledger_cases`] (`EXPLAIN QUERY PLAN` details).
pub fn ledger_plan(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", ledger_sql(3)))?;
    Ok(stmt.query_map([1, 2, 3], |r| r.get(3))?.collect::<rusqlite::Result<_>>()?)
}

/// The cases a photo is attached to.
pub fn with_photo(conn: &Connection, media_id: &str) -> Result<Vec<CaseRow>> {
    // case_photos shares no column name with cases, so COLUMNS stays unambiguous.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM cases JOIN case_photos p ON p.case_id = cases.id WHERE p.media_id = ?1 ORDER BY cases.id"
    ))?;
    let rows = stmt.query_map([media_id], case)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Attaches photos to a case at a stage (`report` or `fix`).
pub fn add_photos(conn: &Connection, case_id: i64, stage: &str, ids: &[String]) -> Result<()> {
    let mut stmt =
        conn.prepare_cached("INSERT OR IGNORE INTO case_photos (case_id, media_id, stage) VALUES (?1, ?2, ?3)")?;
    for id in ids {
        stmt.execute(params![case_id, id, stage])?;
    }
    Ok(())
}

/// A case's photos as (stage, media id).
pub fn photos(conn: &Connection, case_id: i64) -> Result<Vec<(String, String)>> {
    let mut stmt =
        conn.prepare_cached("SELECT stage, media_id FROM case_photos WHERE case_id = ?1 ORDER BY stage, media_id")?;
    let rows = stmt.query_map([case_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A category: (kind, parent code, name).
pub fn category(conn: &Connection, code: &str) -> Result<Option<(String, Option<String>, String)>> {
    Ok(conn
        .prepare_cached("SELECT kind, parent_code, name FROM categories WHERE code = ?1 AND active = 1")?
        .query_row([code], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

/// One entry of the category taxonomy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    /// Code, e.g. `S-F10`.
    pub code: String,
    /// Case kind it belongs to.
    pub kind: String,
    /// First-level parent; `None` for a first-level category.
    pub parent: Option<String>,
    /// Chinese name.
    pub name: String,
}

/// The taxonomy, in display order.
pub fn categories(conn: &Connection) -> Result<Vec<Category>> {
    let mut stmt =
        conn.prepare_cached("SELECT code, kind, parent_code, name FROM categories WHERE active = 1 ORDER BY position")?;
    let rows =
        stmt.query_map([], |r| Ok(Category { code: r.get(0)?, kind: r.get(1)?, parent: r.get(2)?, name: r.get(3)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The whole taxonomy in display order, retired categories included, each with whether it is active.
pub fn categories_with_retired(conn: &Connection) -> Result<Vec<(Category, bool)>> {
    let mut stmt =
        conn.prepare_cached("SELECT code, kind, parent_code, name, active FROM categories ORDER BY position")?;
    let rows = stmt.query_map([], |r| {
        Ok((Category { code: r.get(0)?, kind: r.get(1)?, parent: r.get(2)?, name: r.get(3)? }, r.get(4)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An earlier request with the same key: (request hash, status, what it produced, e.g. a case number).
pub fn idempotent(conn: &Connection, person: i64, key: &str) -> Result<Option<(String, u16, String)>> {
    Ok(conn
        .prepare_cached("SELECT request_sha256, status, body FROM idempotency WHERE person_id = ?1 AND key = ?2")?
        .query_row(params![person, key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

/// Remembers a keyed request and what it produced (in the same transaction as the work it did).
pub fn remember(
    conn: &Connection,
    person: i64,
    key: &str,
    request: &str,
    status: u16,
    body: &str,
    now: &str,
) -> Result<()> {
    conn.prepare_cached("INSERT INTO idempotency (person_id, key, request_sha256, status, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?.execute(
        params![person, key, request, status, body, now],
    )?;
    Ok(())
}

/// Adds a category; a taken code is a conflict.
pub fn insert_category(conn: &Connection, c: &Category) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO categories (code, kind, parent_code, name, position)
         VALUES (?1, ?2, ?3, ?4, (SELECT coalesce(max(position), 0) + 1 FROM categories))",
    )?
    .execute(params![c.code, c.kind, c.parent, c.name])
    .map_err(|e| {
        crate::store::on_unique(e, &format!("类别编码 {} 已存在", c.code), &format!("category {} exists", c.code))
    })?;
    Ok(())
}

/// Renames and/or (de)activates a category; returns whether it exists.
pub fn update_category(conn: &Connection, code: &str, name: Option<&str>, active: Option<bool>) -> Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE categories SET name = coalesce(?2, name), active = coalesce(?3, active) WHERE code = ?1",
        )?
        .execute(params![code, name, active])?;
    Ok(changed > 0)
}

/// What a case contributes to the KPIs, with the columns scope is decided on:
/// owned (`KpiLine`), or borrowed from the row being read (`KpiLine<&str>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiLine<S = String> {
    /// Row id.
    pub id: i64,
    /// Filed on (YYYY-MM-DD).
    pub reported: S,
    /// Village grid.
    pub grid: S,
    /// Who filed it.
    pub reporter: i64,
    /// Current deadline.
    pub deadline: Option<S>,
    /// Signed off on (YYYY-MM-DD).
    pub closed: Option<S>,
    /// Times returned for rework.
    pub reworks: i64,
    /// Times extended.
    pub extensions: i64,
    /// Enterprise concerned.
    pub enterprise: Option<i64>,
    /// Snapped reach.
    pub reach: Option<S>,
    /// `safety`, `environment` or `river`.
    pub kind: S,
    /// `general` or `major`.
    pub grade: S,
    /// Under supervision.
    pub supervised: bool,
    /// Referred to the river police.
    pub referred: bool,
}

impl KpiLine {
    /// The same line, borrowed.
    pub fn borrowed(&self) -> KpiLine<&str> {
        KpiLine {
            id: self.id,
            reported: &self.reported,
            grid: &self.grid,
            reporter: self.reporter,
            deadline: self.deadline.as_deref(),
            closed: self.closed.as_deref(),
            reworks: self.reworks,
            extensions: self.extensions,
            enterprise: self.enterprise,
            reach: self.reach.as_deref(),
            kind: &self.kind,
            grade: &self.grade,
            supervised: self.supervised,
            referred: self.referred,
        }
    }
}

impl KpiLine<&str> {
    /// An owned copy.
    pub fn owned(&self) -> KpiLine {
        KpiLine {
            id: self.id,
            reported: self.reported.to_owned(),
            grid: self.grid.to_owned(),
            reporter: self.reporter,
            deadline: self.deadline.map(str::to_owned),
            closed: self.closed.map(str::to_owned),
            reworks: self.reworks,
            extensions: self.extensions,
            enterprise: self.enterprise,
            reach: self.reach.map(str::to_owned),
            kind: self.kind.to_owned(),
            grade: self.grade.to_owned(),
            supervised: self.supervised,
            referred: self.referred,
        }
    }
}

/// The columns of a [`KpiLine`], in its order: what the KPIs count, then
/// what scope and filters are decided on.
const KPI_COUNTS: &str = "id, reported_at, grid_code, reporter_id, deadline, closed_at, rework_count, extension_count";
const KPI_SCOPE: &str = ", enterprise_id, reach_code, kind, grade, supervised, police_referred";

/// Which columns of a [`KpiLine`] a read fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KpiFields {
    /// What the KPIs count and group by (id, filing, grid, reporter,
    /// deadline, sign-off, reworks, extensions): for a reader who sees every
    /// case, unfiltered. The rest is left empty (`None`, `""`, `false`).
    Counts,
    /// Every column.
    All,
}

/// The line of the row, borrowed from it. Times are cut to their day.
fn kpi_line<'r>(r: &'r Row<'_>, fields: KpiFields) -> rusqlite::Result<KpiLine<&'r str>> {
    let text = |i: usize| r.get_ref(i)?.as_str().map_err(rusqlite::Error::from);
    let text_or_null = |i: usize| r.get_ref(i)?.as_str_or_null().map_err(rusqlite::Error::from);
    let day = |t: &'r str| t.get(..10).unwrap_or(t);
    let mut line = KpiLine {
        id: r.get(0)?,
        reported: day(text(1)?),
        grid: text(2)?,
        reporter: r.get(3)?,
        deadline: text_or_null(4)?,
        closed: text_or_null(5)?.map(day),
        reworks: r.get(6)?,
        extensions: r.get(7)?,
        enterprise: None,
        reach: None,
        kind: "",
        grade: "",
        supervised: false,
        referred: false,
    };
    if fields == KpiFields::All {
        line.enterprise = r.get(8)?;
        line.reach = text_or_null(9)?;
        line.kind = text(10)?;
        line.grade = text(11)?;
        line.supervised = r.get(12)?;
        line.referred = r.get(13)?;
    }
    Ok(line)
}

/// Which cases of a KPI period one read covers (see [`kpi_each`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KpiPart {
    /// Cases filed on the days `[from, until)`.
    Filed {
        /// First day.
        from: String,
        /// The day after the last, as [`after_day`] writes it.
        until: String,
    },
    /// Cases filed before `from` that can still count in a period starting
    /// then: signed off on or after it, or open with a deadline on or after it.
    Earlier {
        /// First day of the period.
        from: String,
    },
}

impl KpiPart {
    /// The parts of `[from, to]` (inclusive dates): its filing days cut into
    /// `pieces` runs of whole days, and the cases filed before it. Each case
    /// that can count falls in exactly one part, as filing times never change.
    pub fn of_period(from: &str, to: &str, pieces: usize) -> Vec<Self> {
        let (Some(first), Some(last)) = (parse_date(from), parse_date(to)) else {
            return vec![
                Self::Filed { from: from.to_owned(), until: after_day(to) },
                Self::Earlier { from: from.to_owned() },
            ];
        };
        let days = (last - first + 1).max(1);
        let pieces = i64::try_from(pieces.max(1)).unwrap_or(1).min(days);
        let mut parts: Vec<Self> = (0..pieces)
            .map(|i| {
                let start = first + days * i / pieces;
                let end = first + days * (i + 1) / pieces - 1;
                Self::Filed { from: format_date(start), until: after_day(&format_date(end)) }
            })
            .collect();
        parts.push(Self::Earlier { from: from.to_owned() });
        parts
    }
}

/// Calls `each` with every case that can count in the KPIs of the part:
/// filed in it (read from the `cases_kpi` covering index), or filed before
/// the period and either signed off in or after it or still open with a
/// deadline in or after it. A case filed before the period that is neither
/// cannot be filed, due or closed in it (see `domain::kpi`). Each case comes
/// once; nothing is collected, so a year of a county takes no memory.
pub fn kpi_each(
    conn: &Connection,
    part: &KpiPart,
    fields: KpiFields,
    mut each: impl FnMut(&KpiLine<&str>) -> Result<()>,
) -> Result<()> {
    let columns = match fields {
        KpiFields::Counts => KPI_COUNTS.to_owned(),
        KpiFields::All => format!("{KPI_COUNTS}{KPI_SCOPE}"),
    };
    let reads = match part {
        KpiPart::Filed { from, until } => vec![(
            format!("SELECT {columns} FROM cases INDEXED BY cases_kpi WHERE reported_at >= ?1 AND reported_at < ?2"),
            from,
            until,
        )],
        // An open case has no sign-off time (reopening clears it), so the two reads never meet.
        KpiPart::Earlier { from } => vec![
            (
                format!(
                    "SELECT {columns} FROM cases INDEXED BY cases_closed
                     WHERE closed_at IS NOT NULL AND closed_at >= ?1 AND reported_at < ?1 AND ?2 = ?2"
                ),
                from,
                from,
            ),
            (
                format!(
                    "SELECT {columns} FROM cases INDEXED BY cases_due
                     WHERE deadline IS NOT NULL AND status NOT IN ('closed', 'cancelled') AND deadline >= ?1
                        AND reported_at < ?1 AND ?2 = ?2"
                ),
                from,
                from,
            ),
        ],
    };
    for (sql, from, until) in reads {
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![from, until])?;
        while let Some(row) = rows.next()? {
            each(&kpi_line(row, fields)?)?;
        }
    }
    Ok(())
}

/// The bound after every filing time of `day` (YYYY-MM-DD): RFC 3339 times
/// sort as text, and "<day>U" follows every time of that day.
pub fn after_day(day: &str) -> String {
    format!("{day}U")
}

/// Calls `each` with every case that can count in the KPIs of `[from, to]`
/// (inclusive dates), every column filled: all parts of [`kpi_each`] on one connection.
pub fn kpi_period(conn: &Connection, from: &str, to: &str, mut each: impl FnMut(&KpiLine<&str>)) -> Result<()> {
    for part in KpiPart::of_period(from, to, 1) {
        kpi_each(conn, &part, KpiFields::All, |l| {
            each(l);
            Ok(())
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parts_of_a_period_cover_its_filing_days_once_each() {
        let parts = KpiPart::of_period("2026-01-01", "2026-12-31", 2);
        assert_eq!(
            parts,
            [
                KpiPart::Filed { from: "2026-01-01".into(), until: "2026-07-01U".into() },
                KpiPart::Filed { from: "2026-07-02".into(), until: "2026-12-31U".into() },
                KpiPart::Earlier { from: "2026-01-01".into() },
            ]
        );
        // A single day is not cut: one run of filing days, and the cases from before.
        let day = KpiPart::of_period("2026-03-05", "2026-03-05", 2);
        assert_eq!(day[0], KpiPart::Filed { from: "2026-03-05".into(), until: "2026-03-05U".into() });
        assert_eq!(day.len(), 2);
    }
}
