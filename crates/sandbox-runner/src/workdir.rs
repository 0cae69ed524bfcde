//! The per-run directory: `work/` (cwd and `HOME`, holding the input files,
//! collected as outputs) and `tmp/` (`TMPDIR`, never collected), under one
//! fresh private root that is always removed.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use sandbox_core::SandboxError;
use tempfile::TempDir;

/// A run's directory tree; removed on [`WorkDir::remove`] or drop.
#[derive(Debug)]
pub struct WorkDir {
    root: Option<TempDir>,
    work: PathBuf,
    tmp: PathBuf,
}

impl WorkDir {
    /// Creates `sandbox-XXXXXX/{work,tmp}` (mode 0700) under `parent`, or the
    /// system temp dir.
    ///
    /// # Errors
    ///
    /// [`SandboxError::Io`] when the directories cannot be created.
    pub fn create(parent: Option<&Path>) -> Result<Self, SandboxError> {
        let fail = |err| SandboxError::io("create the work dir", err);
        let parent = parent.map_or_else(std::env::temp_dir, Path::to_owned);
        let root = tempfile::Builder::new()
            .prefix(crate::stale::run_prefix())
            .tempdir_in(&parent)
            .map_err(fail)?;
        let work = root.path().join("work");
        let tmp = root.path().join("tmp");
        for dir in [&work, &tmp] {
            fs::create_dir(dir).map_err(fail)?;
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(fail)?;
        }
        Ok(Self {
            root: Some(root),
            work,
            tmp,
        })
    }

    /// The program's working directory.
    pub fn work(&self) -> &Path {
        &self.work
    }

    /// The program's `TMPDIR`.
    pub fn tmp(&self) -> &Path {
        &self.tmp
    }

    /// Writes validated input files into `work/`, creating subdirectories.
    /// New files only, never through a symlink.
    ///
    /// # Errors
    ///
    /// [`SandboxError::Io`] naming the file that could not be written (an
    /// existing file or a symlink on the way counts).
    pub fn write_inputs(&self, files: &BTreeMap<String, Vec<u8>>) -> Result<(), SandboxError> {
        write_files(&self.work, files)
    }

    /// Removes the whole tree, reporting failure (drop removes it too but can
    /// only log).
    ///
    /// # Errors
    ///
    /// The first error that stopped the removal.
    pub fn remove(mut self) -> io::Result<()> {
        match self.root.take() {
            Some(root) => remove_tree(&root.keep()),
            None => Ok(()),
        }
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Some(root) = self.root.take() {
            let path = root.keep();
            if let Err(err) = remove_tree(&path) {
                tracing::error!(path = %path.display(), %err, "could not remove a work dir");
            }
        }
    }
}

/// Writes validated input files under `dir`, creating subdirectories; new
/// files only, never through a symlink.
pub(crate) fn write_files(
    dir: &Path,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<(), SandboxError> {
    for (name, contents) in files {
        let fail = |err| SandboxError::io(format!("write input file `{name}`"), err);
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(fail)?;
        }
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .mode(0o600)
            .open(&path)
            .map_err(fail)?;
        file.write_all(contents).map_err(fail)?;
    }
    Ok(())
}

/// `remove_dir_all`, retried after making every directory writable: the
/// program may have removed permissions on directories it created, which
/// stops a non-root owner from deleting their contents.
pub(crate) fn remove_tree(path: &Path) -> io::Result<()> {
    if fs::remove_dir_all(path).is_ok() || !path.exists() {
        return Ok(());
    }
    let mut stack = vec![path.to_owned()];
    while let Some(dir) = stack.pop() {
        let _ = fs::set_permissions(&dir, fs::Permissions::from_mode(0o700));
        if let Ok(entries) = fs::read_dir(&dir) {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(entry.path());
                }
            }
        }
    }
    fs::remove_dir_all(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_writes_and_removes() {
        let parent = tempfile::tempdir().unwrap();
        let dir = WorkDir::create(Some(parent.path())).unwrap();
        let files = BTreeMap::from([
            ("data.csv".to_owned(), b"a,b\n".to_vec()),
            ("nested/deep/x.txt".to_owned(), b"x".to_vec()),
        ]);
        dir.write_inputs(&files).unwrap();
        assert_eq!(
            fs::read(dir.work().join("nested/deep/x.txt")).unwrap(),
            b"x"
        );
        assert!(dir.tmp().is_dir());
        dir.remove().unwrap();
        assert_eq!(fs::read_dir(parent.path()).unwrap().count(), 0);
    }

    #[test]
    fn removal_survives_locked_directories() {
        let parent = tempfile::tempdir().unwrap();
        let dir = WorkDir::create(Some(parent.path())).unwrap();
        let locked = dir.work().join("locked");
        fs::create_dir(&locked).unwrap();
        fs::write(locked.join("f"), "x").unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
        drop(dir);
        assert_eq!(fs::read_dir(parent.path()).unwrap().count(), 0);
    }
}
