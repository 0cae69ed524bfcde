//! Reaping a child with its resource usage.
//!
//! Simple mode needs one: `wait4(2)`, because it is the only call that reaps a
//! child *and* returns its resource usage (CPU time, peak RSS), and neither
//! `std` nor `nix` exposes it. `waitid(2)` is called directly too: `nix`
//! wraps it on Linux and the BSDs but not on macOS. Everything else
//! (`killpg`, `prlimit`) goes through the safe wrappers of `nix` and
//! `rlimit`.

use std::io;
use std::time::Duration;

use nix::unistd::Pid;

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// It called `exit` with this code.
    Code(i32),
    /// A signal killed it.
    Signal(i32),
}

/// What `wait4` reports about a reaped child.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reaped {
    pub(crate) exit: Exit,
    /// User plus system CPU time of the child and its reaped descendants.
    pub(crate) cpu: Duration,
    /// Peak resident set size, KiB.
    pub(crate) max_rss_kb: u64,
}

/// Blocks until `pid` has exited, without reaping it. While the zombie
/// exists its pid (and so its process-group id) cannot be reused, so the
/// caller can still signal the group safely.
pub(crate) fn wait_exited(pid: Pid) -> io::Result<()> {
    loop {
        // SAFETY: `siginfo_t` is a plain C struct; the all-zero bit pattern
        // is a valid value.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid, exclusively borrowed out-pointer for
        // the duration of the call; waitid writes only within it.
        let ret = unsafe {
            libc::waitid(
                libc::P_PID,
                pid.as_raw().cast_unsigned(),
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if ret == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Reaps `pid` (which must have exited, see [`wait_exited`]) and returns its
/// exit and resource usage.
pub(crate) fn reap(pid: Pid) -> io::Result<Reaped> {
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is a plain C struct of integers (and timevals of
    // integers); the all-zero bit pattern is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid, exclusively borrowed
        // out-pointers for the duration of the call; wait4 writes only
        // within them. The pid is our own unreaped child.
        let ret = unsafe { libc::wait4(pid.as_raw(), &mut status, 0, &mut usage) };
        if ret == pid.as_raw() {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    let exit = if libc::WIFSIGNALED(status) {
        Exit::Signal(libc::WTERMSIG(status))
    } else {
        Exit::Code(libc::WEXITSTATUS(status))
    };
    let timeval = |tv: libc::timeval| {
        Duration::from_secs(u64::try_from(tv.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(tv.tv_usec).unwrap_or(0))
    };
    Ok(Reaped {
        exit,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        max_rss_kb: u64::try_from(usage.ru_maxrss).unwrap_or(0),
    })
}
