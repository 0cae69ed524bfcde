//! The red team: attack programs against secure mode, each proving
//! containment by its effect on the host and asserting what the user sees.
//!
//! Every `tests/redteam/<name>.py` is one attack and one test (the `attacks!`
//! list below; `every_attack_file_has_a_test` fails for a file left out). The
//! generic runner [`run_attack`] reads the file, fills in its placeholders,
//! runs it in **secure mode** at the full isolation level (the suite's level:
//! see `tier::isolation`), twice (in a sandbox made for the run, then in one
//! a pool prepared before the code existed), and checks after each:
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
//! The harness, beside the attacks in `tests/redteam/`: `header` (parsing
//! the header), `host` (facts about the host, gathered once), `fixture`
//! (each test's canaries and placeholders), `responsiveness`, `run` (one
//! attack and the checks of its effects) and `consistency` (the suite's own
//! checks, no sandbox needed).
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

mod consistency;
mod fixture;
mod header;
mod host;
mod responsiveness;
mod run;

use fixture::*;
use header::*;
use host::*;
use responsiveness::*;
use run::*;
