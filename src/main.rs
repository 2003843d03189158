//! The `gridsafe` binary: parse the command line, start tracing, dispatch.

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match gridsafe::cli::Cli::parse().run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("错误 / error: {error:#}");
            if let Some(gridsafe::error::Error::Rejected { problems, .. }) = error.downcast_ref() {
                for problem in problems {
                    eprintln!("  - {problem}");
                }
            }
            std::process::ExitCode::FAILURE
        }
    }
}
