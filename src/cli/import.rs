//! `gridsafe import grids|rivers FILE`: replace part of the geography, all or nothing.

use std::path::PathBuf;

use anyhow::Context;

use crate::config::DbArgs;
use crate::domain::time::Clock;
use crate::service::geography::{self, ImportSummary};

/// What a file holds.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Kind {
    /// The grid tree (town, communities, villages) as polygons.
    Grids,
    /// The rivers as linestrings.
    Rivers,
    /// Enterprises and premises from CSV (header: name,uscc,uscc_override,address,lon,lat,industry,above_scale,key,contact_name,contact_phone).
    Enterprises,
}

/// Arguments of `gridsafe import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What the file holds.
    pub kind: Kind,
    /// The file to import (GeoJSON FeatureCollection, or CSV for enterprises).
    pub file: PathBuf,
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Checks the whole file and replaces the stored features in one transaction;
/// reaches are recomputed. On any problem the database is left as it was.
pub fn run(args: &Args, clock: &Clock) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let mut conn = args.db.open()?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let source = args.file.display().to_string();
    let summary = match args.kind {
        Kind::Grids => geography::import_grids(&tx, &text, &source)?,
        Kind::Rivers => geography::import_rivers(&tx, &text, &source)?,
        Kind::Enterprises => {
            let maps = geography::load_maps(&tx)?;
            let count = crate::service::enterprises::import_csv(&tx, &maps, &text, clock.now_s())?;
            ImportSummary { kind: "enterprises", features: count, reaches: 0, warnings: Vec::new() }
        }
    };
    tx.commit()?;
    if args.json { super::print_json(&summary) } else { Ok(print_summary(&summary)?) }
}

/// Prints what an import did, warnings included.
pub fn print_summary(s: &ImportSummary) -> std::io::Result<()> {
    outln!(
        "已导入 {} 个{}要素，重新计算 {} 个河段 / imported {} {}, {} reaches recomputed",
        s.features,
        match s.kind {
            "grids" => "网格",
            "rivers" => "河流",
            _ => "企业",
        },
        s.reaches,
        s.features,
        s.kind,
        s.reaches
    )?;
    for w in &s.warnings {
        outln!("  警告 / warning: {w}")?;
    }
    Ok(())
}
