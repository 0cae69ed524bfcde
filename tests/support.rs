//! Helpers shared by the integration tests.

use std::path::Path;
use std::time::{Duration, Instant};

use sandbox_client::{ClientConfig, ExecutionMode, PolicyChoice, SandboxClient};
use tempfile::TempDir;

/// Both modes, for tests of behaviour they share.
pub const MODES: [ExecutionMode; 2] = [ExecutionMode::Secure, ExecutionMode::Simple];

/// A local client of `mode` with default settings, but no policy: these
/// tests exercise the runner and the kernel layer with programs that import
/// `os`, `subprocess` and friends; the policy has its own tests
/// (`policy.rs`).
/// The default configuration at the suite's isolation level (see
/// [`crate::tier::isolation`]): what every test builds its client from.
pub fn config() -> ClientConfig {
    ClientConfig {
        isolation: crate::tier::isolation(),
        ..ClientConfig::default()
    }
}

/// `SandboxClient::new()` at the suite's isolation level.
pub fn default_client() -> SandboxClient {
    SandboxClient::from_config(config()).expect("valid config")
}

pub fn client(mode: ExecutionMode) -> SandboxClient {
    SandboxClient::from_config(ClientConfig {
        mode,
        policy: PolicyChoice::Off,
        ..config()
    })
    .expect("valid config")
}

/// A simple-mode client (for tests of what only simple mode does).
pub fn simple() -> SandboxClient {
    client(ExecutionMode::Simple)
}

/// A local client of `mode` whose work dirs go under a private directory,
/// so a test can check that nothing is left there (no policy, as
/// [`client`]).
pub fn client_in(work_root: &Path, mode: ExecutionMode) -> SandboxClient {
    SandboxClient::from_config(ClientConfig {
        mode,
        policy: PolicyChoice::Off,
        work_root: Some(work_root.to_owned()),
        ..config()
    })
    .expect("valid config")
}

/// A fresh work root and a client of `mode` using it.
pub fn isolated_client(mode: ExecutionMode) -> (TempDir, SandboxClient) {
    let root = tempfile::tempdir().expect("temp dir");
    let client = client_in(root.path(), mode);
    (root, client)
}

/// Entries left in a work root.
pub fn leftovers(root: &Path) -> Vec<String> {
    std::fs::read_dir(root)
        .expect("read work root")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// Whether `pid` is still a live (non-zombie) process.
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        // The state follows the parenthesised command name.
        Ok(stat) => !stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
    }
}

/// Waits up to `limit` for `pid` to be gone; true if it is.
pub fn gone_within(pid: i32, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    !alive(pid)
}

/// The live (non-zombie) processes in process group `pgid`.
pub fn live_group_members(pgid: i32) -> Vec<i32> {
    let pids = std::fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok());
    pids.filter(|&pid| {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return false;
        };
        // After the command name: state, ppid, pgrp.
        let fields: Vec<&str> = stat
            .rsplit_once(") ")
            .map_or(vec![], |(_, rest)| rest.split(' ').collect());
        fields.len() > 2 && fields[2] == pgid.to_string() && !matches!(fields[0], "Z" | "X")
    })
    .collect()
}

/// The peak resident memory of this test process, KiB.
pub fn peak_rss_kb() -> u64 {
    peak_rss_kb_of("self")
}

/// The peak resident memory of process `pid` (a number, or `self`), KiB.
pub fn peak_rss_kb_of(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// Live processes in a cgroup whose path contains `name` (a secure run's
/// cgroups are named after its run dir).
pub fn processes_in_cgroup(name: &str) -> Vec<i32> {
    let pids = std::fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok());
    pids.filter(|&pid| {
        alive(pid)
            && std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
                .is_ok_and(|groups| groups.lines().any(|l| l.ends_with(&format!("/{name}"))))
    })
    .collect()
}

/// The run cgroups (memory and pids, cgroup v1 or v2) that runner process
/// `pid` made and that still exist: their names start `sandbox-<pid>-`.
pub fn run_cgroups_of(pid: i32) -> Vec<std::path::PathBuf> {
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let mut parents = Vec::new();
    for line in own.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), Some(c)) => (a, b, c),
            _ => continue,
        };
        let path = path.trim_start_matches('/');
        if controllers.is_empty() {
            parents.push(Path::new("/sys/fs/cgroup").join(path));
            parents.push(Path::new("/sys/fs/cgroup/unified").join(path));
        }
        for controller in controllers
            .split(',')
            .filter(|c| ["memory", "pids"].contains(c))
        {
            parents.push(Path::new("/sys/fs/cgroup").join(controller).join(path));
        }
    }
    let prefix = format!("sandbox-{pid}-");
    parents
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flat_map(std::iter::Iterator::flatten)
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect()
}
