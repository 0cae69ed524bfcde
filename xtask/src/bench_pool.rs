//! The warm-sandbox part of `cargo xtask bench`: `print(1)` through a
//! pooled client (latency with the pool refilled, sustained throughput at
//! 2-way parallelism, every run in a fresh sandbox) beside the bare
//! interpreter measured in the same run, a run inside an open session
//! (`x += 1` in the interpreter the session keeps), and the private memory
//! of one idle prepared sandbox.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use sandbox_client::{
    ClientConfig, ExecutionMode, ExecutionRequest, SandboxClient, SessionOptions,
};

/// Runs per measurement after the warm-up.
const RUNS: usize = 40;
/// Runs of a throughput measurement.
const THROUGHPUT_RUNS: usize = 120;
const PARALLEL: usize = 2;

/// Measures and prints; `bare` is the bare interpreter's median start with
/// secure mode's flags, measured by the caller in the same run.
/// Returns the bare interpreter's spawn rate at 2-way parallelism, for the
/// server's table.
pub(crate) fn run(runtime: &tokio::runtime::Runtime, python: &Path, bare: Duration) -> Result<f64> {
    let pooled = SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Secure,
        pool_size: PARALLEL,
        ..ClientConfig::default()
    })?;
    let cold = SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Secure,
        ..ClientConfig::default()
    })?;
    runtime.block_on(pooled.warm())?;
    let session = runtime.block_on(cold.create_session(SessionOptions::new()))?;
    let started = runtime.block_on(session.run("x = 0"))?;
    if !started.success {
        bail!("the session's first run failed: {started:?}");
    }

    // Latency: each run finds its sandbox ready (the wait is not counted).
    // Plain and streamed runs alternate, each first in every other pair
    // (the second of a pair runs beside the first one's teardown), so both
    // see the same machine; a session run follows each pair.
    let mut times = Vec::with_capacity(RUNS);
    let mut streamed_times = Vec::with_capacity(RUNS);
    let mut session_times = Vec::with_capacity(RUNS);
    for n in 0..RUNS + 3 {
        for streamed in [n % 2 == 1, n % 2 == 0] {
            runtime.block_on(until_ready(&pooled, PARALLEL))?;
            let start = Instant::now();
            let result = if streamed {
                let mut events = 0;
                let result = runtime.block_on(
                    pooled
                        .execute_stream(ExecutionRequest::new("print(1)"))
                        .finish(|_| events += 1),
                )?;
                if events != 1 {
                    bail!("a streamed print(1) gave {events} output events");
                }
                result
            } else {
                runtime.block_on(pooled.execute("print(1)"))?
            };
            let took = start.elapsed();
            if !(result.success && result.stdout == "1\n") {
                bail!("pooled run failed: {result:?}");
            }
            if n >= 3 {
                if streamed {
                    streamed_times.push(took);
                } else {
                    times.push(took);
                }
            }
        }
        runtime.block_on(until_ready(&pooled, PARALLEL))?;
        let start = Instant::now();
        let result = runtime.block_on(session.run("x += 1"))?;
        let took = start.elapsed();
        if !(result.success && result.stdout.is_empty()) {
            bail!("session run failed: {result:?}");
        }
        if n >= 3 {
            session_times.push(took);
        }
    }
    // The runs shared one interpreter: x counted every one of them.
    let counted = runtime.block_on(session.run("x"))?;
    let plain = counted.display.first().and_then(|bundle| bundle.plain());
    if plain != Some((RUNS + 3).to_string().as_str()) {
        bail!(
            "the session lost its state: x is {plain:?}, not {}",
            RUNS + 3
        );
    }
    runtime.block_on(session.close())?;
    times.sort();
    streamed_times.sort();
    session_times.sort();
    let session_p50 = session_times[session_times.len() / 2];
    let pooled_p50 = times[times.len() / 2];
    let streamed_p50 = streamed_times[streamed_times.len() / 2];
    let stats = pooled
        .pool_stats()
        .context("the pooled client has a pool")?;

    // Throughput at 2-way parallelism: bare spawns, cold and pooled runs.
    let bare_rate = spawn_rate(python)?;
    let cold_rate = runtime.block_on(run_rate(&cold))?;
    let pooled_rate = runtime.block_on(run_rate(&pooled))?;
    runtime.block_on(until_ready(&pooled, PARALLEL))?;
    let idle = idle_sandbox_memory()?;
    runtime.block_on(pooled.close_pool());

    println!(
        "\nwarm sandboxes (pool of {PARALLEL}, secure mode): print(1), p50 of {RUNS} runs each \
         finding a prepared sandbox; throughput over {THROUGHPUT_RUNS} runs, {PARALLEL} at a time"
    );
    println!("{:<56} {:>10} {:>8}", "path", "value", "× bare");
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{:<56} {:>10.2} {:>8.2}",
        "pooled SandboxClient::execute, p50 ms",
        ms(pooled_p50),
        pooled_p50.as_secs_f64() / bare.as_secs_f64()
    );
    println!(
        "{:<56} {:>10.2} {:>8.2}",
        "pooled SandboxClient::execute_stream, p50 ms",
        ms(streamed_p50),
        streamed_p50.as_secs_f64() / bare.as_secs_f64()
    );
    println!(
        "{:<56} {:>10.3}",
        "  live output adds (ms, difference of medians)",
        ms(streamed_p50) - ms(pooled_p50)
    );
    println!(
        "{:<56} {:>10.2} {:>8.2}",
        "run in an open session (x += 1), p50 ms",
        ms(session_p50),
        session_p50.as_secs_f64() / bare.as_secs_f64()
    );
    println!(
        "{:<56} {:>10.2}",
        "  session run / pooled one-shot run (ratio of medians)",
        session_p50.as_secs_f64() / pooled_p50.as_secs_f64()
    );
    println!(
        "{:<56} {:>10}",
        "  (pool hits / misses during it)",
        format!("{}/{}", stats.hits, stats.misses)
    );
    for (name, rate) in [
        ("bare interpreter spawns (-I -S), per second", bare_rate),
        ("cold secure runs, per second", cold_rate),
        ("pooled secure runs, per second", pooled_rate),
    ] {
        println!("{name:<56} {rate:>10.1} {:>8.2}", rate / bare_rate);
    }
    match idle {
        Some((init_kb, python_kb)) => println!(
            "{:<56} {:>10.2}\n{:<56} {:>10.2}",
            "idle prepared sandbox: interpreter USS, MiB",
            python_kb as f64 / 1024.0,
            "idle prepared sandbox: its init's USS, MiB",
            init_kb as f64 / 1024.0
        ),
        None => println!("idle prepared sandbox USS: no idle sandbox process found"),
    }
    Ok(bare_rate)
}

/// Waits until `ready` sandboxes wait in the pool (at most 10 s).
async fn until_ready(client: &SandboxClient, ready: usize) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.pool_stats().is_none_or(|s| s.ready < ready) {
        if Instant::now() > deadline {
            bail!("the pool did not refill: {:?}", client.pool_stats());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

/// Bare interpreter starts per second, [`PARALLEL`] at a time.
fn spawn_rate(python: &Path) -> Result<f64> {
    let start = Instant::now();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..PARALLEL)
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    for _ in 0..THROUGHPUT_RUNS / PARALLEL {
                        let status = Command::new(python)
                            .args(["-I", "-S", "-B", "-u", "-X", "utf8", "-c", "print(1)"])
                            .stdout(Stdio::null())
                            .status()?;
                        if !status.success() {
                            bail!("bare interpreter failed");
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().map_err(|_| anyhow::anyhow!("worker panicked"))?)
    })?;
    Ok(THROUGHPUT_RUNS as f64 / start.elapsed().as_secs_f64())
}

/// Secure runs per second through `client`, [`PARALLEL`] at a time.
async fn run_rate(client: &SandboxClient) -> Result<f64> {
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..PARALLEL {
        let client = client.clone();
        workers.spawn(async move {
            for _ in 0..THROUGHPUT_RUNS / PARALLEL {
                let result = client.execute("print(1)").await?;
                if !(result.success && result.stdout == "1\n") {
                    bail!("run failed: {result:?}");
                }
            }
            Ok(())
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }
    Ok(THROUGHPUT_RUNS as f64 / start.elapsed().as_secs_f64())
}

/// Private memory (USS, KiB) of one idle prepared sandbox's init and
/// interpreter, found through /proc: a fork server's sandbox (init is pid 1
/// of a pid namespace nested two deep, its interpreter pid 2), else a cold
/// one (init is this process's child, the interpreter init's child).
fn idle_sandbox_memory() -> Result<Option<(u64, u64)>> {
    let me = std::process::id();
    // (pid, parent, pids in each namespace from the host's down)
    let mut table = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let Some(pid) = entry?
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| {
                    v.split_whitespace()
                        .filter_map(|n| n.parse::<u32>().ok())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        };
        let ppid = field("PPid:").first().copied().unwrap_or(0);
        table.push((pid, ppid, field("NSpid:")));
    }
    let child_of = |parent: u32| table.iter().find(|(_, ppid, _)| *ppid == parent);
    let forked = table
        .iter()
        .find(|(_, _, ns)| ns.len() >= 3 && ns.last() == Some(&1))
        .and_then(|(init, _, _)| Some((*init, child_of(*init)?.0)));
    let cold = || {
        table
            .iter()
            .filter(|(_, ppid, _)| *ppid == me)
            .find_map(|(init, _, _)| Some((*init, child_of(*init)?.0)))
    };
    match forked.or_else(cold) {
        Some((init, python)) => Ok(Some((uss_kb(init)?, uss_kb(python)?))),
        None => Ok(None),
    }
}

fn uss_kb(pid: u32) -> Result<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .with_context(|| format!("read /proc/{pid}/smaps_rollup"))?;
    Ok(text
        .lines()
        .filter(|l| l.starts_with("Private_Clean:") || l.starts_with("Private_Dirty:"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum())
}
