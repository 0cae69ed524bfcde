//! Finding the Python interpreter to run.
//!
//! A name on `PATH` is often not the interpreter itself: pyenv and asdf put
//! bash scripts ("shims") there that pick an interpreter at each call, which
//! costs tens of milliseconds and depends on the caller's environment. So the
//! requested command is run once and asked for `sys.executable`, the real
//! binary, which is cached and used from then on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sandbox_core::SandboxError;

/// Oldest supported Python.
pub const MIN_VERSION: (u32, u32) = (3, 8);
/// How long the probe may take (a cold pyenv shim can be slow).
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);
const PROBE: &str = "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])";

/// A resolved interpreter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    /// The real executable (`sys.executable`), never a shim.
    pub path: PathBuf,
    /// Its version (major, minor, micro).
    pub version: (u32, u32, u32),
}

type Cache = Mutex<HashMap<PathBuf, Arc<Interpreter>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Cache::default)
}

/// Resolves `requested` (a path, or a name looked up on `PATH`; `python3`
/// when `None`) to the real interpreter, once per process.
pub async fn resolve(requested: Option<&Path>) -> Result<Arc<Interpreter>, SandboxError> {
    let requested = requested.unwrap_or(Path::new("python3")).to_owned();
    if let Some(found) = cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&requested)
    {
        return Ok(found.clone());
    }
    let found = Arc::new(probe(&requested).await?);
    cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(requested, found.clone());
    Ok(found)
}

async fn probe(requested: &Path) -> Result<Interpreter, SandboxError> {
    let shown = requested.display();
    let fail = |reason: String| SandboxError::Interpreter { reason };
    let output = tokio::process::Command::new(requested)
        .args(["-I", "-S", "-c", PROBE])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = match tokio::time::timeout(PROBE_TIMEOUT, output).await {
        Err(_) => return Err(fail(format!("`{shown}` did not answer within 20 s"))),
        Ok(Err(err)) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(fail(format!(
                "`{shown}` was not found; install Python 3.8 or newer, or set SANDBOX_PYTHON \
                 (or `--python`) to an interpreter"
            )));
        }
        Ok(Err(err)) => return Err(fail(format!("`{shown}` could not be started: {err}"))),
        Ok(Ok(output)) => output,
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(fail(format!(
            "`{shown}` failed ({}): {}",
            output.status,
            stderr.trim().lines().last().unwrap_or("no error output")
        )));
    }
    parse_probe(&stdout).ok_or_else(|| {
        fail(format!(
            "`{shown}` is not a Python 3.8+ interpreter (it printed `{}`)",
            stdout.trim().escape_debug()
        ))
    })
}

/// Parses the probe's two lines; `None` unless they name an absolute
/// executable of a supported version.
fn parse_probe(stdout: &str) -> Option<Interpreter> {
    let mut lines = stdout.lines();
    let path = PathBuf::from(lines.next()?.trim());
    let mut parts = lines
        .next()?
        .trim()
        .split('.')
        .map(|p| p.parse::<u32>().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    let supported = (version.0, version.1) >= MIN_VERSION && version.0 == 3;
    (path.is_absolute() && supported).then_some(Interpreter { path, version })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_probe() {
        let found = parse_probe("/usr/bin/python3.11\n3.11.2\n").unwrap();
        assert_eq!(found.path, PathBuf::from("/usr/bin/python3.11"));
        assert_eq!(found.version, (3, 11, 2));
        assert_eq!(parse_probe("/usr/bin/python2\n2.7.18\n"), None);
        assert_eq!(parse_probe("/usr/bin/python3.7\n3.7.1\n"), None);
        assert_eq!(parse_probe("\n3.11.2\n"), None, "empty sys.executable");
        assert_eq!(parse_probe("garbage"), None);
    }

    #[tokio::test]
    async fn resolves_a_shim_on_path_to_the_real_binary() {
        let found = resolve(None).await.unwrap();
        assert!(found.path.is_absolute());
        // A shim is a script; the resolved interpreter is an ELF binary.
        let head = std::fs::read(&found.path).unwrap();
        assert_eq!(
            &head[..4],
            b"\x7fELF",
            "{} is not a binary",
            found.path.display()
        );
    }

    #[tokio::test]
    async fn a_missing_interpreter_is_a_clear_error() {
        let err = resolve(Some(Path::new("/nonexistent/python3")))
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`/nonexistent/python3` was not found"),
            "{text}"
        );
        assert!(text.contains("SANDBOX_PYTHON"), "{text}");
    }

    #[tokio::test]
    async fn a_non_python_program_is_rejected() {
        let err = resolve(Some(Path::new("/bin/false"))).await.unwrap_err();
        assert!(err.to_string().contains("`/bin/false` failed"), "{err}");
    }
}
