//! The new root: a small tmpfs that init mounts on the (empty) run dir and
//! fills from a prepared list (mount points, symlinks, generated `/etc`
//! files) before mounting into it and pivoting. Also the translation of
//! the plan's mounts and landlock paths into what the child and the ruleset
//! need.

use std::collections::BTreeSet;
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use nix::sys::statvfs::{FsFlags, statvfs};
use sandbox_core::proc_view;
use sandbox_core::secure::{Mount, SANDBOX_ID, SecurePlan};

use crate::sys::sandbox::{PreparedMount, TreeEntry};

/// The old root's mount point inside the new one (left empty after).
pub(crate) const OLD_ROOT: &str = ".oldroot";
/// Where the `/proc` views are written in the root, to be bound over
/// `/proc` and removed once the root is pivoted into.
pub(crate) const VIEWS_DIR: &str = "/.views";

/// What makes one sandbox's `/proc` views its own.
#[derive(Debug, Clone)]
pub(crate) struct Boot {
    /// `/proc/sys/kernel/random/boot_id`: a random version-4 UUID.
    pub(crate) id: String,
    /// `btime`: when the sandbox was made, seconds since the epoch.
    pub(crate) time: u64,
}

impl Boot {
    /// A fresh boot id and the current time.
    pub(crate) fn now() -> io::Result<Self> {
        let mut bytes = [0u8; 16];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))?;
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let id = format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        );
        let time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Ok(Self { id, time })
    }
}

/// The view file of `plan.proc_views[index]` in the root.
fn view_file(index: usize) -> PathBuf {
    Path::new(VIEWS_DIR).join(index.to_string())
}

/// The root's entries init removes after pivoting (files, then their
/// directory), as paths inside.
pub(crate) fn scratch(plan: &SecurePlan) -> Vec<PathBuf> {
    if plan.proc_views.is_empty() {
        return Vec::new();
    }
    (0..plan.proc_views.len())
        .map(view_file)
        .chain([PathBuf::from(VIEWS_DIR)])
        .collect()
}

/// `path` (absolute, as seen inside) under the new root's mount point `root`.
pub(crate) fn inside(root: &Path, path: &Path) -> PathBuf {
    root.join(path.strip_prefix("/").unwrap_or(path))
}

/// The root tmpfs's contents, parents first: directories for every mount
/// point, empty files for bound files and devices, the plan's symlinks and
/// generated files, and the old root's mount point; by path relative to the
/// root. Relative, because the builder starts from the root's directory:
/// it works as the sandbox user, who need not be able to reach the run dir
/// (under a private `TMPDIR`, say) by its host path.
pub(crate) fn tree(plan: &SecurePlan, boot: &Boot) -> io::Result<Vec<TreeEntry>> {
    let relative = |path: &Path| -> PathBuf { path.strip_prefix("/").unwrap_or(path).to_owned() };
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let add_parents = |dirs: &mut BTreeSet<PathBuf>, path: &Path| {
        for ancestor in path.ancestors().skip(1) {
            if ancestor != Path::new("/") {
                dirs.insert(ancestor.to_owned());
            }
        }
    };
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    dirs.insert(PathBuf::from("/").join(OLD_ROOT));
    dirs.insert("/etc".into());
    for mount in &plan.mounts {
        match mount {
            Mount::ReadOnly { path } if path.is_dir() => {
                add_parents(&mut dirs, path);
                dirs.insert(path.clone());
            }
            Mount::ReadOnly { path } | Mount::Device { path } => {
                add_parents(&mut dirs, path);
                files.push((path.clone(), Vec::new()));
            }
            Mount::Tmpfs { path, .. } => {
                add_parents(&mut dirs, path);
                dirs.insert(path.clone());
            }
            Mount::Proc => {
                dirs.insert("/proc".into());
            }
        }
    }
    for link in &plan.symlinks {
        add_parents(&mut dirs, &link.path);
    }
    for file in &plan.files {
        add_parents(&mut dirs, &file.path);
        files.push((file.path.clone(), file.contents.clone().into_bytes()));
    }
    for (index, view) in plan.proc_views.iter().enumerate() {
        let path = view_file(index);
        add_parents(&mut dirs, &path);
        let contents = proc_view::render(&view.contents, &boot.id, boot.time);
        files.push((path, contents.into_bytes()));
    }
    let mut dirs: Vec<PathBuf> = dirs.into_iter().collect();
    dirs.sort_by_key(|d| d.components().count());
    let mut entries = Vec::new();
    for dir in dirs {
        entries.push(TreeEntry::Dir(cstring(&relative(&dir))?));
    }
    for link in &plan.symlinks {
        entries.push(TreeEntry::Symlink {
            path: cstring(&relative(&link.path))?,
            target: cstring(&link.target)?,
        });
    }
    for (path, contents) in files {
        entries.push(TreeEntry::File {
            path: cstring(&relative(&path))?,
            contents,
        });
    }
    Ok(entries)
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
    let views = plan.proc_views.iter().enumerate().map(|(index, view)| {
        Ok(PreparedMount {
            source: Some(cstring(&inside(root, &view_file(index)))?),
            target: cstring(&inside(root, &view.path))?,
            fstype: None,
            flags: libc::MS_BIND,
            data: None,
            remount: Some(libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC),
        })
    });
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
                } => PreparedMount {
                    source: Some(c"tmpfs".to_owned()),
                    target: cstring(&inside(root, path))?,
                    fstype: Some(c"tmpfs".to_owned()),
                    // Nothing the program writes can be executed or mapped
                    // executable (the loader maps with PROT_EXEC).
                    flags: libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                    data: Some(CString::new(tmpfs_options(path, *bytes, *inodes))?),
                    remount: None,
                },
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
        .chain(views)
        .collect()
}

/// A tmpfs's mount options: its caps, owned by the sandbox user (`/tmp`
/// and `/dev/shm` sticky and open to all, as usual).
pub(crate) fn tmpfs_options(path: &Path, bytes: u64, inodes: u64) -> String {
    let mode = if path == Path::new("/tmp") || path == Path::new("/dev/shm") {
        "1777"
    } else {
        "0755"
    };
    format!("size={bytes},nr_inodes={inodes},mode={mode},uid={SANDBOX_ID},gid={SANDBOX_ID}")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use sandbox_core::proc_view::HostFacts;
    use sandbox_core::secure::{HostEntry, InterpreterLayout, SecurePlan};
    use sandbox_core::{ClientConfig, ExecutionRequest, Limits};

    use super::*;

    /// A plan for this machine's `/usr` with a made-up interpreter in it.
    fn plan() -> SecurePlan {
        let python = InterpreterLayout {
            executable: "/usr/bin/python3".into(),
            real_executable: "/usr/bin/python3.11".into(),
            loader: None,
            prefixes: vec!["/usr".into()],
            site_packages: vec![],
        };
        let limits = Limits::resolve(&ExecutionRequest::new(""), &ClientConfig::default()).unwrap();
        let facts = HostFacts {
            cpus: vec![0],
            memory_kb: 1 << 20,
            addresses: vec![],
        };
        let host = |path: &Path| match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => HostEntry::Symlink,
            Ok(_) => HostEntry::Present,
            Err(_) => HostEntry::Missing,
        };
        SecurePlan::new(&python, limits, 0, &facts, host, |path| {
            std::fs::read_link(path).ok()
        })
    }

    fn path_of(entry: &TreeEntry) -> PathBuf {
        let path = match entry {
            TreeEntry::Dir(path)
            | TreeEntry::File { path, .. }
            | TreeEntry::Symlink { path, .. } => path,
        };
        PathBuf::from(path.to_str().unwrap())
    }

    #[test]
    fn the_root_is_built_parents_first_by_relative_paths() {
        let plan = plan();
        let boot = Boot::now().unwrap();
        let entries = tree(&plan, &boot).unwrap();
        let mut made: BTreeSet<PathBuf> = BTreeSet::new();
        for entry in &entries {
            let path = path_of(entry);
            assert!(path.is_relative(), "{path:?}");
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                assert!(made.contains(parent), "{path:?} before its parent");
            }
            assert!(made.insert(path.clone()), "{path:?} twice");
        }
        // Every mount point, and the old root's.
        for dir in ["sandbox", "tmp", "dev/shm", "proc", "etc", OLD_ROOT] {
            assert!(made.contains(Path::new(dir)), "no {dir}");
        }
        for file in ["dev/null", "dev/urandom", "etc/passwd", "etc/hosts"] {
            assert!(made.contains(Path::new(file)), "no {file}");
        }
        let passwd = entries.iter().find_map(|entry| match entry {
            TreeEntry::File { path, contents } if path.as_bytes() == b"etc/passwd" => {
                Some(String::from_utf8_lossy(contents).into_owned())
            }
            _ => None,
        });
        assert!(passwd.unwrap().contains("sandbox:x:1000:1000"));
    }

    #[test]
    fn the_proc_views_sources_are_scratched_after_the_pivot() {
        let plan = plan();
        let scratch = scratch(&plan);
        assert_eq!(scratch.len(), plan.proc_views.len() + 1);
        // Files first, then their directory.
        assert_eq!(scratch.last(), Some(&PathBuf::from(VIEWS_DIR)));
        let entries = tree(&plan, &Boot::now().unwrap()).unwrap();
        let made: BTreeSet<PathBuf> = entries.iter().map(path_of).collect();
        for path in &scratch {
            let relative = path.strip_prefix("/").unwrap();
            assert!(made.contains(relative), "{path:?} is not in the root");
        }
    }
}
