//! The tamper alarm: at start and every few minutes the server verifies the
//! audit chain from the last verified entry on and checks that the
//! append-only guards (triggers) on the audit log and the issued documents
//! are in place as the schema made them. What it finds is kept for
//! `/healthz` and the office's dashboard, and logged loudly when wrong.

use rusqlite::Connection;
use serde::Serialize;

use crate::domain::audit::{Broken, SYSTEM_ACTOR};
use crate::error::{Msg, Result};
use crate::store::audit::{self, Head, Note};

/// What the last check found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditState {
    /// When the last check ran (Unix seconds); `None`: not yet.
    pub checked_at: Option<i64>,
    /// Entries verified so far (since the server started).
    pub verified_entries: i64,
    /// The last entry verified.
    pub verified_through: Option<i64>,
    /// The first break found, if any: it stays until the server restarts.
    pub broken: Option<Broken>,
    /// Guards missing or altered at the last check.
    pub missing_guards: Vec<String>,
    /// Why the check itself could not run, if it could not.
    pub error: Option<String>,
    /// The chain's head as verified, to go on from.
    #[serde(skip)]
    head: Head,
}

impl AuditState {
    /// The reasons for concern, in English, for `/healthz` and the log.
    pub fn concerns(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(broken) = &self.broken {
            out.push(format!("the audit chain is broken at entry {}: {}", broken.seq, broken.reason));
        }
        if !self.missing_guards.is_empty() {
            out.push(format!("append-only triggers missing or altered: {}", self.missing_guards.join(", ")));
        }
        if let Some(error) = &self.error {
            out.push(format!("the audit check failed: {error}"));
        }
        out
    }

    /// The same state, noting that a check could not run.
    #[must_use]
    pub fn failed(self, error: String) -> Self {
        Self { error: Some(error), ..self }
    }

    /// The alarm for people (the office's dashboard), if there is one.
    pub fn alarm(&self) -> Option<Msg> {
        let mut zh = Vec::new();
        let mut en = Vec::new();
        if let Some(broken) = &self.broken {
            zh.push(format!("审计链在第 {} 条处断裂：记录可能被篡改", broken.seq));
            en.push(format!("the audit chain is broken at entry {}: records may have been tampered with", broken.seq));
        }
        if !self.missing_guards.is_empty() {
            zh.push(format!("审计日志的防篡改触发器缺失或被改动（{}）", self.missing_guards.join("、")));
            en.push(format!(
                "the audit log's append-only triggers are missing or altered ({})",
                self.missing_guards.join(", ")
            ));
        }
        if zh.is_empty() {
            return None;
        }
        Some(Msg::new(
            format!("{}。请立即联系管理员，用 `gridsafe audit verify` 核查并从备份恢复。", zh.join("；")),
            format!(
                "{}. Tell the administrator now: check with `gridsafe audit verify` and restore from a backup.",
                en.join("; ")
            ),
        ))
    }
}

/// One check after `previous`: the guards, and the chain from the last
/// verified entry on (a break, once found, is kept and not walked again).
pub fn check(conn: &Connection, previous: &AuditState, now: i64) -> AuditState {
    let mut state = AuditState { checked_at: Some(now), error: None, ..previous.clone() };
    match audit::missing_guards(conn) {
        Ok(missing) => state.missing_guards = missing.into_iter().map(str::to_owned).collect(),
        Err(e) => state.error = Some(e.to_string()),
    }
    if state.broken.is_none() {
        match audit::verify_after(conn, state.head.clone()) {
            Ok(Ok((checked, head))) => {
                state.verified_entries += checked;
                state.verified_through = head.as_ref().map(|(seq, _)| *seq);
                state.head = head;
            }
            Ok(Err(broken)) => state.broken = Some(broken),
            Err(e) => state.error = Some(e.to_string()),
        }
    }
    state
}

/// Puts missing guards back as the schema made them, recording in the audit
/// log that the server was told to start without them (`serve
/// --accept-missing-triggers`). Call in one write transaction.
pub fn accept_missing_guards(conn: &Connection, missing: &[&str], at: String) -> Result<()> {
    audit::restore_guards(conn, missing)?;
    audit::append_note(
        conn,
        SYSTEM_ACTOR,
        at,
        Note {
            action: "triggers_restored".into(),
            comment: format!(
                "以 --accept-missing-triggers 启动：防篡改触发器缺失（{}），已重建 / started with --accept-missing-triggers: \
                 the append-only triggers {} were missing and have been re-created",
                missing.join("、"),
                missing.join(", ")
            ),
            ..Note::default()
        },
    )?;
    Ok(())
}
