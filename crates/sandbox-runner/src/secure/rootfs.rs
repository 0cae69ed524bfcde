//! The staged root: a directory tree the parent builds on the host (mount
//! points, symlinks, generated `/etc` files) that the child bind-mounts onto
//! itself, mounts into and pivots into. Also the translation of the plan's
//! mounts and landlock paths into what the child and the ruleset need.

use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use nix::sys::statvfs::{FsFlags, statvfs};
use sandbox_core::secure::{Mount, SecurePlan};

use super::landlock::HostRules;
use crate::sys::sandbox::PreparedMount;

/// The old root's mount point inside the new one (left empty after).
pub(crate) const OLD_ROOT: &str = ".oldroot";

/// `path` (absolute, as seen inside) under the staged `root`.
pub(crate) fn inside(root: &Path, path: &Path) -> PathBuf {
    root.join(path.strip_prefix("/").unwrap_or(path))
}

/// Builds the staged root at `root`.
pub(crate) fn stage(root: &Path, plan: &SecurePlan) -> io::Result<()> {
    fs::create_dir(root)?;
    fs::set_permissions(root, fs::Permissions::from_mode(0o755))?;
    fs::create_dir(root.join(OLD_ROOT))?;
    fs::create_dir_all(root.join("etc"))?;
    for mount in &plan.mounts {
        let (path, is_dir) = match mount {
            Mount::ReadOnly { path } => (path.as_path(), path.is_dir()),
            Mount::Device { path } => (path.as_path(), false),
            Mount::Tmpfs { path, .. } => (path.as_path(), true),
            Mount::Proc => (Path::new("/proc"), true),
        };
        let target = inside(root, path);
        if is_dir {
            fs::create_dir_all(&target)?;
        } else {
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::File::create(&target)?;
        }
    }
    for link in &plan.symlinks {
        let at = inside(root, &link.path);
        if let Some(parent) = at.parent() {
            fs::create_dir_all(parent)?;
        }
        std::os::unix::fs::symlink(&link.target, at)?;
    }
    for file in &plan.files {
        let at = inside(root, &file.path);
        if let Some(parent) = at.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&at, &file.contents)?;
        fs::set_permissions(&at, fs::Permissions::from_mode(0o644))?;
    }
    // Mount points and generated files must be traversable by the
    // sandbox's user whatever the host's umask made them.
    for entry in walk_dirs(root) {
        fs::set_permissions(&entry, fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

fn walk_dirs(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        if let Ok(entries) = fs::read_dir(&dir) {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(entry.path());
                }
            }
        }
        out.push(dir);
    }
    out
}

fn cstring(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("NUL in `{}`", path.display()),
        )
    })
}

/// Flags a remount must keep because the source mount has them: in a user
/// namespace the kernel refuses to clear them (they are "locked").
pub(crate) fn locked_flags(path: &Path) -> libc::c_ulong {
    let Ok(stat) = statvfs(path) else { return 0 };
    let flags = stat.flags();
    let mut out = 0;
    for (fs_flag, ms_flag) in [
        (FsFlags::ST_NOSUID, libc::MS_NOSUID),
        (FsFlags::ST_NODEV, libc::MS_NODEV),
        (FsFlags::ST_NOEXEC, libc::MS_NOEXEC),
        (FsFlags::ST_NOATIME, libc::MS_NOATIME),
        (FsFlags::ST_NODIRATIME, libc::MS_NODIRATIME),
        (FsFlags::ST_RELATIME, libc::MS_RELATIME),
    ] {
        if flags.contains(fs_flag) {
            out |= ms_flag;
        }
    }
    out
}

/// The plan's mounts as `mount(2)` calls with host paths.
pub(crate) fn prepare_mounts(root: &Path, plan: &SecurePlan) -> io::Result<Vec<PreparedMount>> {
    plan.mounts
        .iter()
        .map(|mount| {
            Ok(match mount {
                Mount::ReadOnly { path } => PreparedMount {
                    source: Some(cstring(path)?),
                    target: cstring(&inside(root, path))?,
                    fstype: None,
                    flags: libc::MS_BIND | libc::MS_REC,
                    data: None,
                    remount: Some(
                        libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | locked_flags(path),
                    ),
                },
                Mount::Device { path } => PreparedMount {
                    source: Some(cstring(path)?),
                    target: cstring(&inside(root, path))?,
                    fstype: None,
                    flags: libc::MS_BIND,
                    data: None,
                    remount: None,
                },
                Mount::Tmpfs {
                    path,
                    bytes,
                    inodes,
                } => {
                    let mode = if path == Path::new("/tmp") || path == Path::new("/dev/shm") {
                        "1777"
                    } else {
                        "0755"
                    };
                    PreparedMount {
                        source: Some(c"tmpfs".to_owned()),
                        target: cstring(&inside(root, path))?,
                        fstype: Some(c"tmpfs".to_owned()),
                        flags: libc::MS_NOSUID | libc::MS_NODEV,
                        data: Some(CString::new(format!(
                            "size={bytes},nr_inodes={inodes},mode={mode}"
                        ))?),
                        remount: None,
                    }
                }
                Mount::Proc => PreparedMount {
                    source: Some(c"proc".to_owned()),
                    target: cstring(&inside(root, Path::new("/proc")))?,
                    fstype: Some(c"proc".to_owned()),
                    flags: libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                    data: None,
                    remount: None,
                },
            })
        })
        .collect()
}

/// The plan's landlock paths as host paths: binds keep their host path
/// (same inodes); anything created inside (tmpfs, proc, generated `/etc`)
/// is ruled through its mount point or directory in the staged root.
pub(crate) fn host_rules(root: &Path, plan: &SecurePlan) -> HostRules {
    let bound = |path: &Path| {
        plan.mounts.iter().any(|m| match m {
            Mount::ReadOnly { path: p } | Mount::Device { path: p } => p == path,
            _ => false,
        })
    };
    let device = |path: &Path| {
        plan.mounts
            .iter()
            .any(|m| matches!(m, Mount::Device { path: p } if p == path))
    };
    let made_inside = |path: &Path| {
        plan.mounts.iter().any(|m| match m {
            Mount::Tmpfs { path: p, .. } => p == path,
            Mount::Proc => path == Path::new("/proc"),
            _ => false,
        })
    };
    let host = |path: &PathBuf| {
        if bound(path) {
            path.clone()
        } else {
            inside(root, path)
        }
    };
    let mut rules = HostRules {
        execute: plan.landlock.execute.clone(),
        ..HostRules::default()
    };
    for path in &plan.landlock.read {
        if made_inside(path) {
            rules.inside.push((path.clone(), false));
        } else {
            rules.read.push(host(path));
        }
    }
    for path in &plan.landlock.write {
        if device(path) {
            rules.write_files.push(path.clone());
        } else if made_inside(path) {
            rules.inside.push((path.clone(), true));
        } else {
            rules.write.push(host(path));
        }
    }
    rules
}
