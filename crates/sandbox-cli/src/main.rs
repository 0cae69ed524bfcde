//! The `sandbox` command. Thin: parse, call the client, render, map the exit
//! code (see `exit`).

#![forbid(unsafe_code)]

mod check;
mod cli;
mod doctor;
mod exit;
mod mcp;
mod policy;
mod run;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("sandbox: cannot start the async runtime: {err}");
            return ExitCode::from(exit::SANDBOX_ERROR);
        }
    };
    let outcome = runtime.block_on(async {
        let outcome = match cli.command {
            cli::Command::Run(args) => run::run(args).await,
            cli::Command::Mcp(args) => mcp::run(args).await,
            cli::Command::Doctor(args) => doctor::run(args).await,
            cli::Command::Check(args) => check::run(args),
            cli::Command::Policy(command) => policy::run(command),
        };
        // What runs left to clean up (a pooled run's end, a killed run's
        // cgroups) is finished before the process goes.
        let _ = tokio::task::spawn_blocking(|| {
            sandbox_client::wait_for_cleanup(std::time::Duration::from_secs(5))
        })
        .await;
        outcome
    });
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("sandbox: error: {err:#}");
            ExitCode::from(exit::for_error(&err))
        }
    }
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal: logs piped to a file or an MCP
        // host's log stay plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}
