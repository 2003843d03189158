//! The `documents` table: issued PDFs stored once with their SHA-256, the
//! cases each covers, gap-free numbers per kind and year, and the `settings`
//! documents print.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::Result;

/// A document without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentMeta {
    /// Row id.
    #[serde(skip)]
    pub id: i64,
    /// URL-safe code: `N-2026-0001` (notice) or `R-2026-0001` (review).
    pub code: String,
    /// The printed number, e.g. 谭坊整改〔2026〕0001号.
    pub number: String,
    /// `notice` or `review`.
    pub kind: String,
    /// When it was issued (China time, RFC 3339).
    pub issued_at: String,
    /// Who issued it.
    pub issued_by: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Page count.
    pub pages: i64,
    /// The document this one corrects, by code.
    pub supersedes: Option<String>,
}

/// A document to store.
#[derive(Debug)]
pub struct NewDocument<'a> {
    /// Code.
    pub code: &'a str,
    /// Printed number.
    pub number: &'a str,
    /// Kind.
    pub kind: &'a str,
    /// Issue time.
    pub issued_at: &'a str,
    /// Issuer (person id).
    pub issued_by: i64,
    /// Hex SHA-256 of `bytes`.
    pub sha256: &'a str,
    /// Page count.
    pub pages: i64,
    /// The PDF.
    pub bytes: &'a [u8],
    /// Case ids it covers.
    pub cases: &'a [i64],
    /// Row id of the document it corrects.
    pub supersedes: Option<i64>,
}

/// Takes the next sequence number of `kind` in `year` (inside the issuing transaction).
pub fn next_seq(conn: &Connection, kind: &str, year: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "INSERT INTO document_counters (kind, year, last) VALUES (?1, ?2, 1)
             ON CONFLICT (kind, year) DO UPDATE SET last = last + 1 RETURNING last",
        )?
        .query_row(params![kind, year], |r| r.get(0))?)
}

/// Stores an issued document and links it to its cases.
pub fn insert(conn: &Connection, d: &NewDocument<'_>) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO documents (code, number, kind, issued_at, issued_by, sha256, pages, bytes, supersedes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        d.code,
        d.number,
        d.kind,
        d.issued_at,
        d.issued_by,
        d.sha256,
        d.pages,
        d.bytes,
        d.supersedes
    ])?;
    let id = conn.last_insert_rowid();
    let mut link = conn.prepare_cached("INSERT INTO document_cases (document_id, case_id) VALUES (?1, ?2)")?;
    for case in d.cases {
        link.execute(params![id, case])?;
    }
    Ok(id)
}

const META: &str = "d.id, d.code, d.number, d.kind, d.issued_at, d.issued_by, d.sha256, d.pages,
    (SELECT s.code FROM documents s WHERE s.id = d.supersedes)";

fn meta(r: &rusqlite::Row<'_>) -> rusqlite::Result<DocumentMeta> {
    Ok(DocumentMeta {
        id: r.get(0)?,
        code: r.get(1)?,
        number: r.get(2)?,
        kind: r.get(3)?,
        issued_at: r.get(4)?,
        issued_by: r.get(5)?,
        sha256: r.get(6)?,
        pages: r.get(7)?,
        supersedes: r.get(8)?,
    })
}

/// A document by code.
pub fn by_code(conn: &Connection, code: &str) -> Result<Option<DocumentMeta>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {META} FROM documents d WHERE d.code = ?1"))?
        .query_row([code], meta)
        .optional()?)
}

/// A document by its code (`N-2026-0001`) or by its printed number (谭坊整改〔2026〕0001号).
pub fn by_code_or_number(conn: &Connection, key: &str) -> Result<Option<DocumentMeta>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {META} FROM documents d WHERE d.code = ?1 OR d.number = ?1"))?
        .query_row([key], meta)
        .optional()?)
}

/// The document that corrects the one with row id `id`, if any (the first, should there be several).
pub fn superseded_by(conn: &Connection, id: i64) -> Result<Option<DocumentMeta>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {META} FROM documents d WHERE d.supersedes = ?1 ORDER BY d.id LIMIT 1"))?
        .query_row([id], meta)
        .optional()?)
}

/// A document's code by row id.
pub fn code_of(conn: &Connection, id: i64) -> Result<Option<String>> {
    Ok(conn.prepare_cached("SELECT code FROM documents WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?)
}

/// The stored bytes of a document.
pub fn bytes(conn: &Connection, id: i64) -> Result<Vec<u8>> {
    Ok(conn.prepare_cached("SELECT bytes FROM documents WHERE id = ?1")?.query_row([id], |r| r.get(0))?)
}

/// The documents of a case, oldest first.
pub fn for_case(conn: &Connection, case_id: i64) -> Result<Vec<DocumentMeta>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {META} FROM documents d JOIN document_cases dc ON dc.document_id = d.id
         WHERE dc.case_id = ?1 ORDER BY d.id"
    ))?;
    Ok(stmt.query_map([case_id], meta)?.collect::<rusqlite::Result<_>>()?)
}

/// The case ids a document covers.
pub fn cases_of(conn: &Connection, document_id: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached("SELECT case_id FROM document_cases WHERE document_id = ?1 ORDER BY case_id")?;
    Ok(stmt.query_map([document_id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
}

/// Documents of a kind issued in a month (`YYYY-MM`), oldest first.
pub fn in_month(conn: &Connection, kind: &str, month: &str) -> Result<Vec<DocumentMeta>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {META} FROM documents d INDEXED BY documents_kind_issued
         WHERE d.kind = ?1 AND d.issued_at >= ?2 AND d.issued_at < ?2 || '~' ORDER BY d.id"
    ))?;
    // RFC 3339 times sort as text: the month's times lie between "YYYY-MM" and "YYYY-MM~".
    Ok(stmt.query_map(params![kind, month], meta)?.collect::<rusqlite::Result<_>>()?)
}

/// Documents of a kind issued in a month (`YYYY-MM`), in issue order, after
/// the document `after` (a keyset page: at most `limit`).
pub fn in_month_after(
    conn: &Connection,
    kind: &str,
    month: &str,
    after: Option<i64>,
    limit: usize,
) -> Result<Vec<DocumentMeta>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {META} FROM documents d INDEXED BY documents_kind_issued
         WHERE d.kind = ?1 AND d.issued_at >= ?2 AND d.issued_at < ?2 || '~'
           AND (?3 IS NULL OR (d.issued_at, d.id) > ((SELECT a.issued_at FROM documents a WHERE a.id = ?3), ?3))
         ORDER BY d.issued_at, d.id LIMIT ?4"
    ))?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Ok(stmt.query_map(params![kind, month, after, limit], meta)?.collect::<rusqlite::Result<_>>()?)
}

/// How many documents of a kind were issued in a month.
pub fn count_in_month(conn: &Connection, kind: &str, month: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM documents INDEXED BY documents_kind_issued
             WHERE kind = ?1 AND issued_at >= ?2 AND issued_at < ?2 || '~'",
        )?
        .query_row(params![kind, month], |r| r.get(0))?)
}

/// A setting's value.
pub fn setting(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?)
}

/// Sets a setting.
pub fn set_setting(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
    )?
    .execute(params![key, value])?;
    Ok(())
}
