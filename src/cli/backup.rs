//! `gridsafe backup` and `gridsafe restore`: a verified copy while the server
//! runs, and a verified swap while it does not.

use std::path::PathBuf;

use anyhow::Context;

use crate::config::DbArgs;
use crate::domain::time::Clock;
use crate::service::backup::{self, Verified};

/// Arguments of `gridsafe backup`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backup file to write (refused if it exists).
    pub out: PathBuf,
    /// The database to copy.
    #[command(flatten)]
    pub db: DbArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `gridsafe restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup file to restore from.
    pub backup: PathBuf,
    /// The database to replace (refused while a server has it open).
    #[command(flatten)]
    pub db: DbArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn report(done: &str, done_en: &str, path: &std::path::Path, v: &Verified, json: bool) -> anyhow::Result<()> {
    if json {
        return super::print_json(&serde_json::json!({"ok": true, "file": path, "verified": v}));
    }
    outln!(
        "{done} {}：{} 件隐患、{} 条审计记录（链完整）、{} 份文书（哈希相符），{} 字节\n{done_en} {}: {} cases, {} audit entries (chain intact), {} documents (hashes match), {} bytes",
        path.display(),
        v.cases,
        v.audit_entries,
        v.documents,
        v.bytes,
        path.display(),
        v.cases,
        v.audit_entries,
        v.documents,
        v.bytes
    )?;
    Ok(())
}

/// Takes and verifies a backup.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let conn = args.db.open()?;
    let verified = backup::take(&conn, &args.out)
        .with_context(|| format!("备份失败 / backup to {} failed", args.out.display()))?;
    report("已备份并校验", "backed up and verified", &args.out, &verified, args.json)
}

/// Verifies a backup and swaps it in.
pub fn restore(args: &RestoreArgs, clock: &Clock) -> anyhow::Result<()> {
    let verified = backup::restore(&args.backup, &args.db.db, clock.now_s())
        .with_context(|| format!("恢复失败 / restore of {} failed", args.backup.display()))?;
    report("已从备份恢复", "restored from", &args.backup, &verified, args.json)
}
