//! What `/healthz` says: `ok`, or `degraded` with its reasons (the database
//! not writable, the last backup failed or old, the WAL long, the audit chain
//! or its guards wrong, the disk nearly full).

use std::path::Path;

use serde_json::{Value, json};

use crate::service::integrity::AuditState;

/// A WAL longer than this means checkpoints are not keeping up (the writer
/// restarts it at 16 MB; see `store`).
pub const WAL_CONCERN_BYTES: u64 = 64 << 20;

/// Less free space than this on the database's filesystem is a concern: a
/// backup needs as much again as the database.
pub const FREE_CONCERN_BYTES: u64 = 512 << 20;

/// What the server knows of itself at one moment.
#[derive(Debug)]
pub struct Facts {
    /// Grids stored in the database (the database answers).
    pub grids: usize,
    /// Grids in the in-memory geography.
    pub grids_in_memory: usize,
    /// Why the last write batch failed, if none has committed since.
    pub write_failure: Option<String>,
    /// The write-ahead log's size.
    pub wal_bytes: u64,
    /// Free space on the database's filesystem, where it can be read.
    pub free_bytes: Option<u64>,
    /// The backups' part ([`crate::service::backup::health`]).
    pub backup: (Value, Option<String>),
    /// The tamper alarm's last finding.
    pub audit: AuditState,
}

/// The answer of `/healthz`.
pub fn report(facts: Facts) -> Value {
    let mut reasons = Vec::new();
    if let Some(failure) = &facts.write_failure {
        reasons.push(format!("the database is not writable: {failure}"));
    }
    let (backup, backup_concern) = facts.backup;
    reasons.extend(backup_concern);
    if facts.wal_bytes > WAL_CONCERN_BYTES {
        reasons.push(format!("the WAL is {} MB: checkpoints are not keeping up", facts.wal_bytes >> 20));
    }
    if let Some(free) = facts.free_bytes.filter(|free| *free < FREE_CONCERN_BYTES) {
        reasons.push(format!("only {} MB free on the database's disk", free >> 20));
    }
    reasons.extend(facts.audit.concerns());
    json!({
        "status": if reasons.is_empty() { "ok" } else { "degraded" },
        "reasons": reasons,
        "grids": facts.grids,
        "grids_in_memory": facts.grids_in_memory,
        "database": {"writable": facts.write_failure.is_none(), "wal_bytes": facts.wal_bytes, "free_bytes": facts.free_bytes},
        "backup": backup,
        "audit": facts.audit,
    })
}

/// Free bytes for an unprivileged writer on the filesystem holding `path`.
#[cfg(unix)]
pub fn free_bytes(path: &Path) -> Option<u64> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let stat = rustix::fs::statvfs(dir).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// Free bytes: not read on this platform.
#[cfg(not(unix))]
pub fn free_bytes(_path: &Path) -> Option<u64> {
    None
}
