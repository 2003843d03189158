//! Case lists that do not grow with the table: keyset pages over the indexes
//! of migration 0009 (SPEC §10).
//!
//! A list is "overdue first, then newest": rank 0 holds the overdue cases,
//! rank 1 the rest, each newest (highest id) first. A [`Query`] names the
//! *terms* that drive it (each an index whose rows come in rowid order: one
//! grid, one enterprise, one reporter, one status, or the whole table) and the
//! *residual* conditions every row must also meet (the other filters and the
//! reader's scope), all in SQL. A page reads at most `limit + 1` ids from each
//! term's index below the cursor and merges them; once `limit + 1` ids are in
//! hand, later terms read only ids above the lowest of them. So a page costs
//! what its terms hold near the cursor, never the whole table.

use std::fmt::Write as _;

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::cases::{CaseRow, by_ids};
use crate::error::Result;

/// What drives a list: the index one equality term reads in rowid order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// Every case (the table itself, by rowid).
    All,
    /// The cases of one (village) grid.
    Grid(String),
    /// The cases in one status.
    Status(String),
    /// The cases of one enterprise.
    Enterprise(i64),
    /// The cases on one reach.
    Reach(String),
    /// The cases one person filed.
    Reporter(i64),
    /// The cases filed on one day (YYYY-MM-DD).
    Day(String),
}

/// Whom a reader may see, as SQL: any one of these makes a case readable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSql {
    /// The reader's own filings.
    pub reporter: i64,
    /// Grids held (with every grid below).
    pub grids: Vec<String>,
    /// Enterprises held.
    pub enterprises: Vec<i64>,
    /// Reaches held, and every reach of the rivers held.
    pub reaches: Vec<String>,
}

/// The conditions besides the driving term; `None` means no condition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Residual {
    /// Status.
    pub status: Option<String>,
    /// Only cases still open (neither closed nor cancelled).
    pub open: bool,
    /// Kind.
    pub kind: Option<String>,
    /// Leaf category.
    pub category: Option<String>,
    /// Grade.
    pub grade: Option<String>,
    /// The case's grid is one of these.
    pub grids: Option<Vec<String>>,
    /// Enterprise.
    pub enterprise: Option<i64>,
    /// Reach.
    pub reach: Option<String>,
    /// Reporter.
    pub reporter: Option<i64>,
    /// Under supervision.
    pub supervised: Option<bool>,
    /// Referred to the river police.
    pub referred: Option<bool>,
    /// Filed on or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// Filed on or before (YYYY-MM-DD).
    pub to: Option<String>,
    /// Filed at or after this instant, in the stored form
    /// (`YYYY-MM-DDTHH:MM:SS+08:00`): compared as text, so an instant from
    /// elsewhere must be turned into China time first.
    pub filed_since: Option<String>,
    /// Filed at or before this instant (the same form).
    pub filed_until: Option<String>,
    /// Readable by this reader only (none: the reader reads everything).
    pub scope: Option<ScopeSql>,
    /// The point lies in `[west, south, east, north]`.
    pub within: Option<[f64; 4]>,
}

/// A list: its driving terms (any of them), the residual, and which ranks it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Driving terms; a case is listed when it is in any of them and meets the residual.
    pub terms: Vec<Term>,
    /// What every row must also meet.
    pub residual: Residual,
    /// List the overdue cases (rank 0).
    pub overdue: bool,
    /// List the cases not overdue (rank 1).
    pub not_overdue: bool,
}

/// A listed case and whether it is overdue.
pub type Listed = (CaseRow, bool);

/// Where a page starts: after the case with this rank and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    /// 0 overdue, 1 not.
    pub rank: u8,
    /// The last id listed.
    pub id: i64,
}

const OPEN_WITH_DEADLINE: &str = "deadline IS NOT NULL AND status NOT IN ('closed', 'cancelled')";

/// The rank-0 condition (`?` = today).
const OVERDUE: &str = "(deadline IS NOT NULL AND status NOT IN ('closed', 'cancelled') AND deadline < ?)";

fn placeholders(n: usize) -> String {
    let mut s = String::with_capacity(n * 2);
    for i in 0..n {
        s.push_str(if i == 0 { "?" } else { ",?" });
    }
    s
}

impl Residual {
    /// Appends ` AND ...` for each condition and pushes its values.
    fn push_sql(&self, sql: &mut String, args: &mut Vec<Value>) {
        let mut eq = |column: &str, value: Value, sql: &mut String| {
            let _ = write!(sql, " AND {column} = ?");
            args.push(value);
        };
        if let Some(s) = &self.status {
            eq("status", Value::Text(s.clone()), sql);
        }
        if self.open {
            sql.push_str(" AND status NOT IN ('closed', 'cancelled')");
        }
        if let Some(k) = &self.kind {
            eq("kind", Value::Text(k.clone()), sql);
        }
        if let Some(c) = &self.category {
            eq("category_code", Value::Text(c.clone()), sql);
        }
        if let Some(g) = &self.grade {
            eq("grade", Value::Text(g.clone()), sql);
        }
        if let Some(e) = self.enterprise {
            eq("enterprise_id", Value::Integer(e), sql);
        }
        if let Some(r) = &self.reach {
            eq("reach_code", Value::Text(r.clone()), sql);
        }
        if let Some(r) = self.reporter {
            eq("reporter_id", Value::Integer(r), sql);
        }
        if let Some(s) = self.supervised {
            eq("supervised", Value::Integer(i64::from(s)), sql);
        }
        if let Some(r) = self.referred {
            eq("police_referred", Value::Integer(i64::from(r)), sql);
        }
        if self.grids.as_ref().is_some_and(Vec::is_empty) {
            // No grid at all: nothing matches (and an empty IN list would defeat INDEXED BY).
            sql.push_str(" AND 0");
        } else if let Some(grids) = &self.grids {
            let _ = write!(sql, " AND grid_code IN ({})", placeholders(grids.len()));
            args.extend(grids.iter().cloned().map(Value::Text));
        }
        if let Some(from) = &self.from {
            sql.push_str(" AND substr(reported_at, 1, 10) >= ?");
            args.push(Value::Text(from.clone()));
        }
        if let Some(to) = &self.to {
            sql.push_str(" AND substr(reported_at, 1, 10) <= ?");
            args.push(Value::Text(to.clone()));
        }
        if let Some(since) = &self.filed_since {
            sql.push_str(" AND reported_at >= ?");
            args.push(Value::Text(since.clone()));
        }
        if let Some(until) = &self.filed_until {
            sql.push_str(" AND reported_at <= ?");
            args.push(Value::Text(until.clone()));
        }
        if let Some([west, south, east, north]) = self.within {
            sql.push_str(" AND lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?");
            args.extend([west, east, south, north].map(Value::Real));
        }
        if let Some(scope) = &self.scope {
            sql.push_str(" AND (reporter_id = ?");
            args.push(Value::Integer(scope.reporter));
            if !scope.grids.is_empty() {
                let _ = write!(sql, " OR grid_code IN ({})", placeholders(scope.grids.len()));
                args.extend(scope.grids.iter().cloned().map(Value::Text));
            }
            if !scope.enterprises.is_empty() {
                let _ = write!(sql, " OR enterprise_id IN ({})", placeholders(scope.enterprises.len()));
                args.extend(scope.enterprises.iter().copied().map(Value::Integer));
            }
            if !scope.reaches.is_empty() {
                let _ = write!(sql, " OR reach_code IN ({})", placeholders(scope.reaches.len()));
                args.extend(scope.reaches.iter().cloned().map(Value::Text));
            }
            sql.push(')');
        }
    }
}

/// Where one term's cases of one rank are read, with ids in `(low, high)`:
/// `FROM cases INDEXED BY ... WHERE ...` and its values. `None` when the
/// rank cannot hold any case of the term (a closed status is never overdue).
fn source(term: &Term, rank: u8, today: &str, (low, high): (i64, i64)) -> Option<(String, Vec<Value>)> {
    let mut args = Vec::new();
    let mut sql = String::from("FROM cases ");
    let (index, condition, value): (&str, &str, Option<Value>) = match (term, rank) {
        // The overdue cases are few: read them all from the deadline index and keep the newest.
        (Term::All, 0) => ("INDEXED BY cases_due", "1", None),
        (Term::Status(s), 0) if s == "closed" || s == "cancelled" => return None,
        (Term::Status(s), 0) => ("INDEXED BY cases_due", "status = ?", Some(Value::Text(s.clone()))),
        (Term::Grid(g), 0) => ("INDEXED BY cases_due_grid", "grid_code = ?", Some(Value::Text(g.clone()))),
        (Term::All, _) => ("NOT INDEXED", "1", None),
        (Term::Status(s), _) => ("INDEXED BY cases_status", "status = ?", Some(Value::Text(s.clone()))),
        (Term::Grid(g), _) => ("INDEXED BY cases_grid", "grid_code = ?", Some(Value::Text(g.clone()))),
        (Term::Enterprise(e), _) => ("INDEXED BY cases_enterprise", "enterprise_id = ?", Some(Value::Integer(*e))),
        (Term::Reach(r), _) => ("INDEXED BY cases_reach", "reach_code = ?", Some(Value::Text(r.clone()))),
        (Term::Reporter(p), _) => ("INDEXED BY cases_reporter", "reporter_id = ?", Some(Value::Integer(*p))),
        (Term::Day(d), _) => ("INDEXED BY cases_day", "substr(reported_at, 1, 10) = ?", Some(Value::Text(d.clone()))),
    };
    let _ = write!(sql, "{index} WHERE {condition}");
    args.extend(value);
    let via_due = index.ends_with("cases_due") || index.ends_with("cases_due_grid");
    if via_due {
        // The partial index's own condition, so the planner may use it.
        let _ = write!(sql, " AND {OPEN_WITH_DEADLINE} AND deadline < ?");
    } else if rank == 0 {
        let _ = write!(sql, " AND {OVERDUE}");
    } else {
        let _ = write!(sql, " AND NOT {OVERDUE}");
    }
    args.push(Value::Text(today.to_owned()));
    sql.push_str(" AND id > ? AND id < ?");
    args.extend([Value::Integer(low), Value::Integer(high)]);
    Some((sql, args))
}

/// The statement that reads one term's ids of one rank, newest first, in
/// `(low, high)`: its SQL and values. `None` when the rank cannot hold any
/// case of the term (a closed status is never overdue).
fn stream(term: &Term, rank: u8, residual: &Residual, today: &str, range: (i64, i64)) -> Option<(String, Vec<Value>)> {
    let (from, mut args) = source(term, rank, today, range)?;
    let mut sql = format!("SELECT id {from}");
    residual.push_sql(&mut sql, &mut args);
    sql.push_str(" ORDER BY id DESC LIMIT ?");
    Some((sql, args))
}

/// The statement that reads at most `?` of one term's cases of one rank, in
/// any order, each id with whether it meets the residual (for a count that
/// reads a bounded number of rows however few of them match).
fn tally(term: &Term, rank: u8, residual: &Residual, today: &str) -> Option<(String, Vec<Value>)> {
    let (from, from_args) = source(term, rank, today, (0, i64::MAX))?;
    let (mut test, mut args) = (String::from("(1"), Vec::new());
    residual.push_sql(&mut test, &mut args);
    test.push(')');
    args.extend(from_args);
    Some((format!("SELECT id, {test} {from} LIMIT ?"), args))
}

/// The terms a rank reads: the overdue cases are few, so a rank-0 day is read
/// from the deadline index once for all days (the filing dates stay in the residual).
fn rank_terms(q: &Query, rank: u8) -> Vec<Term> {
    if rank == 0 && q.terms.iter().any(|t| matches!(t, Term::Day(_))) {
        let mut terms: Vec<Term> = q.terms.iter().filter(|t| !matches!(t, Term::Day(_))).cloned().collect();
        terms.push(Term::All);
        return terms;
    }
    q.terms.clone()
}

/// The ids of one rank below `high`, newest first, at most `want`: every
/// term's ids merged, each term reading only ids above the lowest of the
/// `want` best found so far.
fn rank_ids(conn: &Connection, q: &Query, rank: u8, today: &str, high: i64, want: usize) -> Result<Vec<i64>> {
    let mut best: Vec<i64> = Vec::new();
    for term in &rank_terms(q, rank) {
        let low = if best.len() >= want { best[want - 1] } else { 0 };
        let Some((sql, mut args)) = stream(term, rank, &q.residual, today, (low, high)) else { continue };
        args.push(Value::Integer(want as i64));
        let mut stmt = conn.prepare_cached(&sql)?;
        let ids = stmt.query_map(params_from_iter(args), |r| r.get::<_, i64>(0))?;
        for id in ids {
            best.push(id?);
        }
        best.sort_unstable_by(|a, b| b.cmp(a));
        best.dedup();
        best.truncate(want);
    }
    Ok(best)
}

/// One page of `q` after `after` as cursors (rank and id): at most `limit`,
/// and the cursor of the next page if there is one.
pub fn page_ids(
    conn: &Connection,
    q: &Query,
    today: &str,
    after: Option<Cursor>,
    limit: usize,
) -> Result<(Vec<Cursor>, Option<Cursor>)> {
    let want = limit + 1;
    let mut found: Vec<Cursor> = Vec::new();
    for rank in [0_u8, 1] {
        let listed = if rank == 0 { q.overdue } else { q.not_overdue };
        if !listed || found.len() >= want || after.is_some_and(|a| a.rank > rank) {
            continue;
        }
        let high = after.filter(|a| a.rank == rank).map_or(i64::MAX, |a| a.id);
        let ids = rank_ids(conn, q, rank, today, high, want - found.len())?;
        found.extend(ids.into_iter().map(|id| Cursor { rank, id }));
    }
    let next = (found.len() > limit).then(|| found[limit - 1]);
    found.truncate(limit);
    Ok((found, next))
}

/// One page of `q` after `after`: at most `limit` cases with their overdue
/// flag, and the cursor of the next page if there is one.
pub fn page(
    conn: &Connection,
    q: &Query,
    today: &str,
    after: Option<Cursor>,
    limit: usize,
) -> Result<(Vec<Listed>, Option<Cursor>)> {
    let (found, next) = page_ids(conn, q, today, after, limit)?;
    let overdue: std::collections::HashSet<i64> = found.iter().filter(|c| c.rank == 0).map(|c| c.id).collect();
    let ids: Vec<i64> = found.iter().map(|c| c.id).collect();
    let rows = by_ids(conn, &ids)?.into_iter().map(|row| {
        let late = overdue.contains(&row.id);
        (row, late)
    });
    Ok((rows.collect(), next))
}

/// Every case of `q`, overdue first then newest: for lists bounded by
/// their terms (the open cases), not for the whole table.
pub fn all(conn: &Connection, q: &Query, today: &str) -> Result<Vec<Listed>> {
    Ok(page(conn, q, today, None, usize::MAX / 2)?.0)
}

/// How many cases `q` lists over all its pages, when its terms hold at most
/// `cap` cases in all (counted before the residual conditions); `None`
/// otherwise. At most `cap + 1` index entries are read, however few of them
/// match, so a count never costs more than `cap` rows.
pub fn count_up_to(conn: &Connection, q: &Query, today: &str, cap: usize) -> Result<Option<usize>> {
    let mut matched: std::collections::HashSet<i64> = std::collections::HashSet::new();
    let mut read = 0_usize;
    for rank in [0_u8, 1] {
        let listed = if rank == 0 { q.overdue } else { q.not_overdue };
        if !listed {
            continue;
        }
        for term in &rank_terms(q, rank) {
            let Some((sql, mut args)) = tally(term, rank, &q.residual, today) else { continue };
            args.push(Value::Integer(i64::try_from(cap - read + 1).unwrap_or(i64::MAX)));
            let mut stmt = conn.prepare_cached(&sql)?;
            for row in stmt.query_map(params_from_iter(args), |r| Ok((r.get::<_, i64>(0)?, r.get::<_, bool>(1)?)))? {
                let (id, meets) = row?;
                read += 1;
                if meets {
                    matched.insert(id);
                }
            }
            if read > cap {
                return Ok(None);
            }
        }
    }
    Ok(Some(matched.len()))
}

/// The query plans of the statements [`count_up_to`] runs.
pub fn count_plans(conn: &Connection, q: &Query, today: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for rank in [0_u8, 1] {
        for term in &rank_terms(q, rank) {
            let Some((sql, mut args)) = tally(term, rank, &q.residual, today) else { continue };
            args.push(Value::Integer(100_001));
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let details: Vec<String> =
                stmt.query_map(params_from_iter(args), |r| r.get::<_, String>(3))?.collect::<rusqlite::Result<_>>()?;
            out.push(details.join("; "));
        }
    }
    Ok(out)
}

/// The first and the last filing instant of any case (stored form), one
/// probe at each end of `cases_kpi`; `None` when there is no case.
pub fn filing_span(conn: &Connection) -> Result<Option<(String, String)>> {
    let end = |order: &str| -> Result<Option<String>> {
        let sql = format!("SELECT reported_at FROM cases INDEXED BY cases_kpi ORDER BY reported_at {order} LIMIT 1");
        Ok(rusqlite::OptionalExtension::optional(conn.prepare_cached(&sql)?.query_row([], |r| r.get(0)))?)
    };
    Ok(end("ASC")?.zip(end("DESC")?))
}

/// The query plans of every statement `q` runs for a first page and a next
/// one (`EXPLAIN QUERY PLAN` details, one string per statement): what the
/// tests check for full scans and sorts.
pub fn plans(conn: &Connection, q: &Query, today: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for rank in [0_u8, 1] {
        for term in &rank_terms(q, rank) {
            let Some((sql, mut args)) = stream(term, rank, &q.residual, today, (0, i64::MAX)) else { continue };
            args.push(Value::Integer(51));
            let mut stmt = conn.prepare_cached(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let details: Vec<String> =
                stmt.query_map(params_from_iter(args), |r| r.get::<_, String>(3))?.collect::<rusqlite::Result<_>>()?;
            out.push(details.join("; "));
        }
    }
    Ok(out)
}

// The public Open311 view (SPEC §9) reads its own columns: a [`PublicCase`]
// has no reporter, responsible party, photo or plan in it, so nothing personal
// can leak through a field added to the view later.

/// A case as the public Open311 view reads it: only the columns it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicCase {
    /// `TF-2026-000123`.
    pub number: String,
    /// Current status (machine name).
    pub status: String,
    /// Leaf category code.
    pub category: String,
    /// What was found.
    pub description: String,
    /// Longitude of the case's point.
    pub lon: f64,
    /// Latitude of the case's point.
    pub lat: f64,
    /// Village grid.
    pub grid_code: String,
    /// Current deadline (YYYY-MM-DD).
    pub deadline: Option<String>,
    /// The county department it was handed to (移送).
    pub transferred_to: Option<String>,
    /// When filed (RFC 3339, China time).
    pub reported_at: String,
    /// The last audited change, if any (RFC 3339, China time).
    pub changed_at: Option<String>,
}

const PUBLIC_COLUMNS: &str =
    "number, status, category_code, description, lon, lat, grid_code, deadline, transferred_to,
    reported_at, (SELECT max(at) FROM audit_log WHERE audit_log.case_id = cases.id)";

fn public_case(r: &rusqlite::Row<'_>) -> rusqlite::Result<PublicCase> {
    Ok(PublicCase {
        number: r.get(0)?,
        status: r.get(1)?,
        category: r.get(2)?,
        description: r.get(3)?,
        lon: r.get(4)?,
        lat: r.get(5)?,
        grid_code: r.get(6)?,
        deadline: r.get(7)?,
        transferred_to: r.get(8)?,
        reported_at: r.get(9)?,
        changed_at: r.get(10)?,
    })
}

/// The public cases filed in a window, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicWindow {
    /// Filed at or after (RFC 3339 in China time, as `reported_at` is stored).
    pub from: String,
    /// Filed at or before (same form).
    pub to: String,
    /// Only these leaf categories (empty: every category).
    pub categories: Vec<String>,
    /// `Some(true)`: closed or cancelled only; `Some(false)`: still open only.
    pub closed: Option<bool>,
}

impl PublicWindow {
    /// The statement and its values, `limit` rows at most. `reported_at`
    /// leads the `cases_kpi` index, so the window is one index range read
    /// newest first, and `LIMIT` stops it; the filters are residual.
    fn sql(&self, limit: usize) -> (String, Vec<Value>) {
        let mut sql = format!(
            "SELECT {PUBLIC_COLUMNS} FROM cases INDEXED BY cases_kpi WHERE reported_at >= ? AND reported_at <= ?"
        );
        let mut args = vec![Value::Text(self.from.clone()), Value::Text(self.to.clone())];
        if !self.categories.is_empty() {
            let _ = write!(sql, " AND category_code IN ({})", placeholders(self.categories.len()));
            args.extend(self.categories.iter().cloned().map(Value::Text));
        }
        match self.closed {
            Some(true) => sql.push_str(" AND status IN ('closed', 'cancelled')"),
            Some(false) => sql.push_str(" AND status NOT IN ('closed', 'cancelled')"),
            None => {}
        }
        sql.push_str(" ORDER BY reported_at DESC LIMIT ?");
        args.push(Value::Integer(limit as i64));
        (sql, args)
    }
}

/// At most `limit` public cases of `window`, newest first (ask for one more
/// than you show to know whether more exist).
pub fn public_in_window(conn: &Connection, window: &PublicWindow, limit: usize) -> Result<Vec<PublicCase>> {
    let (sql, args) = window.sql(limit);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), public_case)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The public cases with these numbers, in the order given (unknown numbers left out).
pub fn public_by_numbers(conn: &Connection, numbers: &[String]) -> Result<Vec<PublicCase>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {PUBLIC_COLUMNS} FROM cases WHERE number = ?1"))?;
    let mut out = Vec::with_capacity(numbers.len());
    for number in numbers {
        if let Some(row) = rusqlite::OptionalExtension::optional(stmt.query_row([number], public_case))? {
            out.push(row);
        }
    }
    Ok(out)
}

/// The query plan of [`public_in_window`] (`EXPLAIN QUERY PLAN` details joined
/// by `; `): what the tests check for full scans and sorts.
pub fn public_window_plan(conn: &Connection, window: &PublicWindow) -> Result<String> {
    let (sql, args) = window.sql(1001);
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let details: Vec<String> =
        stmt.query_map(params_from_iter(args), |r| r.get::<_, String>(3))?.collect::<rusqlite::Result<_>>()?;
    Ok(details.join("; "))
}
