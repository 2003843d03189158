//! `gridsafe patrols compliance --month YYYY-MM [--json]`: each river chief's
//! valid patrols against the month's target, and reach coverage.

use anyhow::bail;

use crate::config::DbArgs;
use crate::domain::kpi::percent;
use crate::service::{geography, patrols};

/// Arguments of `gridsafe patrols`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to show.
    #[command(subcommand)]
    pub what: What,
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
}

/// Reports.
#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// Compliance per chief for a month (巡河达标情况).
    Compliance {
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Prints the report.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let What::Compliance { month, json } = &args.what;
    if month.len() != 7 || crate::domain::people::date("month", &format!("{month}-01")).is_err() {
        bail!("月份须为 YYYY-MM 格式 / the month must be YYYY-MM, not {month:?}");
    }
    let conn = args.db.open()?;
    let maps = geography::load_maps(&conn)?;
    let lines = patrols::compliance(&conn, &maps, month)?;
    if *json {
        return super::print_json(&serde_json::json!({"month": month, "chiefs": lines}));
    }
    println!("{month} 巡河达标情况 / patrol compliance");
    println!(
        "{:<22} {:<10} {:<10} {:>6} {:>6} {:>6} {:>7}  河段覆盖 / reach coverage",
        "河长 / chief", "级别", "河流", "应巡", "有效", "无效", "完成率"
    );
    for l in &lines {
        let covered: Vec<String> = l.reaches.iter().map(|r| format!("{} {}", r.village, percent(r.share))).collect();
        println!(
            "{:<22} {:<10} {:<10} {:>6} {:>6} {:>6} {:>7}  {}",
            format!("{}({})", l.chief, l.username),
            l.level,
            l.river,
            l.required,
            l.valid_done,
            l.invalid,
            percent(l.rate),
            covered.join(", ")
        );
    }
    Ok(())
}
