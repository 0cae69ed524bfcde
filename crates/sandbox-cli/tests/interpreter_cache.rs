//! The on-disk interpreter cache, through the real `sandbox` binary: a run
//! stores what it learned about its interpreter and the next run uses it;
//! an interpreter replaced in place is asked again; a corrupt record is
//! ignored and rewritten; an unusable cache directory changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use tempfile::TempDir;

/// Prints what the sandbox's interpreter is.
const WHO: &str = "import sys\nprint(sys.executable)\nprint(sys.version)\n";

/// A place for interpreter copies that secure mode can see (it replaces
/// `/tmp` with its own), and a cache directory.
struct Setup {
    dir: TempDir,
    cache: PathBuf,
}

impl Setup {
    fn new() -> Self {
        // Not under /tmp, wherever the checkout lives: secure mode replaces
        // /tmp with its own, so an interpreter there cannot run.
        let dir = tempfile::Builder::new()
            .prefix("sandbox-interpreter-cache-")
            .tempdir_in("/var/tmp")
            .unwrap();
        let cache = dir.path().join("cache");
        Self { dir, cache }
    }

    fn records(&self) -> PathBuf {
        self.cache.join("sandbox").join("interpreters")
    }

    /// Each record's name and modification time.
    fn snapshot(&self) -> BTreeMap<PathBuf, SystemTime> {
        std::fs::read_dir(self.records())
            .map(|entries| {
                entries
                    .map(|e| e.unwrap())
                    .map(|e| (e.path(), e.metadata().unwrap().modified().unwrap()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `sandbox run` of [`WHO`] with `python` in `mode`: its standard output.
    fn run(&self, python: &Path, mode: &str) -> String {
        let script = self.dir.path().join("who.py");
        std::fs::write(&script, WHO).unwrap();
        let output = common::clean_command(env!("CARGO_BIN_EXE_sandbox"))
            .env("XDG_CACHE_HOME", &self.cache)
            .current_dir(self.dir.path())
            .args(["run", "--policy", "none", "--mode", mode, "--python"])
            .arg(python)
            .arg(&script)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "sandbox run --mode {mode} --python {}: {}\n{stdout}\n{}",
            python.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }
}

/// The real executable behind `command` and its `sys.version`.
fn interpreter(command: &str) -> Option<(PathBuf, String)> {
    let output = std::process::Command::new(command)
        .args([
            "-I",
            "-S",
            "-c",
            "import sys; print(sys.executable); print(sys.version)",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let (path, version) = text.split_once('\n')?;
    Some((PathBuf::from(path), version.trim().to_owned()))
}

/// Two different builds of Python on this machine (the test machines have
/// Debian's and a pyenv one).
/// `None` on a machine with one build, which plain `cargo test` skips
/// (saying so); under `cargo xtask test` (`SANDBOX_TEST_TIERS`) it fails.
fn two_builds() -> Option<((PathBuf, String), (PathBuf, String))> {
    use std::io::Write as _;
    let first = interpreter("python3").expect("python3 runs");
    let second = [
        "/usr/bin/python3.11",
        "/usr/bin/python3",
        "python3.11",
        "python3.12",
    ]
    .into_iter()
    .filter_map(interpreter)
    .find(|(_, version)| *version != first.1);
    if second.is_none() {
        assert!(
            std::env::var_os("SANDBOX_TEST_TIERS").is_none(),
            "a second Python build with a different sys.version is needed"
        );
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED interpreter_cache: needs a second Python build beside python3 \
             (a pyenv one, say); `cargo xtask test` requires it"
        );
    }
    Some((first, second?))
}

#[test]
fn a_run_reuses_what_it_learned_and_asks_a_replaced_interpreter_again() {
    let setup = Setup::new();
    let Some(((first, first_version), (second, second_version))) = two_builds() else {
        return;
    };
    let copy = setup.dir.path().join("bin").join("python3");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(&first, &copy).unwrap();

    for mode in ["simple", "secure"] {
        let out = setup.run(&copy, mode);
        assert!(
            out.starts_with(&format!("{}\n", copy.display())),
            "{mode}: {out}"
        );
        assert!(out.contains(&first_version), "{mode}: {out}");
    }
    let stored = setup.snapshot();
    assert!(
        stored.len() >= 2,
        "the interpreter and its layout are stored: {stored:?}"
    );

    // Used as stored: nothing asked, nothing rewritten.
    for mode in ["simple", "secure"] {
        let out = setup.run(&copy, mode);
        assert!(out.contains(&first_version), "{mode}: {out}");
    }
    assert_eq!(
        setup.snapshot(),
        stored,
        "a fresh record is used, not rewritten"
    );

    // Another build in the same place: a different interpreter, asked again.
    std::fs::remove_file(&copy).unwrap();
    std::fs::copy(&second, &copy).unwrap();
    for mode in ["simple", "secure"] {
        let out = setup.run(&copy, mode);
        assert!(
            out.starts_with(&format!("{}\n", copy.display())),
            "{mode}: {out}"
        );
        assert!(
            out.contains(&second_version) && !out.contains(&first_version),
            "{mode} ran the replaced interpreter's stale record: {out}"
        );
    }
    assert!(setup.snapshot().len() > stored.len());
}

#[test]
fn corrupt_records_are_ignored_and_rewritten() {
    let setup = Setup::new();
    let (python, version) = interpreter("python3").unwrap();
    setup.run(&python, "secure");
    let stored = setup.snapshot();
    assert!(!stored.is_empty());
    for (n, path) in stored.keys().enumerate() {
        match n % 3 {
            0 => std::fs::write(path, b"\x00\xffnot a record").unwrap(),
            1 => {
                let text = std::fs::read(path).unwrap();
                std::fs::write(path, &text[..text.len() / 2]).unwrap();
            }
            _ => {
                // Well-formed, but not what was stored (the checksum fails).
                let text = std::fs::read_to_string(path).unwrap();
                std::fs::write(path, text.replacen("python", "pythoN", 1)).unwrap();
            }
        }
    }
    for mode in ["simple", "secure"] {
        let out = setup.run(&python, mode);
        assert!(out.contains(&version), "{mode}: {out}");
    }
    for path in setup.snapshot().keys() {
        let record: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        assert!(record["check"].is_string(), "{}", path.display());
    }
}

#[test]
fn an_unusable_cache_directory_changes_nothing() {
    let setup = Setup::new();
    // The cache "directory" is a file.
    std::fs::write(&setup.cache, "not a directory").unwrap();
    let (python, version) = interpreter("python3").unwrap();
    for mode in ["simple", "secure"] {
        assert!(setup.run(&python, mode).contains(&version));
    }
    // A directory others may write is not used.
    std::fs::remove_file(&setup.cache).unwrap();
    std::fs::create_dir_all(setup.records()).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(setup.records(), std::fs::Permissions::from_mode(0o777)).unwrap();
    assert!(setup.run(&python, "simple").contains(&version));
    assert!(
        setup.snapshot().is_empty(),
        "nothing stored where others may write"
    );
}
