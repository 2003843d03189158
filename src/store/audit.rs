//! The `audit_log` table: append and read the hash chain.

use rusqlite::{Connection, OptionalExtension};

use crate::domain::audit::{Entry, link};
use crate::error::Result;

/// What an action records; the chain fields are filled in by [`append`].
pub use crate::domain::audit::Record as NewEntry;

/// Appends an entry at the head of the chain (call inside the action's transaction).
pub fn append(conn: &Connection, new: NewEntry) -> Result<Entry> {
    let head: Option<(i64, String)> = conn
        .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    append_after(conn, head.as_ref().map(|(s, h)| (*s, h.as_str())), new)
}

/// Appends an entry after a head the caller already holds (`None`: the chain
/// is empty). A wrong head is refused by the primary key (a taken `seq`) and
/// found by `audit verify` (a wrong `prev_hash`).
pub fn append_after(conn: &Connection, head: Option<(i64, &str)>, new: NewEntry) -> Result<Entry> {
    let entry = link(head, new);
    insert_linked(conn, std::slice::from_ref(&entry))?;
    Ok(entry)
}

/// The columns an entry is stored in, in [`insert_linked`]'s order.
const INSERT_COLUMNS: &str =
    "seq, case_id, actor_id, at, action, from_status, to_status, comment, media, document_sha256, prev_hash, hash";

/// Stores entries already linked into the chain ([`link`]), in order: for a
/// bulk load that is the only writer and links its entries itself.
pub fn insert_linked(conn: &Connection, entries: &[Entry]) -> Result<()> {
    super::insert_many(conn, "audit_log", INSERT_COLUMNS, entries, |b, e| {
        let r = &e.record;
        let media = serde_json::to_string(&r.media).unwrap_or_else(|_| "[]".into());
        b.value(e.seq)?;
        b.value(r.case_id)?;
        b.value(r.actor_id)?;
        b.value(&r.at)?;
        b.value(&r.action)?;
        b.value(&r.from)?;
        b.value(&r.to)?;
        b.value(&r.comment)?;
        b.value(media)?;
        b.value(&r.document_sha256)?;
        b.value(&e.prev_hash)?;
        b.value(&e.hash)
    })
}

/// What an entry that concerns no case records (a patrol log, its review, a corrected document).
#[derive(Debug, Clone, Default)]
pub struct Note {
    /// Machine name of the action.
    pub action: String,
    /// State before, if any.
    pub from: Option<String>,
    /// State after, if any.
    pub to: Option<String>,
    /// What happened, in words.
    pub comment: String,
    /// Attached media ids.
    pub media: Vec<String>,
    /// Hash of a document it issued.
    pub document_sha256: Option<String>,
}

/// Appends an entry that concerns no case.
pub fn append_note(conn: &Connection, actor_id: i64, at: String, note: Note) -> Result<Entry> {
    append(
        conn,
        NewEntry {
            case_id: None,
            actor_id,
            at,
            action: note.action,
            from: note.from,
            to: note.to,
            comment: note.comment,
            media: note.media,
            document_sha256: note.document_sha256,
        },
    )
}

/// The first audit entry that recorded issuing a document with this SHA-256:
/// its sequence number, hash and time.
pub fn issued_under(conn: &Connection, document_sha256: &str) -> Result<Option<(i64, String, String)>> {
    Ok(conn
        .prepare_cached("SELECT seq, hash, at FROM audit_log WHERE document_sha256 = ?1 ORDER BY seq LIMIT 1")?
        .query_row([document_sha256], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    let media: String = r.get(8)?;
    Ok(Entry {
        seq: r.get(0)?,
        record: NewEntry {
            case_id: r.get(1)?,
            actor_id: r.get(2)?,
            at: r.get(3)?,
            action: r.get(4)?,
            from: r.get(5)?,
            to: r.get(6)?,
            comment: r.get(7)?,
            media: serde_json::from_str(&media).unwrap_or_else(|_| vec![format!("<unreadable: {media}>")]),
            document_sha256: r.get(9)?,
        },
        prev_hash: r.get(10)?,
        hash: r.get(11)?,
    })
}

const COLUMNS: &str =
    "seq, case_id, actor_id, at, action, from_status, to_status, comment, media, document_sha256, prev_hash, hash";

/// The entries of one case, oldest first (its timeline).
pub fn for_case(conn: &Connection, case_id: i64) -> Result<Vec<Entry>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM audit_log WHERE case_id = ?1 ORDER BY seq"))?;
    let rows = stmt.query_map([case_id], entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The head of a verified chain: the last entry's `seq` and hash.
pub type Head = Option<(i64, String)>;

/// Walks the entries after `head` (`None`: all of them) row by row, with
/// flat memory; returns how many were checked and the new head, or the first break.
pub fn verify_after(
    conn: &Connection,
    head: Head,
) -> Result<std::result::Result<(i64, Head), crate::domain::audit::Broken>> {
    let after = head.as_ref().map_or(0, |(seq, _)| *seq);
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM audit_log WHERE seq > ?1 ORDER BY seq"))?;
    let mut failed = None;
    let rows = stmt.query_map([after], entry)?.map_while(|row| row.map_err(|e| failed = Some(e)).ok());
    let checked = crate::domain::audit::verify_after(head, rows);
    if let Some(e) = failed {
        return Err(e.into());
    }
    Ok(checked)
}

/// Walks the whole chain; also checks that every case has as many entries as its version says.
pub fn verify(conn: &Connection) -> Result<std::result::Result<i64, crate::domain::audit::Broken>> {
    // Row by row: ten years of a county are tens of millions of entries.
    let checked = match verify_after(conn, None)? {
        Ok((checked, _)) => Ok(checked),
        Err(broken) => return Ok(Err(broken)),
    };
    // A case's version counts its actions; fewer entries means the tail was cut.
    let short: Option<(String, i64, i64)> = conn
        .query_row(
            "SELECT c.number, c.version, (SELECT count(*) FROM audit_log a WHERE a.case_id = c.id) AS n
             FROM cases c WHERE n != c.version ORDER BY c.id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(match short {
        Some((number, version, n)) => Err(crate::domain::audit::Broken {
            seq: conn.prepare_cached("SELECT coalesce(max(seq), 0) + 1 FROM audit_log")?.query_row([], |r| r.get(0))?,
            reason: format!("case {number} is at version {version} but has {n} audit entries: entries were removed"),
        }),
        None => checked,
    })
}

/// The append-only guards (triggers) the schema puts on the audit log and the
/// issued documents, by name, with the statement that creates each, as the
/// migrations wrote them.
pub fn guards() -> Vec<(&'static str, &'static str)> {
    let mut found = Vec::new();
    for (_, sql) in super::migrate::MIGRATIONS {
        let mut rest = *sql;
        while let Some(start) = rest.find("CREATE TRIGGER ") {
            let tail = &rest[start..];
            let Some(end) = tail.find("END;") else { break };
            let statement = &tail[..end + "END".len()];
            if let Some(name) = statement["CREATE TRIGGER ".len()..].split_whitespace().next() {
                found.push((name, statement));
            }
            rest = &tail[end..];
        }
    }
    found
}

/// The guards that are missing or no longer as the schema made them (dropped,
/// or replaced by one that lets edits through).
pub fn missing_guards(conn: &Connection) -> Result<Vec<&'static str>> {
    let squeeze = |sql: &str| sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut stmt = conn.prepare_cached("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1")?;
    let mut missing = Vec::new();
    for (name, sql) in guards() {
        let present: Option<String> = stmt.query_row([name], |r| r.get(0)).optional()?;
        if present.as_deref().map(squeeze) != Some(squeeze(sql)) {
            missing.push(name);
        }
    }
    Ok(missing)
}

/// Puts the named guards back as the schema made them (call in a transaction).
pub fn restore_guards(conn: &Connection, names: &[&str]) -> Result<()> {
    for (name, sql) in guards().into_iter().filter(|(name, _)| names.contains(name)) {
        conn.execute_batch(&format!("DROP TRIGGER IF EXISTS {name}; {sql};"))?;
    }
    Ok(())
}
