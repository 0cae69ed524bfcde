//! Project automation, run as `cargo xtask <task>`.
//!
//! - `test`:  the whole test suite (doctests, then nextest when installed)
//! - `setup`: what the tests need and is missing (`.ci/setup`), alone
//! - `lint`:  `cargo fmt --check` and clippy with `-D warnings`, then the
//!   macOS build check (required in CI; elsewhere a loud warning where its
//!   target cannot be had)
//! - `check-macos`: clippy for `x86_64-apple-darwin` (see `other_os`)
//! - `deny`:  `cargo deny` on the dependency tree (licences, bans,
//!   sources; see `deny.toml`), installed under `target/tools` when missing
//! - `ci`:    lint, deny, then test (what `.ci/run` runs)
//! - `bench`: median wall time of `print(1)` per execution path, with ratios
//!   to the bare interpreter measured in the same run; server throughput and
//!   latency at concurrency 1, 8, 32 beside local execution
//! - `install`: `sandbox` and `sandbox-server` into cargo's bin dir
//! - `wheel`: the `sandbox_executor` Python package as a wheel in
//!   `target/wheels/` (see `wheel`)
//! - `docker`: the `python-sandbox` image from deploy/Dockerfile, where a
//!   Docker engine answers (an error naming the problem where none does)
//! - `image`: the same image with podman from host-built binaries (see
//!   `image`), for the container tests

#![forbid(unsafe_code)]

mod bench;
mod bench_pool;
mod bench_python;
mod bench_report;
mod bench_server;
mod docker;
mod image;
mod load;
mod other_os;
mod stages;
mod wheel;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  test    install what the tests need (.ci/setup), build the container image (image), then
          run every test (doctests, then cargo nextest when installed, else cargo test), then
          the Python package's (the wheel in a fresh venv, pytest)
  setup   install what the tests need and is missing, nothing else (.ci/setup: apt-get as
          root; as another user it names what is missing and stops); `test` runs it first
  lint    cargo fmt --check and cargo clippy --all-targets -- -D warnings, then check-macos
          (required when CI is set; otherwise a loud warning when rustup cannot install its
          target)
  check-macos
          clippy for x86_64-apple-darwin (nothing linked): the workspace must build where
          secure mode does not exist
  deny    cargo deny check licenses bans sources (deny.toml): permissive licences, crates.io
          only; cargo-deny is installed into target/tools when missing (advisories need
          GitHub's advisory database: `cargo deny check advisories` where it is reachable)
  ci      lint, deny, then test: what .ci/run runs
  bench   median wall time of print(1): bare interpreter, simple and secure mode (library and CLI);
          a whole run's tables are written into docs/benchmarks.md (between its markers);
          sandbox-server rps and p50/p99 at concurrency 1, 8, 32 beside local execution;
          the policy check of a 1,000-line program (`bench policy`: that alone);
          `bench pool`: the warm sandboxes alone (pooled latency, throughput, idle memory);
          `bench python`: the Python package's client.execute beside Rust's, alternating;
          `bench load [REQUESTS] [CONCURRENCY]`: 10,000 requests from 64 connections to the
          release server with its defaults, every answer counted, then no process, run dir or
          cgroup left behind and a clean SIGTERM stop
  install put `sandbox` and `sandbox-server` on PATH: cargo install --locked --path for each
          (into $CARGO_HOME/bin, usually ~/.cargo/bin, which rustup's set-up puts on PATH)
  wheel   build the Python package `sandbox_executor` (crates/sandbox-py) with maturin into
          target/wheels/ (one abi3 wheel for CPython 3.9+); then `pip install target/wheels/*.whl`
  test-python
          the Python package's test stage alone: the wheel in a fresh venv, then pytest
  docker  build the python-sandbox image (deploy/Dockerfile); needs a running Docker engine;
          further arguments go to docker build
  image   build the python-sandbox image with podman, without Docker or a registry: the
          Dockerfile's runtime stage around release binaries built here, on a Debian base
          made by mmdebstrap (cached in target/image/); the container tests run it
";

fn main() -> Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    match task.as_str() {
        "test" => test(),
        "setup" => setup(),
        "lint" => lint(),
        "check-macos" => other_os::check(&root(), true),
        "ci" => {
            lint()?;
            deny()?;
            test()
        }
        "deny" => deny(),
        "bench" => bench::run(&root()),
        "docker" => docker::run(&root(), std::env::args().skip(2).collect()),
        "image" => image::build(&root()),
        "install" => install(),
        "wheel" => wheel::build(&root()).map(drop),
        "test-python" => wheel::test(&root()),
        "" | "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown task `{other}`\n\n{USAGE}"),
    }
}

/// `cargo deny` on the dependency tree: the checks that need no network
/// beyond crates.io. cargo-deny comes from crates.io too, built once into
/// `target/tools` (kept with the build cache).
fn deny() -> Result<()> {
    let tools = root().join("target/tools");
    let program = tools.join("bin/cargo-deny");
    if !program.exists() {
        eprintln!("cargo-deny is not in target/tools: building it once (a few minutes)");
        let tools = tools.to_string_lossy().into_owned();
        cargo(&[
            "install",
            "--locked",
            "--quiet",
            "--root",
            &tools,
            "cargo-deny@0.20.2",
        ])?;
    }
    let shown = "cargo deny check licenses bans sources";
    eprintln!("$ {shown}");
    let status = Command::new(&program)
        .args([
            "deny",
            "--log-level",
            "error",
            "check",
            "licenses",
            "bans",
            "sources",
        ])
        .current_dir(root())
        .status()
        .with_context(|| format!("cannot run {}", program.display()))?;
    if !status.success() {
        bail!("{shown} failed ({status}): see deny.toml for what is allowed");
    }
    Ok(())
}

/// The workspace root (xtask lives one level below it).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_owned)
}

/// Variables cargo sets for the program it runs (this one) that must not
/// reach a nested cargo: build scripts that watch them (ring's, for one)
/// would rerun, and everything above them rebuild.
pub(crate) fn is_cargo_run_variable(name: &str) -> bool {
    [
        "CARGO_MANIFEST_",
        "CARGO_PKG_",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_RUSTC_CURRENT_DIR",
    ]
    .iter()
    .any(|prefix| name.starts_with(prefix))
}

/// `cargo args` with the environment a developer's own `cargo` would have.
pub(crate) fn cargo_command(args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(is_cargo_run_variable) {
            command.env_remove(name);
        }
    }
    command.args(args);
    command
}

pub(crate) fn cargo(args: &[&str]) -> Result<()> {
    cargo_with(args, &[])
}

/// [`cargo`] with `env` set for it.
fn cargo_with(args: &[&str], env: &[(&str, &str)]) -> Result<()> {
    let shown = args.join(" ");
    let vars: String = env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
    eprintln!("$ {vars}cargo {shown}");
    let status = cargo_command(args)
        .envs(env.iter().copied())
        .current_dir(root())
        .status()
        .with_context(|| format!("cannot run cargo {shown}"))?;
    if !status.success() {
        bail!("cargo {shown} failed ({status})");
    }
    Ok(())
}

/// `cargo install` of both binaries from this checkout, and where they went.
fn install() -> Result<()> {
    for krate in ["sandbox-cli", "sandbox-server"] {
        let path = root().join("crates").join(krate);
        let path = path.to_str().context("the checkout's path is not UTF-8")?;
        // This checkout's target dir: what `cargo build --release` built
        // is reused.
        let target = root().join("target");
        let target = target
            .to_str()
            .context("the checkout's path is not UTF-8")?;
        cargo(&[
            "install",
            "--locked",
            "--path",
            path,
            "--target-dir",
            target,
        ])?;
    }
    let bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .map(|home| home.join("bin"))
        .context("neither CARGO_HOME nor HOME is set")?;
    // rustup puts this dir on the PATH of what cargo runs, so whether the
    // user's shell has it cannot be told from here.
    eprintln!(
        "installed `sandbox` and `sandbox-server` in {}; if your shell does not find them, add \
         `export PATH=\"{}:$PATH\"` to its profile",
        bin.display(),
        bin.display()
    );
    Ok(())
}

/// `.ci/setup`: installs only what is missing; as a user other than root
/// it names missing system packages and stops instead of installing them.
fn setup() -> Result<()> {
    let status = Command::new("bash")
        .arg(root().join(".ci/setup"))
        .status()
        .context("cannot run .ci/setup")?;
    if !status.success() {
        bail!(".ci/setup failed: the tests' requirements are not installed");
    }
    Ok(())
}

fn lint() -> Result<()> {
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    // Broken or private intra-doc links are doc bugs like any other.
    cargo_with(
        &["doc", "--workspace", "--no-deps", "--quiet"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    // Required in CI (`CI` set), where a missing target must not pass.
    other_os::check(&root(), std::env::var_os("CI").is_some())
}

fn test() -> Result<()> {
    eprintln!(
        "cargo xtask test: set-up, container image, doctests, then every test. On a fresh \
         2-core machine most of the first run is compiling (about 20 minutes); once built, \
         about 2 minutes."
    );
    let mut stages = Stages::new(5);
    // Install what the tests need (only what is missing), so this one
    // command does all set-up on a fresh machine.
    stages.run(
        "set-up: system packages that are missing (apt-get, as root) and the venvs of \
         the deploy validators, the data stack and the Python package's tools (PyPI, into \
         target/)",
        setup,
    )?;
    // The container tests run the image: build it (seconds when cached).
    stages.run(
        "container image (podman; cached under target/image)",
        || image::build(&root()),
    )?;
    // Doctests first (nextest does not run them), so the run ends on the
    // summary of the main suite.
    stages.run("doctests", || cargo(&["test", "--workspace", "--doc"]))?;
    let has_nextest = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    stages.run("the test suite (builds the tests first)", || {
        // Every tier runs here: a test whose prerequisite is missing fails
        // instead of skipping (see tests/tier.rs).
        let every_tier = [("SANDBOX_TEST_TIERS", "all")];
        if has_nextest {
            cargo_with(
                &[
                    "nextest",
                    "run",
                    "--workspace",
                    "--all-targets",
                    "--no-fail-fast",
                ],
                &every_tier,
            )
        } else {
            eprintln!("cargo-nextest is not installed; running the same tests with cargo test");
            cargo_with(
                &["test", "--workspace", "--all-targets", "--no-fail-fast"],
                &every_tier,
            )
        }
    })?;
    stages.run(
        "the Python package: wheel (maturin), fresh venv, pytest",
        || wheel::test(&root()),
    )?;
    stages.summary();
    Ok(())
}

/// Numbered stages that say what they do before, and how long they took
/// after: a long command that talks.
struct Stages {
    total: usize,
    done: Vec<(String, std::time::Duration)>,
}

impl Stages {
    fn new(total: usize) -> Self {
        Self {
            total,
            done: Vec::new(),
        }
    }

    fn run(&mut self, what: &str, work: impl FnOnce() -> Result<()>) -> Result<()> {
        let n = self.done.len() + 1;
        eprintln!("\n== test stage {n}/{}: {what}", self.total);
        let start = std::time::Instant::now();
        let outcome = work();
        let took = start.elapsed();
        let verdict = if outcome.is_ok() { "done" } else { "FAILED" };
        eprintln!(
            "== test stage {n}/{}: {verdict} in {:.0} s",
            self.total,
            took.as_secs_f64()
        );
        let name = what.split([':', '(']).next().unwrap_or(what).trim();
        self.done.push((name.to_owned(), took));
        outcome
    }

    fn summary(&self) {
        let parts: Vec<String> = self
            .done
            .iter()
            .map(|(name, took)| format!("{name} {:.0} s", took.as_secs_f64()))
            .collect();
        let total: f64 = self.done.iter().map(|(_, t)| t.as_secs_f64()).sum();
        eprintln!("\nall stages: {} (total {total:.0} s)", parts.join(", "));
    }
}
