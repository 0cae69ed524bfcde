//! Run names that say which process made them, and the sweep that removes
//! what dead runners left behind.
//!
//! A run's directory and cgroups are named `sandbox-<pid>-<start>-<random>`,
//! where `<pid>` and `<start>` (its start time, in clock ticks since boot)
//! identify the runner process: a pid alone is reused, the pair is not. A
//! runner killed with SIGKILL cannot clean up; the next one to start finds
//! names whose owner is gone and removes them, leaving every live runner's
//! runs alone.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use crate::secure::cgroup::Hierarchy;

/// The prefix of this process's run names: `sandbox-<pid>-<start>-`.
pub(crate) fn run_prefix() -> &'static str {
    static PREFIX: OnceLock<String> = OnceLock::new();
    PREFIX.get_or_init(|| {
        let pid = std::process::id();
        let start = start_time(pid).unwrap_or(0);
        format!("sandbox-{pid}-{start}-")
    })
}

/// The start time of process `pid` (field 22 of `/proc/<pid>/stat`), if it
/// exists.
fn start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which may hold spaces and parentheses.
    let (_, rest) = stat.rsplit_once(") ")?;
    // `rest` starts at field 3 (state); the start time is field 22.
    rest.split(' ').nth(19)?.parse().ok()
}

/// The owner `(pid, start)` a run name carries, if it is one.
fn owner(name: &str) -> Option<(u32, u64)> {
    let rest = name.strip_prefix("sandbox-")?;
    let mut parts = rest.splitn(3, '-');
    let pid = parts.next()?.parse().ok()?;
    let start = parts.next()?.parse().ok()?;
    parts.next()?;
    Some((pid, start))
}

/// Whether `name` belongs to a runner that no longer runs.
fn is_stale(name: &str) -> bool {
    match owner(name) {
        Some((pid, start)) => start_time(pid) != Some(start),
        None => false,
    }
}

/// What a sweep removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    /// Run directories removed.
    pub dirs: Vec<PathBuf>,
    /// Cgroups removed.
    pub cgroups: Vec<PathBuf>,
    /// What could not be removed, and why.
    pub failures: Vec<String>,
}

/// Removes the run directories under `work_root` (the temp dir when
/// `None`) and the run cgroups whose runner process is gone, killing any
/// process left in such a cgroup first.
pub fn sweep_stale(work_root: Option<&Path>) -> Swept {
    let mut swept = Swept::default();
    let root = work_root.map_or_else(std::env::temp_dir, Path::to_owned);
    for path in stale_entries(&root) {
        match crate::workdir::remove_tree(&path) {
            Ok(()) => swept.dirs.push(path),
            Err(err) => swept.failures.push(format!("{}: {err}", path.display())),
        }
    }
    if let Ok(hierarchy) = Hierarchy::detected() {
        for parent in hierarchy.parents() {
            for group in stale_entries(&parent) {
                match remove_cgroup(&group) {
                    Ok(()) => swept.cgroups.push(group),
                    Err(err) => swept.failures.push(format!("{}: {err}", group.display())),
                }
            }
        }
    }
    if !swept.dirs.is_empty() || !swept.cgroups.is_empty() {
        tracing::info!(
            dirs = swept.dirs.len(),
            cgroups = swept.cgroups.len(),
            "removed what runners that no longer run left behind"
        );
    }
    for failure in &swept.failures {
        tracing::warn!(%failure, "could not remove a stale run");
    }
    swept
}

/// Sweeps once per process, in the background (see [`sweep_stale`]).
pub(crate) fn sweep_once(work_root: Option<&Path>) {
    static STARTED: OnceLock<()> = OnceLock::new();
    let root = work_root.map(Path::to_owned);
    STARTED.get_or_init(|| {
        let _ = std::thread::Builder::new()
            .name("sandbox-sweep".into())
            .spawn(move || sweep_stale(root.as_deref()));
    });
}

/// The entries of `dir` named for a runner that is gone.
fn stale_entries(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(is_stale))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect()
}

/// Kills what is left in a cgroup, then removes it (retrying while the
/// kernel releases the processes).
fn remove_cgroup(group: &Path) -> std::io::Result<()> {
    // cgroup v2 kills the whole group at once; v1 lists its processes.
    if fs::write(group.join("cgroup.kill"), "1").is_err()
        && let Ok(procs) = fs::read_to_string(group.join("cgroup.procs"))
    {
        for pid in procs.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
    let mut last = None;
    for _ in 0..50 {
        match fs::remove_dir(group) {
            Ok(()) => return Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(err) => last = Some(err),
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("cgroup still busy")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_their_owner() {
        let prefix = run_prefix();
        let (pid, start) = owner(&format!("{prefix}abc123")).unwrap();
        assert_eq!(pid, std::process::id());
        assert!(start > 0);
        assert!(
            !is_stale(&format!("{prefix}abc123")),
            "this process is alive"
        );
        // A pid that exists with another start time is another process.
        assert!(is_stale(&format!("sandbox-{pid}-{}-x", start + 1)));
        assert!(is_stale("sandbox-4000000-1-x"), "no such pid");
        assert!(
            !is_stale("sandbox-abcdef"),
            "an old-style name has no owner"
        );
        assert!(!is_stale("other-1-2-x"));
    }

    #[test]
    fn the_sweep_removes_only_what_dead_runners_left() {
        let root = tempfile::tempdir().unwrap();
        let ours = root.path().join(format!("{}mine", run_prefix()));
        let dead = root.path().join("sandbox-4000000-1-gone");
        let foreign = root.path().join("sandbox-q1w2e3");
        for dir in [&ours, &dead, &foreign] {
            fs::create_dir_all(dir.join("work/sub")).unwrap();
            fs::write(dir.join("work/sub/f"), "x").unwrap();
        }
        let swept = sweep_stale(Some(root.path()));
        assert_eq!(swept.dirs, std::slice::from_ref(&dead));
        assert!(ours.exists() && foreign.exists() && !dead.exists());
    }
}
