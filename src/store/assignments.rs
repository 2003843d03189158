//! The `assignments` and `assignment_scopes` tables. Rows are never deleted:
//! ending an assignment sets its last day.

use std::collections::HashMap;

use rusqlite::{Connection, params};

use crate::domain::people::{Assignment, ChiefLevel, Duty, Role, ScopeItem};
use crate::error::{Error, Msg, Result};

/// A new assignment, already validated against the people, grids, rivers and enterprises it names.
#[derive(Debug, Clone)]
pub struct NewAssignment {
    /// Who.
    pub person_id: i64,
    /// Role.
    pub role: Role,
    /// Inspector's duty.
    pub duty: Option<Duty>,
    /// River chief's level.
    pub level: Option<ChiefLevel>,
    /// Enterprise expert's specialty.
    pub specialty: Option<String>,
    /// First day.
    pub from: String,
    /// Last day, if known (an expert's contract end).
    pub to: Option<String>,
    /// What it covers.
    pub scope: Vec<ScopeItem>,
}

/// Inserts an assignment with its scope.
pub fn insert(conn: &Connection, new: &NewAssignment, now: &str) -> Result<Assignment> {
    conn.prepare_cached(
        "INSERT INTO assignments (person_id, role, duty, level, specialty, valid_from, valid_to, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        new.person_id,
        new.role.as_str(),
        new.duty.map(Duty::as_str),
        new.level.map(ChiefLevel::as_str),
        new.specialty,
        new.from,
        new.to,
        now
    ])?;
    let id = conn.last_insert_rowid();
    let mut scope =
        conn.prepare_cached("INSERT OR IGNORE INTO assignment_scopes (assignment_id, kind, code) VALUES (?1, ?2, ?3)")?;
    for item in &new.scope {
        scope.execute(params![id, item.kind(), item.code()])?;
    }
    get(conn, id)?.ok_or_else(|| Error::Internal(anyhow::anyhow!("assignment {id} vanished after insert")))
}

/// Ends an assignment on `to` (its last day) with a reason. Ending twice, or
/// before it began, is a conflict.
pub fn end(conn: &Connection, id: i64, to: &str, reason: &str) -> Result<Assignment> {
    let current =
        get(conn, id)?.ok_or_else(|| Error::not_found(format!("没有任务分配 {id}"), format!("no assignment {id}")))?;
    if current.end_reason.is_some() {
        return Err(Error::Conflict(Msg::new("该任务分配已结束", "this assignment has already been ended")));
    }
    if to < current.from.as_str() {
        return Err(Error::invalid("to", "结束日期不能早于开始日期", "the end date cannot precede the start date"));
    }
    conn.prepare_cached("UPDATE assignments SET valid_to = ?2, end_reason = ?3 WHERE id = ?1")?
        .execute(params![id, to, reason])?;
    get(conn, id)?.ok_or_else(|| Error::Internal(anyhow::anyhow!("assignment {id} vanished after end")))
}

/// One assignment.
pub fn get(conn: &Connection, id: i64) -> Result<Option<Assignment>> {
    Ok(select(conn, "WHERE a.id = ?1", params![id])?.pop())
}

/// Every assignment of one person, or of everyone, oldest first.
pub fn list(conn: &Connection, person: Option<i64>) -> Result<Vec<Assignment>> {
    match person {
        Some(p) => select(conn, "WHERE a.person_id = ?1", params![p]),
        None => select(conn, "", params![]),
    }
}

/// Every assignment in force on `date`, optionally of one person.
pub fn active_on(conn: &Connection, date: &str, person: Option<i64>) -> Result<Vec<Assignment>> {
    let window = "a.valid_from <= ?1 AND (a.valid_to IS NULL OR a.valid_to >= ?1)";
    match person {
        Some(p) => select(conn, &format!("WHERE {window} AND a.person_id = ?2"), params![date, p]),
        None => select(conn, &format!("WHERE {window}"), params![date]),
    }
}

fn parse_role(text: &str) -> rusqlite::Result<Role> {
    Role::parse(text).map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))
}

fn select(conn: &Connection, filter: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<Assignment>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT a.id, a.person_id, a.role, a.duty, a.level, a.specialty, a.valid_from, a.valid_to, a.end_reason
         FROM assignments a {filter} ORDER BY a.id"
    ))?;
    let mut assignments: Vec<Assignment> = stmt
        .query_map(args, |r| {
            Ok(Assignment {
                id: r.get(0)?,
                person_id: r.get(1)?,
                role: parse_role(&r.get::<_, String>(2)?)?,
                duty: r.get::<_, Option<String>>(3)?.as_deref().and_then(|d| Duty::parse(d).ok()),
                level: r.get::<_, Option<String>>(4)?.as_deref().and_then(|l| ChiefLevel::parse(l).ok()),
                specialty: r.get(5)?,
                from: r.get(6)?,
                to: r.get(7)?,
                scope: Vec::new(),
                end_reason: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    if assignments.is_empty() {
        return Ok(assignments);
    }
    let mut scopes: HashMap<i64, Vec<ScopeItem>> = HashMap::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT s.assignment_id, s.kind, s.code FROM assignment_scopes s
         WHERE s.assignment_id IN (SELECT a.id FROM assignments a {filter}) ORDER BY s.kind, s.code"
    ))?;
    let rows = stmt.query_map(args, |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
    for row in rows {
        let (id, kind, code) = row?;
        if let Some(item) = ScopeItem::from_stored(&kind, &code) {
            scopes.entry(id).or_default().push(item);
        }
    }
    for a in &mut assignments {
        a.scope = scopes.remove(&a.id).unwrap_or_default();
    }
    Ok(assignments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::people::{NewPerson, insert as insert_person};

    fn fresh() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::store::open_migrated(&dir.path().join("a.db")).unwrap();
        let person = NewPerson {
            username: "li.si".into(),
            name: "李四".into(),
            phone: None,
            password_hash: "x".into(),
            demo: false,
        };
        insert_person(&conn, &person, "2026-01-01T00:00:00+08:00").unwrap();
        (dir, conn)
    }

    fn town_expert(from: &str, to: Option<&str>) -> NewAssignment {
        NewAssignment {
            person_id: 1,
            role: Role::TownExpert,
            duty: None,
            level: None,
            specialty: None,
            from: from.into(),
            to: to.map(Into::into),
            scope: vec![ScopeItem::Town("TF".into())],
        }
    }

    #[test]
    fn an_assignment_is_active_inclusively_within_its_period() {
        let (_dir, conn) = fresh();
        insert(&conn, &town_expert("2026-02-01", Some("2026-02-28")), "now").unwrap();
        for (date, active) in [("2026-01-31", 0), ("2026-02-01", 1), ("2026-02-28", 1), ("2026-03-01", 0)] {
            assert_eq!(active_on(&conn, date, None).unwrap().len(), active, "{date}");
        }
        assert_eq!(active_on(&conn, "2026-02-10", Some(1)).unwrap()[0].scope, [ScopeItem::Town("TF".into())]);
    }

    #[test]
    fn ending_keeps_the_row_and_refuses_a_second_end_or_an_end_before_the_start() {
        let (_dir, conn) = fresh();
        let a = insert(&conn, &town_expert("2026-02-01", None), "now").unwrap();
        assert!(matches!(end(&conn, a.id, "2026-01-01", "early"), Err(Error::Invalid { .. })));
        let ended = end(&conn, a.id, "2026-05-31", "合同到期").unwrap();
        assert_eq!(ended.to.as_deref(), Some("2026-05-31"));
        assert!(matches!(end(&conn, a.id, "2026-06-30", "again"), Err(Error::Conflict(_))));
        assert_eq!(list(&conn, Some(1)).unwrap().len(), 1);
        assert!(active_on(&conn, "2026-06-01", None).unwrap().is_empty());
    }
}
