//! What is learned about an interpreter, kept on disk so the next process
//! need not ask again: without it every `sandbox run` starts two extra
//! interpreters (one behind a pyenv shim) before the real one.
//!
//! Records live in `$XDG_CACHE_HOME/sandbox/interpreters` (else
//! `~/.cache/sandbox/interpreters`), one small JSON file per question, named
//! by a hash of everything the answer depends on: this sandbox's version and
//! bootstrap, the path asked about, and the identity (device, inode, size,
//! modification time) of the files behind it. A record is used only when the
//! key it stores equals the key computed now, its checksum holds, it and its
//! directory belong to this user and nobody else may write them, and what it
//! names still exists as it was. Anything else (missing, stale, corrupt,
//! foreign, an unwritable directory) means asking the interpreter again and
//! rewriting the record; the cache is never needed for a run to work.

use std::io::{Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sha2::{Digest as _, Sha256};

/// Bumped when a record's layout changes.
const FORMAT: u32 = 1;
/// Largest record read (a compiled bootstrap is tens of KiB).
const MAX_RECORD: u64 = 4 << 20;
/// Most records kept: a shim's answers are per directory, so they add up;
/// past this the least recently written go.
const MAX_RECORDS: usize = 256;
/// Variables that tools in front of an interpreter (pyenv, asdf, mise,
/// conda, virtualenv activation, uv, rye) read to choose it, by prefix.
/// A script's answer is cached per value of these and per directory.
const CHOOSER_VARIABLES: &[&str] = &[
    "PATH",
    "HOME",
    "PYENV",
    "ASDF_",
    "MISE_",
    "RTX_",
    "CONDA",
    "VIRTUAL_ENV",
    "UV_",
    "RYE_",
    "PIXI_",
    "PYTHON",
];

/// Which file a path names, as of now: replacing, rewriting or touching it
/// gives a different identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileId {
    pub(crate) path: PathBuf,
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
}

impl FileId {
    /// The identity of the file `path` names (symlinks followed), or `None`
    /// when there is none.
    pub(crate) fn of(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Self {
            path: path.to_owned(),
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        })
    }

    /// Whether the file is still the one identified.
    pub(crate) fn still_holds(&self) -> bool {
        Self::of(&self.path).as_ref() == Some(self)
    }
}

/// The file the command `requested` runs (a path as given, or the first
/// executable of that name on `PATH`, as `execvp` finds it), and, when that
/// file is a script (a shim choosing an interpreter), what the script may
/// choose by: the directory and the chooser variables.
pub(crate) fn command_key(requested: &Path) -> Option<serde_json::Value> {
    let found = locate(requested)?;
    let id = FileId::of(&found)?;
    let mut head = [0u8; 2];
    let is_script = std::fs::File::open(&found)
        .and_then(|mut file| file.read_exact(&mut head))
        .is_ok()
        && &head == b"#!";
    let chooser = is_script.then(|| {
        let mut vars: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
            .filter(|(name, _)| CHOOSER_VARIABLES.iter().any(|p| name.starts_with(p)))
            .collect();
        vars.sort();
        serde_json::json!({
            "cwd": std::env::current_dir().ok(),
            "vars": vars,
        })
    });
    Some(serde_json::json!({
        "requested": requested,
        "runs": id,
        "script": chooser,
    }))
}

/// `execvp`'s search: a name with a slash is a path (made absolute, since
/// the directory may change between processes); else the first regular,
/// executable file of that name in a `PATH` directory.
fn locate(requested: &Path) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt as _;
    if requested.as_os_str().as_bytes().contains(&b'/') {
        return std::path::absolute(requested).ok();
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| {
            if dir.as_os_str().is_empty() {
                PathBuf::from(".").join(requested)
            } else {
                dir.join(requested)
            }
        })
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|meta| meta.is_file() && meta.mode() & 0o111 != 0)
        })
        .and_then(|found| std::path::absolute(found).ok())
}

/// The directory records live in, created (private) when missing; `None`
/// when there is no usable one.
fn directory() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|home| home.join(".cache"))
        })?;
    let dir = base.join("sandbox").join("interpreters");
    if !dir.is_dir() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .ok()?;
    }
    let meta = std::fs::symlink_metadata(&dir).ok()?;
    // Someone else's directory, or one others may write, is not trusted.
    (meta.is_dir() && meta.uid() == effective_uid() && meta.mode() & 0o022 == 0).then_some(dir)
}

fn effective_uid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

/// A stored answer: the key and value as serialized, and a checksum over
/// both.
#[derive(Serialize, Deserialize)]
struct Record {
    key: String,
    value: String,
    check: String,
}

fn digest(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The full key of a question of `kind`: what every answer depends on (this
/// sandbox and its bootstrap) and what the caller says this one does.
fn full_key(kind: &str, key: &serde_json::Value) -> String {
    serde_json::json!({
        "format": FORMAT,
        "kind": kind,
        "sandbox": env!("CARGO_PKG_VERSION"),
        "bootstrap": digest(&[sandbox_core::plan::BOOTSTRAP]),
        "key": key,
    })
    .to_string()
}

fn record_path(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{}.json", &digest(&[key])[..32]))
}

/// The stored answer to `kind`/`key`, when there is a trustworthy one.
pub(crate) fn load<T: DeserializeOwned>(kind: &str, key: &serde_json::Value) -> Option<T> {
    load_in(&directory()?, kind, key)
}

fn load_in<T: DeserializeOwned>(dir: &Path, kind: &str, key: &serde_json::Value) -> Option<T> {
    let key = full_key(kind, key);
    let path = record_path(dir, &key);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.uid() != effective_uid() || meta.mode() & 0o022 != 0 {
        return None;
    }
    let mut text = String::new();
    file.take(MAX_RECORD).read_to_string(&mut text).ok()?;
    let record: Record = serde_json::from_str(&text).ok()?;
    if record.key != key || record.check != digest(&[&record.key, &record.value]) {
        tracing::debug!(path = %path.display(), "ignoring a stale or corrupt interpreter record");
        return None;
    }
    serde_json::from_str(&record.value).ok()
}

/// Stores `value` as the answer to `kind`/`key`. Failing to is no error:
/// the next process asks the interpreter again.
pub(crate) fn store<T: Serialize>(kind: &str, key: &serde_json::Value, value: &T) {
    if let Some(dir) = directory() {
        store_in(&dir, kind, key, value);
    }
}

fn store_in<T: Serialize>(dir: &Path, kind: &str, key: &serde_json::Value, value: &T) {
    let key = full_key(kind, key);
    let Ok(value) = serde_json::to_string(value) else {
        return;
    };
    let path = record_path(dir, &key);
    let check = digest(&[&key, &value]);
    let Ok(text) = serde_json::to_vec(&Record { key, value, check }) else {
        return;
    };
    // A whole record or none: written aside, then renamed into place.
    let written = tempfile::NamedTempFile::new_in(dir).and_then(|mut file| {
        file.write_all(&text)?;
        file.persist(&path).map_err(|err| err.error)?;
        Ok(())
    });
    if let Err(err) = written {
        tracing::debug!(dir = %dir.display(), %err, "could not store an interpreter record");
    }
    prune(dir, MAX_RECORDS);
}

/// Removes the oldest records (and leftovers of interrupted writes) beyond
/// the newest `keep`.
fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut records: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let modified = entry.metadata().ok()?.modified().ok()?;
            Some((modified, entry.path()))
        })
        .collect();
    if records.len() <= keep {
        return;
    }
    records.sort_by_key(|record| std::cmp::Reverse(record.0));
    for (_, path) in records.drain(keep..) {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_identity_changes_when_the_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("python");
        std::fs::write(&path, "one").unwrap();
        let id = FileId::of(&path).unwrap();
        assert!(id.still_holds());
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, "two!").unwrap();
        assert!(!id.still_holds());
        assert_eq!(FileId::of(&dir.path().join("missing")), None);
    }

    #[test]
    fn a_name_is_found_on_path_as_execvp_would() {
        let found = locate(Path::new("sh")).unwrap();
        assert!(found.is_absolute() && found.ends_with("sh"), "{found:?}");
        assert_eq!(locate(Path::new("no-such-command-here")), None);
        let relative = locate(Path::new("./x/python")).unwrap();
        assert!(relative.is_absolute());
    }

    #[test]
    fn a_stored_answer_is_found_under_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let key = serde_json::json!({"requested": "python3"});
        store_in(dir.path(), "test", &key, &vec![1, 2, 3]);
        assert_eq!(
            load_in::<Vec<i32>>(dir.path(), "test", &key),
            Some(vec![1, 2, 3])
        );
        let other = serde_json::json!({"requested": "python3.12"});
        assert_eq!(load_in::<Vec<i32>>(dir.path(), "test", &other), None);
        assert_eq!(load_in::<Vec<i32>>(dir.path(), "other kind", &key), None);
    }

    fn only_record(dir: &Path) -> PathBuf {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        files.remove(0)
    }

    #[test]
    fn a_corrupt_or_tampered_record_is_ignored_and_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let key = serde_json::json!({"requested": "python3"});
        store_in(dir.path(), "test", &key, &"/usr/bin/python3");
        let path = only_record(dir.path());
        let text = std::fs::read_to_string(&path).unwrap();

        // Cut short, and garbage.
        std::fs::write(&path, &text[..text.len() / 2]).unwrap();
        assert_eq!(load_in::<String>(dir.path(), "test", &key), None);
        std::fs::write(&path, b"\x00\xff not json").unwrap();
        assert_eq!(load_in::<String>(dir.path(), "test", &key), None);

        // Valid JSON whose value was changed without the checksum.
        let tampered = text.replace("/usr/bin/python3", "/tmp/evil/python3");
        assert_ne!(tampered, text);
        std::fs::write(&path, tampered).unwrap();
        assert_eq!(load_in::<String>(dir.path(), "test", &key), None);

        // Rewritten whole by the next store.
        store_in(dir.path(), "test", &key, &"/usr/bin/python3");
        assert_eq!(
            load_in::<String>(dir.path(), "test", &key).as_deref(),
            Some("/usr/bin/python3")
        );
        assert_eq!(only_record(dir.path()), path);
    }

    #[test]
    fn a_record_others_may_write_is_not_trusted() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let key = serde_json::json!({"requested": "python3"});
        store_in(dir.path(), "test", &key, &7);
        let path = only_record(dir.path());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert_eq!(load_in::<i32>(dir.path(), "test", &key), None);
        // A symlink in its place is not followed.
        let real = dir.path().join("elsewhere");
        std::fs::rename(&path, &real).unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink(&real, &path).unwrap();
        assert_eq!(load_in::<i32>(dir.path(), "test", &key), None);
    }

    #[test]
    fn only_the_newest_records_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        for n in 0..5 {
            store_in(dir.path(), "test", &serde_json::json!(n), &n);
        }
        prune(dir.path(), 2);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
