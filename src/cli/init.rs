//! `gridsafe init`: create the database and load a town's maps.

use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::config::DbArgs;
use crate::service::geography;
use crate::store;

/// Arguments of `gridsafe init`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Folder holding the town's grids.geojson and rivers.geojson.
    #[arg(long, default_value = "maps/tanfang")]
    pub maps: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Creates and migrates the database, then imports grids and rivers in one transaction.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let read = |name: &str| {
        let path = args.maps.join(name);
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
    };
    let grids = read("grids.geojson")?;
    let rivers = read("rivers.geojson")?;
    let mut conn = args.db.open()?;
    if store::grids::count(&conn)? > 0 {
        bail!(
            "数据库 {} 已初始化；请用 gridsafe import 更新地图 / the database is already initialised; use `gridsafe import` to replace maps",
            args.db.db.display()
        );
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let summaries = vec![
        geography::import_grids(&tx, &grids, &args.maps.join("grids.geojson").display().to_string())?,
        geography::import_rivers(&tx, &rivers, &args.maps.join("rivers.geojson").display().to_string())?,
    ];
    tx.commit()?;
    if args.json {
        return super::print_json(&summaries);
    }
    outln!("已创建数据库 / created {}", args.db.db.display())?;
    for s in &summaries {
        super::import::print_summary(s)?;
    }
    Ok(())
}
