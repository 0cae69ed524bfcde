//! The init process (pid 1 of the sandbox's pid namespace), one function
//! per stage; see the module above for what it does and why.

use libc::c_int;

use super::handshake::{GO, ProgramStatus, Ready, Stage};
use super::raw::{
    EXIT_ABANDONED, EXIT_DESCRIPTORS, EXIT_SETUP, Line, check, clock_offset, close, close_from,
    dup2, errno, exit, fail, open, prctl, read_byte, read_into, set_errno, write_all,
};
use super::{
    ChildSpec, FD_CGROUPS, FD_DNS, FD_ERROR, FD_FIRST_FREE, FD_GO, FD_LANDLOCK, FD_READY,
    FD_RELEASE, FD_REPORT, FD_STATUS, FD_STDERR, FD_STDIN, FD_STDOUT, fork_raw, net, program, root,
};

/// The init process. Never returns.
pub(super) fn main(spec: &ChildSpec) -> ! {
    scrub_host_strings(spec);
    reset_process(spec);
    arrange_descriptors(spec);
    if spec.routes.is_some() {
        net::persistent_tap();
        // The helper attaches to the device: it may start only once this
        // process has let go of it (else TUNSETIFF answers EBUSY).
        tell(Ready::Tap);
    }
    if read_byte(FD_GO) != Some(GO) {
        exit(EXIT_ABANDONED);
    }
    // SAFETY: reads `hostname.len()` bytes of a live buffer.
    let named = unsafe { libc::sethostname(spec.hostname.as_ptr().cast(), spec.hostname.len()) };
    check(named, Stage::Hostname);
    root::enter(spec);
    // Namespaced sysctls: no executable memfds (kernel 6.3+), and low
    // per-namespace quotas for what the kernel otherwise charges to the
    // runner's user host-wide (inotify) or that seccomp already denies (new
    // namespaces).
    root::set_sysctls(spec);
    net::configure(spec);
    add_landlock_rules(spec);
    if spec.time_namespace {
        enter_time_namespace();
    }
    let gate = install_exec_gate(spec);
    let program = start_program(spec, gate);
    hide_when_told();
    pass_one_exec(gate, program);
    let status = reap_everything(program);
    if let Some(status) = status {
        write_all(FD_STATUS, &status.encode());
    }
    close(FD_STATUS);
    // Stay alive (the mount namespace with the work dir with us) until the
    // parent has collected the output files.
    read_byte(FD_RELEASE);
    exit(0)
}

/// Says `ready` on the ready pipe.
fn tell(ready: Ready) {
    write_all(FD_READY, &[ready as u8]);
}

/// Zeroes this process's copy of the parent's argument and environment
/// strings, so /proc/1/cmdline and /proc/1/environ show nothing of the
/// host.
fn scrub_host_strings(spec: &ChildSpec) {
    for &(start, len) in &spec.scrub {
        // SAFETY: the range is this process's own copy-on-write copy of the
        // parent's argument and environment strings (read from
        // /proc/self/stat before the clone), which nothing here reads.
        unsafe { std::ptr::write_bytes(start as *mut u8, 0, len) };
    }
}

/// Init's name, death with the runner, and the signal state inherited
/// from the parent's thread reset.
fn reset_process(spec: &ChildSpec) {
    // SAFETY: PR_SET_NAME reads a NUL-terminated literal of under 16 bytes.
    unsafe { libc::prctl(libc::PR_SET_NAME, c"sandbox-init".as_ptr(), 0, 0, 0) };
    // If the runner dies, the sandbox dies with it (and everything in its
    // pid namespace with init). The signal follows the thread that cloned
    // us; runner threads (async workers) live as long as their runtime. A
    // parent that died before this call shows as end of file on the go
    // pipe.
    prctl(
        libc::PR_SET_PDEATHSIG,
        libc::c_ulong::from(libc::SIGKILL.unsigned_abs()),
    );
    // Default dispositions (the parent's handlers would run here
    // otherwise), nothing blocked.
    for signal in 1..=64 {
        if signal != libc::SIGKILL && signal != libc::SIGSTOP {
            // SAFETY: SIG_DFL installs no handler.
            unsafe { libc::signal(signal, libc::SIG_DFL) };
        }
    }
    // SAFETY: an all-zero sigset_t is a valid (empty) set.
    let mut empty: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: writes the local set.
    unsafe { libc::sigemptyset(&raw mut empty) };
    // SAFETY: reads the local set; no old set is asked for.
    unsafe { libc::sigprocmask(libc::SIG_SETMASK, &raw const empty, std::ptr::null_mut()) };
    for &fd in &spec.parent_fds {
        close(fd);
    }
}

/// Moves the descriptors init keeps to fixed numbers (first above any
/// clash, then into place), closes everything else inherited, and puts
/// stdio in place.
fn arrange_descriptors(spec: &ChildSpec) {
    let fds = spec.fds;
    let wanted = [
        (fds.stdin, FD_STDIN),
        (fds.stdout, FD_STDOUT),
        (fds.stderr, FD_STDERR),
        (fds.go, FD_GO),
        (fds.ready, FD_READY),
        (fds.status, FD_STATUS),
        (fds.release, FD_RELEASE),
        (fds.error, FD_ERROR),
        (fds.report, FD_REPORT),
        (fds.landlock.unwrap_or(-1), FD_LANDLOCK),
        (fds.cgroups.map_or(-1, |c| c[0]), FD_CGROUPS[0]),
        (fds.cgroups.map_or(-1, |c| c[1]), FD_CGROUPS[1]),
    ];
    // Copies land at FD_FIRST_FREE or above, clear of every target. A
    // failure here cannot be reported (the error pipe is not in place yet,
    // and writing to the number it should have could hit another of the
    // parent's descriptors), so init just exits: the parent reports that
    // set-up failed before it could say why.
    let mut high = wanted.map(|_| -1);
    for (i, (fd, _)) in wanted.iter().enumerate() {
        if *fd >= 0 {
            // SAFETY: descriptor numbers only.
            high[i] = unsafe { libc::fcntl(*fd, libc::F_DUPFD, FD_FIRST_FREE) };
            if high[i] < 0 {
                exit(EXIT_DESCRIPTORS);
            }
        }
    }
    for (i, (_, target)) in wanted.iter().enumerate() {
        if high[i] >= 0 && dup2(high[i], *target) < 0 {
            exit(EXIT_DESCRIPTORS);
        }
    }
    // A number with nothing to put there may still hold one of the
    // parent's descriptors.
    for (i, (_, target)) in wanted.iter().enumerate() {
        if high[i] < 0 {
            close(*target);
        }
    }
    close_from(FD_FIRST_FREE);
    for (target, stdio) in [(FD_STDIN, 0), (FD_STDOUT, 1), (FD_STDERR, 2)] {
        dup2(target, stdio);
        close(target);
    }
}

/// Adds landlock rules for what init mounted itself (tmpfs, proc): their
/// inodes do not exist before the clone.
fn add_landlock_rules(spec: &ChildSpec) {
    /// `struct landlock_path_beneath_attr` (packed in the kernel's ABI).
    #[repr(C, packed)]
    struct PathBeneathAttr {
        allowed_access: u64,
        parent_fd: i32,
    }
    const LANDLOCK_RULE_PATH_BENEATH: c_int = 1;
    if spec.fds.landlock.is_none() {
        return;
    }
    for (path, access) in &spec.landlock_rules {
        let fd = check(open(path, libc::O_PATH), Stage::Landlock);
        let attr = PathBeneathAttr {
            allowed_access: *access,
            parent_fd: fd,
        };
        // SAFETY: the kernel reads the attribute local, of the layout its
        // ABI defines.
        let added = unsafe {
            libc::syscall(
                libc::SYS_landlock_add_rule,
                FD_LANDLOCK,
                LANDLOCK_RULE_PATH_BENEATH,
                &raw const attr,
                0u32,
            )
        };
        check(added, Stage::Landlock);
        close(fd);
    }
}

/// `CLONE_NEWTIME`, which `clone(2)` cannot take (it overlaps the exit
/// signal bits), so init unshares it for its children.
const CLONE_NEWTIME: c_int = 0x80;

/// A time namespace for the program: its monotonic and boot clocks
/// (uptime, process start times) count from now, not from the host's
/// boot. Offsets count from the host's clocks; the new namespace starts
/// with ours (non-zero if the runner itself runs in a time namespace),
/// which the file shows before it is written.
fn enter_time_namespace() {
    // SAFETY: integer flags only.
    check(
        unsafe { libc::unshare(CLONE_NEWTIME) },
        Stage::TimeNamespace,
    );
    let offsets_file = c"/proc/self/timens_offsets";
    let fd = check(open(offsets_file, libc::O_RDONLY), Stage::TimeNamespace);
    let mut current = [0u8; 256];
    let read = read_into(fd, &mut current);
    close(fd);
    let current = &current[..read];
    let mut offsets = Line::new();
    for (name, clock) in [
        (&b"monotonic"[..], libc::CLOCK_MONOTONIC),
        (&b"boottime"[..], libc::CLOCK_BOOTTIME),
    ] {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: writes the local timespec.
        unsafe { libc::clock_gettime(clock, &raw mut now) };
        offsets.push(name);
        offsets.push(b" ");
        offsets.push_int(clock_offset(current, name).saturating_sub(now.tv_sec));
        offsets.push(b" 0\n");
    }
    let fd = check(open(offsets_file, libc::O_WRONLY), Stage::TimeNamespace);
    check(write_all(fd, offsets.bytes()), Stage::TimeNamespace);
    close(fd);
}

/// Installs a BPF program with `flags`; the syscall's result (for a new
/// listener, its descriptor).
pub(super) fn install_filter(
    filter: &[libc::sock_filter],
    flags: libc::c_ulong,
    stage: Stage,
) -> c_int {
    let Ok(len) = u16::try_from(filter.len()) else {
        set_errno(libc::E2BIG);
        fail(stage, EXIT_SETUP);
    };
    let program = libc::sock_fprog {
        len,
        filter: filter.as_ptr().cast_mut(),
    };
    // SAFETY: the kernel copies the program from the live slice `program`
    // points into; it never writes through the pointer.
    let installed = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            flags,
            &raw const program,
        )
    };
    let Ok(installed) = c_int::try_from(check(installed, stage)) else {
        fail(stage, EXIT_SETUP);
    };
    installed
}

/// The exec gate on init itself, so every process of the sandbox inherits
/// it; its listener (returned) stays with init alone.
fn install_exec_gate(spec: &ChildSpec) -> c_int {
    install_filter(
        &spec.exec_gate,
        libc::SECCOMP_FILTER_FLAG_NEW_LISTENER,
        Stage::ExecGate,
    )
}

extern "C" fn kill_everything(_: c_int) {
    // SAFETY: kill is async-signal-safe. As pid 1 of its namespace, init
    // signals every other process in it and never itself.
    unsafe { libc::kill(-1, libc::SIGKILL) };
}

/// Forks the program (which only runs `program::main`, ending in exec or
/// exit), then lets the parent stop the run with `SIGUSR1`.
fn start_program(spec: &ChildSpec, gate: c_int) -> libc::pid_t {
    // SAFETY: see `fork_raw`: the child runs `program::main`, which makes
    // raw syscalls on `spec` and ends in execve or _exit.
    let program = check(unsafe { fork_raw(0) }, Stage::Fork);
    if program == 0 {
        program::main(spec, gate);
    }
    let Ok(program) = libc::pid_t::try_from(program) else {
        fail(Stage::Fork, EXIT_SETUP);
    };
    // SAFETY: the handler only calls kill (async-signal-safe).
    unsafe {
        libc::signal(
            libc::SIGUSR1,
            kill_everything as *const () as libc::sighandler_t,
        )
    };
    program
}

/// Ready: the program exists and starts the interpreter, which waits for
/// its code on stdin. The parent opens the work dir through our root and
/// finds the program's pid while we are still dumpable, then says go; only
/// then do we become non-dumpable (init's memory is a copy of the
/// parent's, so no process of the sandbox may read it through /proc/1) and
/// acknowledge. The parent sends the code after the acknowledgement.
fn hide_when_told() {
    tell(Ready::Forked);
    if read_byte(FD_GO) != Some(GO) {
        // SAFETY: as in `kill_everything`.
        unsafe { libc::kill(-1, libc::SIGKILL) };
        exit(EXIT_ABANDONED);
    }
    check(prctl(libc::PR_SET_DUMPABLE, 0), Stage::NotDumpable);
    tell(Ready::Hidden);
    close(FD_GO);
    close(FD_READY);
}

/// Waits at the exec gate for the program's `execve` of the interpreter,
/// lets it through and closes the gate: from then on every exec in the
/// sandbox answers `ENOSYS`. Returns early if the program dies first.
fn pass_one_exec(listener: c_int, program: libc::pid_t) {
    // SAFETY: integer arguments only.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, program, 0u32) };
    let pidfd = c_int::try_from(pidfd).unwrap_or(-1);
    let watched: libc::nfds_t = if pidfd >= 0 { 2 } else { 1 };
    loop {
        let mut fds = [
            libc::pollfd {
                fd: listener,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: pidfd,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: polls `watched` (at most 2) entries of the local array.
        if unsafe { libc::poll(fds.as_mut_ptr(), watched, -1) } < 0 {
            if errno() == libc::EINTR {
                continue;
            }
            break;
        }
        if fds[0].revents & libc::POLLIN != 0 {
            match answer_exec(listener, program) {
                Some(true) => break,
                Some(false) => {}
                None => break,
            }
        } else if fds[0].revents != 0 || fds[1].revents != 0 {
            break; // the program ended before its exec
        }
    }
    if pidfd >= 0 {
        close(pidfd);
    }
    close(listener);
}

/// `SECCOMP_USER_NOTIF_FLAG_CONTINUE` as the response's `u32` flags.
const NOTIF_FLAG_CONTINUE: u32 = 1;

/// Answers one notification of the gate: the program's exec goes through
/// (`Some(true)`), anyone else's is refused (`Some(false)`); `None` when
/// the listener fails.
fn answer_exec(listener: c_int, program: libc::pid_t) -> Option<bool> {
    // SAFETY: an all-zero notification is what the RECV ioctl requires.
    let mut notif: libc::seccomp_notif = unsafe { std::mem::zeroed() };
    // SAFETY: the kernel writes one notification into the local.
    if unsafe { libc::ioctl(listener, libc::SECCOMP_IOCTL_NOTIF_RECV, &raw mut notif) } < 0 {
        return match errno() {
            // Interrupted, or the caller died meanwhile.
            libc::EINTR | libc::ENOENT => Some(false),
            _ => None,
        };
    }
    // Only the program exists besides init until it runs.
    let ours = libc::pid_t::try_from(notif.pid) == Ok(program);
    let response = libc::seccomp_notif_resp {
        id: notif.id,
        val: 0,
        error: if ours { 0 } else { -libc::EPERM },
        flags: if ours { NOTIF_FLAG_CONTINUE } else { 0 },
    };
    // SAFETY: the kernel reads the response local.
    unsafe {
        libc::ioctl(
            listener,
            libc::SECCOMP_IOCTL_NOTIF_SEND,
            &raw const response,
        )
    };
    Some(ours)
}

/// Reaps every process until none is left; when the program ends, kills
/// everything else in the namespace (nothing it started may outlive it).
/// The program's status, if it was seen.
fn reap_everything(program: libc::pid_t) -> Option<ProgramStatus> {
    // Stdio and the set-up descriptors are the program's now.
    for fd in [
        0,
        1,
        2,
        FD_ERROR,
        FD_REPORT,
        FD_LANDLOCK,
        FD_CGROUPS[0],
        FD_CGROUPS[1],
        FD_DNS,
    ] {
        close(fd);
    }
    let micros = |t: libc::timeval| {
        let seconds = u64::try_from(t.tv_sec).unwrap_or(0);
        let micros = u64::try_from(t.tv_usec).unwrap_or(0);
        seconds.saturating_mul(1_000_000).saturating_add(micros)
    };
    let mut report = None;
    loop {
        let mut status: c_int = 0;
        // SAFETY: an all-zero rusage is a valid value for the kernel to
        // overwrite.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: the kernel writes the status and usage locals.
        let pid = unsafe { libc::wait4(-1, &raw mut status, libc::__WALL, &raw mut usage) };
        if pid == -1 {
            if errno() == libc::EINTR {
                continue;
            }
            return report; // ECHILD: everyone is gone
        }
        if pid == program {
            report = Some(ProgramStatus {
                wait_status: status,
                cpu_us: micros(usage.ru_utime).saturating_add(micros(usage.ru_stime)),
                max_rss_kb: u64::try_from(usage.ru_maxrss).unwrap_or(0),
            });
            // SAFETY: as in `kill_everything`.
            unsafe { libc::kill(-1, libc::SIGKILL) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_continue_flag_is_libc_s() {
        assert_eq!(
            u64::from(NOTIF_FLAG_CONTINUE),
            libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE
        );
    }
}
