//! The `sandbox` command. Thin: parse, call the client, render, map the exit
//! code (see `exit`).

#![forbid(unsafe_code)]

mod check;
mod cli;
mod doctor;
mod exit;
mod hints;
mod mcp;
mod policy;
mod repl;
mod run;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return bad_command_line(&err),
    };
    // Scripts that parse `--json` output get JSON whatever happens.
    let json = matches!(&cli.command, cli::Command::Run(args) if args.json || args.stream_json);
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
            cli::Command::Repl(args) => repl::run(args).await,
            cli::Command::Doctor(args) => doctor::run(args).await,
            cli::Command::Check(args) => check::run(args),
            cli::Command::Policy(command) => policy::run(command),
        };
        // What runs left to clean up (a pooled run's end, a killed run's
        // cgroups) is finished before the process goes.
        let _ = tokio::task::spawn_blocking(|| {
            sandbox_client::wait_for_cleanup(std::time::Duration::from_secs(5));
        })
        .await;
        outcome
    });
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("sandbox: error: {err:#}");
            if let Some(sandbox_client::SandboxError::Server {
                status: 401 | 403, ..
            }) = err.downcast_ref()
            {
                eprintln!(
                    "sandbox: hint: give the server's API key with --api-key KEY or \
                     SANDBOX_API_KEY"
                );
            }
            if json {
                print_error_json(&exit::error_code(&err), &format!("{err:#}"));
            }
            ExitCode::from(exit::for_error(&err))
        }
    }
}

/// Clap's own message and exit code, and with `run --json` the error as
/// JSON on stdout too.
fn bad_command_line(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let _ = err.print();
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        return ExitCode::SUCCESS;
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let is_run = args.iter().find(|a| !a.to_string_lossy().starts_with('-')) == Some(&"run".into());
    if is_run && args.iter().any(|a| a == "--json" || a == "--stream-json") {
        let rendered = err.render().to_string();
        let message = rendered
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ");
        print_error_json("invalid_request", message);
    }
    ExitCode::from(exit::USAGE)
}

/// `{"error": {"code", "message"}}`: the HTTP API's error body.
fn print_error_json(code: &str, message: &str) {
    let body = sandbox_core::ApiError::new(code, message);
    if let Ok(text) = serde_json::to_string_pretty(&body) {
        println!("{text}");
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
