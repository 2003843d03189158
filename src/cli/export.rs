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
    let count = if xlsx {
        let (file, count) = cases::xlsx_ledger(&conn, &maps, &office, &filter, &today)?;
        std::fs::copy(file.path(), out).with_context(|| format!("cannot write {}", out.display()))?;
        count
    } else {
        let file = std::fs::File::create(out).with_context(|| format!("cannot write {}", out.display()))?;
        cases::csv_ledger(&conn, &maps, &office, &filter, &today, std::io::BufWriter::new(file))?
    };
    println!("已导出 {} 条隐患 / exported {} cases ({from} – {to}) to {}", count, count, out.display());
    Ok(())
}
