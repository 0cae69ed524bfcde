//! Kernel feature checks that need raw syscalls.

use std::io;

/// The landlock ABI version the kernel offers (0 when landlock is absent or
/// disabled).
pub(crate) fn landlock_abi() -> io::Result<i64> {
    const LANDLOCK_CREATE_RULESET_VERSION: u32 = 1;
    // SAFETY: with a null attribute pointer, size 0 and the VERSION flag,
    // landlock_create_ruleset only returns the ABI version; no memory is
    // read or written.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if ret < 0 {
        let err = io::Error::last_os_error();
        return match err.raw_os_error() {
            Some(libc::ENOSYS | libc::EOPNOTSUPP) => Ok(0),
            _ => Err(err),
        };
    }
    Ok(ret)
}

/// Whether seccomp filters are available (`prctl(PR_GET_SECCOMP)` succeeds).
pub(crate) fn seccomp_available() -> bool {
    // SAFETY: PR_GET_SECCOMP takes no pointers and changes nothing.
    unsafe { libc::prctl(libc::PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 }
}

/// Whether this process may create a child in new namespaces of `flags`:
/// clones a child that exits at once.
pub(crate) fn try_clone(flags: libc::c_int) -> io::Result<()> {
    // SAFETY: the child only calls _exit, touching no shared state.
    let pid = unsafe { super::sandbox::fork_raw(flags) };
    match pid {
        -1 => Err(io::Error::last_os_error()),
        // SAFETY: _exit is async-signal-safe and ends the child at once.
        0 => unsafe { libc::_exit(0) },
        pid => {
            let pid = i32::try_from(pid).map_err(io::Error::other)?;
            let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None);
            Ok(())
        }
    }
}
