//! `cargo xtask image`: the `python-sandbox` image built and tagged with
//! podman, without Docker or an image registry, for the container tests
//! (`tests/container.rs`).
//!
//! deploy/Dockerfile's Rust stages need a Rust image that cannot be pulled
//! here, so only its `runtime` stage is built, around release binaries
//! built on this machine: they are given as the `builder` stage through a
//! named build context, and the runtime stage's `FROM debian:bookworm-slim`
//! resolves to a look-alike made from Debian's packages by
//! `deploy/podman/base-image.sh` (its tarball cached under `target/image/`,
//! so reruns take seconds). The full Dockerfile stays for real builders.
//!
//! podman reads `deploy/podman/containers.conf` (through `CONTAINERS_CONF`),
//! not the host's configuration.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

/// The tag the image gets: the one the compose file names.
pub(crate) const TAG: &str = "localhost/python-sandbox:latest";
/// The base image the Dockerfile's runtime stage starts from.
const BASE: &str = "docker.io/library/debian:bookworm-slim";

/// podman with this repository's configuration.
pub(crate) fn podman(root: &Path) -> Command {
    let mut command = Command::new("podman");
    command.env(
        "CONTAINERS_CONF",
        root.join("deploy/podman/containers.conf"),
    );
    command
}

/// Runs `command`, said as `what`; a failure names it.
pub(crate) fn run(command: &mut Command, what: &str) -> Result<()> {
    eprintln!("$ {what}");
    let status = command
        .status()
        .with_context(|| format!("cannot run {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

pub(crate) fn build(root: &Path) -> Result<()> {
    for tool in ["podman", "mmdebstrap"] {
        if Command::new(tool).arg("--version").output().is_err() {
            bail!(
                "`{tool}` is not installed: run `cargo xtask setup` (as root) to install podman, \
                 runc and mmdebstrap"
            );
        }
    }
    let started = std::time::Instant::now();
    // The binaries, as the Dockerfile's builder stage would leave them.
    let mut cargo = crate::cargo_command(&[
        "build",
        "--release",
        "--locked",
        "-p",
        "sandbox-server",
        "-p",
        "sandbox-cli",
    ]);
    cargo.current_dir(root);
    run(
        &mut cargo,
        "cargo build --release -p sandbox-server -p sandbox-cli",
    )?;
    let context = root.join("target/image/builder");
    let out = context.join("out");
    std::fs::create_dir_all(&out).context("cannot create target/image/builder/out")?;
    for binary in ["sandbox-server", "sandbox"] {
        std::fs::copy(root.join("target/release").join(binary), out.join(binary))
            .with_context(|| format!("cannot stage `{binary}`"))?;
    }

    // The base, made once and imported when podman lacks it.
    let has_base = podman(root)
        .args(["image", "exists", BASE])
        .status()
        .is_ok_and(|s| s.success());
    if !has_base {
        let tarball = root.join("target/image/bookworm-slim.tar");
        if !tarball.exists() {
            let mut script = Command::new("bash");
            script
                .arg(root.join("deploy/podman/base-image.sh"))
                .arg(&tarball);
            run(
                &mut script,
                "deploy/podman/base-image.sh (mmdebstrap, about a minute)",
            )?;
        }
        let mut import = podman(root);
        import
            .arg("import")
            .args(["--change", "CMD [\"bash\"]"])
            .args([
                "--change",
                "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ])
            .arg(&tarball)
            .arg(BASE);
        run(
            &mut import,
            &format!("podman import {} {BASE}", show(&tarball)),
        )?;
    }

    let mut build = podman(root);
    build
        .current_dir(root)
        .args(["build", "--format", "docker", "--target", "runtime"])
        .arg("--build-context")
        .arg(format!("builder={}", context.display()))
        .args(["-f", "deploy/Dockerfile", "-t", TAG, "."]);
    run(
        &mut build,
        &format!(
            "podman build --target runtime --build-context builder=target/image/builder -t {TAG}"
        ),
    )?;
    eprintln!(
        "built `{TAG}` in {:.0} s; the container tests (tests/container.rs) run it",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn show(path: &Path) -> String {
    path.strip_prefix(std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")))
        .unwrap_or(path)
        .display()
        .to_string()
}
