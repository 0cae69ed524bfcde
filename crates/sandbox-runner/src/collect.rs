//! Collecting output files from the work dir after a run.
//!
//! The tree was written by untrusted code, so the walk never follows a
//! symlink (a link to `/etc/shadow` must not make the runner read it), opens
//! files with `O_NOFOLLOW | O_NONBLOCK` and checks they are regular files
//! after opening (a file swapped for a FIFO cannot block it), and reads no
//! more than the remaining byte budget. Each file is charged to the result
//! cap as its entry in the JSON (name and base64) before it is read.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use sandbox_core::encoded::{file_bytes_within, file_entry_cost};
use sandbox_core::files::validate_file_name;

use crate::budget::ResultBudget;

/// Most directory entries visited, so an inode flood cannot stall the runner.
const MAX_ENTRIES: usize = 100_000;

/// The files found, and why some were left out.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub(crate) files: BTreeMap<String, Vec<u8>>,
    /// How many files were left out.
    pub(crate) left_out_count: usize,
    /// Why, for the first few, in walk order (bounded: the tree is
    /// untrusted and may hold any number of odd files).
    pub(crate) left_out: Vec<String>,
}

/// How many left-out files a result names; the rest are counted.
const NAMED_IN_NOTE: usize = 5;

impl Collected {
    /// One bounded line about the files left out, if any: the first few
    /// reasons and a count, so a flood of odd files cannot bloat the result.
    pub(crate) fn note(&self) -> Option<String> {
        if self.left_out_count == 0 {
            return None;
        }
        let mut note = format!("{} output file(s) left out: ", self.left_out_count);
        let shown: Vec<String> = self
            .left_out
            .iter()
            .take(NAMED_IN_NOTE)
            .map(|r| r.chars().take(300).collect())
            .collect();
        note.push_str(&shown.join("; "));
        if self.left_out_count > shown.len() {
            note.push_str(&format!("; and {} more", self.left_out_count - shown.len()));
        }
        Some(note)
    }

    pub(crate) fn leave_out(&mut self, reason: impl FnOnce() -> String) {
        self.left_out_count += 1;
        if self.left_out.len() < NAMED_IN_NOTE {
            self.left_out.push(reason());
        }
    }
}

/// Collects regular files under `work` that are new or differ from
/// `inputs`, in name order, within `max_files`, `max_bytes` and what is
/// left of `result`.
pub(crate) fn collect(
    work: &Path,
    inputs: &BTreeMap<String, Vec<u8>>,
    max_files: usize,
    max_bytes: u64,
    result: &ResultBudget,
) -> Collected {
    let mut out = Collected::default();
    let mut budget = max_bytes;
    let mut visited = 0usize;
    let mut stack = vec![(work.to_owned(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            out.leave_out(|| format!("`{prefix}`: directory not readable"));
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        // Reverse so that popping the stack visits subdirectories in order.
        let mut subdirs = Vec::new();
        for entry in entries {
            visited += 1;
            if visited > MAX_ENTRIES {
                out.leave_out(|| {
                    format!(
                        "more than {MAX_ENTRIES} entries in the work dir; the rest were not read"
                    )
                });
                return out;
            }
            let Some(name) = entry.file_name().to_str().map(|n| format!("{prefix}{n}")) else {
                out.leave_out(|| {
                    format!(
                        "`{prefix}{}`: name is not valid UTF-8",
                        entry.file_name().to_string_lossy()
                    )
                });
                continue;
            };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                subdirs.push((entry.path(), format!("{name}/")));
                continue;
            }
            if !kind.is_file() {
                continue; // symlinks, sockets, FIFOs: never outputs
            }
            if let Err(err) = validate_file_name(&name) {
                out.leave_out(|| err.to_string());
                continue;
            }
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            // An unchanged input is not an output, however large: decided
            // before the caps, which are for what the program produced.
            if inputs.get(&name).is_some_and(|input| {
                input.len() as u64 == size
                    && read_regular(&entry.path(), size)
                        .is_ok_and(|read| read.as_ref() == Some(input))
            }) {
                continue;
            }
            if out.files.len() >= max_files {
                out.leave_out(|| {
                    format!("`{name}`: the cap of {max_files} output files was reached")
                });
                continue;
            }
            if size > budget {
                out.leave_out(|| format!(
                    "`{name}` ({size} bytes): the cap of {max_bytes} output bytes would be exceeded"
                ));
                continue;
            }
            let room = result.left();
            if file_entry_cost(&name, size) > room {
                out.leave_out(|| result_full(&name, size, result.cap()));
                continue;
            }
            let limit = budget.min(file_bytes_within(&name, room));
            match read_regular(&entry.path(), limit) {
                Ok(Some(bytes)) => {
                    if !result.take(file_entry_cost(&name, bytes.len() as u64)) {
                        out.leave_out(|| result_full(&name, bytes.len() as u64, result.cap()));
                        continue;
                    }
                    budget -= bytes.len() as u64;
                    out.files.insert(name, bytes);
                }
                Ok(None) if limit < budget => {
                    out.leave_out(|| result_full(&name, size.max(limit + 1), result.cap()));
                }
                Ok(None) => out.leave_out(|| {
                    format!(
                        "`{name}`: grew past the cap of {max_bytes} output bytes while being read"
                    )
                }),
                Err(err) => out.leave_out(|| format!("`{name}`: {err}")),
            }
        }
        stack.extend(subdirs.into_iter().rev());
    }
    out
}

/// Why a file of `size` bytes was left out when the result had no room.
fn result_full(name: &str, size: u64, cap: u64) -> String {
    format!(
        "`{name}` ({size} bytes, {} as base64): the result's cap of {cap} bytes as JSON \
         would be exceeded (raise max_result_bytes, SANDBOX_MAX_RESULT_BYTES)",
        sandbox_core::encoded::base64_len(size)
    )
}

/// Reads a regular file without following a final symlink, at most `limit`
/// bytes (`None` if it holds more).
fn read_regular(path: &Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("no longer a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unlimited() -> ResultBudget {
        ResultBudget::new(u64::MAX)
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("b.txt"), "b").unwrap();
        fs::write(dir.path().join("a.txt"), "a").unwrap();
        fs::create_dir_all(dir.path().join("sub/deeper")).unwrap();
        fs::write(dir.path().join("sub/deeper/c.txt"), "c").unwrap();
        dir
    }

    #[test]
    fn collects_new_and_changed_files_in_name_order() {
        let dir = tree();
        fs::write(dir.path().join("input.csv"), "same").unwrap();
        fs::write(dir.path().join("changed.csv"), "new").unwrap();
        let inputs = BTreeMap::from([
            ("input.csv".to_owned(), b"same".to_vec()),
            ("changed.csv".to_owned(), b"old".to_vec()),
        ]);
        let got = collect(dir.path(), &inputs, 100, 1 << 20, &unlimited());
        let names: Vec<_> = got.files.keys().map(String::as_str).collect();
        assert_eq!(names, ["a.txt", "b.txt", "changed.csv", "sub/deeper/c.txt"]);
        assert!(got.left_out.is_empty(), "{:?}", got.left_out);
    }

    #[test]
    fn unchanged_inputs_are_not_outputs_even_past_the_caps() {
        let dir = tempfile::tempdir().unwrap();
        let big = vec![7u8; 4096];
        fs::write(dir.path().join("big.bin"), &big).unwrap();
        fs::write(dir.path().join("same-size.bin"), vec![8u8; 4096]).unwrap();
        let inputs = BTreeMap::from([
            ("big.bin".to_owned(), big.clone()),
            ("same-size.bin".to_owned(), big),
        ]);
        // A cap of 100 bytes and one file: the unchanged input takes
        // neither; the changed one of the same size is over the byte cap.
        let got = collect(dir.path(), &inputs, 1, 100, &unlimited());
        assert!(got.files.is_empty());
        assert_eq!(got.left_out.len(), 1, "{:?}", got.left_out);
        assert!(
            got.left_out[0].contains("same-size.bin"),
            "{:?}",
            got.left_out
        );
    }

    #[test]
    fn never_follows_symlinks() {
        let dir = tree();
        let secret = tempfile::NamedTempFile::new().unwrap();
        fs::write(secret.path(), "host secret").unwrap();
        std::os::unix::fs::symlink(secret.path(), dir.path().join("link.txt")).unwrap();
        std::os::unix::fs::symlink("/", dir.path().join("rootdir")).unwrap();
        let got = collect(dir.path(), &BTreeMap::new(), 100, 1 << 20, &unlimited());
        assert!(!got.files.contains_key("link.txt"));
        assert!(got.files.keys().all(|k| !k.starts_with("rootdir")));
        assert!(got.files.values().all(|v| v != b"host secret"));
    }

    #[test]
    fn caps_count_and_bytes_and_says_so() {
        let dir = tree();
        let got = collect(dir.path(), &BTreeMap::new(), 2, 1 << 20, &unlimited());
        assert_eq!(got.files.len(), 2);
        assert_eq!(got.left_out.len(), 1);
        assert!(
            got.left_out[0].contains("cap of 2 output files"),
            "{:?}",
            got.left_out
        );

        fs::write(dir.path().join("big.bin"), vec![0u8; 1000]).unwrap();
        let got = collect(dir.path(), &BTreeMap::new(), 100, 10, &unlimited());
        assert!(!got.files.contains_key("big.bin"));
        assert!(
            got.left_out
                .iter()
                .any(|r| r.contains("`big.bin` (1000 bytes)"))
        );
    }

    /// Files are charged as base64 with their names: three files of 3000
    /// NUL bytes (4000 as base64) fit a room of 10 000 twice, not thrice,
    /// and the one left out names the result cap and its setting.
    #[test]
    fn files_are_charged_to_the_result_as_base64() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a.bin", "b.bin", "c.bin"] {
            fs::write(dir.path().join(name), vec![0u8; 3000]).unwrap();
        }
        let budget = ResultBudget::new(sandbox_core::encoded::RESULT_RESERVE + 10_000);
        let got = collect(dir.path(), &BTreeMap::new(), 100, 1 << 20, &budget);
        let names: Vec<_> = got.files.keys().map(String::as_str).collect();
        assert_eq!(names, ["a.bin", "b.bin"]);
        assert_eq!(budget.left(), 10_000 - 2 * (4000 + 5 + 16));
        let note = got.note().unwrap();
        assert!(
            note.contains("`c.bin` (3000 bytes, 4000 as base64)"),
            "{note}"
        );
        assert!(note.contains("SANDBOX_MAX_RESULT_BYTES"), "{note}");
    }
}
