//! `gridsafe generate --db FILE --villages N --cases M --patrols K [--years Y] [--seed S]`:
//! a synthetic town into a new database (see [`crate::generate`]).

use std::time::Instant;

use anyhow::bail;

use crate::config::DbArgs;
use crate::domain::time::Clock;
use crate::generate::{self, Spec, Stage};

/// Arguments of `gridsafe generate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Village grids (about a hundred per community).
    #[arg(long, default_value_t = 100)]
    pub villages: usize,
    /// Cases, spread over the years up to now.
    #[arg(long, default_value_t = 10_000)]
    pub cases: usize,
    /// Patrol logs.
    #[arg(long, default_value_t = 1_000)]
    pub patrols: usize,
    /// Years of history.
    #[arg(long, default_value_t = 10)]
    pub years: u32,
    /// The seed: the same arguments give the same database.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The database (must not exist yet).
    #[command(flatten)]
    pub db: DbArgs,
}

/// Generates the town.
pub fn run(args: &Args, clock: &Clock) -> anyhow::Result<()> {
    if args.db.db.exists() {
        bail!(
            "{} 已存在：请指定一个新文件 / {} exists: generate into a new file",
            args.db.db.display(),
            args.db.db.display()
        );
    }
    let mut conn = crate::store::open_migrated(&args.db.db)?;
    let spec =
        Spec { villages: args.villages, cases: args.cases, patrols: args.patrols, years: args.years, seed: args.seed };
    let bar = super::progress_bar((args.cases + args.patrols) as u64);
    let started = Instant::now();
    let (mut cases, mut patrols) = (0, 0);
    let summary = generate::generate(&mut conn, &spec, clock.now_s(), &mut |stage| {
        match stage {
            Stage::Cases(n) => cases = n,
            Stage::Patrols(n) => patrols = n,
            Stage::Indexes => bar.set_message("建立索引 / building indexes"),
        }
        bar.set_position(cases + patrols);
    });
    bar.finish_and_clear();
    let summary = match summary {
        Ok(s) => s,
        Err(e) => {
            drop(conn);
            let _ = std::fs::remove_file(&args.db.db);
            return Err(e.into());
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let generate::Summary { villages, communities, reaches, people, enterprises, cases, audit_entries, patrols } =
        summary;
    let rate = cases as f64 / seconds;
    outln!(
        "已生成 {villages} 个村、{communities} 个社区、{reaches} 个河段、{people} 人、{enterprises} 家企业、{cases} 条隐患（审计记录 {audit_entries} 条）、{patrols} 条巡河日志，用时 {seconds:.1} 秒（每秒 {rate:.0} 条隐患）"
    )?;
    outln!(
        "generated {villages} villages, {communities} communities, {reaches} reaches, {people} people, {enterprises} enterprises, {cases} cases ({audit_entries} audit entries), {patrols} patrols in {seconds:.1} s ({rate:.0} cases/s) into {}",
        args.db.db.display()
    )?;
    Ok(())
}
