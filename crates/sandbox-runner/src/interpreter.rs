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
use sandbox_core::plan::BOOTSTRAP;
use sandbox_core::secure::InterpreterLayout;

/// Oldest supported Python.
pub const MIN_VERSION: (u32, u32) = (3, 8);
/// How long the probe may take (a cold pyenv shim can be slow).
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);
/// Also compiles the bootstrap, read from stdin, into this interpreter's
/// `marshal` format (see [`sandbox_core::plan::BOOTSTRAP_LOADER`]), as hex on
/// a third line.
const PROBE: &str = "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])
try:
    import marshal; print(marshal.dumps(compile(sys.stdin.read(), '<string>', 'exec')).hex())
except Exception:
    pass";
/// Secure mode also needs where the interpreter lives: its prefixes (to
/// mount) and its site-packages (to put on `sys.path`, since it runs with
/// `-S`). One path per line after a tag. The probe itself runs with `site`
/// (but isolated): up to Python 3.11 it is `site` that reads a virtualenv's
/// `pyvenv.cfg`, so without it a venv's prefix and packages go unseen.
const LAYOUT_PROBE: &str = "import site, sys
for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}: print('prefix', p)
for p in site.getsitepackages(): print('site', p)";

/// A resolved interpreter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    /// The real executable (`sys.executable`), never a shim.
    pub path: PathBuf,
    /// Its version (major, minor, micro).
    pub version: (u32, u32, u32),
    /// The bootstrap compiled by this interpreter (`marshal` data), sent
    /// ahead of the code with [`sandbox_core::plan::stdin_payload`].
    pub bootstrap: Arc<[u8]>,
}

type Cache = Mutex<HashMap<PathBuf, Arc<Interpreter>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Cache::default)
}

/// The layout of the interpreter `requested` resolves to, once per process.
pub async fn layout(requested: Option<&Path>) -> Result<Arc<InterpreterLayout>, SandboxError> {
    type LayoutCache = Mutex<HashMap<PathBuf, Arc<InterpreterLayout>>>;
    static LAYOUTS: OnceLock<LayoutCache> = OnceLock::new();
    let python = resolve(requested).await?;
    let layouts = LAYOUTS.get_or_init(LayoutCache::default);
    if let Some(found) = layouts
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&python.path)
    {
        return Ok(found.clone());
    }
    let fail = |reason: String| SandboxError::Interpreter { reason };
    let output = tokio::process::Command::new(&python.path)
        .args(["-I", "-c", LAYOUT_PROBE])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(PROBE_TIMEOUT, output)
        .await
        .map_err(|_| {
            fail(format!(
                "`{}` did not describe its layout in time",
                python.path.display()
            ))
        })?
        .map_err(|err| {
            fail(format!(
                "`{}` could not be started: {err}",
                python.path.display()
            ))
        })?;
    if !output.status.success() {
        return Err(fail(format!(
            "`{}` could not describe its layout: {}",
            python.path.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let real_executable = std::fs::canonicalize(&python.path)
        .map_err(|err| fail(format!("cannot resolve `{}`: {err}", python.path.display())))?;
    let loader = elf_interpreter(&real_executable).and_then(|p| std::fs::canonicalize(p).ok());
    let mut layout = InterpreterLayout {
        executable: python.path.clone(),
        real_executable,
        loader,
        prefixes: Vec::new(),
        site_packages: Vec::new(),
    };
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        match line.split_once(' ') {
            Some(("prefix", p)) => layout.prefixes.push(PathBuf::from(p)),
            Some(("site", p)) if Path::new(p).is_dir() => {
                layout.site_packages.push(PathBuf::from(p))
            }
            _ => {}
        }
    }
    let layout = Arc::new(layout);
    layouts
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(python.path.clone(), layout.clone());
    Ok(layout)
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
    let output = async {
        let mut child = tokio::process::Command::new(requested)
            .args(["-I", "-S", "-c", PROBE])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            use tokio::io::AsyncWriteExt as _;
            // Something that is not Python may exit without reading it.
            let _ = stdin.write_all(BOOTSTRAP.as_bytes()).await;
        }
        child.wait_with_output().await
    };
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

/// The program interpreter (`PT_INTERP`, the dynamic loader) named by a
/// 64-bit little-endian ELF executable, if any. The kernel needs execute
/// permission on it to start the interpreter, so landlock must allow it.
fn elf_interpreter(path: &Path) -> Option<PathBuf> {
    let bytes = std::fs::read(path).ok()?;
    let u16_at = |at: usize| Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    let u64_at =
        |at: usize| Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?) as usize);
    // Magic, 64-bit class, little-endian data.
    if bytes.get(..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let (phoff, phentsize, phnum) = (
        u64_at(0x20)?,
        u16_at(0x36)? as usize,
        u16_at(0x38)? as usize,
    );
    (0..phnum).find_map(|i| {
        let ph = phoff + i * phentsize;
        (u32_at(ph)? == 3).then_some(())?; // PT_INTERP
        let (offset, size) = (u64_at(ph + 8)?, u64_at(ph + 32)?);
        let raw = bytes.get(offset..offset + size)?;
        let text = std::str::from_utf8(raw.split(|b| *b == 0).next()?).ok()?;
        Some(PathBuf::from(text))
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
    let bootstrap = hex(lines.next()?.trim())?;
    (path.is_absolute() && supported && !bootstrap.is_empty()).then(|| Interpreter {
        path,
        version,
        bootstrap: bootstrap.into(),
    })
}

fn hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_elf_interpreter() {
        let loader = elf_interpreter(Path::new("/bin/sh")).unwrap();
        assert!(
            loader.to_string_lossy().contains("ld-"),
            "{}",
            loader.display()
        );
        assert_eq!(elf_interpreter(Path::new("/etc/passwd")), None);
    }

    #[test]
    fn parses_the_probe() {
        let found = parse_probe("/usr/bin/python3.11\n3.11.2\ne3ff00\n").unwrap();
        assert_eq!(found.path, PathBuf::from("/usr/bin/python3.11"));
        assert_eq!(found.version, (3, 11, 2));
        assert_eq!(&*found.bootstrap, [0xe3, 0xff, 0x00]);
        assert_eq!(parse_probe("/usr/bin/python2\n2.7.18\n"), None);
        assert_eq!(parse_probe("/usr/bin/python3.7\n3.7.1\ne3\n"), None);
        assert_eq!(parse_probe("\n3.11.2\ne3\n"), None, "empty sys.executable");
        assert_eq!(
            parse_probe("/usr/bin/python3.11\n3.11.2\n"),
            None,
            "no bootstrap"
        );
        assert_eq!(
            parse_probe("/usr/bin/python3.11\n3.11.2\ne3f\n"),
            None,
            "odd hex"
        );
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
