//! The seccomp filters, compiled to BPF in the parent with `seccompiler`
//! (pure Rust) and installed by the child as its last step before `execve`.
//!
//! The policy is an allow-list: [`ALLOWED`] holds, in groups that each say
//! why, the system calls the interpreter, its standard library and the
//! common native libraries (numpy's OpenBLAS, pandas, matplotlib) make. It
//! is modelled on Docker's default profile, minus [`DENIED`] and minus what
//! no such program needs: legacy AIO; the NUMA policy calls (Docker keeps
//! them for `CAP_SYS_NICE`; OpenBLAS's `mbind` ignores the answer);
//! `fanotify_mark`, `memfd_secret`, `modify_ldt`, the i386 thread-area
//! calls, `remap_file_pages`, `process_mrelease`.
//!
//! Everything else answers `ENOSYS`: a system call the kernel adds tomorrow
//! looks absent, as on an older kernel, so the C library takes the fallback
//! it has for those (as for `clone3`, `faccessat2`, `close_range`) where an
//! unexpected `EPERM` would make it fail. The calls dangerous by name
//! ([`DENIED`], each with its reason) answer `EPERM` instead, so Python
//! raises a readable `PermissionError`; so do a few argument checks: `clone`
//! with namespace flags, `TIOCSTI`, `AF_VSOCK`, and sockets other than unix
//! ones without network. The namespaces and landlock confine what the
//! allowed calls can reach; this filter removes the kernel attack surface
//! and escape routes those layers do not cover.
//!
//! To see why a call is allowed, look its name up here: each appears in one
//! group only (a unit test checks), under the group's reason.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

/// A group of allowed system calls and why a Python program needs them.
/// Only the numbers reach the filter; the names and reasons are for the
/// reader and the tests.
#[cfg_attr(not(test), allow(dead_code))]
struct Group {
    name: &'static str,
    reason: &'static str,
    /// Number and `libc` constant name (`SYS_read`).
    calls: &'static [(i64, &'static str)],
}

/// `(libc::SYS_x, "SYS_x")` for each constant, so the data names its calls.
/// A `#[cfg]` before a name keeps it to the architectures where `libc`
/// names it (the others list the number in their own group below).
macro_rules! calls {
    ($($(#[$attr:meta])* $name:ident),* $(,)?) => {
        &[$($(#[$attr])* (libc::$name, stringify!($name))),*]
    };
}

/// The allow-list. Calls that exist on every architecture, then the older
/// entry points only x86_64 keeps.
const ALLOWED: &[Group] = &[
    Group {
        name: "memory",
        reason: "the allocator, the loader's mappings, the mmap module, OpenBLAS buffers; \
                 memfd_create for anonymous shared files",
        calls: calls![
            SYS_brk,
            SYS_mmap,
            SYS_munmap,
            SYS_mprotect,
            SYS_mremap,
            SYS_madvise,
            SYS_mincore,
            SYS_msync,
            SYS_mlock,
            SYS_mlock2,
            SYS_munlock,
            SYS_mlockall,
            SYS_munlockall,
            SYS_membarrier,
            SYS_pkey_alloc,
            SYS_pkey_free,
            SYS_pkey_mprotect,
            SYS_memfd_create,
        ],
    },
    Group {
        name: "descriptors",
        reason: "reading, writing and managing open files and pipes; which files exist is \
                 the mount namespace's and landlock's business",
        calls: calls![
            SYS_read,
            SYS_write,
            SYS_readv,
            SYS_writev,
            SYS_pread64,
            SYS_pwrite64,
            SYS_preadv,
            SYS_pwritev,
            SYS_preadv2,
            SYS_pwritev2,
            SYS_lseek,
            SYS_openat,
            SYS_openat2,
            SYS_close,
            SYS_close_range,
            SYS_dup,
            SYS_dup3,
            SYS_fcntl,
            SYS_flock,
            SYS_ioctl,
            SYS_pipe2,
            SYS_fsync,
            SYS_fdatasync,
            SYS_sync,
            SYS_syncfs,
            #[cfg(not(target_arch = "aarch64"))]
            SYS_sync_file_range,
            SYS_truncate,
            SYS_ftruncate,
            SYS_fallocate,
            SYS_fadvise64,
            SYS_readahead,
            SYS_sendfile,
            SYS_copy_file_range,
            SYS_splice,
            SYS_tee,
            SYS_vmsplice,
        ],
    },
    Group {
        name: "paths and metadata",
        reason: "os.stat, listdir, mkdir, rename, chmod, utime, shutil's copies (extended \
                 attributes included), mkfifo; inside the sandbox's own files",
        calls: calls![
            SYS_newfstatat,
            SYS_fstat,
            SYS_statx,
            SYS_statfs,
            SYS_fstatfs,
            SYS_faccessat,
            SYS_faccessat2,
            SYS_getdents64,
            SYS_getcwd,
            SYS_chdir,
            SYS_fchdir,
            SYS_mkdirat,
            SYS_mknodat,
            SYS_unlinkat,
            #[cfg(target_arch = "x86_64")]
            SYS_renameat,
            SYS_renameat2,
            SYS_linkat,
            SYS_symlinkat,
            SYS_readlinkat,
            SYS_fchmod,
            SYS_fchmodat,
            #[cfg(target_arch = "x86_64")]
            SYS_fchmodat2,
            SYS_fchown,
            SYS_fchownat,
            SYS_utimensat,
            SYS_umask,
            SYS_getxattr,
            SYS_lgetxattr,
            SYS_fgetxattr,
            SYS_listxattr,
            SYS_llistxattr,
            SYS_flistxattr,
            SYS_setxattr,
            SYS_lsetxattr,
            SYS_fsetxattr,
            SYS_removexattr,
            SYS_lremovexattr,
            SYS_fremovexattr,
        ],
    },
    Group {
        name: "processes",
        reason: "subprocess, multiprocessing and os.fork; the pid namespace confines whom \
                 they reach. clone with namespace flags answers EPERM (an argument check); \
                 clone3, whose flags BPF cannot read, is left out, so its ENOSYS makes the \
                 C library fall back to clone. execve and execveat stay allowed: what may \
                 run is decided by the filesystem layers",
        calls: calls![
            SYS_clone,
            SYS_execve,
            SYS_execveat,
            SYS_exit,
            SYS_exit_group,
            SYS_wait4,
            SYS_waitid,
            SYS_kill,
            SYS_tkill,
            SYS_tgkill,
            SYS_getpid,
            SYS_getppid,
            SYS_gettid,
            SYS_getpgid,
            SYS_setpgid,
            SYS_getsid,
            SYS_setsid,
            SYS_pidfd_open,
            SYS_pidfd_send_signal,
        ],
    },
    Group {
        name: "limits and self-restriction",
        reason: "the resource module, prctl (thread names, PR_SET_PDEATHSIG, no_new_privs) \
                 and calls that only take privileges away (capset, seccomp, landlock), which \
                 the sandbox's own set-up also makes after the first filter is in place",
        calls: calls![
            #[cfg(not(target_arch = "aarch64"))]
            SYS_getrlimit,
            #[cfg(not(target_arch = "aarch64"))]
            SYS_setrlimit,
            SYS_prlimit64,
            SYS_getrusage,
            SYS_getpriority,
            SYS_setpriority,
            SYS_prctl,
            SYS_capget,
            SYS_capset,
            SYS_seccomp,
            SYS_landlock_create_ruleset,
            SYS_landlock_add_rule,
            SYS_landlock_restrict_self,
        ],
    },
    Group {
        name: "threads and scheduling",
        reason: "threading and the C library's thread start-up (robust futex list, \
                 restartable sequences); OpenBLAS sizes and pins its thread pool with the \
                 affinity calls and spins with sched_yield",
        calls: calls![
            SYS_futex,
            SYS_futex_waitv,
            SYS_set_robust_list,
            SYS_get_robust_list,
            SYS_set_tid_address,
            SYS_rseq,
            SYS_sched_yield,
            SYS_sched_getaffinity,
            SYS_sched_setaffinity,
            SYS_sched_getparam,
            SYS_sched_setparam,
            SYS_sched_getscheduler,
            SYS_sched_setscheduler,
            SYS_sched_get_priority_max,
            SYS_sched_get_priority_min,
            SYS_sched_rr_get_interval,
            SYS_sched_getattr,
            SYS_sched_setattr,
            SYS_getcpu,
            SYS_ioprio_get,
            SYS_ioprio_set,
        ],
    },
    Group {
        name: "signals",
        reason: "the signal module, the interpreter's own handlers, faulthandler's stack, \
                 restarting interrupted calls",
        calls: calls![
            SYS_rt_sigaction,
            SYS_rt_sigprocmask,
            SYS_rt_sigreturn,
            SYS_rt_sigsuspend,
            SYS_rt_sigpending,
            SYS_rt_sigtimedwait,
            SYS_rt_sigqueueinfo,
            SYS_rt_tgsigqueueinfo,
            SYS_sigaltstack,
            SYS_restart_syscall,
            SYS_signalfd4,
        ],
    },
    Group {
        name: "time",
        reason: "the time module, timeouts, signal.alarm and setitimer, timer descriptors \
                 (reading clocks only: setting them is denied)",
        calls: calls![
            SYS_clock_gettime,
            SYS_clock_getres,
            SYS_clock_nanosleep,
            SYS_nanosleep,
            SYS_gettimeofday,
            SYS_getitimer,
            SYS_setitimer,
            SYS_timer_create,
            SYS_timer_settime,
            SYS_timer_gettime,
            SYS_timer_getoverrun,
            SYS_timer_delete,
            SYS_timerfd_create,
            SYS_timerfd_settime,
            SYS_timerfd_gettime,
            SYS_times,
        ],
    },
    Group {
        name: "polling and events",
        reason: "selectors and asyncio (epoll), subprocess's and multiprocessing's waits, \
                 eventfd wake-ups",
        calls: calls![
            SYS_epoll_create1,
            SYS_epoll_ctl,
            SYS_epoll_pwait,
            SYS_epoll_pwait2,
            SYS_ppoll,
            SYS_pselect6,
            SYS_eventfd2,
        ],
    },
    Group {
        name: "sockets",
        reason: "socket, asyncio, multiprocessing's connections; the network namespace \
                 confines them (only loopback without network), and without network only \
                 unix sockets may be made (an argument check)",
        calls: calls![
            SYS_socket,
            SYS_socketpair,
            SYS_bind,
            SYS_listen,
            SYS_accept,
            SYS_accept4,
            SYS_connect,
            SYS_getsockname,
            SYS_getpeername,
            SYS_getsockopt,
            SYS_setsockopt,
            SYS_sendto,
            SYS_recvfrom,
            SYS_sendmsg,
            SYS_recvmsg,
            SYS_sendmmsg,
            SYS_recvmmsg,
            SYS_shutdown,
        ],
    },
    Group {
        name: "inter-process communication",
        reason: "POSIX message queues (System V objects cannot be made, see the refusals; \
                 these calls act on none); the IPC namespace is the sandbox's own",
        calls: calls![
            SYS_shmat,
            SYS_shmdt,
            SYS_shmctl,
            SYS_semop,
            SYS_semtimedop,
            SYS_semctl,
            SYS_msgsnd,
            SYS_msgrcv,
            SYS_msgctl,
            SYS_mq_open,
            SYS_mq_unlink,
            SYS_mq_timedsend,
            SYS_mq_timedreceive,
            SYS_mq_notify,
            SYS_mq_getsetattr,
        ],
    },
    Group {
        name: "identity and system information",
        reason: "os.getuid and friends, setuid to the ids the user namespace maps (no \
                 capability comes back), platform and os.cpu_count's sources, random \
                 numbers",
        calls: calls![
            SYS_getuid,
            SYS_geteuid,
            SYS_getgid,
            SYS_getegid,
            SYS_getresuid,
            SYS_getresgid,
            SYS_getgroups,
            SYS_setuid,
            SYS_setgid,
            SYS_setreuid,
            SYS_setregid,
            SYS_setresuid,
            SYS_setresgid,
            SYS_setgroups,
            SYS_setfsuid,
            SYS_setfsgid,
            SYS_uname,
            SYS_sysinfo,
            SYS_getrandom,
        ],
    },
    #[cfg(target_arch = "x86_64")]
    Group {
        name: "x86_64 entry points",
        reason: "the older forms x86_64 keeps beside the *at and *2 ones (prebuilt wheels \
                 and the C library still call them), and arch_prctl, which sets the thread \
                 pointer at start-up",
        calls: calls![
            SYS_arch_prctl,
            SYS_open,
            SYS_creat,
            SYS_stat,
            SYS_lstat,
            SYS_access,
            SYS_getdents,
            SYS_mkdir,
            SYS_rmdir,
            SYS_rename,
            SYS_link,
            SYS_unlink,
            SYS_symlink,
            SYS_readlink,
            SYS_chmod,
            SYS_chown,
            SYS_lchown,
            SYS_mknod,
            SYS_utime,
            SYS_utimes,
            SYS_futimesat,
            SYS_pipe,
            SYS_dup2,
            SYS_poll,
            SYS_select,
            SYS_epoll_create,
            SYS_epoll_wait,
            SYS_eventfd,
            SYS_signalfd,
            SYS_fork,
            SYS_vfork,
            SYS_getpgrp,
            SYS_alarm,
            SYS_pause,
            SYS_time,
        ],
    },
    #[cfg(target_arch = "aarch64")]
    Group {
        name: "aarch64 numbers",
        reason: "calls of the groups above that the libc crate does not name on aarch64: \
                 renameat (os.rename), sync_file_range, getrlimit, setrlimit, fchmodat2",
        calls: &[
            (38, "SYS_renameat"),
            (84, "SYS_sync_file_range"),
            (163, "SYS_getrlimit"),
            (164, "SYS_setrlimit"),
            (452, "SYS_fchmodat2"),
        ],
    },
    #[cfg(target_arch = "riscv64")]
    Group {
        name: "riscv64 numbers",
        reason: "calls of the groups above that the libc crate does not name on riscv64: \
                 fchmodat2",
        calls: &[(452, "SYS_fchmodat2")],
    },
];

/// Syscalls refused by name with `EPERM`, with the reason: none is in
/// [`ALLOWED`], and naming them turns `ENOSYS` into a readable refusal.
const DENIED: &[(i64, &str)] = &[
    (libc::SYS_ptrace, "inspect or control other processes"),
    (
        libc::SYS_inotify_init1,
        "watch host files: the binds share the host's inodes, so watches would see host \
         processes and other sandboxes use them",
    ),
    (
        libc::SYS_inotify_add_watch,
        "watch host files (see inotify_init1)",
    ),
    (
        libc::SYS_inotify_rm_watch,
        "watch host files (see inotify_init1)",
    ),
    (
        libc::SYS_msgget,
        "System V queues hold kernel memory that an address-space limit does not count \
         (POSIX queues and /dev/shm work)",
    ),
    (libc::SYS_semget, "System V IPC (see msgget)"),
    (libc::SYS_shmget, "System V IPC (see msgget)"),
    (libc::SYS_process_vm_readv, "read another process's memory"),
    (
        libc::SYS_process_vm_writev,
        "write another process's memory",
    ),
    (libc::SYS_kcmp, "compare kernel objects of other processes"),
    (libc::SYS_pidfd_getfd, "steal another process's descriptors"),
    (libc::SYS_process_madvise, "act on another process's memory"),
    (libc::SYS_mount, "change the filesystem layout"),
    (libc::SYS_umount2, "uncover what the sandbox hides"),
    (libc::SYS_pivot_root, "change the root"),
    (libc::SYS_chroot, "change the root"),
    (libc::SYS_move_mount, "new mount API"),
    (libc::SYS_open_tree, "new mount API"),
    (libc::SYS_fsopen, "new mount API"),
    (libc::SYS_fsconfig, "new mount API"),
    (libc::SYS_fsmount, "new mount API"),
    (libc::SYS_fspick, "new mount API"),
    (libc::SYS_mount_setattr, "new mount API"),
    (
        libc::SYS_unshare,
        "create namespaces (kernel attack surface)",
    ),
    (libc::SYS_setns, "enter other namespaces"),
    (libc::SYS_keyctl, "kernel keyrings are not namespaced"),
    (libc::SYS_add_key, "kernel keyrings are not namespaced"),
    (libc::SYS_request_key, "kernel keyrings are not namespaced"),
    (libc::SYS_bpf, "load programs into the kernel"),
    (
        libc::SYS_perf_event_open,
        "performance counters leak host activity",
    ),
    (libc::SYS_userfaultfd, "classic aid to kernel exploits"),
    (
        libc::SYS_io_uring_setup,
        "io_uring bypasses seccomp for its operations",
    ),
    (
        libc::SYS_io_uring_enter,
        "io_uring bypasses seccomp for its operations",
    ),
    (
        libc::SYS_io_uring_register,
        "io_uring bypasses seccomp for its operations",
    ),
    (libc::SYS_kexec_load, "replace the kernel"),
    (libc::SYS_kexec_file_load, "replace the kernel"),
    (libc::SYS_init_module, "load kernel modules"),
    (libc::SYS_finit_module, "load kernel modules"),
    (libc::SYS_delete_module, "unload kernel modules"),
    (libc::SYS_reboot, "reboot the machine"),
    (libc::SYS_swapon, "change swap"),
    (libc::SYS_swapoff, "change swap"),
    (libc::SYS_acct, "process accounting"),
    (libc::SYS_quotactl, "disk quotas"),
    (libc::SYS_syslog, "read the kernel log"),
    (libc::SYS_settimeofday, "set the clock"),
    (libc::SYS_clock_settime, "set the clock"),
    (libc::SYS_clock_adjtime, "set the clock"),
    (libc::SYS_adjtimex, "set the clock"),
    (libc::SYS_sethostname, "the hostname is fixed"),
    (libc::SYS_setdomainname, "the domain name is fixed"),
    (
        libc::SYS_open_by_handle_at,
        "open files by handle, bypassing paths",
    ),
    (libc::SYS_name_to_handle_at, "file handles"),
    (libc::SYS_fanotify_init, "watch filesystem events"),
    (libc::SYS_personality, "change the execution domain"),
    (libc::SYS_vhangup, "hang up terminals"),
    #[cfg(target_arch = "x86_64")]
    (
        libc::SYS_inotify_init,
        "watch host files (see inotify_init1)",
    ),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_iopl, "raw I/O port access"),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_ioperm, "raw I/O port access"),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_uselib, "obsolete library loading"),
];

/// `clone` flags that create namespaces; `clone` with any of them is denied
/// (the first argument holds the flags on every supported architecture).
const NAMESPACE_FLAGS: &[i32] = &[
    libc::CLONE_NEWUSER,
    libc::CLONE_NEWNS,
    libc::CLONE_NEWPID,
    libc::CLONE_NEWNET,
    libc::CLONE_NEWIPC,
    libc::CLONE_NEWUTS,
    libc::CLONE_NEWCGROUP,
];

fn arch() -> TargetArch {
    #[cfg(target_arch = "aarch64")]
    return TargetArch::aarch64;
    #[cfg(target_arch = "riscv64")]
    return TargetArch::riscv64;
    #[cfg(not(any(target_arch = "aarch64", target_arch = "riscv64")))]
    TargetArch::x86_64
}

/// Every allowed system call number.
fn allowed() -> impl Iterator<Item = i64> {
    ALLOWED
        .iter()
        .flat_map(|group| group.calls.iter().map(|(nr, _)| *nr))
}

/// The filters, in installation order: the allow-list (anything else
/// answers `ENOSYS`), then the refusals answering `EPERM`. When both refuse
/// a call the kernel returns the errno of the filter installed last, so the
/// refusals must come second.
///
/// The allow-list compares exact numbers, so the x32 ABI's numbers (bit 30
/// set, under the same audit architecture as x86_64) are never in it; any
/// other architecture (the i386 `int 0x80` entry) kills the process at the
/// architecture check `seccompiler` puts first.
pub(crate) fn filters(allow_network: bool) -> Result<Vec<BpfProgram>, seccompiler::Error> {
    let allow = SeccompFilter::new(
        allowed().map(|nr| (nr, Vec::new())).collect(),
        SeccompAction::Errno(libc::ENOSYS as u32),
        SeccompAction::Allow,
        arch(),
    )?;

    let mut rules: BTreeMap<i64, Vec<SeccompRule>> =
        DENIED.iter().map(|(nr, _)| (*nr, Vec::new())).collect();

    let clone_rules = NAMESPACE_FLAGS
        .iter()
        .map(|flag| {
            let flag = i64::from(*flag).cast_unsigned();
            SeccompRule::new(vec![SeccompCondition::new(
                0,
                SeccompCmpArgLen::Qword,
                SeccompCmpOp::MaskedEq(flag),
                flag,
            )?])
        })
        .collect::<Result<Vec<_>, _>>()?;
    rules.insert(libc::SYS_clone, clone_rules);

    // TIOCSTI pushes input into a terminal: a classic escape when a tty leaks.
    rules.insert(
        libc::SYS_ioctl,
        vec![SeccompRule::new(vec![SeccompCondition::new(
            1,
            SeccompCmpArgLen::Dword,
            SeccompCmpOp::Eq,
            libc::TIOCSTI,
        )?])?],
    );

    let family = |arg, op, family: i32| -> Result<SeccompRule, seccompiler::Error> {
        Ok(SeccompRule::new(vec![SeccompCondition::new(
            arg,
            SeccompCmpArgLen::Dword,
            op,
            i64::from(family).cast_unsigned(),
        )?])?)
    };
    if allow_network {
        // vsock reaches the host or hypervisor past the network namespace.
        rules.insert(
            libc::SYS_socket,
            vec![family(0, SeccompCmpOp::Eq, libc::AF_VSOCK)?],
        );
        rules.insert(
            libc::SYS_socketpair,
            vec![family(0, SeccompCmpOp::Eq, libc::AF_VSOCK)?],
        );
    } else {
        // Only local (AF_UNIX) sockets; everything else is the network.
        rules.insert(
            libc::SYS_socket,
            vec![family(0, SeccompCmpOp::Ne, libc::AF_UNIX)?],
        );
        rules.insert(
            libc::SYS_socketpair,
            vec![family(0, SeccompCmpOp::Ne, libc::AF_UNIX)?],
        );
    }

    let deny = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        arch(),
    )?;
    Ok(vec![allow.try_into()?, deny.try_into()?])
}

/// Converts to the kernel's struct layout (identical field for field).
pub(crate) fn to_kernel(program: &BpfProgram) -> Vec<libc::sock_filter> {
    program
        .iter()
        .map(|i| libc::sock_filter {
            code: i.code,
            jt: i.jt,
            jf: i.jf,
            k: i.k,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Runs classic BPF as the kernel does, for the instructions
    /// `seccompiler` emits, on a `struct seccomp_data`.
    fn run(program: &BpfProgram, arch: u32, nr: i64, args: [u64; 6]) -> u32 {
        let mut data = Vec::with_capacity(64);
        data.extend_from_slice(&i32::try_from(nr).unwrap().to_ne_bytes());
        data.extend_from_slice(&arch.to_ne_bytes());
        data.extend_from_slice(&0u64.to_ne_bytes());
        for arg in args {
            data.extend_from_slice(&arg.to_ne_bytes());
        }
        let (mut acc, mut pc) = (0u32, 0usize);
        loop {
            let insn = &program[pc];
            pc += 1;
            let code = u32::from(insn.code);
            match code {
                c if c == libc::BPF_LD | libc::BPF_W | libc::BPF_ABS => {
                    let at = insn.k as usize;
                    acc = u32::from_ne_bytes(data[at..at + 4].try_into().unwrap());
                }
                c if c == libc::BPF_ALU | libc::BPF_AND | libc::BPF_K => acc &= insn.k,
                c if c == libc::BPF_JMP | libc::BPF_JA => pc += insn.k as usize,
                c if c & 0x07 == libc::BPF_JMP => {
                    let taken = match code & 0xf0 {
                        op if op == libc::BPF_JEQ => acc == insn.k,
                        op if op == libc::BPF_JGT => acc > insn.k,
                        op if op == libc::BPF_JGE => acc >= insn.k,
                        op if op == libc::BPF_JSET => acc & insn.k != 0,
                        op => panic!("unexpected jump {op:#x}"),
                    };
                    pc += usize::from(if taken { insn.jt } else { insn.jf });
                }
                c if c == libc::BPF_RET | libc::BPF_K => return insn.k,
                c => panic!("unexpected instruction {c:#x}"),
            }
        }
    }

    /// What the kernel returns for a call under these filters (installed in
    /// order): the most severe action, and among equals the one of the
    /// filter installed last.
    fn verdict(network: bool, arch: u32, nr: i64, args: [u64; 6]) -> u32 {
        let mut verdict = libc::SECCOMP_RET_ALLOW;
        for program in filters(network).unwrap().iter().rev() {
            let ret = run(program, arch, nr, args);
            let action = |r: u32| (r & libc::SECCOMP_RET_ACTION_FULL).cast_signed();
            if action(ret) < action(verdict) {
                verdict = ret;
            }
        }
        verdict
    }

    const NATIVE: u32 = if cfg!(target_arch = "aarch64") {
        0xC000_00B7
    } else if cfg!(target_arch = "riscv64") {
        0xC000_00F3
    } else {
        0xC000_003E
    };
    const ENOSYS: u32 = libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32;
    const EPERM: u32 = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;

    fn call(network: bool, nr: i64, args: [u64; 6]) -> u32 {
        verdict(network, NATIVE, nr, args)
    }

    #[test]
    fn every_allowed_call_is_allowed_and_nothing_else() {
        for network in [false, true] {
            let allowed: BTreeSet<i64> = allowed().collect();
            for nr in 0..1024 {
                let want = if allowed.contains(&nr) {
                    libc::SECCOMP_RET_ALLOW
                } else if DENIED.iter().any(|(denied, _)| *denied == nr) {
                    EPERM
                } else {
                    ENOSYS
                };
                // Arguments that pass every argument check.
                let args = [libc::AF_UNIX as u64, 0, 0, 0, 0, 0];
                assert_eq!(call(network, nr, args), want, "syscall {nr}");
            }
        }
    }

    #[test]
    fn new_and_foreign_calls_answer_enosys() {
        // open_tree_attr (Linux 6.15), newer than the list, and clone3,
        // which must look absent so the C library falls back to clone.
        for nr in [467, 470, 600, libc::SYS_clone3] {
            assert_eq!(call(false, nr, [0; 6]), ENOSYS, "syscall {nr}");
        }
        assert!(
            !DENIED
                .iter()
                .any(|(nr, _)| *nr == libc::SYS_clone3 || *nr >= 467)
        );
        // x32: the same calls with bit 30 set, never allowed.
        #[cfg(target_arch = "x86_64")]
        for nr in [libc::SYS_read, libc::SYS_unshare, libc::SYS_clone] {
            assert_eq!(call(false, 0x4000_0000 | nr, [0; 6]), ENOSYS, "x32 {nr}");
        }
        // Any other architecture (i386's int 0x80) dies at the arch check.
        assert_eq!(
            verdict(false, 0x4000_0003, 310, [0; 6]),
            libc::SECCOMP_RET_KILL_PROCESS
        );
    }

    #[test]
    fn argument_checks_answer_eperm() {
        let clone = |flags: i32| {
            call(
                false,
                libc::SYS_clone,
                [i64::from(flags).cast_unsigned(), 0, 0, 0, 0, 0],
            )
        };
        assert_eq!(clone(libc::SIGCHLD), libc::SECCOMP_RET_ALLOW);
        // What the C library's pthread_create passes.
        let thread = libc::CLONE_VM
            | libc::CLONE_FS
            | libc::CLONE_FILES
            | libc::CLONE_SIGHAND
            | libc::CLONE_THREAD
            | libc::CLONE_SYSVSEM
            | libc::CLONE_SETTLS
            | libc::CLONE_PARENT_SETTID
            | libc::CLONE_CHILD_CLEARTID;
        assert_eq!(clone(thread), libc::SECCOMP_RET_ALLOW);
        for flag in NAMESPACE_FLAGS {
            assert_eq!(clone(libc::SIGCHLD | flag), EPERM, "{flag:#x}");
        }
        let ioctl = |request| call(false, libc::SYS_ioctl, [1, request, 0, 0, 0, 0]);
        assert_eq!(ioctl(libc::TIOCSTI), EPERM);
        assert_eq!(ioctl(libc::TCGETS), libc::SECCOMP_RET_ALLOW);
        let socket = |network, family: i32| {
            call(
                network,
                libc::SYS_socket,
                [i64::from(family).cast_unsigned(), 1, 0, 0, 0, 0],
            )
        };
        assert_eq!(socket(false, libc::AF_UNIX), libc::SECCOMP_RET_ALLOW);
        assert_eq!(socket(false, libc::AF_INET), EPERM);
        assert_eq!(socket(false, libc::AF_NETLINK), EPERM);
        assert_eq!(socket(true, libc::AF_INET), libc::SECCOMP_RET_ALLOW);
        assert_eq!(socket(true, libc::AF_NETLINK), libc::SECCOMP_RET_ALLOW);
        assert_eq!(socket(true, libc::AF_VSOCK), EPERM);
    }

    #[test]
    fn the_data_is_consistent() {
        let mut numbers = BTreeSet::new();
        let mut names = BTreeSet::new();
        for group in ALLOWED {
            assert!(!group.name.is_empty() && !group.calls.is_empty());
            assert!(group.reason.len() > 20, "{}: no reason", group.name);
            for (nr, name) in group.calls {
                assert!(numbers.insert(*nr), "{name} listed twice");
                assert!(names.insert(*name), "{name} listed twice");
                assert!(name.starts_with("SYS_"), "{name}");
            }
        }
        let mut denied = BTreeSet::new();
        for (nr, reason) in DENIED {
            assert!(!reason.is_empty());
            assert!(denied.insert(*nr), "syscall {nr} denied twice");
            assert!(
                !numbers.contains(nr),
                "syscall {nr} both allowed and denied"
            );
        }
        // The sandbox's own set-up installs the later filters, and the
        // process then executes the interpreter, under the first one.
        for needed in [libc::SYS_seccomp, libc::SYS_execve, libc::SYS_close_range] {
            assert!(numbers.contains(&needed), "{needed}");
        }
    }

    #[test]
    fn filters_compile_both_ways() {
        for network in [false, true] {
            let programs = filters(network).unwrap();
            assert_eq!(programs.len(), 2);
            assert!(programs.iter().all(|p| !p.is_empty()));
        }
    }
}
