//! The secure-mode plan: the filesystem a sandbox sees, its limits and its
//! kernel rules, as plain data. The runner executes it; tests snapshot it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::limits::Limits;
use crate::network::{self, NetworkPlan};
use crate::plan::{BOOTSTRAP_LOADER, Resource, Rlimit, base_env, process_rlimits};
use crate::proc_view::{self, HostFacts, ProcView};

/// Where the work dir appears inside the sandbox (cwd and `HOME`).
pub const WORK_DIR: &str = "/sandbox";
/// Size cap of the sandbox's private `/tmp`, bytes.
pub const TMP_BYTES: u64 = 64 << 20;
/// Free space of the work dir beyond the input files, bytes.
pub const WORK_FREE_BYTES: u64 = 64 << 20;
/// Size cap of `/dev/shm`, bytes.
pub const SHM_BYTES: u64 = 16 << 20;
/// Inodes per tmpfs, so an inode flood ends with `ENOSPC`.
pub const TMPFS_INODES: u64 = 8192;
/// Processes and threads per sandbox.
pub const MAX_PROCESSES: u64 = 64;
/// The sandbox's hostname.
pub const HOSTNAME: &str = "sandbox";

/// Paths the sandbox replaces with its own (private tmpfs, fresh `/proc`,
/// device nodes): an interpreter installed under one of them would be
/// hidden inside.
pub const PRIVATE_PATHS: &[&str] = &[WORK_DIR, "/tmp", "/dev", "/proc"];

impl InterpreterLayout {
    /// The first of the interpreter's files or prefixes that lies under a
    /// path the sandbox replaces, with that path: secure mode cannot run an
    /// interpreter it would hide from itself.
    pub fn hidden_by_sandbox(&self) -> Option<(&Path, &'static str)> {
        std::iter::once(&self.executable)
            .chain(std::iter::once(&self.real_executable))
            .chain(&self.prefixes)
            .chain(&self.site_packages)
            .find_map(|path| {
                PRIVATE_PATHS
                    .iter()
                    .find(|private| path.starts_with(private))
                    .map(|private| (path.as_path(), *private))
            })
    }
}
/// The user and group id the program has inside the sandbox.
pub const SANDBOX_ID: u32 = 1000;

pub use crate::contract::Isolation;

/// What the runner knows about the interpreter, from probing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterpreterLayout {
    /// `sys.executable`.
    pub executable: PathBuf,
    /// The executable with every symlink resolved: the file landlock lets run.
    pub real_executable: PathBuf,
    /// The dynamic loader the executable names (`PT_INTERP`), resolved.
    pub loader: Option<PathBuf>,
    /// Installation prefixes (`sys.prefix`, `base_prefix`, …) to mount read-only.
    pub prefixes: Vec<PathBuf>,
    /// Site-packages directories, put on `sys.path` explicitly (the
    /// interpreter runs with `-S`, so `.pth` files are not executed).
    pub site_packages: Vec<PathBuf>,
}

/// One entry of the sandbox's filesystem, in mount order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mount {
    /// A read-only bind of a host directory or file at the same path.
    ReadOnly {
        /// Host path, which is also the path inside.
        path: PathBuf,
    },
    /// A bind of a host device node (`/dev/null`, …), read-write.
    Device {
        /// Host path, which is also the path inside.
        path: PathBuf,
    },
    /// A private size-capped tmpfs.
    Tmpfs {
        /// Path inside.
        path: PathBuf,
        /// Size cap in bytes.
        bytes: u64,
        /// Inode cap.
        inodes: u64,
    },
    /// A fresh `/proc` for the sandbox's pid namespace.
    Proc,
}

impl Mount {
    /// What the mount is, for messages: `the read-only bind of /usr`.
    pub fn describe(&self) -> String {
        match self {
            Self::ReadOnly { path } => format!("the read-only bind of {}", path.display()),
            Self::Device { path } => format!("the device {}", path.display()),
            Self::Tmpfs { path, .. } => format!("the tmpfs at {}", path.display()),
            Self::Proc => "a fresh /proc (refused where parts of /proc are masked, as \
                 container engines do by default)"
                .to_owned(),
        }
    }
}

/// A symlink in the sandbox's root (e.g. `/lib -> usr/lib` on merged-usr
/// systems, `/dev/fd -> /proc/self/fd`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Symlink {
    /// Path inside.
    pub path: PathBuf,
    /// Link target.
    pub target: PathBuf,
}

/// A sysctl of the sandbox's own namespaces that init writes (best effort:
/// a kernel without it keeps its default), with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sysctl {
    /// Path inside (`/proc/sys/...`).
    pub path: &'static str,
    /// The value written.
    pub value: &'static str,
    /// Why.
    pub reason: &'static str,
}

const fn sysctl(path: &'static str, value: &'static str, reason: &'static str) -> Sysctl {
    Sysctl {
        path,
        value,
        reason,
    }
}

/// What a run's init writes.
pub const SYSCTLS: &[Sysctl] = &[
    sysctl(
        "/proc/sys/vm/memfd_noexec",
        "2",
        "no executing code written to memory (memfd), kernel 6.3+",
    ),
    sysctl(
        "/proc/sys/user/max_inotify_instances",
        "0",
        "no inotify: the binds share the host's inodes, so a watch would see host processes \
         and other sandboxes use them",
    ),
    sysctl(
        "/proc/sys/user/max_inotify_watches",
        "0",
        "no inotify (as above)",
    ),
    sysctl(
        "/proc/sys/user/max_user_namespaces",
        "0",
        "seccomp already denies new namespaces; this says so twice",
    ),
    sysctl(
        "/proc/sys/user/max_mnt_namespaces",
        "0",
        "no new namespaces (as above)",
    ),
    sysctl(
        "/proc/sys/user/max_net_namespaces",
        "0",
        "no new namespaces (as above)",
    ),
    sysctl(
        "/proc/sys/net/ipv4/tcp_rmem",
        "4096 131072 1048576",
        "kernel memory RLIMIT_AS does not see: TCP receive buffers of the sandbox's own \
         network namespace held to 1 MiB per socket (32 MiB by default)",
    ),
    sysctl(
        "/proc/sys/net/ipv4/tcp_wmem",
        "4096 16384 1048576",
        "TCP send buffers, likewise",
    ),
];

/// What a fork server's base sandbox's init writes: as a run's, with room
/// for the namespaces of the sandboxes the server makes (each makes one of
/// each, and sets its own to zero).
pub fn fork_server_sysctls() -> Vec<Sysctl> {
    SYSCTLS
        .iter()
        .map(|s| match s.path {
            "/proc/sys/user/max_user_namespaces"
            | "/proc/sys/user/max_mnt_namespaces"
            | "/proc/sys/user/max_net_namespaces" => sysctl(
                s.path,
                "1024",
                "room for the namespaces of the sandboxes a fork server makes",
            ),
            _ => s.clone(),
        })
        .collect()
}

/// A small file the runner writes into the root (`/etc/passwd`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedFile {
    /// Path inside.
    pub path: PathBuf,
    /// Contents.
    pub contents: String,
}

/// Landlock rules: what the program may read, write and execute, by the
/// class the runner rules them in. Rules attach to inodes: a bind shares its
/// host source's inodes, so host paths are ruled by the parent before the
/// clone; filesystems init creates (the root, tmpfs, `/proc`) have no inode
/// before it, so init rules them after mounting, by their path inside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LandlockRules {
    /// Read (files and directory listings) beneath these bound host paths.
    pub read: Vec<PathBuf>,
    /// Read and write these bound host device files.
    pub write_files: Vec<PathBuf>,
    /// The only files that may be executed (host paths, inside the binds).
    pub execute: Vec<PathBuf>,
    /// Read beneath these paths of filesystems init creates.
    pub read_inside: Vec<PathBuf>,
    /// Read and write (never execute) beneath these paths of filesystems
    /// init creates.
    pub write_inside: Vec<PathBuf>,
}

/// A namespace the sandbox has of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Namespace {
    /// Users: the sandbox user is the only id mapped.
    User,
    /// Processes: init is pid 1.
    Pid,
    /// Mounts: the root below.
    Mount,
    /// System V IPC and POSIX message queues.
    Ipc,
    /// Hostname.
    Uts,
    /// The cgroup view (`/proc/self/cgroup` shows `/`).
    Cgroup,
    /// Network: always, with the network allowed too (its helper reaches
    /// out for it).
    Net,
    /// Monotonic and boot clocks counted from the sandbox's start
    /// (unshared by init for the program: `clone` cannot take it).
    Time,
}

/// Every namespace a sandbox has of its own.
pub const NAMESPACES: [Namespace; 8] = [
    Namespace::User,
    Namespace::Pid,
    Namespace::Mount,
    Namespace::Ipc,
    Namespace::Uts,
    Namespace::Cgroup,
    Namespace::Net,
    Namespace::Time,
];

/// The sandbox's root: a small tmpfs init mounts on the empty run dir and
/// fills as the sandbox user (mount points, `/etc` files, symlinks), then
/// remounts read-only. `nosuid,nodev,noexec` like every mount the sandbox
/// may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RootFs {
    /// Size cap in bytes.
    pub bytes: u64,
    /// Inode cap.
    pub inodes: u64,
    /// Mode of `/` (shown in octal).
    #[serde(serialize_with = "octal")]
    pub mode: u32,
    /// Owner (uid and gid) of `/`: the sandbox user.
    pub owner: u32,
}

fn octal<S: serde::Serializer>(mode: &u32, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format!("{mode:04o}"))
}

impl RootFs {
    /// The root of every sandbox.
    pub const DEFAULT: Self = Self {
        bytes: 1 << 20,
        inodes: 4096,
        mode: 0o755,
        owner: SANDBOX_ID,
    };

    /// Its `mount(2)` data: `size=…,nr_inodes=…,mode=…,uid=…,gid=…`.
    pub fn options(&self) -> String {
        format!(
            "size={},nr_inodes={},mode={:04o},uid={owner},gid={owner}",
            self.bytes,
            self.inodes,
            self.mode,
            owner = self.owner
        )
    }
}

/// Everything secure mode does for one execution, as data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecurePlan {
    /// The interpreter, by its path inside the sandbox.
    pub program: PathBuf,
    /// Arguments after the program name.
    pub args: Vec<String>,
    /// The complete environment.
    pub env: Vec<(String, String)>,
    /// Working directory inside.
    pub cwd: PathBuf,
    /// Hostname inside.
    pub hostname: String,
    /// The namespaces it has of its own.
    pub namespaces: Vec<Namespace>,
    /// The root tmpfs the mounts go on.
    pub root: RootFs,
    /// Mounts, in order, after the root is set up.
    pub mounts: Vec<Mount>,
    /// Sysctls of the sandbox's own namespaces, written after the mounts.
    pub sysctls: Vec<Sysctl>,
    /// Files of the fresh `/proc` covered by the sandbox's own contents,
    /// bound over it after the mounts.
    pub proc_views: Vec<ProcView>,
    /// Symlinks in the root.
    pub symlinks: Vec<Symlink>,
    /// Generated files in the root.
    pub files: Vec<GeneratedFile>,
    /// Landlock rules, by host path (binds share inodes with the host).
    pub landlock: LandlockRules,
    /// rlimits, always applied (memory and processes too when no cgroup).
    pub rlimits: Vec<Rlimit>,
    /// Whether the network is allowed; the sandbox has a network namespace
    /// of its own either way.
    pub allow_network: bool,
    /// With the network allowed: what its namespace refuses, and its
    /// resolver (see [`crate::network`]).
    pub network: Option<NetworkPlan>,
    /// The resolved limits.
    pub limits: Limits,
}

/// Top-level directories that hold the system's shared libraries and
/// programs; bound read-only when they are real directories, recreated as
/// symlinks when they are symlinks (merged-usr).
pub const SYSTEM_DIRS: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
];

/// Host `/etc` files the interpreter may read when present: the loader's
/// cache, time zone, and (for `allow_network`) name resolution and CA
/// certificates.
pub const ETC_FILES: &[&str] = &["/etc/ld.so.cache", "/etc/localtime", "/etc/mime.types"];
/// `/etc` entries added when the network is allowed (`resolv.conf` is the
/// sandbox's own, naming its relay).
pub const ETC_NETWORK: &[&str] = &["/etc/nsswitch.conf", "/etc/ssl", "/etc/ca-certificates"];

/// How a host path is present on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostEntry {
    /// Absent.
    Missing,
    /// A directory or file to bind.
    Present,
    /// A symlink with this target.
    Symlink,
}

impl SecurePlan {
    /// Builds the plan. `host` answers how a host path exists and
    /// `link_target` reads a symlink; both are passed in so this stays pure,
    /// as are the `facts` the `/proc` views keep.
    pub fn new(
        python: &InterpreterLayout,
        limits: Limits,
        input_bytes: u64,
        facts: &HostFacts,
        host: impl Fn(&Path) -> HostEntry,
        link_target: impl Fn(&Path) -> Option<PathBuf>,
    ) -> Self {
        let mut mounts = Vec::new();
        let mut symlinks = Vec::new();
        let mut read = Vec::new();
        for dir in SYSTEM_DIRS {
            let path = PathBuf::from(dir);
            match host(&path) {
                HostEntry::Present => {
                    mounts.push(Mount::ReadOnly { path: path.clone() });
                    read.push(path);
                }
                HostEntry::Symlink => {
                    if let Some(target) = link_target(&path) {
                        symlinks.push(Symlink { path, target });
                    }
                }
                HostEntry::Missing => {}
            }
        }
        // Prefixes outside the system dirs (pyenv, venvs, /opt, /usr/local
        // is under /usr already).
        let mut prefixes: Vec<PathBuf> = python
            .prefixes
            .iter()
            .filter(|p| {
                !mounts
                    .iter()
                    .any(|m| matches!(m, Mount::ReadOnly { path } if p.starts_with(path)))
            })
            .cloned()
            .collect();
        prefixes.sort();
        prefixes.dedup();
        // Keep only outermost prefixes.
        let outer: Vec<PathBuf> = prefixes
            .iter()
            .filter(|p| !prefixes.iter().any(|q| q != *p && p.starts_with(q)))
            .cloned()
            .collect();
        for prefix in outer {
            if host(&prefix) == HostEntry::Present {
                mounts.push(Mount::ReadOnly {
                    path: prefix.clone(),
                });
                read.push(prefix);
            }
        }
        // The interpreter's own files when they lie outside every mounted
        // directory (a copied or standalone binary outside its prefix).
        let files = [Some(&python.executable), Some(&python.real_executable)];
        for file in files.into_iter().chain([python.loader.as_ref()]).flatten() {
            let covered = mounts
                .iter()
                .any(|m| matches!(m, Mount::ReadOnly { path } if file.starts_with(path)));
            if !covered && host(file) != HostEntry::Missing {
                mounts.push(Mount::ReadOnly { path: file.clone() });
                read.push(file.clone());
            }
        }
        let mut etc: Vec<&str> = ETC_FILES.to_vec();
        if limits.allow_network {
            etc.extend_from_slice(ETC_NETWORK);
        }
        for file in etc {
            let path = PathBuf::from(file);
            // A symlink (`/etc/localtime`, a resolver's `resolv.conf`) is
            // bound as its target, at the link's path.
            if host(&path) != HostEntry::Missing {
                mounts.push(Mount::ReadOnly { path: path.clone() });
                read.push(path);
            }
        }
        let mut write_files = Vec::new();
        for device in ["/dev/null", "/dev/zero", "/dev/random", "/dev/urandom"] {
            mounts.push(Mount::Device {
                path: device.into(),
            });
            write_files.push(PathBuf::from(device));
        }
        for (link, target) in [
            ("/dev/fd", "/proc/self/fd"),
            ("/dev/stdin", "/proc/self/fd/0"),
            ("/dev/stdout", "/proc/self/fd/1"),
            ("/dev/stderr", "/proc/self/fd/2"),
        ] {
            symlinks.push(Symlink {
                path: link.into(),
                target: target.into(),
            });
        }
        let tmpfs = [
            (WORK_DIR, WORK_FREE_BYTES.saturating_add(input_bytes)),
            ("/tmp", TMP_BYTES),
            ("/dev/shm", SHM_BYTES),
        ];
        let mut write_inside = Vec::new();
        for (path, bytes) in tmpfs {
            mounts.push(Mount::Tmpfs {
                path: path.into(),
                bytes,
                inodes: TMPFS_INODES,
            });
            write_inside.push(PathBuf::from(path));
        }
        mounts.push(Mount::Proc);
        // Listing `/` shows only this minimal root.
        let read_inside = ["/proc", "/etc", "/"].map(PathBuf::from).to_vec();

        let id = SANDBOX_ID;
        let mut files = vec![
            GeneratedFile {
                path: "/etc/passwd".into(),
                contents: format!(
                    "root:x:0:0:root:/:/usr/sbin/nologin\nsandbox:x:{id}:{id}:sandbox:{WORK_DIR}:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
                ),
            },
            GeneratedFile {
                path: "/etc/group".into(),
                contents: format!("root:x:0:\nsandbox:x:{id}:\nnogroup:x:65534:\n"),
            },
            GeneratedFile {
                path: "/etc/hosts".into(),
                contents: format!("127.0.0.1 localhost {HOSTNAME}\n::1 localhost ip6-localhost\n"),
            },
            GeneratedFile {
                path: "/etc/hostname".into(),
                contents: format!("{HOSTNAME}\n"),
            },
        ];
        let network = limits
            .allow_network
            .then(|| NetworkPlan::new(&facts.addresses, &limits.allowed_networks));
        if network.is_some() {
            files.push(GeneratedFile {
                path: "/etc/resolv.conf".into(),
                contents: network::resolv_conf(),
            });
        }

        let mut args: Vec<String> = ["-I", "-S", "-B", "-u", "-X", "utf8", "-c", BOOTSTRAP_LOADER]
            .map(String::from)
            .to_vec();
        // The bootstrap puts these on sys.path (site is disabled by -S).
        args.extend(
            python
                .site_packages
                .iter()
                .map(|p| p.to_string_lossy().into_owned()),
        );

        let mut env = base_env(&python.executable, WORK_DIR, "/tmp");
        env.push(("USER".into(), "sandbox".into()));
        env.push(("MPLCONFIGDIR".into(), "/tmp".into()));

        let mut execute = vec![python.real_executable.clone()];
        execute.extend(python.loader.iter().cloned());

        let rlimits = process_rlimits(&limits);
        let proc_views =
            proc_view::views(facts, limits.memory_mb, |p| host(p) != HostEntry::Missing);

        Self {
            program: python.executable.clone(),
            args,
            env,
            cwd: WORK_DIR.into(),
            hostname: HOSTNAME.into(),
            namespaces: NAMESPACES.to_vec(),
            root: RootFs::DEFAULT,
            mounts,
            sysctls: SYSCTLS.to_vec(),
            proc_views,
            symlinks,
            files,
            landlock: LandlockRules {
                read,
                write_files,
                execute,
                read_inside,
                write_inside,
            },
            rlimits,
            allow_network: limits.allow_network,
            network,
            limits,
        }
    }

    /// The rlimits that stand in for cgroup limits where no cgroup is
    /// writable: address space for memory, process count for pids.
    pub fn fallback_rlimits(&self) -> Vec<Rlimit> {
        let memory = self.limits.memory_mb.saturating_mul(1 << 20);
        vec![
            Rlimit::fixed(Resource::AddressSpace, memory),
            Rlimit::fixed(Resource::Processes, MAX_PROCESSES),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientConfig, ExecutionMode, ExecutionRequest};

    #[test]
    fn secure_plan_snapshot() {
        let python = InterpreterLayout {
            executable: "/opt/py/bin/python3".into(),
            real_executable: "/opt/py/bin/python3.11".into(),
            loader: Some("/usr/lib/ld-linux.so.2".into()),
            prefixes: vec!["/opt/py".into(), "/opt/py".into(), "/usr".into()],
            site_packages: vec!["/opt/py/lib/python3.11/site-packages".into()],
        };
        let request = ExecutionRequest::new("print(1)").with_mode(ExecutionMode::Secure);
        let limits = Limits::resolve(&request, &ClientConfig::default()).unwrap();
        let host = |p: &Path| match p.to_str().unwrap() {
            "/usr" | "/opt/py" | "/etc/ld.so.cache" => HostEntry::Present,
            "/lib" | "/bin" | "/lib64" | "/sbin" => HostEntry::Symlink,
            _ => HostEntry::Missing,
        };
        let link = |p: &Path| Some(PathBuf::from(format!("usr{}", p.display())));
        let facts = HostFacts {
            cpus: vec![0, 1],
            memory_kb: 1 << 20,
            addresses: vec![std::net::Ipv4Addr::new(192, 0, 2, 2)],
        };
        let host = |p: &Path| match p.to_str().unwrap() {
            "/proc/stat" | "/proc/sys/kernel/random/boot_id" => HostEntry::Present,
            other => host(Path::new(other)),
        };
        let plan = SecurePlan::new(&python, limits, 1000, &facts, host, link);
        insta::assert_json_snapshot!(plan);
    }

    #[test]
    fn a_networked_plan_refuses_the_host_and_names_its_own_resolver() {
        let python = InterpreterLayout {
            executable: "/usr/bin/python3".into(),
            real_executable: "/usr/bin/python3.11".into(),
            loader: None,
            prefixes: vec!["/usr".into()],
            site_packages: vec![],
        };
        let request = ExecutionRequest::new("").with_network(true);
        let config = ClientConfig {
            allowed_networks: vec!["10.77.0.0/24".parse().unwrap()],
            ..ClientConfig::default()
        };
        let limits = Limits::resolve(&request, &config).unwrap();
        let facts = HostFacts {
            addresses: vec![std::net::Ipv4Addr::new(198, 51, 100, 7)],
            ..HostFacts::default()
        };
        let host = |p: &Path| match p.to_str().unwrap() {
            "/usr" | "/etc/resolv.conf" | "/etc/ssl" => HostEntry::Present,
            _ => HostEntry::Missing,
        };
        let plan = SecurePlan::new(&python, limits, 0, &facts, host, |_| None);
        let network = plan.network.as_ref().expect("a network plan");
        assert!(network.refuses("198.51.100.7".parse().unwrap()));
        assert!(network.refuses("10.1.0.1".parse().unwrap()));
        assert!(!network.refuses("10.77.0.1".parse().unwrap()));
        let resolv = plan
            .files
            .iter()
            .find(|f| f.path == Path::new("/etc/resolv.conf"))
            .expect("its own resolv.conf");
        assert_eq!(resolv.contents, network::resolv_conf());
        // The host's resolv.conf is never bound over it.
        assert!(!plan.mounts.iter().any(
            |m| matches!(m, Mount::ReadOnly { path } if path == Path::new("/etc/resolv.conf"))
        ));
        assert!(
            plan.mounts
                .iter()
                .any(|m| matches!(m, Mount::ReadOnly { path } if path == Path::new("/etc/ssl")))
        );
    }

    #[test]
    fn an_interpreter_outside_its_prefix_is_mounted_itself() {
        let python = InterpreterLayout {
            executable: "/srv/tools/python3".into(),
            real_executable: "/srv/tools/python3".into(),
            loader: Some("/usr/lib/ld-linux.so.2".into()),
            prefixes: vec!["/opt/py".into()],
            site_packages: vec![],
        };
        let request = ExecutionRequest::new("print(1)").with_mode(ExecutionMode::Secure);
        let limits = Limits::resolve(&request, &ClientConfig::default()).unwrap();
        let host = |p: &Path| match p.to_str().unwrap() {
            "/usr" | "/opt/py" | "/srv/tools/python3" => HostEntry::Present,
            _ => HostEntry::Missing,
        };
        let plan = SecurePlan::new(&python, limits, 0, &HostFacts::default(), host, |_| None);
        let binds: Vec<&Path> = plan
            .mounts
            .iter()
            .filter_map(|m| match m {
                Mount::ReadOnly { path } => Some(path.as_path()),
                _ => None,
            })
            .collect();
        // Once, and the loader under /usr is not bound again.
        assert_eq!(
            binds,
            [
                Path::new("/usr"),
                Path::new("/opt/py"),
                Path::new("/srv/tools/python3")
            ]
        );
        assert!(
            plan.landlock
                .execute
                .contains(&PathBuf::from("/srv/tools/python3"))
        );
    }

    #[test]
    fn the_root_says_its_mount_options() {
        assert_eq!(
            RootFs::DEFAULT.options(),
            format!("size=1048576,nr_inodes=4096,mode=0755,uid={SANDBOX_ID},gid={SANDBOX_ID}")
        );
    }

    #[test]
    fn isolation_parses() {
        assert_eq!("no-cgroups".parse::<Isolation>(), Ok(Isolation::NoCgroups));
        assert!("weak".parse::<Isolation>().unwrap_err().contains("`weak`"));
    }
}
