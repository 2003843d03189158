//! `gridsafe pdf notice|signoff NUMBER --out FILE` writes an issued document
//! exactly as stored; `gridsafe pdf month YYYY-MM --out DIR` writes a month's
//! documents with a progress bar.

use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::config::DbArgs;
use crate::store::cases as case_store;
use crate::store::documents::{self as store, DocumentMeta};

/// Arguments of `gridsafe pdf`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which document.
    #[command(subcommand)]
    pub what: What,
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
}

/// The documents.
#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// The rectification notice (隐患整改通知书) of a case (its latest), or a notice by code (N-2026-0001).
    Notice {
        /// Case number (TF-2026-000123) or document code.
        number: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// The re-inspection opinion (整改复查意见书) of a case (its latest), or one by code (R-2026-0001).
    Signoff {
        /// Case number or document code.
        number: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Every notice (or opinion) issued in a month, one file each, into a directory.
    Month {
        /// The month, YYYY-MM.
        month: String,
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Export re-inspection opinions instead of notices.
        #[arg(long)]
        reviews: bool,
    },
}

/// Finds the document `number` names: a document code of `kind`, or the latest of that kind for a case.
fn find(conn: &rusqlite::Connection, kind: &str, number: &str) -> anyhow::Result<DocumentMeta> {
    if let Some(meta) = store::by_code(conn, number)?.filter(|m| m.kind == kind) {
        return Ok(meta);
    }
    let Some(case) = case_store::by_number(conn, number)? else {
        bail!("没有案件或文书 {number} / no case or document {number}");
    };
    store::for_case(conn, case.id)?
        .into_iter()
        .rev()
        .find(|d| d.kind == kind)
        .with_context(|| format!("案件 {number} 尚未出具该文书 / case {number} has no such document yet"))
}

/// Writes the chosen document(s).
pub fn run(args: &Args) -> anyhow::Result<()> {
    let conn = args.db.open()?;
    match &args.what {
        What::Notice { number, out } | What::Signoff { number, out } => {
            let kind = if matches!(args.what, What::Notice { .. }) { "notice" } else { "review" };
            let meta = find(&conn, kind, number)?;
            let bytes = store::bytes(&conn, meta.id)?;
            std::fs::write(out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
            outln!(
                "{} {} → {} ({} bytes, sha256 {})",
                meta.code,
                meta.number,
                out.display(),
                bytes.len(),
                meta.sha256
            )?;
        }
        What::Month { month, out, reviews } => {
            let valid = month.len() == 7
                && month.as_bytes()[4] == b'-'
                && crate::domain::people::date("month", &format!("{month}-01")).is_ok();
            if !valid {
                bail!("月份须为 YYYY-MM 格式 / the month must be YYYY-MM, not {month:?}");
            }
            let kind = if *reviews { "review" } else { "notice" };
            let docs = store::in_month(&conn, kind, month)?;
            std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
            let bar = super::progress_bar(docs.len() as u64);
            for meta in &docs {
                let path = out.join(format!("{}.pdf", meta.code));
                std::fs::write(&path, store::bytes(&conn, meta.id)?)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                bar.set_message(meta.code.clone());
                bar.inc(1);
            }
            bar.finish_and_clear();
            outln!("{} 份文书已写入 {} / {} documents written", docs.len(), out.display(), docs.len())?;
        }
    }
    Ok(())
}
