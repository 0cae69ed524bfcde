//! Starting a secure sandbox: `clone(2)` into new namespaces, then only
//! async-signal-safe raw syscalls on data prepared before the clone.
//!
//! The runner lives in multithreaded programs. After a clone in such a
//! program only the calling thread exists in the child, and any lock another
//! thread held (malloc's, stdio's) stays locked forever, so the child may not
//! allocate, format, panic or call `fork()` (glibc runs atfork handlers).
//! Everything it needs is built by the parent into a [`ChildSpec`]: C
//! strings, pointer arrays, rlimit structs, BPF programs, descriptor
//! numbers. The child code only walks that data and makes syscalls, through
//! the wrappers of `raw`. The alternative, re-executing a helper binary,
//! would need a binary on disk; this way the runner works as a plain
//! library dependency.
//!
//! Processes, one module each, one function per stage:
//! - **init** (pid 1 of the new pid namespace, `init`): sets up the mount
//!   namespace (`root`), hostname and network (`net`), installs the exec
//!   gate on itself (see `secure::exec_gate`), forks the program and says
//!   it is ready (the parent then writes the input files while the
//!   interpreter starts), lets the program's `execve` through the gate and
//!   closes it, reaps every process, and when the program ends kills
//!   everything left in the namespace, reports the program's wait status
//!   and rusage, and waits for the parent's release (the parent reads
//!   output files through its descriptor of `/sandbox` meanwhile).
//! - **program** (pid 2, `program`): joins the run's cgroups, applies
//!   rlimits, drops capabilities, sets no_new_privs, restricts itself with
//!   landlock, closes every descriptor but stdio, installs seccomp last,
//!   and `execve`s the interpreter.
//!
//! What crosses the pipes is typed in `handshake`. Any failed step writes
//! its record to the error pipe and exits; a successful `execve` closes
//! that pipe (it is close-on-exec).

mod handshake;
mod init;
mod net;
mod program;
mod raw;
mod root;

use std::ffi::CString;
use std::io;
use std::os::fd::RawFd;

use libc::{c_char, c_int, c_ulong};

pub(crate) use handshake::{ErrorRecord, GO, ProgramStatus, Ready, Step};

/// Fixed descriptor numbers in the child (after [`ChildSpec::fds`] are
/// moved there).
const FD_STDIN: c_int = 3;
const FD_STDOUT: c_int = 4;
const FD_STDERR: c_int = 5;
const FD_GO: c_int = 6;
const FD_READY: c_int = 7;
const FD_STATUS: c_int = 8;
const FD_RELEASE: c_int = 9;
const FD_ERROR: c_int = 10;
const FD_LANDLOCK: c_int = 11;
/// The `tasks` files of the run's cgroups (memory and pids, cgroup v1).
const FD_CGROUPS: [c_int; 2] = [12, 13];
/// The write end of the interpreter's report pipe (the worker protocol),
/// descriptor 3 in the program.
const FD_REPORT: c_int = 14;
/// With the network allowed: init's DNS socket, bound to the sandbox's
/// loopback, which the parent copies out (`pidfd_getfd`) for its relay.
pub(crate) const FD_DNS: c_int = 15;
const FD_FIRST_FREE: c_int = 16;
/// Where the program gets its report pipe: below the error pipe it keeps,
/// so the two close ranges around the error pipe hold.
const PROGRAM_REPORT_FD: c_int = 3;
const _: () = assert!(PROGRAM_REPORT_FD < FD_ERROR);

/// One entry of the root tmpfs.
#[derive(Debug)]
pub(crate) enum TreeEntry {
    Dir(CString),
    File { path: CString, contents: Vec<u8> },
    Symlink { path: CString, target: CString },
}

/// One `mount(2)` call, plus an optional read-only remount of the same
/// target (a bind cannot be made read-only in one call).
#[derive(Debug)]
pub(crate) struct PreparedMount {
    pub(crate) source: Option<CString>,
    pub(crate) target: CString,
    pub(crate) fstype: Option<CString>,
    pub(crate) flags: c_ulong,
    pub(crate) data: Option<CString>,
    /// Flags for `MS_REMOUNT | MS_BIND` afterwards, when set.
    pub(crate) remount: Option<c_ulong>,
}

/// C strings and the NUL-terminated pointer array `execve(2)` takes. The
/// pointers point into the strings' own heap buffers, which do not move
/// when the strings do, so the array is valid exactly as long as this
/// value lives: the two cannot be separated.
#[derive(Debug)]
pub(crate) struct CStringArray {
    /// Never read: held for the buffers `pointers` point into.
    _strings: Vec<CString>,
    pointers: Vec<*const c_char>,
}

impl CStringArray {
    pub(crate) fn new(strings: Vec<CString>) -> Self {
        let pointers = strings
            .iter()
            .map(|s| s.as_ptr())
            .chain(std::iter::once(std::ptr::null()))
            .collect();
        Self {
            _strings: strings,
            pointers,
        }
    }

    /// The NUL-terminated array, valid while `self` lives.
    pub(crate) fn as_ptr(&self) -> *const *const c_char {
        self.pointers.as_ptr()
    }
}

/// The parent's descriptors as the child receives them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChildFds {
    pub(crate) stdin: RawFd,
    pub(crate) stdout: RawFd,
    pub(crate) stderr: RawFd,
    pub(crate) go: RawFd,
    pub(crate) ready: RawFd,
    pub(crate) status: RawFd,
    pub(crate) release: RawFd,
    pub(crate) error: RawFd,
    /// The write end of the interpreter's report pipe.
    pub(crate) report: RawFd,
    pub(crate) landlock: Option<RawFd>,
    /// `tasks` of the run's memory and pids cgroups (cgroup v1), opened by
    /// the parent; the program moves itself in through them.
    pub(crate) cgroups: Option<[RawFd; 2]>,
}

/// Everything the child does, prepared by the parent.
#[derive(Debug)]
pub(crate) struct ChildSpec {
    pub(crate) clone_flags: c_int,
    /// Init unshares a time namespace for the program.
    pub(crate) time_namespace: bool,
    pub(crate) root: CString,
    pub(crate) old_root: CString,
    pub(crate) old_root_inside: CString,
    /// Mount options of the root tmpfs.
    pub(crate) root_data: CString,
    /// Directories, files and symlinks of the root, parents first, by
    /// their path relative to `root` (the builder works from there).
    pub(crate) tree: Vec<TreeEntry>,
    /// The sandbox user's id inside, used as init's filesystem id while it
    /// builds the root.
    pub(crate) fs_id: u32,
    /// Namespaced sysctls init writes for its namespaces (best effort: a
    /// kernel without one keeps its default).
    pub(crate) sysctls: Vec<(CString, Vec<u8>)>,
    /// Memory ranges of init's copy of the parent to zero first thing (the
    /// parent's argv and environment), so /proc/1/cmdline and environ show
    /// nothing of the host.
    pub(crate) scrub: Vec<(usize, usize)>,
    pub(crate) mounts: Vec<PreparedMount>,
    /// Entries of the root removed after the pivot (the sources of the
    /// `/proc` views: files, then their directory), as paths inside.
    pub(crate) scratch: Vec<CString>,
    pub(crate) hostname: Vec<u8>,
    /// With the network allowed: route messages for a `NETLINK_ROUTE`
    /// socket (see `secure::network::route_messages`), which init sends
    /// before it binds the DNS socket ([`FD_DNS`]).
    pub(crate) routes: Option<Vec<u8>>,
    pub(crate) cwd: CString,
    pub(crate) program: CString,
    pub(crate) argv: CStringArray,
    pub(crate) envp: CStringArray,
    pub(crate) rlimits: Vec<(libc::__rlimit_resource_t, libc::rlimit)>,
    /// When set, the program switches to this uid and gid (inside the user
    /// namespace) and drops supplementary groups: used when the parent is
    /// root, so the program runs as an unprivileged host user.
    pub(crate) switch_to: Option<u32>,
    pub(crate) seccomp: Vec<Vec<libc::sock_filter>>,
    /// The exec gate (see `secure::exec_gate`): init installs it on itself
    /// with a listener and lets through only the program's own `execve`.
    pub(crate) exec_gate: Vec<libc::sock_filter>,
    /// Landlock rules for mounts made inside (tmpfs, proc): their inodes do
    /// not exist before the clone, so init adds them to the ruleset after
    /// mounting, by path inside and access mask.
    pub(crate) landlock_rules: Vec<(CString, u64)>,
    pub(crate) fds: ChildFds,
    /// The parent's ends of the pipes, closed first thing in the child.
    pub(crate) parent_fds: Vec<RawFd>,
}

/// Clones the init process into new namespaces and returns its pid (in
/// this process's pid namespace). The child never returns from here.
pub(crate) fn spawn(spec: &ChildSpec) -> io::Result<libc::pid_t> {
    // SAFETY: see `fork_raw`. The child only runs `init::main`, which makes
    // raw syscalls on `spec` (fully built before this call and only read)
    // and ends in `_exit`; it never returns into Rust code that could touch
    // locks or allocator state copied from other threads.
    let pid = unsafe { fork_raw(spec.clone_flags) };
    match pid {
        -1 => Err(io::Error::last_os_error()),
        0 => init::main(spec),
        pid => libc::pid_t::try_from(pid).map_err(io::Error::other),
    }
}

/// `clone(2)` with fork semantics (no `CLONE_VM`, no new stack: the child
/// runs on a copy-on-write copy of this thread's stack), plus `flags` for
/// new namespaces. Unlike glibc's `fork()` it runs no atfork handlers, which
/// could block on locks held by threads that do not exist in the child.
/// Returns the child's pid in the parent, 0 in the child, -1 on error.
///
/// # Safety
/// The child must only make async-signal-safe calls and end in `execve` or
/// `_exit`, never returning into code that assumes the parent's threads.
pub(crate) unsafe fn fork_raw(flags: c_int) -> libc::c_long {
    let Ok(flags) = c_ulong::try_from(flags | libc::SIGCHLD) else {
        raw::set_errno(libc::EINVAL);
        return -1;
    };
    // SAFETY: the clone syscall with these arguments only creates a process;
    // the caller upholds the contract above for the child.
    unsafe { libc::syscall(libc::SYS_clone, flags, 0usize, 0usize, 0usize, 0usize) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_c_string_array_ends_in_null_and_points_into_its_strings() {
        let strings = vec![c"python3".to_owned(), c"-I".to_owned()];
        let array = CStringArray::new(strings);
        let moved = array;
        // SAFETY: the array has three entries, the last null; the first two
        // point into `moved`'s strings, alive for the test.
        unsafe {
            let pointers = std::slice::from_raw_parts(moved.as_ptr(), 3);
            assert!(pointers[2].is_null());
            assert_eq!(std::ffi::CStr::from_ptr(pointers[0]), c"python3");
            assert_eq!(std::ffi::CStr::from_ptr(pointers[1]), c"-I");
        }
    }

    #[test]
    fn descriptor_numbers_do_not_clash() {
        let mut fixed = vec![
            FD_STDIN,
            FD_STDOUT,
            FD_STDERR,
            FD_GO,
            FD_READY,
            FD_STATUS,
            FD_RELEASE,
            FD_ERROR,
            FD_LANDLOCK,
            FD_REPORT,
            FD_DNS,
        ];
        fixed.extend(FD_CGROUPS);
        let count = fixed.len();
        fixed.sort_unstable();
        fixed.dedup();
        assert_eq!(fixed.len(), count);
        assert!(fixed.iter().all(|&fd| fd > 2 && fd < FD_FIRST_FREE));
    }
}
