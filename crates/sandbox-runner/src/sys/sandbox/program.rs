//! The program process (pid 2): limits, then rules, then the interpreter;
//! one function per stage, in the order the rules need (see the module
//! above).

use libc::c_int;

use super::handshake::Stage;
use super::init::install_filter;
use super::raw::{EXIT_EXEC, check, close, close_from, close_range, dup2, fail, prctl, write_all};
use super::{ChildSpec, FD_CGROUPS, FD_ERROR, FD_LANDLOCK, FD_REPORT, PROGRAM_REPORT_FD};

/// The program process. Never returns.
pub(super) fn main(spec: &ChildSpec, gate: c_int) -> ! {
    // The gate's listener is init's alone: whoever holds it decides which
    // execs happen.
    close(gate);
    // SAFETY: SIG_DFL installs no handler.
    unsafe { libc::signal(libc::SIGUSR1, libc::SIG_DFL) };
    join_cgroups(spec);
    set_rlimits(spec);
    // SAFETY: a NUL-terminated path that lives across the call.
    check(unsafe { libc::chdir(spec.cwd.as_ptr()) }, Stage::Chdir);
    drop_capabilities(spec);
    check(prctl(libc::PR_SET_NO_NEW_PRIVS, 1), Stage::NoNewPrivs);
    restrict_with_landlock(spec);
    keep_only_program_descriptors();
    // seccomp last: from here on the filter applies to us too.
    for program in &spec.seccomp {
        install_filter(program, 0, Stage::Seccomp);
    }
    // SAFETY: the program path and the NUL-terminated pointer arrays live
    // in `spec` (see `CStringArray`) across the call.
    unsafe {
        libc::execve(
            spec.program.as_ptr(),
            spec.argv.as_ptr(),
            spec.envp.as_ptr(),
        )
    };
    fail(Stage::Exec, EXIT_EXEC)
}

/// Into the run's cgroups first, before anything is allocated: "0" in
/// `tasks` moves the writing thread itself, which the kernel does without
/// waiting for an RCU grace period (see `Cgroup::self_join_files`).
fn join_cgroups(spec: &ChildSpec) {
    if spec.fds.cgroups.is_some() {
        for fd in FD_CGROUPS {
            check(write_all(fd, b"0"), Stage::JoinCgroup);
        }
    }
}

fn set_rlimits(spec: &ChildSpec) {
    for (resource, limit) in &spec.rlimits {
        // SAFETY: reads the rlimit struct in `spec`.
        let set = unsafe { libc::setrlimit(*resource, limit) };
        check(set, Stage::Rlimit);
    }
}

/// Capability header and data for `capset(2)` (`_LINUX_CAPABILITY_VERSION_3`).
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: c_int,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Empties the bounding and ambient sets (this needs `CAP_SETPCAP`, so
/// before any uid change), switches to the sandbox user when asked, then
/// empties every set.
fn drop_capabilities(spec: &ChildSpec) {
    for cap in 0..64 {
        // Best effort: capabilities this kernel does not know are EINVAL.
        prctl(libc::PR_CAPBSET_DROP, cap);
    }
    // SAFETY: integer arguments only.
    unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        )
    };
    // Raw syscalls: glibc's set*id wrappers broadcast to every thread it
    // believes exists, and wait forever for the ones the clone left behind.
    if let Some(id) = spec.switch_to {
        let no_groups = std::ptr::null::<libc::gid_t>();
        // SAFETY: an empty list: the kernel reads nothing through the
        // null pointer.
        let set = unsafe { libc::syscall(libc::SYS_setgroups, 0usize, no_groups) };
        check(set, Stage::SwitchUser);
        // SAFETY: integer arguments only.
        check(
            unsafe { libc::syscall(libc::SYS_setresgid, id, id, id) },
            Stage::SwitchUser,
        );
        // SAFETY: integer arguments only.
        check(
            unsafe { libc::syscall(libc::SYS_setresuid, id, id, id) },
            Stage::SwitchUser,
        );
    }
    let header = CapHeader {
        version: 0x2008_0522,
        pid: 0,
    };
    let data = [CapData {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: the kernel reads the header and the two data structs that
    // version 3 defines, all locals.
    let set = unsafe { libc::syscall(libc::SYS_capset, &raw const header, data.as_ptr()) };
    check(set, Stage::DropCapabilities);
}

fn restrict_with_landlock(spec: &ChildSpec) {
    if spec.fds.landlock.is_some() {
        // SAFETY: a descriptor number and flags only.
        let restricted =
            unsafe { libc::syscall(libc::SYS_landlock_restrict_self, FD_LANDLOCK, 0u32) };
        check(restricted, Stage::Landlock);
    }
}

/// Nothing but stdio, the report pipe (as descriptor 3) and the
/// (close-on-exec) error pipe survives.
fn keep_only_program_descriptors() {
    // SAFETY: descriptor numbers and flags only.
    let flagged = unsafe { libc::fcntl(FD_ERROR, libc::F_SETFD, libc::FD_CLOEXEC) };
    check(flagged, Stage::CloseDescriptors);
    check(dup2(FD_REPORT, PROGRAM_REPORT_FD), Stage::CloseDescriptors);
    check(
        close_range(PROGRAM_REPORT_FD + 1, FD_ERROR - 1),
        Stage::CloseDescriptors,
    );
    check(close_from(FD_ERROR + 1), Stage::CloseDescriptors);
}
