//! Per-run cgroups for memory and process-count limits, on cgroup v2 or v1
//! (whichever this machine lets us write), created under the cgroup the
//! runner itself is in.

use std::fs;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Where per-run cgroups can be created on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Hierarchy {
    /// One unified directory with the memory and pids controllers enabled
    /// for its children.
    V2(PathBuf),
    /// Separate memory and pids controller directories.
    V1 { memory: PathBuf, pids: PathBuf },
}

impl Hierarchy {
    /// [`Hierarchy::detect`] once per process: the probe and the sweep of
    /// stale runs share it (each check creates and removes a probe group).
    pub(crate) fn detected() -> &'static Result<Self, String> {
        static DETECTED: std::sync::OnceLock<Result<Hierarchy, String>> =
            std::sync::OnceLock::new();
        DETECTED.get_or_init(Self::detect)
    }

    /// Finds a writable hierarchy, or says why there is none.
    fn detect() -> Result<Self, String> {
        let mountinfo = fs::read_to_string("/proc/self/mountinfo")
            .map_err(|e| format!("cannot read /proc/self/mountinfo: {e}"))?;
        let membership = fs::read_to_string("/proc/self/cgroup")
            .map_err(|e| format!("cannot read /proc/self/cgroup: {e}"))?;
        let mut reasons = Vec::new();
        match v2(&mountinfo, &membership) {
            Ok(h) => return Ok(h),
            Err(r) => reasons.push(r),
        }
        match v1(&mountinfo, &membership) {
            Ok(h) => return Ok(h),
            Err(r) => reasons.push(r),
        }
        Err(reasons.join("; "))
    }

    /// The directories run groups are created in.
    pub(crate) fn parents(&self) -> Vec<PathBuf> {
        match self {
            Self::V2(dir) => vec![dir.clone()],
            Self::V1 { memory, pids } => vec![memory.clone(), pids.clone()],
        }
    }

    /// A short name for reports.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::V2(dir) => format!("cgroup v2 at {}", dir.display()),
            Self::V1 { memory, pids } => {
                format!(
                    "cgroup v1 (memory at {}, pids at {})",
                    memory.display(),
                    pids.display()
                )
            }
        }
    }
}

/// `(mount point, super options)` of every mount of `fstype`.
fn mounts<'a>(mountinfo: &'a str, fstype: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
    mountinfo.lines().filter_map(move |line| {
        let (left, right) = line.split_once(" - ")?;
        let mut r = right.split(' ');
        if r.next()? != fstype {
            return None;
        }
        let options = r.nth(1)?;
        let mount_point = left.split(' ').nth(4)?;
        Some((mount_point, options))
    })
}

fn v2(mountinfo: &str, membership: &str) -> Result<Hierarchy, String> {
    let (mount, _) = mounts(mountinfo, "cgroup2")
        .next()
        .ok_or("no cgroup v2 mount")?;
    let own = membership
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .ok_or("not in a cgroup v2 group")?;
    let dir = Path::new(mount).join(own.trim_start_matches('/'));
    if enables(&dir.join("cgroup.subtree_control")) {
        writable(&dir)?;
        return Ok(Hierarchy::V2(dir));
    }
    if !enables(&dir.join("cgroup.controllers")) {
        return Err(format!(
            "cgroup v2 at {} does not offer the memory and pids controllers",
            dir.display()
        ));
    }
    writable(&dir)?;
    delegate_v2(&dir)?;
    Ok(Hierarchy::V2(dir))
}

/// Whether a controller list (`cgroup.controllers`, `cgroup.subtree_control`)
/// names both memory and pids.
fn enables(list: &Path) -> bool {
    let listed = fs::read_to_string(list).unwrap_or_default();
    let words: Vec<&str> = listed.split_whitespace().collect();
    words.contains(&"memory") && words.contains(&"pids")
}

/// The leaf group the processes of a delegated cgroup v2 group move into.
const SUPERVISOR: &str = "sandbox-supervisor";

/// Prepares a writable (delegated) cgroup v2 group whose controllers are
/// offered but not yet enabled for its children, as a container with a
/// private, writable cgroup namespace gets it. The kernel enables
/// controllers for the children of a group only while the group holds no
/// process (its root excepted), so every process in it (this one, and the
/// container's others) moves into a leaf child first, then memory and pids
/// are enabled; run groups are created beside the leaf.
fn delegate_v2(dir: &Path) -> Result<(), String> {
    let fail = |what: &str, e: io::Error| format!("cannot {what} in {}: {e}", dir.display());
    let leaf = dir.join(SUPERVISOR);
    match fs::create_dir(&leaf) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(fail("create the supervisor group", e)),
    }
    let procs =
        fs::read_to_string(dir.join("cgroup.procs")).map_err(|e| fail("list the processes", e))?;
    for pid in procs.lines().map(str::trim).filter(|p| !p.is_empty()) {
        // A process that exited meanwhile is gone from the group anyway.
        if let Err(e) = fs::write(leaf.join("cgroup.procs"), pid)
            && e.raw_os_error() != Some(libc::ESRCH)
        {
            return Err(fail(&format!("move process {pid} into {SUPERVISOR}"), e));
        }
    }
    fs::write(dir.join("cgroup.subtree_control"), "+memory +pids")
        .map_err(|e| fail("enable the memory and pids controllers", e))?;
    tracing::info!(
        group = %dir.display(),
        "cgroup v2: moved this group's processes into `{SUPERVISOR}` and enabled memory and pids for run groups"
    );
    Ok(())
}

fn v1(mountinfo: &str, membership: &str) -> Result<Hierarchy, String> {
    let dir = |controller: &str| -> Result<PathBuf, String> {
        let (mount, _) = mounts(mountinfo, "cgroup")
            .find(|(_, options)| options.split(',').any(|o| o == controller))
            .ok_or(format!("no cgroup v1 {controller} controller"))?;
        let own = membership
            .lines()
            .find_map(|l| {
                let mut parts = l.splitn(3, ':');
                let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
                controllers
                    .split(',')
                    .any(|c| c == controller)
                    .then_some(path)
            })
            .ok_or(format!("not in a cgroup v1 {controller} group"))?;
        let dir = Path::new(mount).join(own.trim_start_matches('/'));
        writable(&dir)?;
        Ok(dir)
    };
    Ok(Hierarchy::V1 {
        memory: dir("memory")?,
        pids: dir("pids")?,
    })
}

/// Checks that a child group can be created in `dir` by creating one.
fn writable(dir: &Path) -> Result<(), String> {
    let probe = dir.join(format!("sandbox-probe-{}", std::process::id()));
    match fs::create_dir(&probe) {
        Ok(()) => {
            let _ = fs::remove_dir(&probe);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(format!("cannot create a cgroup in {}: {e}", dir.display())),
    }
}

/// The cgroups of one run; removed by [`Cgroup::remove`] or on drop.
#[derive(Debug)]
pub(crate) struct Cgroup {
    hierarchy: Hierarchy,
    dirs: Vec<PathBuf>,
}

impl Cgroup {
    /// Creates `name` with a memory limit (swap included, so memory cannot
    /// spill to swap) and a process-count limit.
    pub(crate) fn create(
        hierarchy: &Hierarchy,
        name: &str,
        memory_bytes: u64,
        max_pids: u64,
    ) -> io::Result<Self> {
        let mut group = Self {
            hierarchy: hierarchy.clone(),
            dirs: Vec::new(),
        };
        match hierarchy {
            Hierarchy::V2(base) => {
                let dir = base.join(name);
                fs::create_dir(&dir)?;
                group.dirs.push(dir.clone());
                fs::write(dir.join("memory.max"), memory_bytes.to_string())?;
                // Absent without swap accounting; then there is no swap to limit.
                let _ = fs::write(dir.join("memory.swap.max"), "0");
                fs::write(dir.join("pids.max"), max_pids.to_string())?;
            }
            Hierarchy::V1 { memory, pids } => {
                let mem = memory.join(name);
                fs::create_dir(&mem)?;
                group.dirs.push(mem.clone());
                fs::write(mem.join("memory.limit_in_bytes"), memory_bytes.to_string())?;
                let _ = fs::write(
                    mem.join("memory.memsw.limit_in_bytes"),
                    memory_bytes.to_string(),
                );
                let pid_dir = pids.join(name);
                fs::create_dir(&pid_dir)?;
                group.dirs.push(pid_dir.clone());
                fs::write(pid_dir.join("pids.max"), max_pids.to_string())?;
            }
        }
        Ok(group)
    }

    /// On cgroup v1, opens each group's `tasks` file for the program to
    /// move itself in (by writing `0`) before it executes the interpreter;
    /// on v2, nothing (see [`Cgroup::add_to`]).
    ///
    /// Any other move (of another process by pid, or through
    /// `cgroup.procs`) takes the kernel's global threadgroup lock, whose
    /// write side waits for an RCU grace period: about 10 ms per run on the
    /// development machine (kernel 6.18). There a thread moving itself
    /// through `tasks` skipped the lock (0.04 ms). The kernel checks
    /// the credentials the file was opened with, so the program may write
    /// through these descriptors from inside its user namespace.
    pub(crate) fn self_join_files(&self) -> io::Result<Option<[OwnedFd; 2]>> {
        let (Hierarchy::V1 { .. }, [memory, pids]) = (&self.hierarchy, self.dirs.as_slice()) else {
            return Ok(None);
        };
        let open = |dir: &Path| -> io::Result<OwnedFd> {
            let file = fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_CLOEXEC)
                .open(dir.join("tasks"))?;
            Ok(file.into())
        };
        Ok(Some([open(memory)?, open(pids)?]))
    }

    /// Moves `pid` into every group of this run (cgroup v2, where a thread
    /// cannot move itself into another domain). The move waits for an RCU
    /// grace period unless the hierarchy is mounted with `favordynmods`.
    pub(crate) fn add_to(dirs: &[PathBuf], pid: i32) -> io::Result<()> {
        for dir in dirs {
            fs::write(dir.join("cgroup.procs"), pid.to_string())?;
        }
        Ok(())
    }

    /// Sets the memory limit (swap included) to `bytes`; nothing to write
    /// when it already is. A prepared sandbox waits under the most any
    /// request may ask and gets its request's limit here.
    pub(crate) fn set_memory_limit(&self, bytes: u64) -> io::Result<()> {
        let Some(dir) = self.memory_dir() else {
            return Ok(());
        };
        let (limit, swap) = match self.hierarchy {
            Hierarchy::V2(_) => ("memory.max", None),
            Hierarchy::V1 { .. } => ("memory.limit_in_bytes", Some("memory.memsw.limit_in_bytes")),
        };
        let current = fs::read_to_string(dir.join(limit))?;
        let current: Option<u64> = current.trim().parse().ok();
        if current == Some(bytes) {
            return Ok(());
        }
        let value = bytes.to_string();
        // On v1 memory+swap may never be below memory alone: lower memory
        // first, raise memory+swap first. Absent without swap accounting.
        let lowering = current.is_none_or(|c| bytes < c);
        if let (Some(swap), false) = (swap, lowering) {
            let _ = fs::write(dir.join(swap), &value);
        }
        fs::write(dir.join(limit), &value)?;
        if let (Some(swap), true) = (swap, lowering) {
            let _ = fs::write(dir.join(swap), &value);
        }
        Ok(())
    }

    /// The run's group directories, for [`Cgroup::add_to`] on another
    /// thread.
    pub(crate) fn dirs(&self) -> Vec<PathBuf> {
        self.dirs.clone()
    }

    fn memory_dir(&self) -> Option<&Path> {
        self.dirs.first().map(PathBuf::as_path)
    }

    /// Whether the kernel's OOM killer acted inside this group.
    pub(crate) fn oom_killed(&self) -> bool {
        let Some(dir) = self.memory_dir() else {
            return false;
        };
        let file = match self.hierarchy {
            Hierarchy::V2(_) => "memory.events",
            Hierarchy::V1 { .. } => "memory.oom_control",
        };
        fs::read_to_string(dir.join(file))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.strip_prefix("oom_kill "))
            .any(|n| n.trim().parse::<u64>().is_ok_and(|n| n > 0))
    }

    /// Peak memory use of the group, KiB, where the kernel records it.
    pub(crate) fn peak_memory_kb(&self) -> Option<u64> {
        let dir = self.memory_dir()?;
        let file = match self.hierarchy {
            Hierarchy::V2(_) => "memory.peak",
            Hierarchy::V1 { .. } => "memory.max_usage_in_bytes",
        };
        let bytes: u64 = fs::read_to_string(dir.join(file))
            .ok()?
            .trim()
            .parse()
            .ok()?;
        Some(bytes / 1024)
    }

    /// Removes the groups. The run's processes are dead by now, but the
    /// kernel may take a moment to release them; retry briefly.
    pub(crate) fn remove(mut self) {
        self.remove_dirs();
    }

    fn remove_dirs(&mut self) {
        for dir in self.dirs.drain(..) {
            for attempt in 0..50 {
                match fs::remove_dir(&dir) {
                    Ok(()) => break,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => break,
                    Err(e) if attempt == 49 => {
                        tracing::error!(dir = %dir.display(), %e, "could not remove a cgroup");
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        }
    }
}

/// Removals still running on background threads (see [`Cgroup`]'s drop).
static PENDING: AtomicUsize = AtomicUsize::new(0);

/// Waits up to `limit` for the cgroups of abandoned runs to be removed, so
/// a process that exits right after killing its runs leaves none behind.
pub(crate) fn wait_for_removals(limit: Duration) {
    crate::wait_for_zero(&PENDING, limit);
}

impl Drop for Cgroup {
    // Reached when a run is abandoned: the kill was just sent and removal
    // may need to wait for the processes to go, which must not block an
    // async worker.
    fn drop(&mut self) {
        if self.dirs.is_empty() {
            return;
        }
        let mut rest = Self {
            hierarchy: self.hierarchy.clone(),
            dirs: std::mem::take(&mut self.dirs),
        };
        PENDING.fetch_add(1, Ordering::SeqCst);
        let spawned = std::thread::Builder::new()
            .name("sandbox-cgroup-rm".into())
            .spawn(move || {
                rest.remove_dirs();
                PENDING.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            // No thread to spare: the next runner's sweep removes them.
            PENDING.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The moves and the enabling, on plain files standing in for cgroupfs
    /// (what the kernel then does with them is not checked here: this
    /// machine has no cgroup v2 memory controller).
    #[test]
    fn a_delegated_v2_group_moves_its_processes_to_a_leaf_then_enables_controllers() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("cgroup.controllers"), "cpu memory pids\n").unwrap();
        fs::write(dir.path().join("cgroup.subtree_control"), "").unwrap();
        fs::write(dir.path().join("cgroup.procs"), "1\n42\n").unwrap();
        assert!(enables(&dir.path().join("cgroup.controllers")));
        assert!(!enables(&dir.path().join("cgroup.subtree_control")));
        delegate_v2(dir.path()).unwrap();
        // A regular file keeps the last write: the last pid moved.
        let moved = fs::read_to_string(dir.path().join(SUPERVISOR).join("cgroup.procs")).unwrap();
        assert_eq!(moved, "42");
        assert_eq!(
            fs::read_to_string(dir.path().join("cgroup.subtree_control")).unwrap(),
            "+memory +pids"
        );
    }

    const MOUNTINFO: &str = "\
25 30 0:22 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
26 30 0:23 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids
27 30 0:24 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
";

    #[test]
    fn finds_v1_and_v2_mounts() {
        let v1: Vec<_> = mounts(MOUNTINFO, "cgroup").collect();
        assert_eq!(
            v1,
            [
                ("/sys/fs/cgroup/memory", "rw,memory"),
                ("/sys/fs/cgroup/pids", "rw,pids")
            ]
        );
        let v2: Vec<_> = mounts(MOUNTINFO, "cgroup2").collect();
        assert_eq!(v2, [("/sys/fs/cgroup/unified", "rw")]);
    }
}
