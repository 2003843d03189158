//! `gridsafe coverage`: every gap in the responsibility net, by name.

use crate::config::DbArgs;
use crate::domain::time::Clock;
use crate::service::{accounts, geography};

/// Arguments of `gridsafe coverage`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Prints the report.
pub fn run(args: &Args, clock: &Clock) -> anyhow::Result<()> {
    let conn = args.db.open()?;
    let maps = geography::load_maps(&conn)?;
    let gaps = accounts::coverage(&conn, &maps, &clock.today())?;
    if args.json {
        super::print_json(&gaps)?;
    } else if gaps.is_empty() {
        outln!("全覆盖，无缺口 / full coverage, no gaps")?;
    } else {
        outln!("覆盖缺口 {} 处 / {} coverage gaps:", gaps.len(), gaps.len())?;
        for gap in &gaps {
            outln!("  - {}  ({})", gap.message, gap.message_en)?;
        }
    }
    Ok(())
}
