//! Backups that are proven: an online, consistent copy (`VACUUM INTO`) made
//! durable (fsync of the file and its directory) and verified before it is
//! called a backup; a restore that verifies first and refuses a database a
//! server has open.
//!
//! A running server holds an exclusive lock on `<db>-server.lock`
//! ([`ServerLock`]); `restore` takes the same lock, so the two cannot overlap.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::error::{Error, Msg, Result};

/// What a verified copy holds.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Verified {
    /// The file's size.
    pub bytes: u64,
    /// Cases in it.
    pub cases: i64,
    /// Audit entries, each linked to the one before.
    pub audit_entries: i64,
    /// Issued documents, each matching its recorded SHA-256.
    pub documents: i64,
}

fn io(context: &str, path: &Path, e: &std::io::Error) -> Error {
    Error::Internal(anyhow::anyhow!("{context} {}: {e}", path.display()))
}

/// A sibling path: `name` + `suffix` in the same directory (renames stay on one filesystem).
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// Syncs a file's directory, so a rename or creation in it survives a crash.
fn sync_dir(path: &Path) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io("cannot sync the directory", dir, &e))
}

/// Copies the database `conn` has open to `out` while others keep writing:
/// `VACUUM INTO` reads one snapshot, so the copy holds every transaction
/// committed before it began and none half. The copy is written beside `out`,
/// synced, verified, and only then renamed to `out`; a failed backup leaves
/// no file that looks like one.
pub fn take(conn: &Connection, out: &Path) -> Result<Verified> {
    if out.exists() {
        return Err(Error::Conflict(Msg::new(
            format!("备份文件 {} 已存在，不会覆盖", out.display()),
            format!("{} exists; a backup never overwrites", out.display()),
        )));
    }
    let partial = sibling(out, ".partial");
    let _ = fs::remove_file(&partial);
    let target =
        partial.to_str().ok_or_else(|| Error::invalid("out", "备份路径须为 UTF-8", "the path must be UTF-8"))?;
    let result = (|| {
        conn.execute("VACUUM INTO ?1", [target])?;
        File::open(&partial).and_then(|f| f.sync_all()).map_err(|e| io("cannot sync", &partial, &e))?;
        let verified = verify(&partial)?;
        fs::rename(&partial, out).map_err(|e| io("cannot rename the backup to", out, &e))?;
        sync_dir(out)?;
        Ok(verified)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&partial);
    }
    result
}

/// Checks a copy read-only: SQLite's `integrity_check`, the audit chain
/// (every entry's hash and link, every case's entries), and every issued
/// document against its recorded SHA-256.
pub fn verify(path: &Path) -> Result<Verified> {
    let bytes = fs::metadata(path).map_err(|e| io("cannot read", path, &e))?.len();
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    let broken = |zh: String, en: String| Error::Conflict(Msg::new(zh, en));
    let integrity: String = conn.query_row("PRAGMA integrity_check(1)", [], |r| r.get(0))?;
    if integrity != "ok" {
        return Err(broken(format!("数据库文件损坏：{integrity}"), format!("the file is damaged: {integrity}")));
    }
    let audit_entries = match crate::store::audit::verify(&conn)? {
        Ok(n) => n,
        Err(b) => {
            return Err(broken(
                format!("审计链在第 {} 条处断裂：{}", b.seq, b.reason),
                format!("the audit chain is broken at entry {}: {}", b.seq, b.reason),
            ));
        }
    };
    let mut documents = 0;
    let mut stmt = conn.prepare("SELECT code, sha256, bytes FROM documents ORDER BY id")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let (code, sha256): (String, String) = (row.get(0)?, row.get(1)?);
        let pdf = row.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?;
        if crate::domain::audit::sha256_hex(pdf) != sha256 {
            return Err(broken(
                format!("文书 {code} 的内容与其登记的哈希不符"),
                format!("document {code} does not match its recorded SHA-256"),
            ));
        }
        documents += 1;
    }
    let cases = conn.query_row("SELECT count(*) FROM cases", [], |r| r.get(0))?;
    Ok(Verified { bytes, cases, audit_entries, documents })
}

/// The lock a running server holds on its database (`<db>-server.lock`).
#[derive(Debug)]
pub struct ServerLock {
    _file: File,
}

impl ServerLock {
    /// Takes the lock, or says that a server has the database open.
    pub fn take(db: &Path) -> Result<Self> {
        let path = sibling(db, "-server.lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io("cannot open", &path, &e))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(fs::TryLockError::WouldBlock) => Err(Error::Conflict(Msg::new(
                format!("数据库 {} 正被运行中的服务使用，请先停止服务", db.display()),
                format!("a running server has {} open; stop it first", db.display()),
            ))),
            Err(fs::TryLockError::Error(e)) => Err(io("cannot lock", &path, &e)),
        }
    }
}

/// Replaces `db` with a verified copy of `backup`. Refuses while a server has
/// `db` open. The database it replaces is kept beside it as
/// `<db>.before-restore-<now>` (with its WAL, so nothing in it is lost), and
/// the swap is a rename: a crash leaves either the old database or the new one.
pub fn restore(backup: &Path, db: &Path, now: i64) -> Result<Verified> {
    let _lock = ServerLock::take(db)?;
    let verified = verify(backup)?;
    let incoming = sibling(db, ".restoring");
    let _ = fs::remove_file(&incoming);
    fs::copy(backup, &incoming).map_err(|e| io("cannot copy the backup to", &incoming, &e))?;
    File::open(&incoming).and_then(|f| f.sync_all()).map_err(|e| io("cannot sync", &incoming, &e))?;
    if verify(&incoming)? != verified {
        let _ = fs::remove_file(&incoming);
        return Err(Error::Conflict(Msg::new("复制后的备份与原备份不符", "the copied backup differs from the backup")));
    }
    if db.exists() {
        let kept = sibling(db, &format!(".before-restore-{now}"));
        for suffix in ["", "-wal"] {
            let (from, to) = (sibling(db, suffix), sibling(&kept, suffix));
            if from.exists() {
                fs::rename(&from, &to).map_err(|e| io("cannot keep the old database as", &to, &e))?;
            }
        }
        let _ = fs::remove_file(sibling(db, "-shm"));
    }
    fs::rename(&incoming, db).map_err(|e| io("cannot move the backup to", db, &e))?;
    sync_dir(db)?;
    Ok(verified)
}

/// The outcome of the last scheduled backup, for `/healthz` and the log.
#[derive(Debug, Clone, Serialize)]
pub struct LastBackup {
    /// When it ran (Unix seconds, by the server's clock).
    pub at: i64,
    /// The file written, when it succeeded.
    pub file: Option<PathBuf>,
    /// What it holds, when it succeeded.
    pub verified: Option<Verified>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

/// Where the scheduled backups go and how many stay.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The directory of the backups.
    pub dir: PathBuf,
    /// Seconds between two backups.
    pub every_s: u64,
    /// How many of the newest are kept.
    pub keep: usize,
}

/// Takes one scheduled backup of `db` into the schedule's directory as
/// `gridsafe-<YYYYMMDDhhmmss>.db` (China time at `now`), verified, then
/// prunes the oldest beyond `keep`. Never fails silently: the outcome is the
/// answer, success or not.
pub fn scheduled(db: &Path, schedule: &Schedule, now: i64) -> LastBackup {
    let outcome = (|| {
        fs::create_dir_all(&schedule.dir).map_err(|e| io("cannot create", &schedule.dir, &e))?;
        let stamp: String =
            crate::domain::time::china_timestamp(now).chars().take(19).filter(char::is_ascii_digit).collect();
        let mut out = schedule.dir.join(format!("gridsafe-{stamp}.db"));
        for n in 1.. {
            if !out.exists() {
                break;
            }
            out = schedule.dir.join(format!("gridsafe-{stamp}-{n}.db"));
        }
        let conn = crate::store::open_connection(db)?;
        let verified = take(&conn, &out)?;
        prune(&schedule.dir, schedule.keep)?;
        Ok::<_, Error>((out, verified))
    })();
    match outcome {
        Ok((file, verified)) => LastBackup { at: now, file: Some(file), verified: Some(verified), error: None },
        Err(e) => LastBackup { at: now, file: None, verified: None, error: Some(e.to_string()) },
    }
}

/// Deletes all but the `keep` newest scheduled backups (by modification time) in `dir`.
pub fn prune(dir: &Path, keep: usize) -> Result<Vec<PathBuf>> {
    let mut backups: Vec<(std::time::SystemTime, PathBuf)> = fs::read_dir(dir)
        .map_err(|e| io("cannot list", dir, &e))?
        .filter_map(std::result::Result::ok)
        .filter(|e| {
            let path = e.path();
            path.extension().is_some_and(|x| x == "db")
                && path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("gridsafe-"))
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    backups.sort();
    let excess = backups.len().saturating_sub(keep);
    let removed: Vec<PathBuf> = backups.into_iter().take(excess).map(|(_, path)| path).collect();
    for path in &removed {
        fs::remove_file(path).map_err(|e| io("cannot remove", path, &e))?;
    }
    Ok(removed)
}

/// What `/healthz` says of the backups: none configured, or the last outcome
/// and whether it is a reason for concern (failed, or older than two intervals).
pub fn health(schedule: Option<&Schedule>, last: Option<&LastBackup>, now: i64) -> (serde_json::Value, Option<String>) {
    let Some(schedule) = schedule else { return (serde_json::json!({"scheduled": false}), None) };
    let Some(last) = last else {
        return (serde_json::json!({"scheduled": true, "last": null}), None);
    };
    let age_s = now - last.at;
    let concern = if let Some(error) = &last.error {
        Some(format!("last backup failed: {error}"))
    } else if age_s > 2 * schedule.every_s as i64 {
        Some(format!("last backup is {age_s} s old"))
    } else {
        None
    };
    (serde_json::json!({"scheduled": true, "last": last, "age_s": age_s}), concern)
}
