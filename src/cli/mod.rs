//! The `gridsafe` command line: one file per subcommand, each with its Args and `run`.
//!
//! Output goes through [`outln!`], which returns the write error instead of
//! panicking as `println!` does, so `gridsafe user list | head -5` ends quietly
//! when `head` closes the pipe (`main` treats a broken pipe as a normal end).

/// `println!` that returns `std::io::Result<()>` (a closed pipe is an error to pass up, not a panic).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

pub mod assign;
pub mod audit;
pub mod backup;
pub mod coverage;
pub mod export;
pub mod generate;
pub mod import;
pub mod init;
pub mod locate;
pub mod patrols;
pub mod pdf;
pub mod serve;
pub mod user;

use clap::{Parser, Subcommand};

use crate::domain::time::Clock;

/// gridsafe: grid-based safety-production and environmental inspection and the
/// river-chief system (网格化安全生产·环保监管与河长制) for a township.
#[derive(Debug, Parser)]
#[command(name = "gridsafe", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Run as if it were this moment (RFC 3339 or Unix seconds) instead of
    /// reading the system clock: for tests and reproducible demos.
    #[arg(long, env = "GRIDSAFE_NOW", global = true, hide = true, value_parser = parse_now)]
    pub now: Option<i64>,
}

fn parse_now(text: &str) -> Result<i64, String> {
    text.parse::<i64>()
        .ok()
        .or_else(|| crate::spatial::track_input::parse_rfc3339(text))
        .ok_or_else(|| format!("not RFC 3339 or Unix seconds: {text}"))
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database and load the town's maps (grids and rivers).
    Init(init::Args),
    /// Run the web server and API.
    Serve(serve::Args),
    /// Replace the town's grids or rivers from a GeoJSON file (rejected whole on any problem).
    Import(import::Args),
    /// Resolve a WGS84 point to village → community → town.
    Locate(locate::Args),
    /// Manage accounts (add, passwd, list).
    User(user::Args),
    /// Give a person a role over a scope (an assignment).
    Assign(assign::Args),
    /// List every gap in the coverage of grids, enterprises and rivers.
    Coverage(coverage::Args),
    /// Check the audit log's hash chain.
    Audit(audit::Args),
    /// Copy the database while it serves, then verify the copy (integrity, audit chain, documents).
    Backup(backup::Args),
    /// Replace the database with a verified backup (refused while a server has it open).
    Restore(backup::RestoreArgs),
    /// Export the hazard ledger as CSV or XLSX.
    Export(export::Args),
    /// River patrol reports (compliance per chief).
    Patrols(patrols::Args),
    /// Write issued documents (notices, re-inspection opinions) as PDF files.
    Pdf(pdf::Args),
    /// Generate a synthetic town of any size into a new database (for benchmarks and sizing).
    Generate(generate::Args),
}

impl Cli {
    /// Runs the chosen subcommand.
    pub fn run(self) -> anyhow::Result<()> {
        let clock = self.now.map_or_else(Clock::system, Clock::fixed);
        match self.command {
            Command::Init(args) => init::run(&args),
            Command::Serve(args) => serve::run(args, clock),
            Command::Import(args) => import::run(&args, &clock),
            Command::Locate(args) => locate::run(&args),
            Command::User(args) => user::run(&args, &clock),
            Command::Assign(args) => assign::run(&args, &clock),
            Command::Coverage(args) => coverage::run(&args, &clock),
            Command::Audit(args) => audit::run(&args),
            Command::Backup(args) => backup::run(&args),
            Command::Restore(args) => backup::restore(&args, &clock),
            Command::Export(args) => export::run(&args, &clock),
            Command::Pdf(args) => pdf::run(&args),
            Command::Patrols(args) => patrols::run(&args),
            Command::Generate(args) => generate::run(&args, &clock),
        }
    }
}

/// Whether an error is, at bottom, a write to a pipe whose reader has gone
/// (`gridsafe user list | head`): the output was not wanted, nothing failed.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|e| e.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}

/// A progress bar on standard error, drawn only when it is a terminal (logs stay clean).
fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template("[{bar:30}] {pos}/{len} {msg} ({eta})") {
        bar.set_style(style.progress_chars("#>-"));
    }
    bar
}

/// Prints a value as pretty JSON on stdout.
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(value)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        super::Cli::command().debug_assert();
    }

    /// The systemd unit in the repository starts a command this binary takes.
    #[test]
    fn the_systemd_units_command_line_parses() {
        use clap::Parser;
        let unit = include_str!("../deploy/gridsafe.service");
        let exec = unit.lines().find_map(|l| l.strip_prefix("ExecStart=")).expect("an ExecStart line");
        let mut words = exec.split_whitespace();
        assert_eq!(words.next(), Some("/usr/local/bin/gridsafe"));
        let parsed = super::Cli::try_parse_from(std::iter::once("gridsafe").chain(words));
        let Ok(super::Cli { command: super::Command::Serve(args), .. }) = parsed else {
            panic!("the unit's ExecStart does not parse: {parsed:?}");
        };
        let schedule = args.config.backup_schedule().expect("the unit takes scheduled backups");
        assert_eq!((schedule.every_s, schedule.keep), (6 * 3600, 28));
    }
}
