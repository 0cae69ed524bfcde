//! The `sandbox-server` program as a function: parse flags and environment,
//! log, listen, serve until SIGTERM or SIGINT, drain, exit 0.
//!
//! It lives in the library so the integration suite can build the very same
//! program under its own name (cargo only hands a package's tests the
//! binaries of that package).

use crate::config::LogFormat;
use crate::{AppState, Args};
use anyhow::{Context as _, Result};
use clap::Parser as _;
use sandbox_client::ExecutionMode;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};

/// Runs the server program and returns its exit code.
pub fn main() -> std::process::ExitCode {
    let args = Args::parse();
    init_tracing(args.log_format);
    // Each execution holds a dozen descriptors here (pipes, its work dir,
    // with the network its helper's pipes and DNS queries): the usual soft
    // limit of 1024 would cap the server well below its concurrency.
    // Sandboxes set their own limit.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open files limit"),
        Err(err) => tracing::warn!(%err, "cannot raise the open files limit"),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!(%err, "cannot start the async runtime");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("sandbox-server: error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<()> {
    let (host, port) = (args.host.clone(), args.port);
    let config = args.into_config(std::env::vars_os())?;
    let keys = config.api_keys.len();
    // What a runner killed outright (SIGKILL, a crash) left behind.
    let work_root = config.execution.work_root.clone();
    tokio::task::spawn_blocking(move || sandbox_client::sweep_stale(work_root.as_deref()));
    let state = AppState::new(config).context("cannot set up the executions")?;
    let config = state.config();
    if keys == 0 {
        tracing::warn!(
            "no API keys configured (SANDBOX_API_KEYS, SANDBOX_API_KEYS_FILE): \
             anyone who can reach this server can run code on it"
        );
    }
    if config.execution.mode == ExecutionMode::Secure && !state.missing_layers().is_empty() {
        tracing::error!(
            isolation = %config.execution.isolation,
            missing = %state.missing_layers().join(", "),
            "secure mode cannot run on this host at this isolation level; \
             /readyz answers 503 and executions fail (see `sandbox doctor`)"
        );
    }
    if config.execution.mode == ExecutionMode::Simple {
        tracing::warn!("default mode is simple: code is NOT isolated from this host");
    }
    // Whether a real sandbox can be set up here, known before the first
    // client is answered.
    crate::readiness::start(state.readiness().clone(), state.client().clone()).await;
    let listener = tokio::net::TcpListener::bind((host.as_str(), port))
        .await
        .with_context(|| format!("cannot listen on `{host}:{port}`"))?;
    let bound = listener
        .local_addr()
        .context("cannot read the bound address")?;
    tracing::info!(
        mode = %config.execution.mode,
        isolation = %config.execution.isolation,
        max_concurrency = config.max_concurrency,
        max_queue = config.max_queue,
        api_keys = keys,
        "listening on http://{bound}"
    );

    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
    let (second_tx, second_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        for tx in [first_tx, second_tx] {
            tokio::select! {
                _ = terminate.recv() => tracing::info!("SIGTERM received"),
                _ = interrupt.recv() => tracing::info!("SIGINT received"),
            }
            let _ = tx.send(());
        }
    });
    crate::serve(
        listener,
        state,
        async move {
            let _ = first_rx.await;
        },
        async move {
            let _ = second_rx.await;
        },
    )
    .await
    .context("the server failed")?;
    // The cgroups of runs killed at the deadline are removed in the
    // background; let that finish before the process goes.
    tokio::task::spawn_blocking(|| sandbox_client::wait_for_cleanup(Duration::from_secs(5)))
        .await
        .context("the clean-up failed")?;
    Ok(())
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}
