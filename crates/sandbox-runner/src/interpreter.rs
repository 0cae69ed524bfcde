//! Finding the Python interpreter to run.
//!
//! A name on `PATH` is often not the interpreter itself: pyenv and asdf put
//! bash scripts ("shims") there that pick an interpreter at each call, which
//! costs tens of milliseconds and depends on the caller's environment. So the
//! requested command is run once and asked for `sys.executable`, the real
//! binary, which is cached and used from then on: in memory for this
//! process, and on disk (`crate::disk_cache`) for the next ones.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sandbox_core::SandboxError;
use sandbox_core::plan::BOOTSTRAP;
use sandbox_core::secure::InterpreterLayout;

use crate::disk_cache::{self, FileId};

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

/// The top-level modules the interpreter can import as the sandbox runs it
/// (isolated, its site-packages on the path): built-in modules and what
/// `pkgutil` finds on `sys.path`, one name per line.
const MODULES_PROBE: &str = "import pkgutil, sys
print(*sys.builtin_module_names, sep='\\n')
print(*sorted({m.name for m in pkgutil.iter_modules()}), sep='\\n')";
/// Most module names kept from the probe (a normal installation has a few
/// hundred to a few thousand).
const MAX_MODULES: usize = 100_000;

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
///
/// # Errors
///
/// [`SandboxError::Interpreter`] when the interpreter cannot be found or
/// started, or does not describe its layout.
pub async fn layout(requested: Option<&Path>) -> Result<Arc<InterpreterLayout>, SandboxError> {
    type LayoutCache = Mutex<HashMap<PathBuf, Arc<InterpreterLayout>>>;
    static LAYOUTS: OnceLock<LayoutCache> = OnceLock::new();
    let python = resolve(requested).await?;
    let layouts = LAYOUTS.get_or_init(LayoutCache::default);
    if let Some(found) = layouts
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&python.path)
    {
        return Ok(found.clone());
    }
    let key = layout_key(&python.path);
    let stored = key
        .as_ref()
        .and_then(|key| disk_cache::load::<InterpreterLayout>("layout", key))
        .filter(still_there);
    let layout = match stored {
        Some(layout) => Arc::new(layout),
        None => {
            let layout = Arc::new(probe_layout(&python.path).await?);
            if let Some(key) = &key {
                disk_cache::store("layout", key, &*layout);
            }
            layout
        }
    };
    layouts
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(python.path.clone(), layout.clone());
    Ok(layout)
}

/// What an interpreter's layout depends on: the executable (and the file
/// it resolves to) and the `pyvenv.cfg` that makes it a virtualenv's.
fn layout_key(executable: &Path) -> Option<serde_json::Value> {
    let dir = executable.parent()?;
    Some(serde_json::json!({
        "executable": FileId::of(executable)?,
        "real": std::fs::canonicalize(executable).ok()?,
        "venv": [
            FileId::of(&dir.join("pyvenv.cfg")),
            dir.parent().and_then(|up| FileId::of(&up.join("pyvenv.cfg"))),
        ],
    }))
}

/// Whether everything a stored layout names is still there.
fn still_there(layout: &InterpreterLayout) -> bool {
    layout.real_executable.is_file()
        && layout.loader.as_deref().is_none_or(Path::is_file)
        && layout.prefixes.iter().all(|p| p.is_dir())
        && layout.site_packages.iter().all(|p| p.is_dir())
}

/// Asks the interpreter at `executable` where it lives.
async fn probe_layout(executable: &Path) -> Result<InterpreterLayout, SandboxError> {
    let fail = |reason: String| SandboxError::Interpreter { reason };
    let output = tokio::process::Command::new(executable)
        .args(["-I", "-c", LAYOUT_PROBE])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(PROBE_TIMEOUT, output)
        .await
        .map_err(|_| {
            fail(format!(
                "`{}` did not describe its layout in time",
                executable.display()
            ))
        })?
        .map_err(|err| {
            fail(format!(
                "`{}` could not be started: {err}",
                executable.display()
            ))
        })?;
    if !output.status.success() {
        return Err(fail(format!(
            "`{}` could not describe its layout: {}",
            executable.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let real_executable = std::fs::canonicalize(executable)
        .map_err(|err| fail(format!("cannot resolve `{}`: {err}", executable.display())))?;
    let loader = elf_interpreter(&real_executable).and_then(|p| std::fs::canonicalize(p).ok());
    let mut layout = InterpreterLayout {
        executable: executable.to_owned(),
        real_executable,
        loader,
        prefixes: Vec::new(),
        site_packages: Vec::new(),
    };
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        match line.split_once(' ') {
            Some(("prefix", p)) => layout.prefixes.push(PathBuf::from(p)),
            Some(("site", p)) if Path::new(p).is_dir() => {
                layout.site_packages.push(PathBuf::from(p));
            }
            _ => {}
        }
    }
    Ok(layout)
}

/// Resolves `requested` (a path, or a name looked up on `PATH`; `python3`
/// when `None`) to the real interpreter, once per process.
///
/// # Errors
///
/// [`SandboxError::Interpreter`] when no interpreter is found, or it cannot be
/// started.
pub async fn resolve(requested: Option<&Path>) -> Result<Arc<Interpreter>, SandboxError> {
    let requested = requested.unwrap_or(Path::new("python3")).to_owned();
    if let Some(found) = cache()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&requested)
    {
        return Ok(found.clone());
    }
    let key = disk_cache::command_key(&requested);
    let stored = key
        .as_ref()
        .and_then(|key| disk_cache::load::<Resolved>("resolve", key))
        .and_then(Resolved::still_valid);
    let found = match stored {
        Some(found) => Arc::new(found),
        None => {
            let found = probe(&requested).await?;
            if let (Some(key), Some(executable)) = (&key, FileId::of(&found.path)) {
                let record = Resolved {
                    path: found.path.clone(),
                    version: found.version,
                    bootstrap: to_hex(&found.bootstrap),
                    executable,
                };
                disk_cache::store("resolve", key, &record);
            }
            Arc::new(found)
        }
    };
    cache()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(requested, found.clone());
    Ok(found)
}

/// What [`resolve`] keeps on disk: the interpreter, and the identity of its
/// executable when it was asked (a replaced interpreter is asked again).
#[derive(serde::Serialize, serde::Deserialize)]
struct Resolved {
    path: PathBuf,
    version: (u32, u32, u32),
    bootstrap: String,
    executable: FileId,
}

impl Resolved {
    fn still_valid(self) -> Option<Interpreter> {
        (self.executable.path == self.path && self.executable.still_holds()).then_some(())?;
        let bootstrap = hex(&self.bootstrap).filter(|b| !b.is_empty())?;
        Some(Interpreter {
            path: self.path,
            version: self.version,
            bootstrap: bootstrap.into(),
        })
    }
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

/// The top-level modules the interpreter `requested` (`python3` when
/// `None`) can import, asked once per process: what tool descriptions and
/// policy refusals name as available. Blocking (tens of milliseconds the
/// first time); an interpreter that cannot be asked is an error.
///
/// # Errors
///
/// [`SandboxError::Interpreter`] when the interpreter cannot be started or its
/// answer cannot be read.
pub fn installed_modules(requested: Option<&Path>) -> Result<Arc<BTreeSet<String>>, SandboxError> {
    type ModulesCache = Mutex<HashMap<PathBuf, Arc<BTreeSet<String>>>>;
    static MODULES: OnceLock<ModulesCache> = OnceLock::new();
    let requested = requested.unwrap_or(Path::new("python3"));
    let cache = MODULES.get_or_init(ModulesCache::default);
    if let Some(found) = cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(requested)
    {
        return Ok(found.clone());
    }
    let fail = |reason: String| SandboxError::Interpreter { reason };
    let shown = requested.display();
    let mut child = std::process::Command::new(requested)
        .args(["-I", "-c", MODULES_PROBE])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|err| fail(format!("`{shown}` could not be started: {err}")))?;
    // Read on a thread so a hung interpreter can be killed at the deadline.
    let Some(mut stdout) = child.stdout.take() else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(fail(format!("`{shown}` gave no output pipe")));
    };
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::Read::take(&mut stdout, 16 << 20), &mut text)
            .map(|_| text)
    });
    let deadline = std::time::Instant::now() + PROBE_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(format!("`{shown}` did not list its modules in time")));
            }
        }
    };
    let text = reader
        .join()
        .ok()
        .and_then(Result::ok)
        .filter(|_| status.success())
        .ok_or_else(|| fail(format!("`{shown}` could not list its modules ({status})")))?;
    let modules: BTreeSet<String> = text
        .lines()
        .map(str::trim)
        .filter(|name| is_identifier(name))
        .take(MAX_MODULES)
        .map(str::to_owned)
        .collect();
    let modules = Arc::new(modules);
    cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(requested.to_owned(), modules.clone());
    Ok(modules)
}

/// An ASCII Python identifier (module names that are not cannot be
/// imported with `import`, so they are no advice).
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && name.len() <= 255
}

/// The program interpreter (`PT_INTERP`, the dynamic loader) named by a
/// 64-bit little-endian ELF executable, if any. The kernel needs execute
/// permission on it to start the interpreter, so landlock must allow it.
fn elf_interpreter(path: &Path) -> Option<PathBuf> {
    let bytes = std::fs::read(path).ok()?;
    let u16_at = |at: usize| Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    let u64_at = |at: usize| {
        usize::try_from(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?)).ok()
    };
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

fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut text, b| {
            let _ = write!(text, "{b:02x}");
            text
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

    #[test]
    fn lists_the_modules_the_interpreter_has() {
        let modules = installed_modules(None).unwrap();
        for module in ["sys", "json", "math", "csv", "xml"] {
            assert!(modules.contains(module), "{module} missing: {modules:?}");
        }
        assert!(!modules.contains("no_such_module_here"));
        assert!(modules.iter().all(|m| is_identifier(m)));
        let missing = installed_modules(Some(Path::new("/nonexistent/python3"))).unwrap_err();
        assert!(
            missing.to_string().contains("could not be started"),
            "{missing}"
        );
        let not_python = installed_modules(Some(Path::new("/bin/false"))).unwrap_err();
        assert!(
            not_python.to_string().contains("could not list"),
            "{not_python}"
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
