//! The Python package's overhead: `client.execute("print(1)")` from Python
//! (the installed wheel) beside the same call from Rust, in the same run.
//! The two alternate in rounds, so both see the same machine; the figure is
//! the difference of their medians. Secure mode from a pool of prepared
//! sandboxes, with a pause between calls so every call finds one ready: a
//! run of a few milliseconds, whose spread is small enough to show a
//! difference of a tenth of one.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use sandbox_client::{ClientConfig, ExecutionMode, SandboxClient};

/// Rounds of alternation, and runs per round per side.
const ROUNDS: usize = 10;
const PER_ROUND: usize = 20;
/// Prepared sandboxes per side, and the pause before each call that lets
/// the pool refill.
const POOL: usize = 2;
const PAUSE: Duration = Duration::from_millis(60);

/// The Python side: a loop that answers "N" with N timed runs, one
/// duration (ns) per line.
const DRIVER: &str = r#"
import sys, time
from sandbox_executor import SandboxClient, ExecutionMode
client = SandboxClient(mode=ExecutionMode.SECURE, pool_size=POOL)
for _ in range(3):
    assert client.execute("print(1)").stdout == "1\n"
    time.sleep(PAUSE)
print("ready", flush=True)
for line in sys.stdin:
    for _ in range(int(line)):
        time.sleep(PAUSE)
        start = time.perf_counter_ns()
        result = client.execute("print(1)")
        took = time.perf_counter_ns() - start
        assert result.stdout == "1\n", result
        print(took, flush=True)
"#;

/// Measures and prints; says loudly when the package is not installed.
pub(crate) fn run(root: &Path, runtime: &tokio::runtime::Runtime) -> Result<()> {
    let python = root.join(crate::wheel::TEST_VENV).join("bin/python");
    println!(
        "\nPython package (sandbox_executor), secure mode from a pool of {POOL}, print(1), {ROUNDS} alternating rounds of {PER_ROUND}:"
    );
    if !python.exists() {
        println!(
            "  NOT MEASURED: {} is missing (`cargo xtask bench` installs the wheel there first)",
            python.display()
        );
        return Ok(());
    }
    let driver_code = DRIVER
        .replace("POOL", &POOL.to_string())
        .replace("PAUSE", &PAUSE.as_secs_f64().to_string());
    let mut driver = Command::new(&python)
        .args(["-c", &driver_code])
        .env_remove("SANDBOX_MODE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", python.display()))?;
    let mut to_python = driver.stdin.take().context("stdin")?;
    let mut from_python = BufReader::new(driver.stdout.take().context("stdout")?);
    let mut line = String::new();
    from_python.read_line(&mut line)?;
    if line.trim() != "ready" {
        bail!("the Python side did not start: {line:?}");
    }
    let client = SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Secure,
        pool_size: POOL,
        ..ClientConfig::default()
    })?;
    runtime.block_on(client.warm())?;
    for _ in 0..3 {
        runtime.block_on(client.execute("print(1)"))?;
        std::thread::sleep(PAUSE);
    }
    let (mut rust, mut py) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        writeln!(to_python, "{PER_ROUND}")?;
        for _ in 0..PER_ROUND {
            line.clear();
            from_python.read_line(&mut line)?;
            let nanos: u64 = line
                .trim()
                .parse()
                .with_context(|| format!("the Python side said {line:?}"))?;
            py.push(Duration::from_nanos(nanos));
        }
        for _ in 0..PER_ROUND {
            std::thread::sleep(PAUSE);
            let start = Instant::now();
            let result = runtime.block_on(client.execute("print(1)"))?;
            rust.push(start.elapsed());
            if result.stdout != "1\n" {
                bail!("the Rust side printed {:?}", result.stdout);
            }
        }
    }
    drop(to_python);
    driver.wait()?;
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2].as_secs_f64() * 1e3
    };
    let (rust_ms, py_ms) = (median(&mut rust), median(&mut py));
    let pool = client.pool_stats();
    println!(
        "  {:<54} {rust_ms:>10.3}",
        "Rust, SandboxClient::execute (p50 ms)"
    );
    println!("  {:<54} {py_ms:>10.3}", "Python, client.execute (p50 ms)");
    println!(
        "  {:<54} {:>10.3} (target: under 0.2 ms)",
        "the binding adds (ms, difference of medians)",
        py_ms - rust_ms
    );
    if let Some(pool) = pool {
        println!(
            "  (Rust side: {} pool hits, {} misses: a miss takes the cold path)",
            pool.hits, pool.misses
        );
    }
    Ok(())
}
