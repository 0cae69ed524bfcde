//! `cargo xtask wheel`: the `sandbox_executor` Python package
//! (crates/sandbox-py) as an abi3 wheel in `target/wheels/`, built by
//! maturin from the pinned tools venv (`.ci/python-package`); and the
//! package's test stage: that wheel in a fresh venv, then pytest against
//! the real CLI and server binaries.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result};

use crate::image::run;

/// The tools venv `.ci/python-package` makes.
const TOOLS: &str = "target/python-package/venv";
/// The fresh venv the tests install the wheel into.
pub(crate) const TEST_VENV: &str = "target/python-package/test-venv";

/// Builds the wheel and returns its path.
pub(crate) fn build(root: &Path) -> Result<PathBuf> {
    run(
        Command::new("bash").arg(root.join(".ci/python-package")),
        "bash .ci/python-package (maturin, pytest, mypy)",
    )?;
    let out = root.join("target/wheels");
    // One wheel of the package at a time, so its path is never ambiguous.
    if let Ok(entries) = std::fs::read_dir(&out) {
        for entry in entries.flatten() {
            if is_our_wheel(&entry.path()) {
                std::fs::remove_file(entry.path()).context("cannot remove an old wheel")?;
            }
        }
    }
    let mut maturin = Command::new(root.join(TOOLS).join("bin/maturin"));
    maturin
        .args(["build", "--release", "--manifest-path"])
        .arg(root.join("crates/sandbox-py/Cargo.toml"))
        .arg("--out")
        .arg(&out)
        .current_dir(root);
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(crate::is_cargo_run_variable) {
            maturin.env_remove(name);
        }
    }
    run(&mut maturin, "maturin build --release (the wheel)")?;
    let wheel = std::fs::read_dir(&out)
        .context("cannot list target/wheels")?
        .flatten()
        .map(|entry| entry.path())
        .find(|path| is_our_wheel(path))
        .context("maturin reported success but left no wheel in target/wheels")?;
    eprintln!(
        "built {}\ninstall it with: pip install {}",
        wheel.display(),
        wheel.strip_prefix(root).unwrap_or(&wheel).display()
    );
    Ok(wheel)
}

fn is_our_wheel(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.starts_with("sandbox_executor-") && name.ends_with(".whl"))
}

/// The package's tests: the wheel in a fresh venv (with pytest and mypy
/// from the pinned list), then pytest, which starts the real
/// `sandbox-server` and `sandbox` binaries built here.
pub(crate) fn test(root: &Path) -> Result<()> {
    install_fresh(root)?;
    crate::cargo(&["build", "-p", "sandbox-server", "-p", "sandbox-cli"])?;
    let mut pytest = Command::new(root.join(TEST_VENV).join("bin/python"));
    pytest
        .args([
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--timeout=300",
            "-q",
        ])
        .arg(root.join("crates/sandbox-py/tests"))
        .env(
            "SANDBOX_SERVER_BIN",
            root.join("target/debug/sandbox-server"),
        )
        .env("SANDBOX_CLI_BIN", root.join("target/debug/sandbox"))
        .current_dir(root.join("crates/sandbox-py"));
    run(&mut pytest, "pytest crates/sandbox-py/tests")
}

/// Builds the wheel and installs it, with the pinned test tools, into a
/// venv made afresh at `TEST_VENV`.
pub(crate) fn install_fresh(root: &Path) -> Result<()> {
    let wheel = build(root)?;
    let venv = root.join(TEST_VENV);
    run(
        Command::new(root.join(TOOLS).join("bin/python"))
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
        "python -m venv --clear (a fresh venv)",
    )?;
    run(
        Command::new(venv.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--only-binary=:all:",
                "-r",
            ])
            .arg(root.join(".ci/python-package.txt"))
            .arg(&wheel),
        "pip install (the wheel and the test tools, into the fresh venv)",
    )
}
