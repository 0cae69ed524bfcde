//! The only module of the workspace that makes raw syscalls with `unsafe`.
//!
//! - [`wait`]: `wait4(2)`, the one call that reaps a child *and* returns its
//!   resource usage.
//! - `sandbox` (Linux): the secure-mode child, from `clone(2)` to `execve(2)`.
//! - `probe` (Linux): feature checks for `sandbox doctor` (landlock ABI,
//!   seccomp).
//! - `idmap` (Linux): a forked sandbox's id maps, written from its parent
//!   user namespace.
//!
//! Everything else goes through the safe wrappers of `nix`, `rlimit`,
//! `landlock` and `seccompiler`. Every `unsafe` block states its invariant.

#![allow(unsafe_code)]

#[cfg(target_os = "linux")]
pub(crate) mod idmap;
#[cfg(target_os = "linux")]
mod pidfd;
#[cfg(target_os = "linux")]
pub(crate) mod probe;
#[cfg(target_os = "linux")]
pub(crate) mod sandbox;
pub(crate) mod wait;

#[cfg(target_os = "linux")]
pub(crate) use pidfd::{pidfd_getfd, pidfd_open, pidfd_signal, pidfd_wait};
pub(crate) use wait::{Exit, Reaped, reap, wait_exited};

/// How many bytes the pipe `fd` holds now (`FIONREAD`); 0 if it cannot say.
#[cfg(target_os = "linux")]
pub(crate) fn bytes_in_pipe(fd: std::os::fd::BorrowedFd<'_>) -> usize {
    use std::os::fd::AsRawFd as _;
    let mut held: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through the pointer, which points at
    // a live local; the descriptor is open while it is borrowed.
    let ret = unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &raw mut held) };
    if ret < 0 {
        return 0;
    }
    usize::try_from(held).unwrap_or(0)
}

/// Sets `limits` in the child between `fork` and `exec`, where `prlimit(2)`
/// (which simple mode uses on Linux, after the spawn) does not exist.
#[cfg(not(target_os = "linux"))]
pub(crate) fn limit_before_exec(
    command: &mut std::process::Command,
    limits: Vec<(rlimit::Resource, u64, u64)>,
) {
    use std::os::unix::process::CommandExt as _;
    // Resources this system lacks are left out here: `set` would build an
    // allocated error for them in the child.
    let limits: Vec<_> = limits
        .into_iter()
        .filter(|(resource, _, _)| resource.is_supported())
        .collect();
    // SAFETY: the hook runs in the forked child before exec and only calls
    // setrlimit (async-signal-safe) on data moved in before the fork, for
    // supported resources only; it neither allocates nor takes locks (an
    // error is a plain errno).
    unsafe {
        command.pre_exec(move || {
            for (resource, soft, hard) in &limits {
                resource.set(*soft, *hard)?;
            }
            Ok(())
        });
    }
}

/// Gives the child of `command` the pipe end `report` as descriptor 3 (the
/// worker protocol's report pipe); `report` itself stays close-on-exec.
pub(crate) fn report_pipe_as_fd_3(
    command: &mut std::process::Command,
    report: &std::os::fd::OwnedFd,
) {
    use std::os::fd::AsRawFd as _;
    use std::os::unix::process::CommandExt as _;
    let fd = report.as_raw_fd();
    // SAFETY: the hook runs in the forked child before exec and only calls
    // dup2 (async-signal-safe) on a descriptor number copied in before the
    // fork; it neither allocates nor takes locks. `report` outlives the
    // spawn (the caller drops it after `spawn` returns).
    unsafe {
        command.pre_exec(move || {
            // dup2 onto itself would keep close-on-exec: clear it instead.
            let ret = if fd == 3 {
                libc::fcntl(3, libc::F_SETFD, 0)
            } else {
                libc::dup2(fd, 3)
            };
            if ret == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Lets the child of `command` inherit `fds` under their own numbers (they
/// stay close-on-exec here, so no other child inherits them).
#[cfg(target_os = "linux")]
pub(crate) fn inherit_on_exec(command: &mut std::process::Command, fds: Vec<std::os::fd::RawFd>) {
    use std::os::unix::process::CommandExt as _;
    // SAFETY: the hook runs in the forked child before exec and only calls
    // fcntl (async-signal-safe) on descriptor numbers moved in before the
    // fork, which the caller keeps open until `spawn` returns.
    unsafe {
        command.pre_exec(move || {
            for fd in &fds {
                if libc::fcntl(*fd, libc::F_SETFD, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}

/// Owns the descriptors of an `SCM_RIGHTS` message just received (`nix`
/// hands them over as numbers).
#[cfg(target_os = "linux")]
pub(crate) fn adopt_received(fds: Vec<std::os::fd::RawFd>) -> Vec<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd as _;
    fds.into_iter()
        // SAFETY: the kernel installed these descriptors in this process
        // for the message the caller just received; nothing else owns them.
        .map(|fd| unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
        .collect()
}

/// Runs `work` with this thread's filesystem ids set to `uid`/`gid`, then
/// restores them. `setfsuid(2)` is per thread (unlike glibc's `setuid`), so
/// other threads are unaffected. A no-op when they already match.
#[cfg(target_os = "linux")]
pub(crate) fn as_fs_user<T>(uid: u32, gid: u32, work: impl FnOnce() -> T) -> T {
    struct Restore(u32, u32);
    impl Drop for Restore {
        fn drop(&mut self) {
            // SAFETY: setfsgid/setfsuid take plain integers and only change
            // this thread's filesystem credentials back to their old values.
            unsafe {
                libc::syscall(libc::SYS_setfsgid, self.1);
                libc::syscall(libc::SYS_setfsuid, self.0);
            }
        }
    }
    // SAFETY: as above; with -1 (invalid) the calls only return the current
    // value, then the real change follows.
    let restore = unsafe {
        // The old ids are ids (they fit); were they not, the thread's
        // effective ids are what it had.
        let old_uid = u32::try_from(libc::syscall(libc::SYS_setfsuid, u32::MAX))
            .unwrap_or_else(|_| libc::geteuid());
        let old_gid = u32::try_from(libc::syscall(libc::SYS_setfsgid, u32::MAX))
            .unwrap_or_else(|_| libc::getegid());
        libc::syscall(libc::SYS_setfsgid, gid);
        libc::syscall(libc::SYS_setfsuid, uid);
        Restore(old_uid, old_gid)
    };
    let out = work();
    drop(restore);
    out
}
