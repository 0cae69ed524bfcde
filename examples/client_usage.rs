//! Local vs remote client usage: the same code through a local client and a
//! remote one, with identical results.
//!
//! The remote client talks to the `sandbox-server` at `SANDBOX_SERVER_URL`
//! (with `SANDBOX_API_KEY`); when none is given, this example starts one on
//! a loopback port for the length of the run.
//!
//! Run with `cargo run --example client_usage`.

use anyhow::{Context as _, Result};
use sandbox_client::{ClientConfig, ExecutionRequest, ExecutionResult, SandboxClient};

/// The original README's snippets, shared with the integration tests.
const FIBONACCI: &str = include_str!("python/fibonacci.py");
const CIRCLE: &str = include_str!("python/circle_area.py");
const CSV_TOTAL: &str = include_str!("python/csv_total.py");

#[tokio::main]
async fn main() -> Result<()> {
    // Mode 1: no server_url, the code runs on this machine.
    let local = SandboxClient::new();

    // Mode 2: server_url set, the code runs on the server.
    let env = ClientConfig::from_env()?;
    let (url, _server) = match env.server_url.clone() {
        Some(url) => (url, None),
        None => {
            let (url, server) = start_local_server().await?;
            (url, Some(server))
        }
    };
    let remote = SandboxClient::from_config(ClientConfig {
        server_url: Some(url.clone()),
        api_key: env.api_key.clone(),
        ..ClientConfig::default()
    })?;
    println!("remote server: {url}");

    let requests = [
        ("fibonacci", ExecutionRequest::new(FIBONACCI)),
        ("circle area", ExecutionRequest::new(CIRCLE)),
        (
            "csv total",
            ExecutionRequest::new(CSV_TOTAL)
                .with_file("data.csv", b"id,value\n1,100\n2,200\n3,300\n".to_vec()),
        ),
        ("error", ExecutionRequest::new("print(1/0)")),
    ];
    let mut all_same = true;
    for (name, request) in requests {
        let here = local.execute_request(request.clone()).await?;
        let there = remote.execute_request(request).await?;
        let same = comparable(&here) == comparable(&there);
        all_same &= same;
        println!(
            "== {name}: local {} / remote {}, identical: {same}",
            here.status, there.status
        );
        print!("{}", here.stdout);
        if let Some(text) = here.file_text("result.txt") {
            print!("result.txt: {text}");
        }
        if let Some(last) = here.stderr.lines().last() {
            println!("stderr: {last}");
        }
    }
    println!("identical results: {all_same}");
    Ok(())
}

/// What must match between local and remote runs (timings and resource use
/// naturally differ).
fn comparable(result: &ExecutionResult) -> impl PartialEq + use<> {
    (
        result.status,
        result.return_code,
        result.stdout.clone(),
        result.stderr.clone(),
        result.output_files.clone(),
        result.mode,
    )
}

/// Starts a `sandbox-server` in this process on a free loopback port; it
/// stops with the program.
async fn start_local_server() -> Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot listen on a loopback port")?;
    let url = format!("http://{}", listener.local_addr()?);
    let state = sandbox_server::AppState::new(sandbox_server::ServerConfig::default())?;
    let server = tokio::spawn(async move {
        let never = std::future::pending::<()>;
        if let Err(err) = sandbox_server::serve(listener, state, never(), never()).await {
            eprintln!("the local sandbox-server stopped: {err}");
        }
    });
    Ok((url, server))
}
