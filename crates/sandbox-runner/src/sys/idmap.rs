//! Writing a sandbox's id maps from its parent user namespace.
//!
//! A fork server's sandbox lives in a user namespace nested in the
//! server's. The kernel lets only a process in that parent namespace (with
//! `CAP_SETUID` and `CAP_SETGID` there) map ids other than its own, and the
//! fork server has neither the capabilities nor should it. A root runner
//! forks a short-lived writer that joins the server's user namespace
//! (gaining every capability in it, and none outside) and writes the maps.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd as _, BorrowedFd};

use libc::c_int;

/// Writes `uid_map` and `gid_map` of process `pid` from inside the user
/// namespace `parent` (its parent namespace).
pub(crate) fn write_maps_in(
    parent: BorrowedFd<'_>,
    pid: libc::pid_t,
    uid_map: &str,
    gid_map: &str,
) -> io::Result<()> {
    let files = [
        (CString::new(format!("/proc/{pid}/uid_map"))?, uid_map),
        (CString::new(format!("/proc/{pid}/gid_map"))?, gid_map),
    ];
    let parent = parent.as_raw_fd();
    // SAFETY: see `fork_raw`. The child only calls setns, open, write and
    // _exit on data built before the fork, and never returns.
    let child = unsafe { super::sandbox::fork_raw(0) };
    if child == -1 {
        return Err(io::Error::last_os_error());
    }
    if child == 0 {
        // SAFETY: raw syscalls on descriptors and buffers that live in this
        // (single-threaded) child's copy of memory; every path ends in _exit
        // with the errno of the failed step, or 0.
        unsafe {
            let errno = || (*libc::__errno_location()).clamp(1, 255);
            if libc::setns(parent, libc::CLONE_NEWUSER) == -1 {
                libc::_exit(errno());
            }
            for (path, contents) in &files {
                let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                if fd == -1 {
                    libc::_exit(errno());
                }
                let written = libc::write(fd, contents.as_ptr().cast(), contents.len());
                if usize::try_from(written).ok() != Some(contents.len()) {
                    libc::_exit(if written == -1 { errno() } else { libc::EIO });
                }
                libc::close(fd);
            }
            libc::_exit(0)
        }
    }
    let child = libc::pid_t::try_from(child).map_err(io::Error::other)?;
    let mut status: c_int = 0;
    loop {
        // SAFETY: waits for our own child into a local.
        let ret = unsafe { libc::waitpid(child, &mut status, 0) };
        if ret != -1 {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    match (libc::WIFEXITED(status), libc::WEXITSTATUS(status)) {
        (true, 0) => Ok(()),
        (true, errno) => Err(io::Error::from_raw_os_error(errno)),
        _ => Err(io::Error::other("the id map writer was killed")),
    }
}
