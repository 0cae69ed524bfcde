//! Sandbox-own views of the host-wide files of `/proc`, in the spirit of
//! what LXCFS gives containers.
//!
//! A fresh `/proc` shows only the sandbox's processes, but some of its files
//! describe the whole machine: the boot id and kernel command line, load and
//! scheduler counters (a moving fork counter in `/proc/stat`), memory and
//! swap totals, interrupt and disk counters. Each is covered by a small file
//! written when the sandbox is made and bound read-only over it. The views
//! keep what Python and common libraries read working: `/proc/stat` keeps
//! one line per online CPU (glibc counts them there for `os.cpu_count()`
//! when `/sys` is absent), `/proc/meminfo` the fields psutil parses, with the
//! run's memory limit as the total.
//!
//! The views are static: they say what the sandbox is, not what the host
//! does. Uptime is left to the sandbox's time namespace (it starts at zero
//! and moves); see `docs/secure-mode.md` for what still shows the host.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Replaced by a fresh random UUID (`/proc/sys/kernel/random/boot_id`) when
/// a sandbox is made.
pub const BOOT_ID: &str = "@BOOT_ID@";
/// Replaced by the sandbox's start, in seconds since the epoch (`btime`).
pub const BOOT_TIME: &str = "@BOOT_TIME@";

/// One file of `/proc` covered by the sandbox's own contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcView {
    /// The file inside, under `/proc`.
    pub path: PathBuf,
    /// Its contents, with [`BOOT_ID`] and [`BOOT_TIME`] still to fill.
    pub contents: String,
}

/// What the views keep of the host: the online CPUs' numbers and the
/// memory total, so `os.cpu_count()` and memory readers see sane values.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostFacts {
    /// Numbers of the online CPUs (`cpuN` lines of `/proc/stat`).
    pub cpus: Vec<u32>,
    /// `MemTotal` of `/proc/meminfo`, KiB (0 when unknown).
    pub memory_kb: u64,
    /// The host's own IPv4 addresses, which a sandbox with the network
    /// allowed must not reach (see [`crate::network`]).
    pub addresses: Vec<std::net::Ipv4Addr>,
}

impl HostFacts {
    /// Reads them from the text of the host's `/proc/stat` and
    /// `/proc/meminfo`.
    pub fn parse(stat: &str, meminfo: &str) -> Self {
        let cpus = stat
            .lines()
            .filter_map(|line| line.split_whitespace().next()?.strip_prefix("cpu"))
            .filter_map(|n| n.parse().ok())
            .collect();
        let memory_kb = meminfo
            .lines()
            .find_map(|line| line.strip_prefix("MemTotal:"))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or(0);
        Self {
            cpus,
            memory_kb,
            addresses: Vec::new(),
        }
    }
}

/// Pressure-stall files show zero stalls.
const PRESSURE: &str = "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n\
                        full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";

/// The views for a sandbox limited to `memory_mb`, for the files `exists`
/// says this kernel has (a bind needs its target).
pub fn views(facts: &HostFacts, memory_mb: u64, exists: impl Fn(&Path) -> bool) -> Vec<ProcView> {
    let memory_kb = match memory_mb.saturating_mul(1024) {
        limit if facts.memory_kb > 0 => limit.min(facts.memory_kb),
        limit => limit,
    };
    let fixed: [(&str, String); 24] = [
        ("sys/kernel/random/boot_id", format!("{BOOT_ID}\n")),
        ("cmdline", "\n".into()),
        ("loadavg", "0.00 0.00 0.00 1/1 1\n".into()),
        ("stat", stat(&facts.cpus)),
        ("meminfo", meminfo(memory_kb)),
        (
            "swaps",
            "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n".into(),
        ),
        ("vmstat", String::new()),
        ("interrupts", String::new()),
        ("softirqs", String::new()),
        ("diskstats", String::new()),
        ("partitions", "major minor  #blocks  name\n\n".into()),
        ("schedstat", String::new()),
        ("zoneinfo", String::new()),
        ("buddyinfo", String::new()),
        ("pagetypeinfo", String::new()),
        ("locks", String::new()),
        ("key-users", String::new()),
        ("sys/fs/file-nr", "0\t0\t0\n".into()),
        ("sys/fs/inode-nr", "0\t0\n".into()),
        ("sys/fs/dentry-state", "0\t0\t45\t0\t0\t0\n".into()),
        ("sys/kernel/random/entropy_avail", "256\n".into()),
        ("pressure/cpu", PRESSURE.into()),
        ("pressure/memory", PRESSURE.into()),
        ("pressure/io", PRESSURE.into()),
    ];
    fixed
        .into_iter()
        .map(|(name, contents)| ProcView {
            path: Path::new("/proc").join(name),
            contents,
        })
        .filter(|view| exists(&view.path))
        .collect()
}

/// `/proc/stat`: zero counters, one line per online CPU, the sandbox's own
/// boot time, one process.
fn stat(cpus: &[u32]) -> String {
    const ZEROS: &str = "0 0 0 0 0 0 0 0 0 0";
    let mut out = format!("cpu  {ZEROS}\n");
    for cpu in cpus {
        let _ = writeln!(out, "cpu{cpu} {ZEROS}");
    }
    let _ = write!(
        out,
        "intr 0\nctxt 0\nbtime {BOOT_TIME}\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n\
         softirq 0 0 0 0 0 0 0 0 0 0 0\n"
    );
    out
}

/// `/proc/meminfo`: the limit as total, free and available; the other
/// fields psutil and `free` read, zero.
fn meminfo(total_kb: u64) -> String {
    let mut out = String::new();
    for (field, kb) in [
        ("MemTotal", total_kb),
        ("MemFree", total_kb),
        ("MemAvailable", total_kb),
        ("Buffers", 0),
        ("Cached", 0),
        ("SwapCached", 0),
        ("Active", 0),
        ("Inactive", 0),
        ("SwapTotal", 0),
        ("SwapFree", 0),
        ("Dirty", 0),
        ("Writeback", 0),
        ("AnonPages", 0),
        ("Mapped", 0),
        ("Shmem", 0),
        ("Slab", 0),
        ("SReclaimable", 0),
        ("SUnreclaim", 0),
        ("CommitLimit", total_kb),
        ("Committed_AS", 0),
    ] {
        let _ = writeln!(out, "{:<16}{kb:>8} kB", format!("{field}:"));
    }
    out
}

/// `contents` with the per-sandbox values filled in.
pub fn render(contents: &str, boot_id: &str, boot_time: u64) -> String {
    contents
        .replace(BOOT_ID, boot_id)
        .replace(BOOT_TIME, &boot_time.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_come_from_the_host_files() {
        let facts = HostFacts::parse(
            "cpu  1 2 3\ncpu0 1 2 3\ncpu3 4 5 6\nintr 9\nbtime 5\n",
            "MemTotal:       24000000 kB\nMemFree: 1 kB\n",
        );
        assert_eq!(facts.cpus, [0, 3]);
        assert_eq!(facts.memory_kb, 24_000_000);
        assert_eq!(HostFacts::parse("", ""), HostFacts::default());
    }

    #[test]
    fn views_show_the_sandbox_not_the_host() {
        let facts = HostFacts {
            cpus: vec![0, 1],
            memory_kb: 24_000_000,
            ..HostFacts::default()
        };
        let views = views(&facts, 256, |p| p != Path::new("/proc/pressure/io"));
        let find = |name: &str| {
            views
                .iter()
                .find(|v| v.path == Path::new("/proc").join(name))
                .map(|v| render(&v.contents, "1234", 99))
        };
        assert_eq!(find("pressure/io"), None, "absent files are not covered");
        let stat = find("stat").unwrap();
        assert_eq!(stat.lines().filter(|l| l.starts_with("cpu")).count(), 3);
        assert!(stat.contains("btime 99\n"));
        assert!(stat.contains("cpu1 0 0"));
        assert!(
            find("meminfo")
                .unwrap()
                .contains("MemTotal:         262144 kB")
        );
        assert_eq!(find("sys/kernel/random/boot_id").unwrap(), "1234\n");
        // A limit above the host's memory shows the host's.
        let big = super::views(&facts, 1 << 20, |_| true);
        assert!(big[4].contents.contains("24000000 kB"));
    }
}
