//! `gridsafe export ledger --from --to --out FILE`: the hazard ledger as CSV or XLSX.

use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::config::DbArgs;
use crate::domain::access::Scope;
use crate::domain::people;
use crate::domain::time::Clock;
use crate::service::accounts::Actor;
use crate::service::cases::{self, CaseFilter};
use crate::service::geography;
use crate::store::people::Person;
use crate::{docs, store};

/// Arguments of `gridsafe export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to export.
    #[command(subcommand)]
    pub what: What,
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
}

/// Exports.
#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// The hazard ledger (隐患台账) of the cases filed in a period; `.csv` or `.xlsx` by the file name.
    Ledger {
        /// First filing date (YYYY-MM-DD; default 1 January of this year).
        #[arg(long)]
        from: Option<String>,
        /// Last filing date (YYYY-MM-DD; default today).
        #[arg(long)]
        to: Option<String>,
        /// Output file, ending in .csv or .xlsx.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Writes the ledger. The command line acts as the town office: every case is in scope.
pub fn run(args: &Args, clock: &Clock) -> anyhow::Result<()> {
    let What::Ledger { from, to, out } = &args.what;
    let xlsx = match out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("xlsx") => true,
        Some("csv") => false,
        _ => bail!("输出文件须以 .csv 或 .xlsx 结尾 / the output file must end in .csv or .xlsx"),
    };
    let today = clock.today();
    let from = match from {
        Some(d) => people::date("from", d)?,
        None => format!("{}-01-01", &today[..4]),
    };
    let to = match to {
        Some(d) => people::date("to", d)?,
        None => today.clone(),
    };
    let conn = args.db.open()?;
    let maps = geography::load_maps(&conn)?;
    let office = Actor {
        person: Person { id: 0, username: "cli".into(), name: "命令行".into(), phone: None, demo: false },
        assignments: Vec::new(),
        scope: Scope { admin: true, ..Scope::default() },
    };
    let filter = CaseFilter { from: Some(from.clone()), to: Some(to.clone()), ..CaseFilter::default() };
    let all = store::cases::list(&conn)?;
    let selected = cases::select(all.clone(), &maps, &office, &filter, &today)?;
    let rows = cases::ledger_rows(&conn, &maps, &selected, &today)?;
    let bytes = if xlsx {
        let kpis = cases::ledger_kpis(all, &maps, &office, &filter, (&from, &to), &today)?;
        docs::ledger::xlsx(&rows, &kpis, &format!("{from} 至 {to}"))?
    } else {
        docs::ledger::csv(&rows)?
    };
    std::fs::write(out, bytes).with_context(|| format!("cannot write {}", out.display()))?;
    println!("已导出 {} 条隐患 / exported {} cases ({from} – {to}) to {}", rows.len(), rows.len(), out.display());
    Ok(())
}
