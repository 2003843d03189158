//! The `people` and `sessions` tables.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::{Error, Msg, Result};

/// A person as shown to callers (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Full name.
    pub name: String,
    /// Phone number, if recorded.
    pub phone: Option<String>,
    /// Created by the demo seed.
    pub demo: bool,
}

/// A new person, already validated.
#[derive(Debug, Clone)]
pub struct NewPerson {
    /// Login name (checked by `domain::people::username`).
    pub username: String,
    /// Full name.
    pub name: String,
    /// Phone number.
    pub phone: Option<String>,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Created by the demo seed.
    pub demo: bool,
}

const COLUMNS: &str = "id, username, name, phone, demo";

fn person(row: &rusqlite::Row<'_>) -> rusqlite::Result<Person> {
    Ok(Person { id: row.get(0)?, username: row.get(1)?, name: row.get(2)?, phone: row.get(3)?, demo: row.get(4)? })
}

/// Inserts a person; a taken username is a conflict.
pub fn insert(conn: &Connection, new: &NewPerson, now: &str) -> Result<Person> {
    conn.prepare_cached(
        "INSERT INTO people (username, name, phone, password_hash, demo, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![new.username, new.name, new.phone, new.password_hash, new.demo, now])
    .map_err(|e| {
        crate::store::on_unique(
            e,
            &format!("登录名 {} 已被使用", new.username),
            &format!("username {} is taken", new.username),
        )
    })?;
    Ok(Person {
        id: conn.last_insert_rowid(),
        username: new.username.clone(),
        name: new.name.clone(),
        phone: new.phone.clone(),
        demo: new.demo,
    })
}

/// One person by id.
pub fn get(conn: &Connection, id: i64) -> Result<Option<Person>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM people WHERE id = ?1"))?
        .query_row([id], person)
        .optional()?)
}

/// One person by username.
pub fn by_username(conn: &Connection, username: &str) -> Result<Option<Person>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM people WHERE username = ?1"))?
        .query_row([username], person)
        .optional()?)
}

/// A person and their password hash, for login.
pub fn credentials(conn: &Connection, username: &str) -> Result<Option<(Person, String)>> {
    Ok(conn
        .query_row(&format!("SELECT {COLUMNS}, password_hash FROM people WHERE username = ?1"), [username], |r| {
            Ok((person(r)?, r.get(5)?))
        })
        .optional()?)
}

/// Everyone, by username.
pub fn list(conn: &Connection) -> Result<Vec<Person>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM people ORDER BY username"))?;
    let rows = stmt.query_map([], person)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// People whose name (lower-cased), login or phone contains `text` (any,
/// when `None`); in the order of a keyset over the login.
const MATCHING: &str = "(?1 IS NULL OR instr(lower(name), ?1) > 0 OR instr(username, ?1) > 0
     OR instr(coalesce(phone, ''), ?1) > 0)";

/// One page of the people matching `text` (lower-cased), by login after
/// `after`: at most `limit`, and the last login listed when more follow.
pub fn page(conn: &Connection, text: Option<&str>, after: &str, limit: usize) -> Result<(Vec<Person>, Option<String>)> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM people WHERE username > ?2 AND {MATCHING} ORDER BY username LIMIT ?3"
    ))?;
    let want = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
    let mut rows: Vec<Person> =
        stmt.query_map(rusqlite::params![text, after, want], person)?.collect::<rusqlite::Result<_>>()?;
    let next = (rows.len() > limit).then(|| rows[limit - 1].username.clone());
    rows.truncate(limit);
    Ok((rows, next))
}

/// The query plan of [`page`]'s statement (`EXPLAIN QUERY PLAN` details).
pub fn page_plan(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!(
        "EXPLAIN QUERY PLAN SELECT {COLUMNS} FROM people WHERE username > ?2 AND {MATCHING} ORDER BY username LIMIT ?3"
    ))?;
    Ok(stmt.query_map(rusqlite::params!["x", "", 51], |r| r.get(3))?.collect::<rusqlite::Result<_>>()?)
}

/// How many people match `text` (lower-cased), as [`page`] filters them.
pub fn count_matching(conn: &Connection, text: Option<&str>) -> Result<i64> {
    let mut stmt = conn.prepare_cached(&format!("SELECT count(*) FROM people WHERE {MATCHING}"))?;
    Ok(stmt.query_row([text], |r| r.get(0))?)
}

/// How many people exist.
pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.prepare_cached("SELECT count(*) FROM people")?.query_row([], |r| r.get(0))?)
}

/// Replaces a password hash and revokes every open session of that person.
pub fn set_password(conn: &Connection, username: &str, hash: &str, now_s: i64) -> Result<()> {
    let changed = conn
        .prepare_cached("UPDATE people SET password_hash = ?2 WHERE username = ?1")?
        .execute(params![username, hash])?;
    if changed == 0 {
        return Err(Error::NotFound(Msg::new(format!("没有用户 {username}"), format!("no user {username}"))));
    }
    conn.prepare_cached("UPDATE sessions SET revoked_at = ?2 WHERE revoked_at IS NULL AND person_id = (SELECT id FROM people WHERE username = ?1)")?.execute(params![username, now_s],
    )?;
    Ok(())
}

/// Opens a session for a token hash until `expires_s`.
pub fn open_session(conn: &Connection, token_sha256: &str, person_id: i64, now_s: i64, expires_s: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sessions (token_sha256, person_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![token_sha256, person_id, now_s, expires_s])?;
    Ok(())
}

/// The person behind a live (unexpired, unrevoked) session, and when it expires.
pub fn session_person(conn: &Connection, token_sha256: &str, now_s: i64) -> Result<Option<(Person, i64)>> {
    Ok(conn
        .query_row(
            "SELECT p.id, p.username, p.name, p.phone, p.demo, s.expires_at FROM sessions s
             JOIN people p ON p.id = s.person_id
             WHERE s.token_sha256 = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2",
            params![token_sha256, now_s],
            |r| Ok((person(r)?, r.get(5)?)),
        )
        .optional()?)
}

/// Ends a session (logout).
pub fn revoke_session(conn: &Connection, token_sha256: &str, now_s: i64) -> Result<()> {
    conn.prepare_cached("UPDATE sessions SET revoked_at = ?2 WHERE token_sha256 = ?1 AND revoked_at IS NULL")?
        .execute(params![token_sha256, now_s])?;
    Ok(())
}
