//! Enterprise lists in keyset pages (SPEC §10), built like the case lists of
//! [`super::case_query`]: driving *terms* (the whole table, one grid, one
//! enterprise held) merged after a cursor, and every filter with the reader's
//! scope as a SQL *residual* that each row meets (the terms only choose which
//! index rows are read; the residual alone decides what is listed, so a count
//! is the residual over the table).
//!
//! Two orders: by id (every list), and for the re-inspection list by due
//! date then id, over the `enterprises_reinspection` index of migration 0012.

use std::fmt::Write as _;

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::enterprises::{Enterprise, get};
use crate::error::Result;

/// The due date of closed premises, as migration 0012 indexes it.
const DUE: &str = "date(coalesce(last_reinspected_on, closed_on), '+' || reinspect_days || ' days')";

/// What drives a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnterpriseTerm {
    /// Every enterprise, by id.
    All,
    /// The enterprises of one (village) grid.
    Grid(String),
    /// One enterprise (held by the reader).
    Id(i64),
}

/// Whom a reader may see, as SQL: any one of these makes an enterprise readable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnterpriseScope {
    /// Grids held (with every grid below).
    pub grids: Vec<String>,
    /// Enterprises held.
    pub enterprises: Vec<i64>,
}

/// The conditions besides the driving term.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnterpriseResidual {
    /// The enterprise's grid is one of these.
    pub grids: Option<Vec<String>>,
    /// Above-scale or not.
    pub above_scale: Option<bool>,
    /// Key enterprise or not.
    pub key: Option<bool>,
    /// Governance status (`normal`, `closed`...).
    pub governance: Option<String>,
    /// Upper-cased words the name or the credit code contains.
    pub text: Option<String>,
    /// Closed premises due on or before this date (the re-inspection order).
    pub due_by: Option<String>,
    /// The location lies in `[west, south, east, north]` (degrees).
    pub within: Option<[f64; 4]>,
    /// Readable by this reader only (none: the reader reads every enterprise).
    /// Kept even when the terms are the reader's own: the residual alone decides.
    pub scope: Option<EnterpriseScope>,
}

/// A list: its terms and residual. In the re-inspection order (`due_by`)
/// one stream over the due index replaces the terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnterpriseQuery {
    /// Driving terms; an enterprise is listed when it is in any of them and meets the residual.
    pub terms: Vec<EnterpriseTerm>,
    /// What every row must also meet.
    pub residual: EnterpriseResidual,
}

/// Where a page starts: after this enterprise (and, in the re-inspection
/// order, this due date).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EnterpriseCursor {
    /// The due date (re-inspection order only; empty otherwise).
    pub due: String,
    /// The last id listed.
    pub id: i64,
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
}

impl EnterpriseResidual {
    fn push_sql(&self, sql: &mut String, args: &mut Vec<Value>) {
        let mut flag = |column: &str, value: Option<bool>, sql: &mut String| {
            if let Some(v) = value {
                let _ = write!(sql, " AND {column} = ?");
                args.push(Value::Integer(i64::from(v)));
            }
        };
        flag("above_scale", self.above_scale, sql);
        flag("key", self.key, sql);
        if let Some(g) = &self.governance {
            sql.push_str(" AND governance = ?");
            args.push(Value::Text(g.clone()));
        }
        if let Some(t) = &self.text {
            sql.push_str(" AND (instr(upper(name), ?) > 0 OR instr(coalesce(uscc, ''), ?) > 0)");
            args.extend([Value::Text(t.clone()), Value::Text(t.clone())]);
        }
        if let Some([west, south, east, north]) = self.within {
            sql.push_str(" AND lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?");
            args.extend([west, east, south, north].map(Value::Real));
        }
        match &self.grids {
            Some(g) if g.is_empty() => sql.push_str(" AND 0"),
            Some(g) => {
                let _ = write!(sql, " AND grid_code IN ({})", placeholders(g.len()));
                args.extend(g.iter().cloned().map(Value::Text));
            }
            None => {}
        }
        if let Some(scope) = &self.scope {
            sql.push_str(" AND (0");
            if !scope.grids.is_empty() {
                let _ = write!(sql, " OR grid_code IN ({})", placeholders(scope.grids.len()));
                args.extend(scope.grids.iter().cloned().map(Value::Text));
            }
            if !scope.enterprises.is_empty() {
                let _ = write!(sql, " OR id IN ({})", placeholders(scope.enterprises.len()));
                args.extend(scope.enterprises.iter().copied().map(Value::Integer));
            }
            sql.push(')');
        }
    }
}

/// The statement that reads one term's keys after `after`, at most `?` (the
/// last value, pushed by the caller): its SQL and values.
fn stream(term: &EnterpriseTerm, residual: &EnterpriseResidual, after: &EnterpriseCursor) -> (String, Vec<Value>) {
    let mut args = Vec::new();
    let mut sql = String::new();
    if let Some(by) = &residual.due_by {
        // The re-inspection order: the closed premises' index, whatever the term.
        let _ = write!(
            sql,
            "SELECT {DUE}, id FROM enterprises INDEXED BY enterprises_reinspection
             WHERE governance = 'closed' AND {DUE} <= ? AND ({DUE}, id) > (?, ?)"
        );
        args.extend([Value::Text(by.clone()), Value::Text(after.due.clone()), Value::Integer(after.id)]);
    } else {
        sql.push_str("SELECT '', id FROM enterprises ");
        match term {
            // By rowid, whatever the residual would tempt the planner with.
            EnterpriseTerm::All => sql.push_str("NOT INDEXED WHERE 1"),
            EnterpriseTerm::Grid(g) => {
                sql.push_str("INDEXED BY enterprises_grid WHERE grid_code = ?");
                args.push(Value::Text(g.clone()));
            }
            EnterpriseTerm::Id(e) => {
                sql.push_str("WHERE id = ?");
                args.push(Value::Integer(*e));
            }
        }
        sql.push_str(" AND id > ?");
        args.push(Value::Integer(after.id));
    }
    residual.push_sql(&mut sql, &mut args);
    sql.push_str(if residual.due_by.is_some() { " ORDER BY 1, id LIMIT ?" } else { " ORDER BY id LIMIT ?" });
    (sql, args)
}

/// The terms a page reads: in the re-inspection order one stream over the
/// due index stands for them all (the residual holds the scope).
fn read_terms(q: &EnterpriseQuery) -> &[EnterpriseTerm] {
    if q.residual.due_by.is_some() && !q.terms.is_empty() { &[EnterpriseTerm::All] } else { &q.terms }
}

/// One page of `q` after `after`: at most `limit` enterprises and the cursor
/// of the next page if there is one. Each term reads at most `limit + 1` keys.
pub fn page(
    conn: &Connection,
    q: &EnterpriseQuery,
    after: Option<EnterpriseCursor>,
    limit: usize,
) -> Result<(Vec<Enterprise>, Option<EnterpriseCursor>)> {
    let want = limit + 1;
    let after = after.unwrap_or(EnterpriseCursor { due: String::new(), id: 0 });
    let mut best: Vec<EnterpriseCursor> = Vec::new();
    for term in read_terms(q) {
        let (sql, mut args) = stream(term, &q.residual, &after);
        args.push(Value::Integer(i64::try_from(want).unwrap_or(i64::MAX)));
        let mut stmt = conn.prepare_cached(&sql)?;
        let keys =
            stmt.query_map(params_from_iter(args), |r| Ok(EnterpriseCursor { due: r.get(0)?, id: r.get(1)? }))?;
        for key in keys {
            best.push(key?);
        }
        best.sort_unstable();
        best.dedup();
        best.truncate(want);
    }
    let next = (best.len() > limit).then(|| best[limit - 1].clone());
    best.truncate(limit);
    let mut rows = Vec::with_capacity(best.len());
    for key in best {
        rows.extend(get(conn, key.id)?);
    }
    Ok((rows, next))
}

/// How many enterprises `q` lists: its residual over the table (a county
/// holds thousands of enterprises, not millions).
pub fn count(conn: &Connection, q: &EnterpriseQuery) -> Result<i64> {
    if q.terms.is_empty() {
        return Ok(0);
    }
    let mut sql = String::from("SELECT count(*) FROM enterprises WHERE 1");
    let mut args = Vec::new();
    if let Some(by) = &q.residual.due_by {
        let _ = write!(sql, " AND governance = 'closed' AND {DUE} <= ?");
        args.push(Value::Text(by.clone()));
    }
    q.residual.push_sql(&mut sql, &mut args);
    Ok(conn.prepare_cached(&sql)?.query_row(params_from_iter(args), |r| r.get(0))?)
}

/// The query plan of each statement a page of `q` runs (`EXPLAIN QUERY PLAN` details).
pub fn plans(conn: &Connection, q: &EnterpriseQuery) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for term in read_terms(q) {
        let (sql, mut args) = stream(term, &q.residual, &EnterpriseCursor { due: String::new(), id: 0 });
        args.push(Value::Integer(51));
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let details: Vec<String> =
            stmt.query_map(params_from_iter(args), |r| r.get::<_, String>(3))?.collect::<rusqlite::Result<_>>()?;
        out.push(details.join("; "));
    }
    Ok(out)
}
