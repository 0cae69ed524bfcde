//! Files of a live sandbox's work dir, reached from the runner through a
//! descriptor of that dir. A session's program runs on between requests
//! (its threads too) and may turn any directory into a symlink at any
//! moment, so every open here is `openat2` relative to an open directory
//! with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS`:
//! the kernel refuses any path that would leave the work dir, whatever the
//! program swaps in between two calls. Nothing is read or written through
//! a path string that the kernel resolves on the host's side.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use nix::dir::{Dir, Type};
use nix::fcntl::{OFlag, OpenHow, ResolveFlag, openat2};
use nix::sys::stat::{Mode, SFlag, fstat, mkdirat};
use sandbox_core::files::validate_file_name;

use crate::budget::ResultBudget;
use crate::collect::Collected;

/// Most entries read from one work dir.
const MAX_ENTRIES: usize = 10_000;

/// What a file was when last seen: size and modification time (ns).
pub(crate) type Stamp = (u64, i128);

/// Every regular file under the work dir, by name.
pub(crate) type Stamps = BTreeMap<String, Stamp>;

fn how(flags: OFlag) -> OpenHow {
    OpenHow::new().flags(flags | OFlag::O_CLOEXEC).resolve(
        ResolveFlag::RESOLVE_BENEATH
            | ResolveFlag::RESOLVE_NO_SYMLINKS
            | ResolveFlag::RESOLVE_NO_MAGICLINKS,
    )
}

fn open_dir(dir: BorrowedFd<'_>, name: &str) -> nix::Result<OwnedFd> {
    openat2(dir, name, how(OFlag::O_RDONLY | OFlag::O_DIRECTORY))
}

fn stamp_of(fd: BorrowedFd<'_>) -> nix::Result<Option<Stamp>> {
    let stat = fstat(fd)?;
    if SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT != SFlag::S_IFREG {
        return Ok(None);
    }
    let size = u64::try_from(stat.st_size).unwrap_or(0);
    let mtime = i128::from(stat.st_mtime) * 1_000_000_000 + i128::from(stat.st_mtime_nsec);
    Ok(Some((size, mtime)))
}

/// Walks the regular files under `work` in name order (directories
/// depth-first, symlinks and special files skipped), calling `visit` with
/// each file's name, its open descriptor and stamp. `false` from `visit`
/// stops the walk. Names that are not valid UTF-8 or not valid file names
/// go to `skipped`.
fn walk(
    work: BorrowedFd<'_>,
    mut visit: impl FnMut(&str, &OwnedFd, Stamp) -> bool,
    mut skipped: impl FnMut(String),
) -> nix::Result<()> {
    let mut stack = vec![(open_dir(work, ".")?, String::new())];
    let mut seen = 0usize;
    while let Some((dir_fd, prefix)) = stack.pop() {
        let mut dir = Dir::from_fd(dir_fd)?;
        let mut entries: Vec<(String, Option<Type>)> = Vec::new();
        for entry in dir.iter().flatten() {
            let raw = entry.file_name().to_bytes();
            if raw == b"." || raw == b".." {
                continue;
            }
            seen += 1;
            if seen > MAX_ENTRIES {
                skipped(format!(
                    "more than {MAX_ENTRIES} entries in the work dir; the rest were not read"
                ));
                return Ok(());
            }
            match std::str::from_utf8(raw) {
                Ok(name) => entries.push((name.to_owned(), entry.file_type())),
                Err(_) => skipped(format!(
                    "`{prefix}{}`: name is not valid UTF-8",
                    String::from_utf8_lossy(raw)
                )),
            }
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let here = dir.as_fd();
        let mut subdirs = Vec::new();
        for (name, kind) in entries {
            let full = format!("{prefix}{name}");
            match kind {
                Some(Type::Directory) => {
                    if let Ok(fd) = open_dir(here, &name) {
                        subdirs.push((fd, format!("{full}/")));
                    }
                }
                Some(Type::File) | None => {
                    let Ok(fd) = openat2(
                        here,
                        name.as_str(),
                        how(OFlag::O_RDONLY | OFlag::O_NONBLOCK),
                    ) else {
                        continue;
                    };
                    let Ok(Some(stamp)) = stamp_of(fd.as_fd()) else {
                        continue;
                    };
                    if let Err(err) = validate_file_name(&full) {
                        skipped(err.to_string());
                        continue;
                    }
                    if !visit(&full, &fd, stamp) {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        // Popped in reverse: subdirectories are visited in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(())
}

/// Every regular file under `work`, with its stamp.
pub(crate) fn stamps(work: BorrowedFd<'_>) -> Stamps {
    let mut stamps = Stamps::new();
    let _ = walk(
        work,
        |name, _, stamp| {
            stamps.insert(name.to_owned(), stamp);
            true
        },
        |_| {},
    );
    stamps
}

/// The files under `work` that are new or changed since `before`, in name
/// order, within `max_files`, `max_bytes` and what is left of `result`.
pub(crate) fn collect_changed(
    work: BorrowedFd<'_>,
    before: &Stamps,
    max_files: usize,
    max_bytes: u64,
    result: &ResultBudget,
) -> Collected {
    let mut out = Collected::default();
    let mut budget = max_bytes;
    let mut skipped = Vec::new();
    let walked = walk(
        work,
        |name, fd, stamp| {
            if before.get(name) == Some(&stamp) {
                return true;
            }
            let (size, _) = stamp;
            if out.files.len() >= max_files {
                out.leave_out(|| {
                    format!("`{name}`: the cap of {max_files} output files was reached")
                });
                return true;
            }
            if size > budget {
                out.leave_out(|| {
                    format!("`{name}`: {size} bytes, over what is left of the {max_bytes}-byte cap")
                });
                return true;
            }
            let cost = sandbox_core::encoded::file_entry_cost(name, size);
            if !result.take(cost) {
                out.leave_out(|| {
                    format!(
                        "`{name}`: {size} bytes do not fit in the result's size cap of {} bytes",
                        result.cap()
                    )
                });
                return true;
            }
            match read_all(fd, size) {
                Some(bytes) => {
                    budget -= size;
                    result.give_back(
                        cost - sandbox_core::encoded::file_entry_cost(name, bytes.len() as u64),
                    );
                    out.files.insert(name.to_owned(), bytes);
                }
                None => {
                    result.give_back(cost);
                    out.leave_out(|| format!("`{name}`: it changed while it was read"));
                }
            }
            true
        },
        |reason| skipped.push(reason),
    );
    for reason in skipped {
        out.leave_out(move || reason);
    }
    if let Err(err) = walked {
        out.leave_out(|| format!("the work dir could not be read: {err}"));
    }
    out
}

/// Reads exactly `size` bytes from `fd` (a file that grew or shrank is
/// `None`).
fn read_all(fd: &OwnedFd, size: u64) -> Option<Vec<u8>> {
    let file = std::fs::File::from(fd.try_clone().ok()?);
    let mut bytes = Vec::with_capacity(usize::try_from(size).ok()?);
    (&file).take(size + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 == size).then_some(bytes)
}

/// The contents of `name` under `work`, if it is a regular file of at most
/// `limit` bytes; `Ok(None)` when there is none.
///
/// # Errors
/// The file is larger than `limit`, or could not be read.
pub(crate) fn read(
    work: BorrowedFd<'_>,
    name: &str,
    limit: u64,
) -> std::io::Result<Option<Vec<u8>>> {
    let fd = match openat2(work, name, how(OFlag::O_RDONLY | OFlag::O_NONBLOCK)) {
        Ok(fd) => fd,
        Err(nix::errno::Errno::ENOENT | nix::errno::Errno::ENOTDIR) => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    let Some((size, _)) = stamp_of(fd.as_fd())? else {
        return Err(not_regular(name));
    };
    if size > limit {
        return Err(std::io::Error::other(format!(
            "`{name}` is {size} bytes, over the limit of {limit}"
        )));
    }
    read_all(&fd, size)
        .map(Some)
        .ok_or_else(|| std::io::Error::other(format!("`{name}` changed while it was read")))
}

/// Writes `bytes` as `name` under `work` (replacing a file of that name),
/// making its directories; never through a symlink.
///
/// # Errors
/// A directory on the way is not one (or is a symlink), or the write failed.
pub(crate) fn write(work: BorrowedFd<'_>, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let mut dir = open_dir(work, ".")?;
    let mut parts: Vec<&str> = name.split('/').collect();
    let last = parts.pop().unwrap_or_default();
    for part in parts {
        match mkdirat(dir.as_fd(), part, Mode::from_bits_truncate(0o755)) {
            Ok(()) | Err(nix::errno::Errno::EEXIST) => {}
            Err(err) => return Err(err.into()),
        }
        dir = open_dir(dir.as_fd(), part)?;
    }
    // Non-blocking, so a FIFO the program made in its place fails at once
    // (ENXIO without a reader) rather than waiting for one; `O_TRUNC` only
    // applies to a regular file, which is checked before a byte is written.
    let fd = match openat2(
        dir.as_fd(),
        last,
        how(OFlag::O_WRONLY
            | OFlag::O_CREAT
            | OFlag::O_TRUNC
            | OFlag::O_NOFOLLOW
            | OFlag::O_NONBLOCK)
        .mode(Mode::from_bits_truncate(0o644)),
    ) {
        Ok(fd) => fd,
        Err(nix::errno::Errno::ENXIO) => return Err(not_regular(name)),
        Err(err) => return Err(err.into()),
    };
    if stamp_of(fd.as_fd())?.is_none() {
        return Err(not_regular(name));
    }
    std::fs::File::from(fd).write_all(bytes)
}

/// A name that is there but is no regular file (a FIFO, a socket, a
/// directory): neither read nor replaced.
fn not_regular(name: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("`{name}` is not a regular file"),
    )
}

/// The regular files under `work` and their sizes, in name order.
pub(crate) fn list(work: BorrowedFd<'_>) -> Vec<(String, u64)> {
    let mut files = Vec::new();
    let _ = walk(
        work,
        |name, _, (size, _)| {
            files.push((name.to_owned(), size));
            true
        },
        |_| {},
    );
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_fd(path: &std::path::Path) -> OwnedFd {
        std::fs::File::open(path).unwrap().into()
    }

    #[test]
    fn files_go_in_and_out_beneath_the_dir_only() {
        let root = tempfile::tempdir().unwrap();
        let work = root.path().join("work");
        std::fs::create_dir(&work).unwrap();
        std::fs::write(root.path().join("outside.txt"), "host secret").unwrap();
        std::os::unix::fs::symlink(root.path(), work.join("up")).unwrap();
        std::os::unix::fs::symlink(root.path().join("outside.txt"), work.join("link.txt")).unwrap();
        let fd = dir_fd(&work);

        write(fd.as_fd(), "a/b/c.txt", b"hello").unwrap();
        assert_eq!(
            read(fd.as_fd(), "a/b/c.txt", 100).unwrap().unwrap(),
            b"hello"
        );
        write(fd.as_fd(), "a/b/c.txt", b"hi").unwrap();
        assert_eq!(read(fd.as_fd(), "a/b/c.txt", 100).unwrap().unwrap(), b"hi");
        assert!(read(fd.as_fd(), "a/b/c.txt", 1).is_err(), "over the limit");
        assert_eq!(read(fd.as_fd(), "missing.txt", 100).unwrap(), None);

        // Through a symlink, neither way.
        assert!(read(fd.as_fd(), "link.txt", 100).is_err());
        assert!(read(fd.as_fd(), "up/outside.txt", 100).is_err());
        assert!(write(fd.as_fd(), "up/new.txt", b"x").is_err());
        assert!(write(fd.as_fd(), "link.txt", b"x").is_err());
        assert!(!root.path().join("new.txt").exists());
        assert_eq!(
            std::fs::read(root.path().join("outside.txt")).unwrap(),
            b"host secret"
        );

        // A FIFO (which the program may make) neither blocks nor is used.
        nix::unistd::mkfifo(&work.join("pipe"), Mode::from_bits_truncate(0o644)).unwrap();
        let err = write(fd.as_fd(), "pipe", b"x").unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let err = read(fd.as_fd(), "pipe", 100).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        std::fs::remove_file(work.join("pipe")).unwrap();
        std::fs::create_dir(work.join("dir")).unwrap();
        assert!(write(fd.as_fd(), "dir", b"x").is_err());
        assert!(read(fd.as_fd(), "dir", 100).is_err());
        std::fs::remove_dir(work.join("dir")).unwrap();

        // Listing and collecting see the dir's own regular files only.
        assert_eq!(list(fd.as_fd()), [("a/b/c.txt".to_owned(), 2)]);
        let before = stamps(fd.as_fd());
        write(fd.as_fd(), "new.txt", b"new").unwrap();
        let budget = ResultBudget::new(1 << 20);
        let got = collect_changed(fd.as_fd(), &before, 10, 1 << 20, &budget);
        assert_eq!(got.files.keys().collect::<Vec<_>>(), ["new.txt"]);
    }
}
