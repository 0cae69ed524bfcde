//! `cargo xtask bench`: median wall time of `print(1)` along each execution
//! path, beside the bare interpreter measured in the same run, so the ratios
//! hold on a noisy machine; then the server under load (`bench_server`).
//! Not part of the pass/fail suite.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use sandbox_client::{ClientConfig, ExecutionMode, SandboxClient};
use sandbox_core::plan::{BOOTSTRAP_LOADER, stdin_payload};
use sandbox_runner::interpreter;

const WARMUP: usize = 3;
const RUNS: usize = 40;

/// Re-runs itself as an optimised build, then measures.
pub(crate) fn run(root: &Path) -> Result<()> {
    // `cargo xtask bench policy` measures the policy check alone;
    // `cargo xtask bench load [REQUESTS] [CONCURRENCY]` soaks the server;
    // `cargo xtask bench pool` measures the warm sandboxes alone;
    // `cargo xtask bench python` the Python package's overhead alone.
    let part = std::env::args().nth(2).unwrap_or_else(|| "all".to_owned());
    if !["all", "policy", "load", "pool", "python"].contains(&part.as_str()) {
        bail!("unknown bench `{part}` (all, policy, load, pool or python)");
    }
    let only_policy = part == "policy";
    if cfg!(debug_assertions) {
        let setup = Command::new("bash")
            .arg(root.join(".ci/bench-setup"))
            .status()?;
        if !setup.success() {
            bail!("bash .ci/bench-setup failed");
        }
        if part == "all" || part == "python" {
            // The Python package's row measures the wheel, installed.
            crate::wheel::install_fresh(root)?;
        }
        eprintln!(
            "bench: building the release binaries and the benchmark (a few minutes the first \
             time), then measuring"
        );
        // One build of the three (so their shared dependencies are built
        // once, with one feature set), then the release bench itself.
        let build = [
            "build",
            "--release",
            "-p",
            "sandbox-cli",
            "-p",
            "sandbox-server",
            "-p",
            "xtask",
        ];
        let status = crate::cargo_command(&build).current_dir(root).status()?;
        if !status.success() {
            bail!("cargo {} failed", build.join(" "));
        }
        // Shown as it comes, and kept: a whole run's tables go into
        // docs/benchmarks.md.
        let mut bench = Command::new(root.join("target/release/xtask"))
            .arg("bench")
            .args(std::env::args_os().skip(2))
            .current_dir(root)
            .stdout(Stdio::piped())
            .spawn()
            .context("cannot start the release bench")?;
        let mut printed = String::new();
        let stdout = bench.stdout.take().context("the bench's stdout")?;
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            let line = line.context("cannot read the bench's output")?;
            println!("{line}");
            printed.push_str(&line);
            printed.push('\n');
        }
        let status = bench.wait()?;
        if !status.success() {
            bail!("the bench failed ({status})");
        }
        if part == "all" {
            crate::bench_report::write(root, &printed)?;
        }
        return Ok(());
    }
    if only_policy {
        return validation(root);
    }
    if part == "python" {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        return crate::bench_python::run(root, &runtime);
    }
    if part == "load" {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        return crate::load::run(root, &runtime);
    }
    let stages = crate::stages::StageLog::install();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let layout = runtime.block_on(interpreter::layout(None))?;
    let python = layout.executable.clone();
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
    // The flags secure mode uses: no site (no .pth files run at start-up).
    let bare_secure = measure(|| {
        let status = Command::new(&python)
            .args(["-I", "-S", "-B", "-u", "-X", "utf8", "-c", "print(1)"])
            .stdout(Stdio::null())
            .status()?;
        ensure_ok(status.success(), "bare interpreter")
    })?;
    if part == "pool" {
        crate::bench_pool::run(&runtime, &python, bare_secure)?;
        return Ok(());
    }
    let bwrap = bubblewrap_args(&layout);
    let bwrap_time = match &bwrap {
        Some(args) => Some(measure(|| {
            let status = Command::new("bwrap")
                .args(args)
                .stdout(Stdio::null())
                .status()?;
            ensure_ok(status.success(), "bwrap")
        })?),
        None => None,
    };
    let compiled = runtime
        .block_on(interpreter::resolve(None))?
        .bootstrap
        .clone();
    // The bootstrap, then a `run` request (the worker protocol); its
    // reports go to /dev/null as descriptor 3.
    let mut payload = stdin_payload(&compiled, b"");
    payload.extend(sandbox_core::protocol::encode(
        &sandbox_core::protocol::Request::Run {
            v: sandbox_core::protocol::VERSION,
            file: "main.py".into(),
            guard: None,
            rlimits: Vec::new(),
            no_exec: false,
            session: false,
            payload: b"print(1)".len(),
        },
        b"print(1)",
    ));
    let loader = format!(
        "__import__('os').dup2(__import__('os').open('/dev/null', 1), 3); {BOOTSTRAP_LOADER}"
    );
    let bootstrap = measure(|| {
        let mut child = Command::new(&python)
            .args(["-I", "-B", "-u", "-X", "utf8", "-c", &loader])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        use std::io::Write as _;
        child.stdin.take().context("stdin")?.write_all(&payload)?;
        ensure_ok(child.wait()?.success(), "bootstrap")
    })?;
    // Median of `print(1)` through a client with `config`.
    let library = |config: ClientConfig| -> Result<Duration> {
        let client = SandboxClient::from_config(config)?;
        measure(|| {
            let result = runtime.block_on(client.execute("print(1)"))?;
            ensure_ok(
                result.success && result.stdout == "1\n",
                &format!("{} mode", result.mode),
            )
        })
    };
    let simple_time = library(ClientConfig {
        mode: ExecutionMode::Simple,
        ..ClientConfig::default()
    })?;
    let secure = ClientConfig {
        mode: ExecutionMode::Secure,
        ..ClientConfig::default()
    };
    let no_cgroups_time = library(ClientConfig {
        isolation: sandbox_client::Isolation::NoCgroups,
        ..secure.clone()
    })?;
    // Its own network namespace either way; allowed, a network helper and
    // a DNS relay besides.
    let network_time = library(ClientConfig {
        allow_network: true,
        ..secure.clone()
    })?;
    stages.clear();
    let secure_time = library(secure.clone())?;
    let secure_steps = stages.median_steps();
    let unchecked_time = library(ClientConfig {
        policy: sandbox_core::PolicyChoice::Off,
        ..secure
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
    // The whole `sandbox run` process as a user starts it, secure mode, a
    // script file; the interpreter facts come from the on-disk cache
    // after the first run.
    let script = std::env::temp_dir().join(format!("bench-{}.py", std::process::id()));
    std::fs::write(&script, "print(1)\n")?;
    let cli_secure = measure(|| {
        let status = Command::new(&cli)
            .args(["run", "--mode", "secure"])
            .arg(&script)
            .env_remove("SANDBOX_MODE")
            .stdout(Stdio::null())
            .status()
            .with_context(|| format!("cannot start {}", cli.display()))?;
        ensure_ok(status.success(), "sandbox run --mode secure")
    });
    let cli_network = measure(|| {
        let status = Command::new(&cli)
            .args(["run", "--mode", "secure", "--allow-network=true"])
            .arg(&script)
            .env_remove("SANDBOX_MODE")
            .stdout(Stdio::null())
            .status()
            .with_context(|| format!("cannot start {}", cli.display()))?;
        ensure_ok(status.success(), "sandbox run --allow-network")
    })?;
    // The same process sent to a local server whose pool keeps sandboxes
    // ready (`SANDBOX_SERVER_URL` / `--remote`): the warm path of a
    // `sandbox run` that a cold process cannot reach.
    let cli_warm = cli_secure.and_then(|cold| {
        let mut server =
            crate::bench_server::Server::start(&root.join("target/release/sandbox-server"), None)?;
        let url = format!("http://{}", server.address);
        let warm = measure(|| {
            let status = Command::new(&cli)
                .args(["run", "--remote", &url])
                .arg(&script)
                .stdout(Stdio::null())
                .status()
                .with_context(|| format!("cannot start {}", cli.display()))?;
            ensure_ok(status.success(), "sandbox run --remote")
        });
        server.stop();
        Ok((cold, warm?))
    });
    let _ = std::fs::remove_file(&script);
    let (cli_secure, cli_warm) = cli_warm?;

    println!("\n{:<56} {:>10} {:>8}", "path", "median ms", "× bare");
    let rows = [
        (
            "bare interpreter, simple mode's flags (-I -B -u -X utf8)",
            Some(bare),
            bare,
        ),
        (
            "bare interpreter + bootstrap (code on stdin)",
            Some(bootstrap),
            bare,
        ),
        (
            "simple mode, SandboxClient::execute (in-process)",
            Some(simple_time),
            bare,
        ),
        (
            "simple mode, `sandbox run -` (CLI process)",
            Some(cli_run),
            bare,
        ),
        (
            "bare interpreter, secure mode's flags (-I -S -B -u)",
            Some(bare_secure),
            bare_secure,
        ),
        (
            "secure mode, SandboxClient::execute (in-process)",
            Some(secure_time),
            bare_secure,
        ),
        (
            "secure mode, network allowed (slirp4netns, DNS relay)",
            Some(network_time),
            bare_secure,
        ),
        (
            "secure mode, policy off (no check, no in-interpreter guard)",
            Some(unchecked_time),
            bare_secure,
        ),
        (
            "secure mode, isolation no-cgroups (rlimits, no cgroup move)",
            Some(no_cgroups_time),
            bare_secure,
        ),
        (
            "secure mode, `sandbox run p.py` (CLI process)",
            Some(cli_secure),
            bare_secure,
        ),
        (
            "secure mode, `sandbox run --allow-network p.py`",
            Some(cli_network),
            bare_secure,
        ),
        (
            "secure mode, `sandbox run --remote` to a local server",
            Some(cli_warm),
            bare_secure,
        ),
        (
            "bubblewrap + interpreter (-I -S), same namespaces",
            bwrap_time,
            bare_secure,
        ),
    ];
    for (name, median, base) in rows {
        match median {
            Some(m) => println!(
                "{name:<56} {:>10.2} {:>8.2}",
                m.as_secs_f64() * 1e3,
                m.as_secs_f64() / base.as_secs_f64()
            ),
            None => println!(
                "{name:<56} {:>10} {:>8}",
                "n/a", "(install bubblewrap: apt-get install bubblewrap)"
            ),
        }
    }
    println!("\nRatios of secure rows are to the bare interpreter with secure mode's flags.");
    println!(
        "\nsecure mode, SandboxClient::execute, median ms of each stage (the runner's debug marks):"
    );
    if secure_steps.is_empty() {
        println!("  (no stage marks were collected)");
    }
    for (from, to, ms) in &secure_steps {
        println!("  {:<36} {ms:>6.2}", format!("{from} -> {to}"));
    }
    crate::bench_python::run(root, &runtime)?;
    let bare_rate = crate::bench_pool::run(&runtime, &python, bare_secure)?;
    validation(root)?;
    crate::bench_server::run(root, &runtime, bare_secure, bare_rate)
}

/// Median time to parse and check a program of at least 1,000 lines (the
/// false-positive corpus, concatenated) against the default policy.
fn validation(root: &Path) -> Result<()> {
    let dir = root.join("crates/sandbox-core/resources/allowed");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    let mut program = String::new();
    'fill: while program.lines().count() < 1000 {
        let before = program.len();
        for path in &files {
            let code = std::fs::read_to_string(path)?;
            // `from __future__` must open a module; leave those files out.
            if !code.contains("from __future__") {
                program.push_str(&code);
                program.push('\n');
            }
            if program.lines().count() >= 1000 {
                break 'fill;
            }
        }
        if program.len() == before {
            bail!("no usable programs in {}", dir.display());
        }
    }
    let policy = sandbox_core::Policy::secure_default();
    let local = std::collections::BTreeSet::new();
    // Each program passes on its own; concatenated, the alias analysis
    // (file-wide and scope-insensitive on purpose) lets one file's module
    // alias (`m = math`) reach another's parameter of the same name, so
    // the whole may be refused: every rule still runs to the end.
    for path in &files {
        let code = std::fs::read_to_string(path)?;
        if let Err(rejection) = sandbox_core::policy::validate(&code, None, Some(policy), &local) {
            bail!(
                "{} does not pass the default policy: {rejection:?}",
                path.display()
            );
        }
    }
    let check = || sandbox_core::policy::validate(&program, None, Some(policy), &local);
    let refused = match check() {
        Ok(()) => 0,
        Err(sandbox_core::policy::Rejection::Policy(found)) => found.len(),
        Err(other) => bail!("the concatenated corpus does not parse: {other:?}"),
    };
    let median = |f: &dyn Fn()| {
        let mut times = Vec::with_capacity(RUNS * 5);
        for _ in 0..RUNS * 5 {
            let start = Instant::now();
            f();
            times.push(start.elapsed());
        }
        times.sort();
        times[times.len() / 2].as_secs_f64() * 1e3
    };
    let parse = median(&|| {
        std::hint::black_box(sandbox_core::syntax::check(&program)).ok();
    });
    let full = median(&|| {
        std::hint::black_box(check()).ok();
    });
    println!(
        "\npolicy check of a {}-line program ({} runs): parse {parse:.3} ms, parse + every rule {full:.3} ms (median)",
        program.lines().count(),
        RUNS * 5
    );
    if refused > 0 {
        println!(
            "  ({refused} findings in the concatenation, from names that files share; each file \
             passes alone)"
        );
    }
    Ok(())
}

/// bwrap arguments giving the interpreter the same namespaces and a
/// comparable minimal root, or `None` when bwrap is not installed.
fn bubblewrap_args(layout: &sandbox_core::secure::InterpreterLayout) -> Option<Vec<String>> {
    let found = Command::new("bwrap")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        return None;
    }
    let mut args: Vec<String> = [
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/usr",
        "/usr",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        "--tmpfs",
        "/sandbox",
        "--chdir",
        "/sandbox",
        "--hostname",
        "sandbox",
        "--clearenv",
    ]
    .map(String::from)
    .to_vec();
    for dir in ["/bin", "/lib", "/lib64", "/sbin"] {
        if let Ok(target) = std::fs::read_link(dir) {
            args.extend(["--symlink".into(), target.display().to_string(), dir.into()]);
        }
    }
    for prefix in &layout.prefixes {
        if !prefix.starts_with("/usr") {
            let p = prefix.display().to_string();
            args.extend(["--ro-bind".into(), p.clone(), p]);
        }
    }
    args.push(layout.executable.display().to_string());
    args.extend(["-I", "-S", "-B", "-u", "-X", "utf8", "-c", "print(1)"].map(String::from));
    Some(args)
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
