//! `gridsafe audit verify`: walk the hash chain and name the first broken entry.

use anyhow::bail;

use crate::config::DbArgs;
use crate::store;

/// Arguments of `gridsafe audit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub action: Action,
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
}

/// Audit actions.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Check every entry's hash and link; exits 1 at the first broken entry.
    Verify {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Verifies the chain.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let conn = args.db.open()?;
    let Action::Verify { json } = args.action;
    match store::audit::verify(&conn)? {
        Ok(count) => {
            if json {
                super::print_json(&serde_json::json!({"ok": true, "entries": count}))?;
            } else {
                outln!("审计链完整，共 {count} 条 / the audit chain is intact: {count} entries")?;
            }
            Ok(())
        }
        Err(broken) => {
            if json {
                super::print_json(&serde_json::json!({"ok": false, "seq": broken.seq, "reason": broken.reason}))?;
            }
            bail!(
                "审计链在第 {} 条处断裂 / the audit chain is broken at entry {}: {}",
                broken.seq,
                broken.seq,
                broken.reason
            )
        }
    }
}
