//! `cargo xtask docker`: builds the `python-sandbox` image from
//! `deploy/Dockerfile`, with the repository root as the build context, where
//! a Docker engine answers. Without one it fails and says so: an image that
//! was not built is never reported as built.
//!
//! Arguments after `docker` go to `docker build` (`cargo xtask docker
//! --no-cache`). `DOCKER` names another client with the same commands (for
//! example `DOCKER=podman`).

use std::ffi::{OsStr, OsString};
use std::io::ErrorKind;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail};

/// The image name the README, compose and the Kubernetes manifests use.
pub(crate) const IMAGE: &str = "python-sandbox";
/// The Dockerfile, relative to the repository root.
const DOCKERFILE: &str = "deploy/Dockerfile";

pub(crate) fn run(root: &Path, extra: Vec<String>) -> Result<()> {
    let docker = std::env::var_os("DOCKER").unwrap_or_else(|| OsString::from("docker"));
    build(&docker, root, &extra)
}

fn build(docker: &OsStr, root: &Path, extra: &[String]) -> Result<()> {
    engine_answers(docker)?;
    let args = build_args(extra);
    eprintln!("$ {} {}", docker.to_string_lossy(), args.join(" "));
    let status = Command::new(docker)
        .args(&args)
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot run `{} build`", docker.to_string_lossy()))?;
    if !status.success() {
        bail!("docker build failed ({status})");
    }
    eprintln!("built image `{IMAGE}`; start it with `docker compose up -d` (docs/deploy.md)");
    Ok(())
}

/// `docker info` succeeds only when the client reaches an engine.
fn engine_answers(docker: &OsStr) -> Result<()> {
    let shown = docker.to_string_lossy();
    let output = match Command::new(docker)
        .arg("info")
        .stdin(Stdio::null())
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == ErrorKind::NotFound => bail!(
            "no Docker client: `{shown}` is not on PATH; install Docker (or set DOCKER to a \
             compatible client) to build the image"
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot run `{shown} info`")),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or("no message");
        bail!(
            "no Docker engine is available: `{shown} info` failed ({reason}). Start one (for \
             example `systemctl start docker`), or build where one runs: \
             docker build -f {DOCKERFILE} -t {IMAGE} ."
        );
    }
    Ok(())
}

fn build_args(extra: &[String]) -> Vec<String> {
    let mut args: Vec<String> = ["build", "-f", DOCKERFILE, "-t", IMAGE]
        .map(String::from)
        .to_vec();
    args.extend(extra.iter().cloned());
    args.push(".".into());
    args
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;
    use std::path::PathBuf;

    use super::*;

    /// A stand-in `docker` that logs each call (working dir, then
    /// arguments) and answers `info` and `build` with the given exit codes.
    fn fake_docker(dir: &Path, info_exit: i32, build_exit: i32) -> (PathBuf, PathBuf) {
        let log = dir.join("calls.log");
        let script = dir.join("docker");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\n\
                 echo \"$PWD $*\" >> '{log}'\n\
                 case \"$1\" in\n\
                 info) [ {info_exit} -eq 0 ] || echo 'Cannot connect to the Docker daemon at \
                 unix:///var/run/docker.sock. Is the docker daemon running?' >&2; exit {info_exit};;\n\
                 build) exit {build_exit};;\n\
                 esac\n\
                 exit 99\n",
                log = log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        (script, log)
    }

    fn calls(log: &Path) -> Vec<String> {
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn without_an_engine_it_fails_and_builds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (docker, log) = fake_docker(dir.path(), 1, 0);
        let err = build(docker.as_os_str(), dir.path(), &[]).unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.contains("no Docker engine is available"),
            "{message}"
        );
        assert!(
            message.contains("Is the docker daemon running?"),
            "{message}"
        );
        assert!(message.contains("docker build -f deploy/Dockerfile -t python-sandbox ."));
        let calls = calls(&log);
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert!(calls[0].ends_with(" info"), "{calls:?}");
    }

    #[test]
    fn without_a_client_it_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-docker");
        let err = build(missing.as_os_str(), dir.path(), &[]).unwrap_err();
        assert!(format!("{err:#}").contains("no Docker client"), "{err:#}");
    }

    #[test]
    fn with_an_engine_it_builds_from_the_root_with_the_dockerfile() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir(&root).unwrap();
        let (docker, log) = fake_docker(dir.path(), 0, 0);
        build(docker.as_os_str(), &root, &["--no-cache".to_owned()]).unwrap();
        let calls = calls(&log);
        assert_eq!(calls.len(), 2, "{calls:?}");
        assert_eq!(
            calls[1],
            format!(
                "{} build -f deploy/Dockerfile -t python-sandbox --no-cache .",
                root.display()
            )
        );
    }

    #[test]
    fn a_failed_build_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (docker, _) = fake_docker(dir.path(), 0, 1);
        let err = build(docker.as_os_str(), dir.path(), &[]).unwrap_err();
        assert!(
            format!("{err:#}").contains("docker build failed"),
            "{err:#}"
        );
    }
}
