//! Project automation, run as `cargo xtask <task>`.
//!
//! - `test`:  the whole test suite (doctests, then nextest when installed)
//! - `lint`:  `cargo fmt --check` and clippy with `-D warnings`, then the
//!   macOS build check (required in CI; elsewhere a loud warning where its
//!   target cannot be had)
//! - `check-macos`: clippy for `x86_64-apple-darwin` (see `other_os`)
//! - `ci`:    lint, then test (what `.ci/run` runs)
//! - `bench`: median wall time of `print(1)` per execution path, with ratios
//!   to the bare interpreter measured in the same run; server throughput and
//!   latency at concurrency 1, 8, 32 beside local execution
//! - `docker`: the `python-sandbox` image from deploy/Dockerfile, where a
//!   Docker engine answers (an error naming the problem where none does)
//! - `image`: the same image with podman from host-built binaries (see
//!   `image`), for the container tests

#![forbid(unsafe_code)]

mod bench;
mod bench_pool;
mod bench_server;
mod docker;
mod image;
mod load;
mod other_os;
mod stages;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  test    install what the tests need (.ci/setup), build the container image (image), then
          run every test (doctests, then cargo nextest when installed, else cargo test)
  lint    cargo fmt --check and cargo clippy --all-targets -- -D warnings, then check-macos
          (required when CI is set; otherwise a loud warning when rustup cannot install its
          target)
  check-macos
          clippy for x86_64-apple-darwin (nothing linked): the workspace must build where
          secure mode does not exist
  ci      lint, then test: what .ci/run runs
  bench   median wall time of print(1): bare interpreter, simple and secure mode (library and CLI);
          sandbox-server rps and p50/p99 at concurrency 1, 8, 32 beside local execution;
          the policy check of a 1,000-line program (`bench policy`: that alone);
          `bench pool`: the warm sandboxes alone (pooled latency, throughput, idle memory);
          `bench load [REQUESTS] [CONCURRENCY]`: 10,000 requests from 64 connections to the
          release server with its defaults, every answer counted, then no process, run dir or
          cgroup left behind and a clean SIGTERM stop
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
        "lint" => lint(),
        "check-macos" => other_os::check(&root(), true),
        "ci" => {
            lint()?;
            test()
        }
        "bench" => bench::run(&root()),
        "docker" => docker::run(&root(), std::env::args().skip(2).collect()),
        "image" => image::build(&root()),
        "" | "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown task `{other}`\n\n{USAGE}"),
    }
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
fn is_cargo_run_variable(name: &str) -> bool {
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

fn cargo(args: &[&str]) -> Result<()> {
    let shown = args.join(" ");
    eprintln!("$ cargo {shown}");
    let status = cargo_command(args)
        .current_dir(root())
        .status()
        .with_context(|| format!("cannot run cargo {shown}"))?;
    if !status.success() {
        bail!("cargo {shown} failed ({status})");
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
    // Required in CI (`CI` set), where a missing target must not pass.
    other_os::check(&root(), std::env::var_os("CI").is_some())
}

fn test() -> Result<()> {
    // Install what the tests need (only what is missing), so this one
    // command does all set-up on a fresh machine.
    let status = Command::new("bash")
        .arg(root().join(".ci/setup"))
        .status()
        .context("cannot run .ci/setup")?;
    if !status.success() {
        bail!(".ci/setup failed: the tests' requirements are not installed");
    }
    // The container tests run the image: build it (seconds when cached).
    image::build(&root())?;
    // Doctests first (nextest does not run them), so the run ends on the
    // summary of the main suite.
    cargo(&["test", "--workspace", "--doc"])?;
    let has_nextest = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_nextest {
        cargo(&[
            "nextest",
            "run",
            "--workspace",
            "--all-targets",
            "--no-fail-fast",
        ])
    } else {
        eprintln!("cargo-nextest is not installed; running the same tests with cargo test");
        cargo(&["test", "--workspace", "--all-targets", "--no-fail-fast"])
    }
}
