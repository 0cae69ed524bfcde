//! The red team: attack programs against secure mode, each proving
//! containment by its effect on the host and asserting what the user sees.
//!
//! Every `tests/redteam/<name>.py` is one attack and one test (the `attacks!`
//! list below; `every_attack_file_has_a_test` fails for a file left out). The
//! generic runner [`run_attack`] reads the file, fills in its placeholders,
//! runs it in **secure mode** at the full isolation level, twice (in a
//! sandbox made for the run, then in one a pool prepared before the code
//! existed), and checks after each:
//!
//! 1. **What the user sees**, declared in the file's header (status, output,
//!    message, how long the run took).
//! 2. **The effect on the host**, the same for every attack: the canary file
//!    is unchanged and its secret appears nowhere in the result (output,
//!    message, output files); the message stays under 64 KiB; the canary dir
//!    is empty; the test's temp dir holds nothing new; no file named after
//!    the run's marker appeared in `/`, `/tmp`, `/usr`, `/root`, ... of the
//!    host; the TCP, UDP, unix and abstract canary listeners received
//!    nothing; the host sentinel process is alive; no host process carries
//!    the run's process name; the interpreter binary and the host name are
//!    unchanged; the work root is empty; the repository's path shows nowhere.
//!
//! Secure mode missing, or any of its layers (a weaker isolation level than
//! `full`), fails every attack: nothing here skips.
//!
//! ## Header
//!
//! The first line says what the file attacks. Then, up to the first line
//! that is not a comment, `# key: value` lines (other comment lines are
//! description). In the values of the `expect-*` keys, ` | ` separates
//! alternatives (any one must appear); `expect-*` and `forbid-*` repeat.
//!
//! | key | meaning (default) |
//! |---|---|
//! | `expect-status` | `ok`, `error`, `timeout`, `memory_limit`, `output_limit`, `killed`, … (required) |
//! | `expect-stdout` / `expect-stderr` / `expect-message` | substring of stdout / stderr / `message` |
//! | `forbid-stdout` / `forbid-stderr` | substring that must not appear |
//! | `timeout` | seconds (10) |
//! | `memory-mb` | memory limit (the config's default) |
//! | `network` | `on` or `off` (off) |
//! | `max-seconds` | the run must end within this wall time (no bound) |
//! | `settle-seconds` | wait this long after the run before checking the host (0) |
//! | `max-file-bytes` / `max-output-bytes` | the client's file-size / output caps (defaults) |
//! | `tcp-canary` | `reached` when the attack must connect to it (untouched) |
//! | `allow-host-address` | `yes`: the operator allows `HOST_ADDRESS` (`SANDBOX_ALLOWED_NETWORKS`), which a networked sandbox may then reach (no) |
//! | `host-responsive` | `yes`: during the run, the host starts `true` within 1 s (no) |
//! | `concurrent` | `2`: two runs of the file at once, each with its own tags (1) |
//! | `check-env` | `yes`: stdout lines `ENV name=value` are compared with this process's environment (no) |
//! | `tier` | `root` or `cgroups`: a test tier the attack needs (see `tier`; `network: on` needs the network helper) |
//!
//! `REDTEAM_VERBOSE=1 cargo test --test suite redteam -- --nocapture` also
//! shows what each passing attack saw.
//!
//! Attacks with `max-seconds`, `host-responsive` or `concurrent` run alone
//! (the module `exclusive`: nextest gives them every test thread; under
//! `cargo test` other red-team tests wait), so their timing is not skewed by
//! the others.
//!
//! ## Placeholders
//!
//! `{NAME}` in the code and in header values, filled per run:
//! `CANARY_FILE` (a host file holding a secret), `CANARY_DIR` (a host dir
//! that must stay empty), `FIXTURE_DIR` (the host temp dir holding both),
//! `WORK_ROOT` (the client's work root), `TCP_PORT` / `UDP_PORT` (host
//! listeners on every address: loopback, the host's own, any other),
//! `HOST_ADDRESS` (the host's first IPv4 address outside loopback),
//! `UNIX_SOCKET` (a host unix socket path),
//! `ABSTRACT_SOCKET` (a host abstract socket name, without the leading NUL),
//! `HOST_PID` (this test process), `SENTINEL_PID` (a host `sleep` that must
//! survive), `HOST_HOSTNAME`, `HOST_COMM` (this process's name), `HOST_EXE`
//! (this test binary), `HOST_BOOT_ID` and `HOST_CMDLINE` (the host's
//! `/proc/sys/kernel/random/boot_id` and `/proc/cmdline`, trimmed), `SECRET_ENV` (a variable of this process, e.g.
//! `CARGO_MANIFEST_DIR`),
//! `HOST_ENV_NAMES` (a Python list of this process's variable names, minus
//! the few the sandbox sets itself), `INTERPRETER_PATHS` (a Python list of
//! the interpreter's prefixes, which the sandbox may show), `HOST_NAMESPACES`
//! (a Python dict, kind to this process's `/proc/self/ns/<kind>` link),
//! `MARKER` (a unique file name, checked for on the host), `PROC_NAME` (a
//! unique 15-character process name, checked for on the host), `SELF_TAG` /
//! `PEER_TAG` (this run's and the concurrent peer's tags). An unknown
//! `{UPPER_CASE}` name is an error, so keep Python's own braces lower-case.

use std::collections::{BTreeMap, BTreeSet};
use std::io::ErrorKind;
use std::net::{TcpListener, UdpSocket};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::{SocketAddr, UnixListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sandbox_client::{
    ClientConfig, ExecutionMode, ExecutionRequest, ExecutionResult, PolicyChoice, SandboxClient,
    Status,
};
use tempfile::TempDir;
use tokio::sync::{OnceCell, RwLock};

use crate::support::alive;
use crate::tier::{Tier, require};

/// Where the attack programs live.
const ATTACK_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/redteam");

/// One test per attack file, named after it.
macro_rules! attack {
    ($name:ident) => {
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            run_attack(stringify!($name)).await;
        }
    };
}

/// Every attack: a test each, and the list `every_attack_file_has_a_test`
/// compares with the directory. Exclusive attacks (their headers say which:
/// see [`Header::exclusive`]) are tests of the module `exclusive`, which
/// `.config/nextest.toml` runs alone; under `cargo test`, where every test
/// is a thread of one process, [`TURN`] keeps them apart.
macro_rules! attacks {
    (
        shared: [$($shared:ident),* $(,)?]
        exclusive: [$($exclusive:ident),* $(,)?]
    ) => {
        const ATTACKS: &[&str] = &[$(stringify!($shared),)* $(stringify!($exclusive),)*];
        const EXCLUSIVE: &[&str] = &[$(stringify!($exclusive)),*];
        $(attack!($shared);)*
        /// Attacks that take the machine to themselves.
        mod exclusive {
            use super::run_attack;
            $(attack!($exclusive);)*
        }
    };
}

attacks! {
    shared: [
        // Host files.
        read_etc_shadow,
        list_root,
        host_dirs_hidden,
        read_canary_file,
        proc1_environ,
        proc1_inspect,
        parent_environ,
        path_traversal,
        symlink_to_canary,
        proc_self_root,
        mountinfo_no_host_paths,
        hardlink_host_file,
        etc_minimal,
        dev_minimal,
        proc_kcore,
        inherited_fds,
        proc_net_leaks,
        sysv_ipc,
        result_message_flood,
        // Host writes.
        write_canary_dir,
        write_host_tmp,
        write_workdir_parent,
        write_usr,
        write_system_paths,
        chmod_chown,
        proc_sys_write,
        cgroup_escape,
        cgroup_namespace_root,
        // Processes.
        os_system_id,
        subprocess_ls,
        subprocess_shell,
        execve_ctypes_sh,
        exec_copied_binary,
        ld_so_exec,
        ld_so_written_program,
        proc_host_facts,
        inotify_host_files,
        kernel_memory_hoard,
        memfd_exec,
        inotify_quota,
        kill_all,
        kill_host_pid,
        ptrace_traceme,
        ptrace_attach,
        process_vm_readv,
        // Resources.
        file_too_large,
        open_files,
        raise_rlimits,
        // Network.
        tcp_connect,
        tcp6_connect,
        udp_sendto,
        dns_lookup,
        raw_socket,
        unix_socket_file,
        abstract_socket,
        netlink_socket,
        network_on_tcp_reached,
        network_on_abstract_socket,
        network_on_raw_socket,
        network_on_unix_socket_file,
        // Leaks.
        env_no_host_vars,
        hostname,
        proc_list,
        namespaces_private,
        // Kernel.
        mount,
        pivot_root_chroot,
        unshare_newuser,
        unshare_namespaces,
        setns,
        open_by_handle_at,
        keyctl,
        bpf,
        perf_event_open,
        userfaultfd,
        io_uring_setup,
        reboot,
        init_module,
        kexec_swap,
        clone_newuser,
        clone3_newuser,
        seccomp_x32_abi,
        seccomp_int80,
        open_tree_attr,
        seccomp_unknown_syscalls,
        seccomp_omitted_syscall,
        kernel_log,
        undo_no_new_privs,
        setuid_root,
        // Checks from inside.
        proc_status_hardening,
        rlimits_finite,
        uid_map,
        // Control: what must keep working.
        control_allowed_operations,
    ]
    // Runs that must not share the machine (a wall-clock bound, the host's
    // responsiveness measured, concurrent runs): each runs alone.
    exclusive: [
        collector_stress,
        cpu_loop,
        daemon_grandchild,
        daemon_grandchild_network_on,
        disk_fill_sandbox,
        disk_fill_tmp,
        fifo_trap,
        fork_bomb,
        inode_flood,
        kill_init,
        memory_bomb,
        network_on_dns_relay_flood,
        network_on_host_address,
        network_on_host_loopback,
        network_on_private_and_metadata,
        network_on_routes_change,
        other_sandbox_files,
        pipe_quota_per_user,
        sleep_past_timeout,
        stdout_flood,
        thread_bomb,
    ]
}

/// Placeholder names the harness fills in.
const PLACEHOLDERS: &[&str] = &[
    "CANARY_FILE",
    "CANARY_DIR",
    "FIXTURE_DIR",
    "WORK_ROOT",
    "TCP_PORT",
    "UDP_PORT",
    "UNIX_SOCKET",
    "ABSTRACT_SOCKET",
    "HOST_PID",
    "SENTINEL_PID",
    "HOST_ADDRESS",
    "HOST_HOSTNAME",
    "HOST_COMM",
    "HOST_EXE",
    "HOST_BOOT_ID",
    "HOST_CMDLINE",
    "SECRET_ENV",
    "HOST_ENV_NAMES",
    "INTERPRETER_PATHS",
    "HOST_NAMESPACES",
    "MARKER",
    "PROC_NAME",
    "SELF_TAG",
    "PEER_TAG",
];

/// Variables the sandbox sets itself with values of its own; with
/// [`GENERIC_VALUE_VARS`] they are every variable it sets. A host variable of
/// the same name is not a leak by its name alone, only with the host's value.
const SANDBOX_SPECIFIC_VARS: &[&str] = &[
    "PATH",
    "HOME",
    "TMPDIR",
    "USER",
    "LOGNAME",
    "MPLCONFIGDIR",
    "PWD",
];

/// Whether the sandbox sets `name` itself.
fn sandbox_sets(name: &str) -> bool {
    SANDBOX_SPECIFIC_VARS.contains(&name) || GENERIC_VALUE_VARS.contains(&name)
}

/// Variables of the sandbox whose fixed values may equal the host's by
/// coincidence (`LANG=C.UTF-8`); any other shared name and value is a leak.
const GENERIC_VALUE_VARS: &[&str] = &[
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TERM",
    "TZ",
    "PYTHONIOENCODING",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED",
    "PYTHONUTF8",
    "PYTHONHASHSEED",
    "PYTHONSAFEPATH",
    "PYTHONNOUSERSITE",
    "MPLBACKEND",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
];

const STATUSES: &[&str] = &[
    "ok",
    "error",
    "syntax_error",
    "policy_violation",
    "timeout",
    "memory_limit",
    "output_limit",
    "killed",
    "sandbox_error",
];

/// A result's `message` is a human explanation; the program must not be able
/// to grow it past every output cap.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Timing-sensitive attacks take this exclusively; the others share it.
static TURN: RwLock<()> = RwLock::const_new(());

// ---------------------------------------------------------------------------
// The header of an attack file.

/// What an attack file declares about its run.
#[derive(Debug, Clone)]
struct Header {
    about: String,
    status: Vec<String>,
    stdout: Vec<String>,
    stderr: Vec<String>,
    message: Vec<String>,
    forbid_stdout: Vec<String>,
    forbid_stderr: Vec<String>,
    timeout: Duration,
    memory_mb: Option<u64>,
    network: bool,
    max_seconds: Option<f64>,
    settle: Duration,
    max_file_bytes: Option<u64>,
    max_output_bytes: Option<usize>,
    tcp_reached: bool,
    allow_host_address: bool,
    host_responsive: bool,
    concurrent: usize,
    check_env: bool,
    /// `# tier: root`: what the attack needs beyond `cargo test`'s machine
    /// (see `tier`); a networked attack needs the network helper too.
    tiers: Vec<Tier>,
}

impl Header {
    fn parse(source: &str) -> Result<Self, String> {
        let mut lines = source.lines().take_while(|l| l.starts_with('#'));
        let about = lines
            .next()
            .and_then(|l| l.strip_prefix("# "))
            .filter(|l| key_value(l).is_none() && !l.trim().is_empty())
            .ok_or("the first line must be `# <what it attacks>`")?
            .to_owned();
        let mut header = Self {
            about,
            status: vec![],
            stdout: vec![],
            stderr: vec![],
            message: vec![],
            forbid_stdout: vec![],
            forbid_stderr: vec![],
            timeout: Duration::from_secs(10),
            memory_mb: None,
            network: false,
            max_seconds: None,
            settle: Duration::ZERO,
            max_file_bytes: None,
            max_output_bytes: None,
            tcp_reached: false,
            allow_host_address: false,
            host_responsive: false,
            concurrent: 1,
            check_env: false,
            tiers: Vec::new(),
        };
        let seconds = |v: &str| -> Result<f64, String> {
            v.parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .ok_or(format!("`{v}` is not a number of seconds"))
        };
        let number = |v: &str| v.parse::<u64>().map_err(|e| format!("`{v}`: {e}"));
        let mut in_description = true;
        for line in lines {
            let Some((key, value)) = line.strip_prefix("# ").and_then(key_value) else {
                if in_description {
                    header.about.push(' ');
                    header.about.push_str(line.trim_start_matches('#').trim());
                }
                continue;
            };
            in_description = false;
            let bad = |expected: &str| format!("`{key}: {value}`: expected {expected}");
            let yes_or_no = || bad("`yes` or `no`");
            match key {
                "expect-status" => {
                    if !header.status.is_empty() {
                        return Err("`expect-status` given twice".into());
                    }
                    for status in value.split(" | ") {
                        if !STATUSES.contains(&status) {
                            return Err(bad(&STATUSES.join(", ")));
                        }
                        header.status.push(status.to_owned());
                    }
                }
                "expect-stdout" => header.stdout.push(value.to_owned()),
                "expect-stderr" => header.stderr.push(value.to_owned()),
                "expect-message" => header.message.push(value.to_owned()),
                "forbid-stdout" => header.forbid_stdout.push(value.to_owned()),
                "forbid-stderr" => header.forbid_stderr.push(value.to_owned()),
                "timeout" => header.timeout = Duration::from_secs_f64(seconds(value)?),
                "memory-mb" => header.memory_mb = Some(number(value)?),
                "network" => {
                    header.network = match value {
                        "on" => true,
                        "off" => false,
                        _ => return Err(bad("`on` or `off`")),
                    }
                }
                "max-seconds" => header.max_seconds = Some(seconds(value)?),
                "tier" => header.tiers.push(match value {
                    "root" => Tier::Root,
                    "cgroups" => Tier::Cgroups,
                    _ => return Err(bad("`root` or `cgroups`")),
                }),
                "settle-seconds" => header.settle = Duration::from_secs_f64(seconds(value)?),
                "max-file-bytes" => header.max_file_bytes = Some(number(value)?),
                "max-output-bytes" => {
                    header.max_output_bytes =
                        Some(usize::try_from(number(value)?).map_err(|_| bad("a smaller number"))?);
                }
                "tcp-canary" => {
                    header.tcp_reached = match value {
                        "reached" => true,
                        "untouched" => false,
                        _ => return Err(bad("`reached` or `untouched`")),
                    }
                }
                "host-responsive" => {
                    header.host_responsive = yes_no(value).ok_or_else(yes_or_no)?;
                }
                "check-env" => header.check_env = yes_no(value).ok_or_else(yes_or_no)?,
                "allow-host-address" => {
                    header.allow_host_address = yes_no(value).ok_or_else(yes_or_no)?;
                }
                "concurrent" => {
                    header.concurrent = match value {
                        "1" => 1,
                        "2" => 2,
                        _ => return Err(bad("`1` or `2`")),
                    }
                }
                _ => return Err(format!("unknown header key `{key}`")),
            }
        }
        if header.status.is_empty() {
            return Err("no `# expect-status:` line".into());
        }
        Ok(header)
    }

    /// Every tier the attack needs.
    fn tiers(&self) -> Vec<Tier> {
        let mut tiers = self.tiers.clone();
        if self.network {
            tiers.push(Tier::NetworkHelper);
        }
        tiers
    }

    /// Runs that must not share the machine with other red-team runs.
    fn exclusive(&self) -> bool {
        self.max_seconds.is_some() || self.host_responsive || self.concurrent > 1
    }

    /// Every header value that may hold placeholders.
    fn values(&self) -> impl Iterator<Item = &String> {
        self.stdout
            .iter()
            .chain(&self.stderr)
            .chain(&self.message)
            .chain(&self.forbid_stdout)
            .chain(&self.forbid_stderr)
    }
}

fn yes_no(value: &str) -> Option<bool> {
    match value {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// `key: value` where the key is lower-case words joined by dashes.
fn key_value(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(": ")?;
    let is_key = !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
    is_key.then(|| (key, value.trim()))
}

/// Replaces every `{NAME}` (upper-case letters, digits, `_`) with its value;
/// an unknown name is an error. Other braces are left alone.
fn fill(text: &str, values: &BTreeMap<&str, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .bytes()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
            .count();
        let name = &after[..name_len];
        let is_placeholder = after.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
            && after[name_len..].starts_with('}');
        if is_placeholder {
            let value = values
                .get(name)
                .ok_or_else(|| format!("unknown placeholder `{{{name}}}`"))?;
            out.push_str(value);
            rest = &after[name_len + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// A Python list literal of strings (JSON's syntax is Python's here).
fn py_list<S: AsRef<str>>(items: &[S]) -> String {
    serde_json::to_string(&items.iter().map(AsRef::as_ref).collect::<Vec<_>>())
        .expect("strings serialize")
}

// ---------------------------------------------------------------------------
// Facts about the host, gathered once.

#[derive(Debug)]
struct Host {
    /// The interpreter's prefixes, as given and resolved.
    interpreter_paths: Vec<String>,
    /// The interpreter binary, resolved.
    interpreter: PathBuf,
    /// The interpreter's standard library directory, resolved.
    stdlib: PathBuf,
    /// This process's variable names, minus the sandbox's own.
    env_names: Vec<String>,
    /// A variable this process has and the sandbox must not.
    secret_env: String,
    /// Namespace kind to this process's namespace link.
    namespaces: BTreeMap<String, String>,
    hostname: String,
    comm: String,
    /// This test binary.
    exe: PathBuf,
    /// The host's first IPv4 address outside loopback.
    address: std::net::Ipv4Addr,
}

static HOST: OnceCell<Host> = OnceCell::const_new();

/// A host file's text, trimmed (for placeholders; empty when unreadable).
fn host_file(path: &str) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .trim()
        .to_owned()
}

async fn host() -> &'static Host {
    HOST.get_or_init(probe_host).await
}

async fn probe_host() -> Host {
    // The interpreter the runner resolves, asked in simple mode (trusted
    // code of our own).
    let code = r#"
import json, os, sys
paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
paths |= {os.path.realpath(p) for p in paths}
print(json.dumps({
    "paths": sorted(paths),
    "executable": os.path.realpath(sys.executable),
    "stdlib": os.path.realpath(os.path.dirname(os.__file__)),
}))
"#;
    let result = SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Simple,
        ..crate::support::config()
    })
    .expect("valid config")
    .execute_request(ExecutionRequest::new(code).with_mode(ExecutionMode::Simple))
    .await
    .expect("probe the interpreter");
    assert_eq!(result.status, Status::Ok, "interpreter probe: {result:?}");
    let facts: serde_json::Value = serde_json::from_str(result.stdout.trim()).expect("probe JSON");
    let interpreter_paths = facts["paths"]
        .as_array()
        .expect("paths")
        .iter()
        .map(|p| p.as_str().expect("path").to_owned())
        .collect();
    let path_of = |key: &str| PathBuf::from(facts[key].as_str().expect(key));

    let env_names: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| {
            name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !name.is_empty()
                && !sandbox_sets(name)
        })
        .collect();
    let secret_env = ["CARGO_MANIFEST_DIR", "CARGO", "CARGO_PKG_NAME", "USER"]
        .into_iter()
        .find(|n| std::env::var_os(n).is_some())
        .unwrap_or("CARGO_MANIFEST_DIR")
        .to_owned();
    let namespaces = ["cgroup", "ipc", "mnt", "net", "pid", "user", "uts"]
        .into_iter()
        .map(|kind| {
            let link = std::fs::read_link(format!("/proc/self/ns/{kind}"))
                .unwrap_or_else(|e| panic!("read /proc/self/ns/{kind}: {e}"));
            (kind.to_owned(), link.to_string_lossy().into_owned())
        })
        .collect();
    Host {
        interpreter_paths,
        interpreter: path_of("executable"),
        stdlib: path_of("stdlib"),
        env_names,
        secret_env,
        namespaces,
        hostname: host_name(),
        exe: std::env::current_exe().expect("test binary"),
        comm: std::fs::read_to_string("/proc/self/comm")
            .expect("comm")
            .trim()
            .to_owned(),
        address: nix::ifaddrs::getifaddrs()
            .expect("the host's addresses")
            .filter_map(|interface| {
                interface
                    .address?
                    .as_sockaddr_in()
                    .map(nix::sys::socket::SockaddrIn::ip)
            })
            .find(|ip| !ip.is_loopback())
            .expect("the red team needs an IPv4 address outside loopback on the host"),
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("host name")
        .trim()
        .to_owned()
}

// ---------------------------------------------------------------------------
// The canaries of one test.

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A unique 15-character tag (the most a process name holds).
fn new_tag() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) & 0xfff;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .subsec_nanos();
    let low = (n << 20) | (u64::from(nanos) & 0xf_ffff);
    format!("rt{:05x}{:08x}", std::process::id() & 0xf_ffff, low)
}

/// Metadata (and optionally contents) of a host file, to prove it unchanged.
#[derive(Debug, PartialEq)]
struct FileState {
    contents: Option<Vec<u8>>,
    len: u64,
    mode: u32,
    uid: u32,
    gid: u32,
    ino: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileState {
    fn of(path: &Path, with_contents: bool) -> Self {
        let meta = std::fs::symlink_metadata(path)
            .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()));
        Self {
            contents: with_contents.then(|| std::fs::read(path).expect("read canary")),
            len: meta.len(),
            mode: meta.mode(),
            uid: meta.uid(),
            gid: meta.gid(),
            ino: meta.ino(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}

/// Everything one test plants on the host and checks afterwards.
struct Fixture {
    dir: TempDir,
    secret: String,
    canary_file: PathBuf,
    canary_state: FileState,
    canary_dir: PathBuf,
    work_root: PathBuf,
    unix_path: PathBuf,
    tcp: TcpListener,
    udp: UdpSocket,
    unix: UnixListener,
    abstract_name: String,
    abstract_listener: UnixListener,
    sentinel: Child,
    marker: String,
    proc_name: String,
    entries: BTreeSet<String>,
    interpreter_state: FileState,
    hostname: String,
}

impl Fixture {
    fn new(host: &Host) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("redteam-")
            .tempdir()
            .expect("temp dir");
        let tag = new_tag();
        // Unpredictable, so no attack can print it without reading it.
        let mut random = [0u8; 16];
        std::io::Read::read_exact(
            &mut std::fs::File::open("/dev/urandom").expect("open /dev/urandom"),
            &mut random,
        )
        .expect("read /dev/urandom");
        let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let secret = format!("redteam-secret-{hex}");
        let canary_file = dir.path().join("secret.txt");
        std::fs::write(&canary_file, format!("{secret}\n")).expect("write canary");
        let canary_dir = dir.path().join("canary-dir");
        std::fs::create_dir(&canary_dir).expect("canary dir");
        let work_root = dir.path().join("work");
        std::fs::create_dir(&work_root).expect("work root");

        // On every address: a sandbox must reach the host by none.
        let tcp = TcpListener::bind("0.0.0.0:0").expect("tcp canary");
        tcp.set_nonblocking(true).expect("non-blocking");
        let udp = UdpSocket::bind("0.0.0.0:0").expect("udp canary");
        udp.set_nonblocking(true).expect("non-blocking");
        let unix_path = dir.path().join("host.sock");
        let unix = UnixListener::bind(&unix_path).expect("unix canary");
        unix.set_nonblocking(true).expect("non-blocking");
        let abstract_name = format!("redteam-abstract-{tag}");
        let address =
            SocketAddr::from_abstract_name(abstract_name.as_bytes()).expect("abstract name");
        let abstract_listener = UnixListener::bind_addr(&address).expect("abstract canary");
        abstract_listener
            .set_nonblocking(true)
            .expect("non-blocking");

        let sentinel = Command::new("sleep")
            .arg("3600")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the sentinel");
        let entries = dir_entries(dir.path());
        for path in [&canary_file, &unix_path, &canary_dir, &work_root] {
            assert_no_quotes(path);
        }
        Self {
            canary_state: FileState::of(&canary_file, true),
            interpreter_state: FileState::of(&host.interpreter, false),
            dir,
            secret,
            canary_file,
            canary_dir,
            work_root,
            unix_path,
            tcp,
            udp,
            unix,
            abstract_name,
            abstract_listener,
            sentinel,
            marker: format!("redteam-marker-{tag}"),
            proc_name: tag,
            entries,
            hostname: host_name(),
        }
    }

    /// The placeholder values of one run.
    fn values(
        &self,
        host: &Host,
        self_tag: &str,
        peer_tag: &str,
    ) -> BTreeMap<&'static str, String> {
        let path = |p: &Path| p.to_string_lossy().into_owned();
        let port = |a: std::io::Result<std::net::SocketAddr>| a.expect("local address").port();
        let namespaces = serde_json::to_string(&host.namespaces).expect("namespaces serialize");
        BTreeMap::from([
            ("CANARY_FILE", path(&self.canary_file)),
            ("CANARY_DIR", path(&self.canary_dir)),
            ("FIXTURE_DIR", path(self.dir.path())),
            ("WORK_ROOT", path(&self.work_root)),
            ("TCP_PORT", port(self.tcp.local_addr()).to_string()),
            ("UDP_PORT", port(self.udp.local_addr()).to_string()),
            ("UNIX_SOCKET", path(&self.unix_path)),
            ("ABSTRACT_SOCKET", self.abstract_name.clone()),
            ("HOST_PID", std::process::id().to_string()),
            ("SENTINEL_PID", self.sentinel.id().to_string()),
            ("HOST_HOSTNAME", host.hostname.clone()),
            ("HOST_COMM", host.comm.clone()),
            ("HOST_EXE", path(&host.exe)),
            ("HOST_ADDRESS", host.address.to_string()),
            ("HOST_BOOT_ID", host_file("/proc/sys/kernel/random/boot_id")),
            ("HOST_CMDLINE", host_file("/proc/cmdline")),
            ("SECRET_ENV", host.secret_env.clone()),
            ("HOST_ENV_NAMES", py_list(&host.env_names)),
            ("INTERPRETER_PATHS", py_list(&host.interpreter_paths)),
            ("HOST_NAMESPACES", namespaces),
            ("MARKER", self.marker.clone()),
            ("PROC_NAME", self.proc_name.clone()),
            ("SELF_TAG", self_tag.to_owned()),
            ("PEER_TAG", peer_tag.to_owned()),
        ])
    }

    /// Host paths where an escaped write of the marker would land.
    fn marker_paths(&self, host: &Host) -> Vec<PathBuf> {
        let dirs = [
            Path::new("/"),
            Path::new("/tmp"),
            Path::new("/var/tmp"),
            Path::new("/dev/shm"),
            Path::new("/usr"),
            Path::new("/usr/lib"),
            Path::new("/root"),
            Path::new("/etc"),
            Path::new("/home"),
            self.dir.path(),
            &self.canary_dir,
            &self.work_root,
        ];
        let mut paths: Vec<PathBuf> = dirs.iter().map(|d| d.join(&self.marker)).collect();
        paths.push(host.stdlib.join(format!("{}.py", self.marker)));
        paths
    }

    /// Everything an attack must not have done to the host; one line per
    /// breach. Removes what it finds, so a breach does not outlive the test.
    fn breaches(&self, header: &Header, host: &Host, tags: &[String]) -> Vec<String> {
        let mut found = Vec::new();
        if FileState::of(&self.canary_file, true) != self.canary_state {
            found.push(format!(
                "the canary file {} changed",
                self.canary_file.display()
            ));
        }
        let in_canary_dir = dir_entries(&self.canary_dir);
        if !in_canary_dir.is_empty() {
            found.push(format!("the canary dir received {in_canary_dir:?}"));
        }
        let entries = dir_entries(self.dir.path());
        if entries != self.entries {
            found.push(format!(
                "the test's temp dir changed: {:?} became {entries:?}",
                self.entries
            ));
        }
        let left = dir_entries(&self.work_root);
        if !left.is_empty() {
            found.push(format!("the work root still holds {left:?}"));
        }
        for path in self.marker_paths(host) {
            if std::fs::symlink_metadata(&path).is_ok() {
                found.push(format!("{} was created on the host", path.display()));
                let _ = std::fs::remove_file(&path);
            }
        }
        let tcp = drain(|| self.tcp.accept().map(drop));
        match (header.tcp_reached, tcp) {
            (true, 0) => found.push("the TCP canary was never reached".into()),
            (false, n) if n > 0 => found.push(format!("the TCP canary accepted {n} connection(s)")),
            _ => {}
        }
        let mut buf = [0u8; 2048];
        let udp = drain(|| self.udp.recv_from(&mut buf).map(drop));
        if udp > 0 {
            found.push(format!("the UDP canary received {udp} datagram(s)"));
        }
        let unix = drain(|| self.unix.accept().map(drop));
        if unix > 0 {
            found.push(format!(
                "the unix socket canary accepted {unix} connection(s)"
            ));
        }
        let abstract_ = drain(|| self.abstract_listener.accept().map(drop));
        if abstract_ > 0 {
            found.push(format!(
                "the abstract socket canary accepted {abstract_} connection(s)"
            ));
        }
        if !alive(i32::try_from(self.sentinel.id()).expect("pid")) {
            found.push("the host sentinel process was killed".into());
        }
        let names: Vec<&str> = std::iter::once(self.proc_name.as_str())
            .chain(tags.iter().map(String::as_str))
            .collect();
        let survivors = processes_named(&names, Duration::from_secs(1));
        if !survivors.is_empty() {
            found.push(format!(
                "sandbox processes are alive on the host: {survivors:?}"
            ));
        }
        if FileState::of(&host.interpreter, false) != self.interpreter_state {
            found.push(format!(
                "the interpreter {} changed",
                host.interpreter.display()
            ));
        }
        if host_name() != self.hostname {
            found.push(format!("the host name changed to {}", host_name()));
        }
        found
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = self.sentinel.kill();
        let _ = self.sentinel.wait();
    }
}

fn assert_no_quotes(path: &Path) {
    let text = path.to_string_lossy();
    assert!(
        !text.contains(['"', '\'', '\\', '\n']),
        "a canary path must be safe inside a Python string literal: {text}"
    );
}

fn dir_entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// Calls a non-blocking `receive` until it would block; how many succeeded.
fn drain(mut receive: impl FnMut() -> std::io::Result<()>) -> usize {
    let mut n = 0;
    loop {
        match receive() {
            Ok(()) => n += 1,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("canary listener failed: {e}"),
        }
    }
}

/// Live host processes whose name is one of `names`, once `grace` has
/// passed without them all dying.
fn processes_named(names: &[&str], grace: Duration) -> Vec<(i32, String)> {
    let scan = || -> Vec<(i32, String)> {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return vec![];
        };
        dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
            .filter_map(|pid| {
                let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
                let comm = comm.trim().to_owned();
                (names.contains(&comm.as_str()) && alive(pid)).then_some((pid, comm))
            })
            .collect()
    };
    let start = Instant::now();
    loop {
        let found = scan();
        if found.is_empty() || start.elapsed() >= grace {
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------
// Host responsiveness while an attack runs.

/// Starts `true` on the host every 200 ms until stopped, noting how long each
/// took and what failed.
struct Responsiveness {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<(usize, Duration, Vec<String>)>,
}

impl Responsiveness {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let (mut samples, mut worst, mut failures) = (0, Duration::ZERO, Vec::new());
            while !flag.load(Ordering::Relaxed) {
                let start = Instant::now();
                match Command::new("true").stdin(Stdio::null()).spawn() {
                    Err(e) => failures.push(format!("could not start `true`: {e}")),
                    Ok(mut child) => loop {
                        match child.try_wait() {
                            Ok(Some(_)) => break,
                            Ok(None) if start.elapsed() > Duration::from_secs(5) => {
                                failures.push("`true` did not finish within 5 s".into());
                                let _ = child.kill();
                                let _ = child.wait();
                                break;
                            }
                            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                            Err(e) => {
                                failures.push(format!("waiting for `true`: {e}"));
                                break;
                            }
                        }
                    },
                }
                samples += 1;
                worst = worst.max(start.elapsed());
                std::thread::sleep(Duration::from_millis(200));
            }
            (samples, worst, failures)
        });
        Self { stop, thread }
    }

    fn finish(self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        let (samples, worst, mut failures) = self.thread.join().expect("probe thread");
        if samples == 0 {
            failures.push("no host responsiveness sample was taken during the run".into());
        }
        if worst > Duration::from_secs(1) {
            failures.push(format!(
                "the host was slow: starting `true` took {worst:?} (limit 1 s)"
            ));
        }
        failures
    }
}

// ---------------------------------------------------------------------------
// The runner.

/// One run of an attack and what came back.
struct Outcome {
    result: ExecutionResult,
    elapsed: Duration,
    values: BTreeMap<&'static str, String>,
}

/// Reads `tests/redteam/<name>.py`, runs it in secure mode as its header
/// says, and fails with every broken expectation and every breach at once.
/// Runs the attack twice: in a sandbox made for the run (cold), then in
/// one a pool prepared before the code was known.
async fn run_attack(name: &str) {
    let path = Path::new(ATTACK_DIR).join(format!("{name}.py"));
    let source =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let header = Header::parse(&source).unwrap_or_else(|e| panic!("{name}.py: {e}"));
    for tier in header.tiers() {
        require!(tier);
    }
    for pooled in [false, true] {
        attack_round(name, pooled).await;
    }
}

async fn attack_round(name: &str, pooled: bool) {
    let path = Path::new(ATTACK_DIR).join(format!("{name}.py"));
    let source =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let header = Header::parse(&source).unwrap_or_else(|e| panic!("{name}.py: {e}"));
    let host = host().await;

    let (_shared, _exclusive) = if header.exclusive() {
        (None, Some(TURN.write().await))
    } else {
        (Some(TURN.read().await), None)
    };
    let fixture = Fixture::new(host);
    let tags = [fixture.proc_name.clone(), new_tag()];
    let probe = header.host_responsive.then(Responsiveness::start);
    let outcomes = if header.concurrent == 2 {
        let (a, b) = tokio::join!(
            run_once(
                name, &header, &source, &fixture, host, &tags[0], &tags[1], pooled
            ),
            run_once(
                name, &header, &source, &fixture, host, &tags[1], &tags[0], pooled
            ),
        );
        vec![a, b]
    } else {
        vec![
            run_once(
                name, &header, &source, &fixture, host, &tags[0], &tags[1], pooled,
            )
            .await,
        ]
    };
    let mut failures = probe.map(Responsiveness::finish).unwrap_or_default();
    tokio::time::sleep(header.settle).await;

    for (i, outcome) in outcomes.iter().enumerate() {
        let run = if outcomes.len() > 1 {
            format!("run {}: ", i + 1)
        } else {
            String::new()
        };
        failures.extend(
            what_the_user_sees(&header, outcome, &fixture, host)
                .into_iter()
                .map(|f| format!("{run}{f}")),
        );
    }
    if header.concurrent == 2 {
        failures.extend(overlap(&outcomes));
    }
    let used_tags = if header.concurrent == 2 {
        &tags[..]
    } else {
        &tags[..1]
    };
    failures.extend(fixture.breaches(&header, host, used_tags));

    if std::env::var_os("REDTEAM_VERBOSE").is_some() {
        for outcome in &outcomes {
            println!("attack `{name}`\n{}", dump(outcome));
        }
    }
    if !failures.is_empty() {
        let how = if pooled { "pooled" } else { "cold" };
        let mut report = format!("attack `{name}`, {how} ({})\n", header.about);
        for failure in &failures {
            report.push_str(&format!("  - {failure}\n"));
        }
        for outcome in &outcomes {
            report.push_str(&dump(outcome));
        }
        panic!("{report}");
    }
}

#[allow(clippy::too_many_arguments)] // One run's facts, each its own.
async fn run_once(
    name: &str,
    header: &Header,
    source: &str,
    fixture: &Fixture,
    host: &Host,
    self_tag: &str,
    peer_tag: &str,
    pooled: bool,
) -> Outcome {
    let values = fixture.values(host, self_tag, peer_tag);
    let code = fill(source, &values).unwrap_or_else(|e| panic!("{name}.py: {e}"));
    let defaults = ClientConfig::default();
    let client = SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Secure,
        isolation: crate::tier::isolation(),
        // The kernel must stop every attack on its own: the policy, which
        // would refuse most of these programs before they run, is off.
        policy: PolicyChoice::Off,
        work_root: Some(fixture.work_root.clone()),
        max_file_bytes: header.max_file_bytes.unwrap_or(defaults.max_file_bytes),
        max_output_bytes: header.max_output_bytes.unwrap_or(defaults.max_output_bytes),
        pool_size: usize::from(pooled),
        // The shape the pool is stocked with at warm-up.
        allow_network: header.network,
        allowed_networks: if header.allow_host_address {
            sandbox_core::network::parse_allowed(&host.address.to_string()).expect("an address")
        } else {
            Vec::new()
        },
        ..defaults
    })
    .expect("valid config");
    if pooled {
        // A sandbox prepared before the code exists, waiting for it.
        client.warm().await.expect("stock the pool");
        let stocked = async {
            while client.pool_stats().is_none_or(|s| s.ready == 0) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(20), stocked)
            .await
            .unwrap_or_else(|_| panic!("attack `{name}`: the pool prepared no sandbox"));
    }
    let mut request = ExecutionRequest::new(code)
        .with_mode(ExecutionMode::Secure)
        .with_timeout(header.timeout)
        .with_network(header.network);
    if let Some(mb) = header.memory_mb {
        request = request.with_memory_mb(mb);
    }
    let start = Instant::now();
    let result = client
        .execute_request(request)
        .await
        .unwrap_or_else(|e| panic!("attack `{name}`: secure mode did not run it: {e}"));
    if pooled {
        let stats = client.pool_stats().expect("a pool");
        assert_eq!(
            stats.hits, 1,
            "attack `{name}`: not run in a pooled sandbox: {stats:?}"
        );
        // The host checks that follow find nothing of the pool's.
        client.close_pool().await;
    }
    Outcome {
        result,
        elapsed: start.elapsed(),
        values,
    }
}

/// The broken expectations of one run: its header, plus what no run may
/// show (the secret, a weaker mode, host paths).
fn what_the_user_sees(
    header: &Header,
    outcome: &Outcome,
    fixture: &Fixture,
    host: &Host,
) -> Vec<String> {
    let Outcome {
        result, elapsed, ..
    } = outcome;
    let filled = |text: &String| fill(text, &outcome.values).expect("header placeholders");
    let mut failures = Vec::new();
    if result.mode != ExecutionMode::Secure {
        failures.push(format!("ran in {} mode, not secure", result.mode));
    }
    if result.isolation != Some(crate::tier::isolation()) {
        failures.push(format!(
            "ran with isolation {:?}, not the suite's {}",
            result.isolation,
            crate::tier::isolation()
        ));
    }
    if !header.status.iter().any(|s| s == result.status.as_str()) {
        failures.push(format!(
            "status is `{}`, expected `{}`",
            result.status.as_str(),
            header.status.join(" | ")
        ));
    }
    let message = result.message.clone().unwrap_or_default();
    let nothing = Vec::new();
    let streams = [
        (
            "stdout",
            &result.stdout,
            &header.stdout,
            &header.forbid_stdout,
        ),
        (
            "stderr",
            &result.stderr,
            &header.stderr,
            &header.forbid_stderr,
        ),
        ("message", &message, &header.message, &nothing),
    ];
    for (stream, text, expected, forbidden) in streams {
        for line in expected {
            let line = filled(line);
            if !line.split(" | ").any(|alt| text.contains(alt)) {
                failures.push(format!("{stream} lacks `{line}`"));
            }
        }
        for line in forbidden {
            let line = filled(line);
            if text.contains(&line) {
                failures.push(format!("{stream} shows the forbidden `{line}`"));
            }
        }
    }
    if let Some(limit) = header.max_seconds
        && elapsed.as_secs_f64() > limit
    {
        failures.push(format!("the run took {elapsed:?}, more than {limit} s"));
    }
    let secret = fixture.secret.as_str();
    for (what, text) in [
        ("stdout", &result.stdout),
        ("stderr", &result.stderr),
        ("message", &message),
    ] {
        if text.contains(secret) {
            failures.push(format!("the canary's secret is in {what}"));
        }
    }
    for (file, contents) in &result.output_files {
        if contents
            .windows(secret.len())
            .any(|w| w == secret.as_bytes())
        {
            failures.push(format!(
                "the canary's secret is in the output file `{file}`"
            ));
        }
    }
    if message.len() > MAX_MESSAGE_BYTES {
        failures.push(format!(
            "the message is {} bytes: nothing bounds what the program can put there",
            message.len()
        ));
    }
    if header.check_env {
        failures.extend(host_variables_in(&result.stdout));
    }
    // The repository's path exists only on the host.
    let repo = env!("CARGO_MANIFEST_DIR");
    let interpreter_in_repo = host.interpreter_paths.iter().any(|p| p.starts_with(repo));
    if !interpreter_in_repo && (result.stdout.contains(repo) || result.stderr.contains(repo)) {
        failures.push(format!("the host path {repo} shows in the output"));
    }
    failures
}

/// Host variables among the `ENV name=value` lines of `stdout`: a name the
/// sandbox does not set itself, or one it sets but with the host's value.
/// Names only: a host value may be a secret.
fn host_variables_in(stdout: &str) -> Vec<String> {
    let host: BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(n, v)| Some((n.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let mut found = BTreeSet::new();
    for line in stdout.lines() {
        let Some((name, value)) = line.strip_prefix("ENV ").and_then(|l| l.split_once('=')) else {
            continue;
        };
        let Some(host_value) = host.get(name) else {
            continue;
        };
        if !sandbox_sets(name) {
            found.insert(format!("the host variable `{name}` is visible"));
        } else if host_value == value && !GENERIC_VALUE_VARS.contains(&name) {
            found.insert(format!("`{name}` has the host's value"));
        }
    }
    found.into_iter().collect()
}

/// The two concurrent runs must have searched at the same time.
fn overlap(outcomes: &[Outcome]) -> Vec<String> {
    let windows: Vec<Option<(f64, f64)>> = outcomes
        .iter()
        .map(|o| {
            let line = o.result.stdout.lines().find(|l| l.starts_with("WINDOW "))?;
            let mut parts = line.split_whitespace().skip(1).map(str::parse::<f64>);
            Some((parts.next()?.ok()?, parts.next()?.ok()?))
        })
        .collect();
    match windows[..] {
        [Some((a0, a1)), Some((b0, b1))] => {
            let shared = a1.min(b1) - a0.max(b0);
            if shared < 1.0 {
                vec![format!(
                    "the two runs overlapped {shared:.2} s, less than 1 s: nothing was proven"
                )]
            } else {
                vec![]
            }
        }
        _ => vec!["a concurrent run did not print its `WINDOW start end`".into()],
    }
}

fn dump(outcome: &Outcome) -> String {
    let r = &outcome.result;
    let clip = |s: &str| -> String {
        const KEEP: usize = 3000;
        if s.len() <= KEEP {
            return s.to_owned();
        }
        let mut cut = KEEP;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}… ({} bytes in all)", &s[..cut], s.len())
    };
    format!(
        "--- status {} (return code {:?}, isolation {:?}) after {:?}\n--- message: {:?}\n\
         --- output files: {}\n--- stdout:\n{}\n--- stderr:\n{}\n",
        r.status.as_str(),
        r.return_code,
        r.isolation,
        outcome.elapsed,
        r.message.as_deref().map(clip),
        clip(&format!("{:?}", r.output_files.keys().collect::<Vec<_>>())),
        clip(&r.stdout),
        clip(&r.stderr),
    )
}

// ---------------------------------------------------------------------------
// The suite's own consistency (no sandbox needed).

/// Every attack file has its test, and every test its file.
#[test]
fn every_attack_file_has_a_test() {
    let files: BTreeSet<String> = std::fs::read_dir(ATTACK_DIR)
        .expect("read the attack dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = ATTACKS.iter().map(|s| (*s).to_owned()).collect();
    let unlisted: Vec<_> = files.difference(&listed).collect();
    let missing: Vec<_> = listed.difference(&files).collect();
    assert!(
        unlisted.is_empty(),
        "attack files without an `attacks!` entry in tests/redteam.rs: {unlisted:?}"
    );
    assert!(
        missing.is_empty(),
        "`attacks!` entries without a file: {missing:?}"
    );
    assert!(files.len() >= 45, "only {} attacks", files.len());
}

/// The attacks run alone are exactly those whose headers ask for it, and
/// nextest's configuration runs that module alone.
#[test]
fn exclusive_attacks_are_those_whose_headers_say_so() {
    let mut asked = BTreeSet::new();
    for name in ATTACKS {
        let source =
            std::fs::read_to_string(Path::new(ATTACK_DIR).join(format!("{name}.py"))).unwrap();
        if Header::parse(&source).is_ok_and(|header| header.exclusive()) {
            asked.insert(*name);
        }
    }
    let listed: BTreeSet<&str> = EXCLUSIVE.iter().copied().collect();
    assert_eq!(
        listed, asked,
        "the `exclusive:` list of `attacks!` and the headers disagree"
    );
    let nextest = include_str!("../.config/nextest.toml");
    assert!(
        nextest.contains("filter = 'test(/^redteam::exclusive::/)'")
            && nextest.contains("threads-required = \"num-test-threads\""),
        ".config/nextest.toml no longer runs the exclusive attacks alone"
    );
}

/// Every header parses and every placeholder is known.
#[test]
fn every_attack_header_is_valid() {
    let values: BTreeMap<&str, String> = PLACEHOLDERS.iter().map(|&p| (p, "x".into())).collect();
    let mut problems = Vec::new();
    for name in ATTACKS {
        let source =
            std::fs::read_to_string(Path::new(ATTACK_DIR).join(format!("{name}.py"))).unwrap();
        match Header::parse(&source) {
            Err(e) => problems.push(format!("{name}.py: {e}")),
            Ok(header) => {
                let texts = std::iter::once(&source).chain(header.values());
                for text in texts {
                    if let Err(e) = fill(text, &values) {
                        problems.push(format!("{name}.py: {e}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every attack is valid Python once filled in. Compiled only, never run, in
/// simple mode (the attack files are data here).
#[tokio::test]
async fn every_attack_compiles() {
    let values: BTreeMap<&str, String> = PLACEHOLDERS
        .iter()
        .map(|&p| {
            let value = match p {
                "TCP_PORT" | "UDP_PORT" | "HOST_PID" | "SENTINEL_PID" => "1".into(),
                "HOST_ENV_NAMES" | "INTERPRETER_PATHS" => "['/x']".into(),
                "HOST_NAMESPACES" => "{'net': 'net:[1]'}".into(),
                _ => format!("/placeholder/{p}"),
            };
            (p, value)
        })
        .collect();
    let files: Vec<(String, Vec<u8>)> = ATTACKS
        .iter()
        .map(|name| {
            let source =
                std::fs::read_to_string(Path::new(ATTACK_DIR).join(format!("{name}.py"))).unwrap();
            let code = fill(&source, &values).unwrap();
            (format!("attacks/{name}.py"), code.into_bytes())
        })
        .collect();
    let code = r#"
import os
names = sorted(os.listdir("attacks"))
for name in names:
    with open(os.path.join("attacks", name), encoding="utf-8") as f:
        try:
            compile(f.read(), name, "exec", dont_inherit=True)
        except SyntaxError as e:
            print("SYNTAX", name, e)
print("compiled", len(names))
"#;
    let result = SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Simple,
        ..crate::support::config()
    })
    .unwrap()
    .execute_request(
        ExecutionRequest::new(code)
            .with_mode(ExecutionMode::Simple)
            .with_files(files),
    )
    .await
    .unwrap();
    assert_eq!(result.status, Status::Ok, "{result:?}");
    assert!(!result.stdout.contains("SYNTAX"), "{}", result.stdout);
    assert!(
        result
            .stdout
            .contains(&format!("compiled {}", ATTACKS.len())),
        "{}",
        result.stdout
    );
}

#[test]
fn placeholders_are_filled_and_other_braces_kept() {
    let values = BTreeMap::from([("PORT", "80".to_owned())]);
    assert_eq!(
        fill("f'{x}' {PORT} {'a': 1} {{y}} {P0RT", &values).unwrap(),
        "f'{x}' 80 {'a': 1} {{y}} {P0RT"
    );
    assert!(fill("{NOPE}", &values).unwrap_err().contains("NOPE"));
}
