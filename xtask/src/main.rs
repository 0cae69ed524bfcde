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

#![forbid(unsafe_code)]

mod bench;
mod bench_server;
mod docker;
mod other_os;
mod stages;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  test    install what the tests need (.ci/setup), then run every test (doctests, then
          cargo nextest when installed, else cargo test)
  lint    cargo fmt --check and cargo clippy --all-targets -- -D warnings, then check-macos
          (required when CI is set; otherwise a loud warning when rustup cannot install its
          target)
  check-macos
          clippy for x86_64-apple-darwin (nothing linked): the workspace must build where
          secure mode does not exist
  ci      lint, then test: what .ci/run runs
  bench   median wall time of print(1): bare interpreter, simple and secure mode (library and CLI);
          sandbox-server rps and p50/p99 at concurrency 1, 8, 32 beside local execution;
          the policy check of a 1,000-line program (`bench policy`: that alone)
  docker  build the python-sandbox image (deploy/Dockerfile); needs a running Docker engine;
          further arguments go to docker build
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

fn cargo(args: &[&str]) -> Result<()> {
    let shown = args.join(" ");
    eprintln!("$ cargo {shown}");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
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
