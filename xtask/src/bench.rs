//! `cargo xtask bench`: median wall time of `print(1)` along each execution
//! path, beside the bare interpreter measured in the same run, so the ratios
//! hold on a noisy machine. Not part of the pass/fail suite.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use sandbox_client::SandboxClient;
use sandbox_core::plan::BOOTSTRAP;
use sandbox_runner::interpreter;

const WARMUP: usize = 3;
const RUNS: usize = 40;

/// Re-runs itself as an optimised build, then measures.
pub(crate) fn run(root: &Path) -> Result<()> {
    if cfg!(debug_assertions) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        for args in [
            &["build", "--release", "--quiet", "-p", "sandbox-cli"][..],
            &["run", "--release", "--quiet", "-p", "xtask", "--", "bench"][..],
        ] {
            let status = Command::new(&cargo).args(args).current_dir(root).status()?;
            if !status.success() {
                bail!("cargo {} failed", args.join(" "));
            }
        }
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let python = runtime.block_on(interpreter::resolve(None))?;
    let python = python.path.clone();
    let cli = root.join("target/release/sandbox");
    println!(
        "print(1), {RUNS} runs after {WARMUP} warm-up runs; interpreter {}",
        python.display()
    );

    let bare = measure(|| {
        let status = Command::new(&python)
            .args(["-I", "-B", "-u", "-X", "utf8", "-c", "print(1)"])
            .stdout(Stdio::null())
            .status()?;
        ensure_ok(status.success(), "bare interpreter")
    })?;
    let bootstrap = measure(|| {
        let mut child = Command::new(&python)
            .args(["-I", "-B", "-u", "-X", "utf8", "-c", BOOTSTRAP])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        use std::io::Write as _;
        child
            .stdin
            .take()
            .context("stdin")?
            .write_all(b"print(1)")?;
        ensure_ok(child.wait()?.success(), "bootstrap")
    })?;
    let client = SandboxClient::new();
    let library = measure(|| {
        let result = runtime.block_on(client.execute("print(1)"))?;
        ensure_ok(result.success && result.stdout == "1\n", "simple mode")
    })?;
    let cli_run = measure(|| {
        let mut child = Command::new(&cli)
            .args(["run", "--mode", "simple", "-"])
            .env_remove("SANDBOX_MODE")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", cli.display()))?;
        use std::io::Write as _;
        child
            .stdin
            .take()
            .context("stdin")?
            .write_all(b"print(1)")?;
        ensure_ok(child.wait()?.success(), "sandbox run")
    })?;

    println!("\n{:<52} {:>10} {:>8}", "path", "median ms", "× bare");
    for (name, median) in [
        ("bare interpreter (-I -B -u -X utf8 -c)", bare),
        ("bare interpreter + bootstrap (code on stdin)", bootstrap),
        ("simple mode, SandboxClient::execute (in-process)", library),
        ("simple mode, `sandbox run -` (CLI process)", cli_run),
    ] {
        println!(
            "{name:<52} {:>10.2} {:>8.2}",
            median.as_secs_f64() * 1e3,
            median.as_secs_f64() / bare.as_secs_f64()
        );
    }
    Ok(())
}

fn ensure_ok(ok: bool, what: &str) -> Result<()> {
    if !ok {
        bail!("{what} did not print 1 successfully");
    }
    Ok(())
}

/// Median wall time of `f` over [`RUNS`] runs after [`WARMUP`].
fn measure(mut f: impl FnMut() -> Result<()>) -> Result<Duration> {
    for _ in 0..WARMUP {
        f()?;
    }
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        f()?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times[RUNS / 2])
}
