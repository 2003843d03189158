//! The `gridsafe` binary: parse the command line, start tracing, dispatch.

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    quiet_on_closed_stdout();
    match gridsafe::cli::Cli::parse().run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // `gridsafe user list | head -5`: the reader had enough; not an error (as ripgrep does).
        Err(error) if gridsafe::cli::is_broken_pipe(&error) => std::process::ExitCode::SUCCESS,
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

/// A `println!` that still meets a closed pipe (any not yet written with
/// `outln!`) panics with "failed printing to stdout"; end quietly instead, as
/// a program killed by SIGPIPE would, rather than print a panic and exit 101.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}
