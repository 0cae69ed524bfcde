//! Starting a secure sandbox: `clone(2)` into new namespaces, then only
//! async-signal-safe raw syscalls on data prepared before the clone.
//!
//! The runner lives in multithreaded programs. After a clone in such a
//! program only the calling thread exists in the child, and any lock another
//! thread held (malloc's, stdio's) stays locked forever, so the child may not
//! allocate, format, panic or call `fork()` (glibc runs atfork handlers).
//! Everything it needs is built by the parent into a [`ChildSpec`]: C
//! strings, pointer arrays, rlimit structs, BPF programs, descriptor
//! numbers. The child code below only walks that data and makes syscalls.
//! The alternative, re-executing a helper binary, would need a binary on
//! disk; this way the runner works as a plain library dependency.
//!
//! Processes:
//! - **init** (pid 1 of the new pid namespace): sets up the mount namespace,
//!   hostname and loopback, installs the exec gate on itself (see
//!   `secure::exec_gate`), forks the program and says it is ready (the
//!   parent then writes the input files while the interpreter starts),
//!   lets the program's `execve` through the gate and closes it,
//!   reaps every process, and when
//!   the program ends kills everything left in the namespace, reports the
//!   program's wait status and rusage, and waits for the parent's release
//!   (the parent reads output files through its descriptor of `/sandbox` meanwhile).
//! - **program** (pid 2): joins the run's cgroups, applies rlimits, drops
//!   capabilities, sets
//!   no_new_privs, restricts itself with landlock, closes every descriptor
//!   but stdio, installs seccomp last, and `execve`s the interpreter.
//!
//! Any failed step writes `(stage, errno)` to the error pipe and exits; a
//! successful `execve` closes that pipe (it is close-on-exec).

use std::ffi::CString;
use std::io;
use std::os::fd::RawFd;

use libc::{c_char, c_int, c_ulong};

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
/// Where the program gets its report pipe.
const PROGRAM_REPORT_FD: c_int = 3;

/// Declares [`Stage`] from one table: each step's code on the error pipe
/// and what it does, so the two cannot drift apart.
macro_rules! stages {
    ($($(#[$doc:meta])* $name:ident = $code:literal => $text:literal,)*) => {
        /// A step of the child's set-up, reported with its errno when it
        /// fails (the code is what crosses the error pipe).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u32)]
        pub(crate) enum Stage {
            $($(#[$doc])* $name = $code,)*
        }

        impl Stage {
            /// What the step does, as in "could not …".
            pub(crate) fn text(self) -> &'static str {
                match self {
                    $(Self::$name => $text,)*
                }
            }
        }

        impl TryFrom<u32> for Stage {
            type Error = u32;

            fn try_from(code: u32) -> Result<Self, u32> {
                match code {
                    $($code => Ok(Self::$name),)*
                    other => Err(other),
                }
            }
        }
    };
}

stages! {
    Hostname = 2 => "set the hostname",
    PrivateMounts = 3 => "make mounts private",
    MountRoot = 4 => "mount the new root",
    PivotRoot = 5 => "pivot_root into the new root",
    DetachOldRoot = 6 => "detach the old root",
    RemountRoot = 7 => "remount the root read-only",
    Loopback = 8 => "bring up loopback",
    Fork = 9 => "fork the program",
    NotDumpable = 10 => "make init non-dumpable",
    BuildRoot = 11 => "build the new root",
    Rlimit = 20 => "set rlimits",
    Chdir = 21 => "enter the work dir",
    DropCapabilities = 22 => "drop capabilities",
    NoNewPrivs = 23 => "set no_new_privs",
    Landlock = 24 => "apply landlock",
    CloseDescriptors = 25 => "close inherited descriptors",
    Seccomp = 26 => "install seccomp",
    Exec = 27 => "execute the interpreter",
    SwitchUser = 28 => "switch to the sandbox user",
    JoinCgroup = 29 => "join the run's cgroup",
    ExecGate = 30 => "install the exec gate",
    TimeNamespace = 31 => "make the time namespace",
    Scratch = 32 => "remove the /proc views' sources",
    Routes = 33 => "add the routes that refuse the host's networks",
    Dns = 34 => "bind the sandbox's DNS socket",
    /// Mount number `n` of the plan is reported as `Mount + n`.
    Mount = 100 => "mount",
}

/// A reported step: a stage, or mount number `n` of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Stage(Stage),
    Mount(usize),
    Unknown(u32),
}

impl Step {
    /// The step a code from the error pipe names.
    pub(crate) fn decode(code: u32) -> Self {
        match code.checked_sub(Stage::Mount as u32) {
            Some(n) => Self::Mount(n as usize),
            None => Stage::try_from(code).map_or(Self::Unknown(code), Self::Stage),
        }
    }

    /// The code the child writes for mount number `n`.
    pub(crate) fn mount_code(n: usize) -> u32 {
        Stage::Mount as u32 + n as u32
    }
}

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
    pub(crate) loopback: Option<libc::ifreq>,
    /// With the network allowed: route messages for a `NETLINK_ROUTE`
    /// socket (see `secure::network::route_messages`), which init sends
    /// before it binds the DNS socket ([`FD_DNS`]).
    pub(crate) routes: Option<Vec<u8>>,
    pub(crate) cwd: CString,
    pub(crate) program: CString,
    pub(crate) argv: Vec<*const c_char>,
    pub(crate) envp: Vec<*const c_char>,
    pub(crate) rlimits: Vec<(c_int, libc::rlimit)>,
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

/// `struct landlock_path_beneath_attr` (packed in the kernel's ABI).
#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// The program's end as the init process reports it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ProgramStatus {
    pub(crate) wait_status: i32,
    pub(crate) cpu_us: u64,
    pub(crate) max_rss_kb: u64,
}

impl ProgramStatus {
    pub(crate) const SIZE: usize = 24;

    pub(crate) fn decode(bytes: &[u8; Self::SIZE]) -> Self {
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_ne_bytes(b)
        };
        Self {
            wait_status: word(0) as i32,
            cpu_us: word(1),
            max_rss_kb: word(2),
        }
    }
}

/// Clones the init process into new namespaces and returns its pid (in
/// this process's pid namespace). The child never returns from here.
pub(crate) fn spawn(spec: &ChildSpec) -> io::Result<libc::pid_t> {
    // SAFETY: see `fork_raw`. The child only runs `init_main`, which makes
    // raw syscalls on `spec` (fully built before this call and only read)
    // and ends in `_exit`; it never returns into Rust code that could touch
    // locks or allocator state copied from other threads.
    let pid = unsafe { fork_raw(spec.clone_flags) };
    match pid {
        -1 => Err(io::Error::last_os_error()),
        0 => init_main(spec),
        pid => Ok(pid as libc::pid_t),
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
    // SAFETY: the clone syscall with these arguments only creates a process;
    // the caller upholds the contract above for the child.
    unsafe {
        libc::syscall(
            libc::SYS_clone,
            (flags | libc::SIGCHLD) as c_ulong,
            0usize,
            0usize,
            0usize,
            0usize,
        )
    }
}

/// Makes the network helper's interface in init's new network namespace,
/// persistent, before the parent starts the helper (which attaches to it):
/// a device the helper made itself would be removed when the helper exits,
/// and that waits for the kernel (tens of milliseconds) at the end of every
/// run. A persistent one goes with the namespace, in the kernel's own time.
/// Best effort: without it the helper makes its own.
fn persistent_tap() {
    const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
    const TUNSETPERSIST: libc::c_ulong = 0x4004_54cb;
    // SAFETY: open, ioctl and close on a descriptor this function owns,
    // with a zeroed local `ifreq`.
    unsafe {
        let fd = libc::open(c"/dev/net/tun".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
        if fd < 0 {
            return;
        }
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (dst, src) in ifr
            .ifr_name
            .iter_mut()
            .zip(crate::secure::network::TAP.bytes())
        {
            *dst = src as c_char;
        }
        // The flags the helper asks for when it attaches.
        ifr.ifr_ifru.ifru_flags = (libc::IFF_TAP | libc::IFF_NO_PI) as libc::c_short;
        if libc::ioctl(fd, TUNSETIFF, &ifr) == 0 {
            libc::ioctl(fd, TUNSETPERSIST, 1 as libc::c_ulong);
        }
        libc::close(fd);
    }
}

/// Sends `messages` (whole route requests, each asking for an
/// acknowledgement) on a `NETLINK_ROUTE` socket in batches, and fails the
/// stage with the kernel's errno if any is refused.
fn add_routes(messages: &[u8]) {
    use crate::secure::network::{ROUTE_MESSAGE_BYTES, ROUTES_PER_BATCH};
    // SAFETY: socket, send, recv and close on a descriptor this function
    // owns, with slices and a stack buffer within their bounds.
    unsafe {
        let sock = libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_ROUTE,
        );
        check(sock, Stage::Routes);
        for batch in messages.chunks(ROUTE_MESSAGE_BYTES * ROUTES_PER_BATCH) {
            let sent = libc::send(sock, batch.as_ptr().cast(), batch.len(), 0);
            if sent != batch.len() as isize {
                fail(Stage::Routes as u32, 126);
            }
            let mut awaited = batch.len() / ROUTE_MESSAGE_BYTES;
            let mut buffer = [0u8; 4096];
            while awaited > 0 {
                let n = libc::recv(sock, buffer.as_mut_ptr().cast(), buffer.len(), 0);
                if n <= 0 {
                    if n == -1 && *libc::__errno_location() == libc::EINTR {
                        continue;
                    }
                    fail(Stage::Routes as u32, 126);
                }
                let received = &buffer[..n as usize];
                let mut at = 0;
                // Each answer: nlmsghdr (length, type, ...), and for
                // NLMSG_ERROR an errno (0 acknowledges).
                while at + 20 <= received.len() {
                    let word = |i: usize| {
                        [
                            received[i],
                            received[i + 1],
                            received[i + 2],
                            received[i + 3],
                        ]
                    };
                    let length = u32::from_ne_bytes(word(at)) as usize;
                    let kind = u16::from_ne_bytes([received[at + 4], received[at + 5]]);
                    if kind == libc::NLMSG_ERROR as u16 {
                        let errno = i32::from_ne_bytes(word(at + 16));
                        if errno != 0 {
                            *libc::__errno_location() = -errno;
                            fail(Stage::Routes as u32, 126);
                        }
                        awaited = awaited.saturating_sub(1);
                    }
                    if length < 16 {
                        break;
                    }
                    at += (length + 3) & !3;
                }
            }
        }
        libc::close(sock);
    }
}

/// Reports a failed stage to the parent and exits.
fn fail(stage: u32, code: c_int) -> ! {
    // SAFETY: errno is read through libc's thread-local accessor, which is
    // async-signal-safe; write and _exit are raw syscalls on a stack buffer.
    unsafe {
        let errno = *libc::__errno_location();
        let mut record = [0u8; 8];
        record[..4].copy_from_slice(&stage.to_ne_bytes());
        record[4..].copy_from_slice(&errno.to_ne_bytes());
        libc::write(FD_ERROR, record.as_ptr().cast(), record.len());
        libc::_exit(code)
    }
}

fn check(ret: c_int, stage: Stage) {
    if ret == -1 {
        fail(stage as u32, 126);
    }
}

/// Blocks for one byte from `fd`; false on end of file.
fn read_byte(fd: c_int) -> bool {
    let mut byte = 0u8;
    loop {
        // SAFETY: reads at most one byte into a local.
        let n = unsafe { libc::read(fd, (&raw mut byte).cast(), 1) };
        if n == 1 {
            return true;
        }
        // SAFETY: see `fail`.
        if n == -1 && unsafe { *libc::__errno_location() } == libc::EINTR {
            continue;
        }
        return false;
    }
}

fn write_all(fd: c_int, bytes: &[u8]) {
    let mut done = 0;
    while done < bytes.len() {
        // SAFETY: writes from a live slice within its bounds.
        let n = unsafe { libc::write(fd, bytes[done..].as_ptr().cast(), bytes.len() - done) };
        if n <= 0 {
            // SAFETY: see `fail`.
            if n == -1 && unsafe { *libc::__errno_location() } == libc::EINTR {
                continue;
            }
            return;
        }
        done += n as usize;
    }
}

extern "C" fn kill_everything(_: c_int) {
    // SAFETY: kill is async-signal-safe. As pid 1 of its namespace, init
    // signals every other process in it and never itself.
    unsafe {
        libc::kill(-1, libc::SIGKILL);
    }
}

/// The init process. Never returns.
fn init_main(spec: &ChildSpec) -> ! {
    // SAFETY: (whole function) only raw syscalls through libc's thin
    // wrappers, on data in `spec` that the parent prepared and that nothing
    // mutates, and on locals. No allocation, no locks, no unwinding.
    unsafe {
        for &(start, len) in &spec.scrub {
            // The range is this process's own copy-on-write copy of the
            // parent's argument and environment strings (read from
            // /proc/self/stat before the clone); zeroing it only changes
            // what /proc/1/cmdline and /proc/1/environ show.
            std::ptr::write_bytes(start as *mut u8, 0, len);
        }
        libc::prctl(libc::PR_SET_NAME, c"sandbox-init".as_ptr(), 0, 0, 0);
        // If the runner dies, the sandbox dies with it (and everything in
        // its pid namespace with init). The signal follows the thread that
        // cloned us; runner threads (async workers) live as long as their
        // runtime. A parent that died before this call shows as end of file
        // on the go pipe below.
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
        // Signal state inherited from the parent's thread: default
        // dispositions (the parent's handlers would run here otherwise),
        // nothing blocked.
        for signal in 1..=64 {
            if signal != libc::SIGKILL && signal != libc::SIGSTOP {
                libc::signal(signal, libc::SIG_DFL);
            }
        }
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());

        for &fd in &spec.parent_fds {
            libc::close(fd);
        }
        // Move the descriptors we keep to fixed numbers: first above any
        // clash, then into place; then close everything else inherited.
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
        // failure here cannot be reported (the error pipe is not in place
        // yet, and writing to the number it should have could hit another
        // of the parent's descriptors), so init just exits: the parent
        // reports that set-up failed before it could say why.
        let mut high = wanted.map(|_| -1);
        for (i, (fd, _)) in wanted.iter().enumerate() {
            if *fd >= 0 {
                high[i] = libc::fcntl(*fd, libc::F_DUPFD, FD_FIRST_FREE);
                if high[i] < 0 {
                    libc::_exit(124);
                }
            }
        }
        for (i, (_, target)) in wanted.iter().enumerate() {
            if high[i] >= 0 && libc::dup2(high[i], *target) < 0 {
                libc::_exit(124);
            }
        }
        // A number with nothing to put there may still hold one of the
        // parent's descriptors.
        for (i, (_, target)) in wanted.iter().enumerate() {
            if high[i] < 0 {
                libc::close(*target);
            }
        }
        libc::syscall(libc::SYS_close_range, FD_FIRST_FREE as u32, u32::MAX, 0u32);
        for (target, stdio) in [(FD_STDIN, 0), (FD_STDOUT, 1), (FD_STDERR, 2)] {
            libc::dup2(target, stdio);
            libc::close(target);
        }

        if spec.routes.is_some() {
            persistent_tap();
            // The helper attaches to the device: it may start only once
            // this process has let go of it (else TUNSETIFF answers EBUSY).
            write_all(FD_READY, b"t");
        }
        if !read_byte(FD_GO) {
            libc::_exit(125); // the parent gave up
        }
        check(
            libc::sethostname(spec.hostname.as_ptr().cast(), spec.hostname.len()),
            Stage::Hostname,
        );
        check(
            libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ),
            Stage::PrivateMounts,
        );
        // The new root is a small tmpfs built here, so nothing of the
        // host's directory tree (not even the run dir's name) shows in
        // /proc/self/mountinfo. Files are created as the sandbox user: a
        // tmpfs refuses owners its user namespace cannot map.
        check(
            libc::mount(
                c"tmpfs".as_ptr(),
                spec.root.as_ptr(),
                c"tmpfs".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                spec.root_data.as_ptr().cast(),
            ),
            Stage::MountRoot,
        );
        // A short-lived helper builds the tree with the sandbox user as its
        // filesystem id; init keeps its own credentials, which the bind
        // mounts need to reach their sources.
        let builder = fork_raw(0);
        if builder == -1 {
            fail(Stage::BuildRoot as u32, 126);
        }
        if builder == 0 {
            build_tree(spec);
        }
        let mut status: c_int = 0;
        while libc::waitpid(builder as libc::pid_t, &mut status, 0) == -1 {
            if *libc::__errno_location() != libc::EINTR {
                fail(Stage::BuildRoot as u32, 126);
            }
        }
        if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
            libc::_exit(126); // the builder reported why
        }
        for (i, m) in spec.mounts.iter().enumerate() {
            let stage = Step::mount_code(i);
            let ptr = |s: &Option<CString>| s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
            let ret = libc::mount(
                ptr(&m.source),
                m.target.as_ptr(),
                ptr(&m.fstype),
                m.flags,
                ptr(&m.data).cast(),
            );
            if ret == -1 {
                fail(stage, 126);
            }
            if let Some(flags) = m.remount {
                let ret = libc::mount(
                    std::ptr::null(),
                    m.target.as_ptr(),
                    std::ptr::null(),
                    flags | libc::MS_REMOUNT | libc::MS_BIND,
                    std::ptr::null(),
                );
                if ret == -1 {
                    fail(stage, 126);
                }
            }
        }
        check(
            libc::syscall(
                libc::SYS_pivot_root,
                spec.root.as_ptr(),
                spec.old_root.as_ptr(),
            ) as c_int,
            Stage::PivotRoot,
        );
        check(libc::chdir(c"/".as_ptr()), Stage::PivotRoot);
        check(
            libc::umount2(spec.old_root_inside.as_ptr(), libc::MNT_DETACH),
            Stage::DetachOldRoot,
        );
        libc::rmdir(spec.old_root_inside.as_ptr());
        for path in &spec.scratch {
            if libc::unlink(path.as_ptr()) == -1 {
                check(libc::rmdir(path.as_ptr()), Stage::Scratch);
            }
        }
        check(
            libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_NOSUID
                    | libc::MS_NODEV
                    | libc::MS_NOEXEC
                    | libc::MS_REMOUNT
                    | libc::MS_BIND
                    | libc::MS_RDONLY,
                std::ptr::null(),
            ),
            Stage::RemountRoot,
        );
        // Namespaced sysctls: no executable memfds (kernel 6.3+), and low
        // per-namespace quotas for what the kernel otherwise charges to the
        // runner's user host-wide (inotify) or that seccomp already denies
        // (new namespaces).
        for (path, value) in &spec.sysctls {
            let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd >= 0 {
                write_all(fd, value);
                libc::close(fd);
            }
        }
        if let Some(ifr) = &spec.loopback {
            let sock = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
            check(sock, Stage::Loopback);
            check(libc::ioctl(sock, libc::SIOCSIFFLAGS, ifr), Stage::Loopback);
            libc::close(sock);
        }
        if let Some(routes) = &spec.routes {
            add_routes(routes);
            let sock = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
            check(sock, Stage::Dns);
            let mut address: libc::sockaddr_in = std::mem::zeroed();
            address.sin_family = libc::AF_INET as libc::sa_family_t;
            address.sin_port = 53u16.to_be();
            address.sin_addr.s_addr =
                u32::from_ne_bytes(sandbox_core::network::RELAY_ADDRESS.octets());
            check(
                libc::bind(
                    sock,
                    (&raw const address).cast(),
                    std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                ),
                Stage::Dns,
            );
            check(libc::dup2(sock, FD_DNS), Stage::Dns);
            libc::close(sock);
        }

        if spec.fds.landlock.is_some() {
            for (path, access) in &spec.landlock_rules {
                let fd = libc::open(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC);
                check(fd, Stage::Landlock);
                let attr = PathBeneathAttr {
                    allowed_access: *access,
                    parent_fd: fd,
                };
                const LANDLOCK_RULE_PATH_BENEATH: libc::c_int = 1;
                let ret = libc::syscall(
                    libc::SYS_landlock_add_rule,
                    FD_LANDLOCK,
                    LANDLOCK_RULE_PATH_BENEATH,
                    &attr,
                    0u32,
                );
                check(ret as c_int, Stage::Landlock);
                libc::close(fd);
            }
        }

        // A time namespace for the program: its monotonic and boot clocks
        // (uptime, process start times) count from now, not from the
        // host's boot.
        // Offsets count from the host's clocks; the new namespace starts
        // with ours (non-zero if the runner itself runs in a time
        // namespace), which the file shows before it is written.
        check(libc::unshare(CLONE_NEWTIME), Stage::TimeNamespace);
        let offsets_file = c"/proc/self/timens_offsets";
        let fd = libc::open(offsets_file.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        check(fd, Stage::TimeNamespace);
        let mut current = [0u8; 256];
        let read = libc::read(fd, current.as_mut_ptr().cast(), current.len());
        libc::close(fd);
        let current = &current[..read.max(0) as usize];
        let mut offsets = Line::new();
        for (name, clock) in [
            (&b"monotonic"[..], libc::CLOCK_MONOTONIC),
            (&b"boottime"[..], libc::CLOCK_BOOTTIME),
        ] {
            let mut now: libc::timespec = std::mem::zeroed();
            libc::clock_gettime(clock, &mut now);
            offsets.push(name);
            offsets.push(b" ");
            offsets.push_int(clock_offset(current, name) - now.tv_sec as i64);
            offsets.push(b" 0\n");
        }
        let fd = libc::open(offsets_file.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        check(fd, Stage::TimeNamespace);
        let written = libc::write(fd, offsets.bytes().as_ptr().cast(), offsets.bytes().len());
        check(written.min(0) as c_int, Stage::TimeNamespace);
        libc::close(fd);

        // The exec gate on init itself, so every process of the sandbox
        // inherits it; its listener stays with init alone.
        let gate_program = libc::sock_fprog {
            len: spec.exec_gate.len() as u16,
            filter: spec.exec_gate.as_ptr().cast_mut(),
        };
        let gate = libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_NEW_LISTENER as u32,
            &gate_program,
        ) as c_int;
        check(gate, Stage::ExecGate);

        // The child only runs `program_main`, which execs or exits.
        let program = fork_raw(0);
        if program == -1 {
            fail(Stage::Fork as u32, 126);
        }
        if program == 0 {
            program_main(spec, gate);
        }
        libc::signal(
            libc::SIGUSR1,
            kill_everything as *const () as libc::sighandler_t,
        );
        // Ready: the program exists and starts the interpreter, which waits
        // for its code on stdin. The parent opens the work dir through our
        // root and finds the program's pid while we are still dumpable, then
        // says go; only then do we become non-dumpable (init's memory is a
        // copy of the parent's, so no process of the sandbox may read it
        // through /proc/1) and acknowledge. The parent sends the code after
        // the acknowledgement.
        write_all(FD_READY, b"r");
        if !read_byte(FD_GO) {
            libc::kill(-1, libc::SIGKILL);
            libc::_exit(125);
        }
        check(
            libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0),
            Stage::NotDumpable,
        );
        write_all(FD_READY, b"d");
        libc::close(FD_GO);
        libc::close(FD_READY);
        let program = program as libc::pid_t;
        pass_one_exec(gate, program);

        // Init: stdio and the set-up descriptors are the program's now.
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
            libc::close(fd);
        }
        let mut report = ProgramStatus::default();
        let mut seen = false;
        loop {
            let mut status: c_int = 0;
            let mut usage: libc::rusage = std::mem::zeroed();
            let pid = libc::wait4(-1, &mut status, libc::__WALL, &mut usage);
            if pid == -1 {
                if *libc::__errno_location() == libc::EINTR {
                    continue;
                }
                break; // ECHILD: everyone is gone
            }
            if pid == program {
                let tv =
                    |t: libc::timeval| t.tv_sec.max(0) as u64 * 1_000_000 + t.tv_usec.max(0) as u64;
                report = ProgramStatus {
                    wait_status: status,
                    cpu_us: tv(usage.ru_utime) + tv(usage.ru_stime),
                    max_rss_kb: usage.ru_maxrss.max(0) as u64,
                };
                seen = true;
                // The run is over: nothing it started may outlive it.
                libc::kill(-1, libc::SIGKILL);
            }
        }
        let mut record = [0u8; ProgramStatus::SIZE];
        record[..8].copy_from_slice(&(report.wait_status as i64 as u64).to_ne_bytes());
        record[8..16].copy_from_slice(&report.cpu_us.to_ne_bytes());
        record[16..].copy_from_slice(&report.max_rss_kb.to_ne_bytes());
        if seen {
            write_all(FD_STATUS, &record);
        }
        libc::close(FD_STATUS);
        // Stay alive (the mount namespace with the work dir with us) until
        // the parent has collected the output files.
        read_byte(FD_RELEASE);
        libc::_exit(0)
    }
}

/// `CLONE_NEWTIME`, which `clone(2)` cannot take (it overlaps the exit
/// signal bits), so init unshares it for its children.
const CLONE_NEWTIME: c_int = 0x80;

/// The seconds of `name`'s line in a `timens_offsets` text
/// (`monotonic -120 0`), or 0.
fn clock_offset(text: &[u8], name: &[u8]) -> i64 {
    for line in text.split(|&b| b == b'\n') {
        let mut fields = line.split(|&b| b == b' ').filter(|f| !f.is_empty());
        if fields.next() != Some(name) {
            continue;
        }
        let Some(field) = fields.next() else { return 0 };
        let (negative, digits) = match field.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, field),
        };
        let mut value: i64 = 0;
        for &digit in digits {
            if !digit.is_ascii_digit() {
                return 0;
            }
            value = value
                .saturating_mul(10)
                .saturating_add(i64::from(digit - b'0'));
        }
        return if negative { -value } else { value };
    }
    0
}

/// A short line built without allocating (the child may not allocate).
struct Line {
    buf: [u8; 128],
    len: usize,
}

impl Line {
    fn new() -> Self {
        Self {
            buf: [0; 128],
            len: 0,
        }
    }

    /// Appends what fits.
    fn push(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }

    fn push_int(&mut self, value: i64) {
        if value < 0 {
            self.push(b"-");
        }
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = value.unsigned_abs();
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        self.push(&digits[at..]);
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Waits at the exec gate for the program's `execve` of the interpreter,
/// lets it through and closes the gate: from then on every exec in the
/// sandbox answers `ENOSYS`. Returns early if the program dies first.
fn pass_one_exec(listener: c_int, program: libc::pid_t) {
    // SAFETY: raw syscalls on locals (a pollfd array, the kernel's
    // notification structs, zero-initialised as the ioctl requires).
    unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, program, 0u32) as c_int;
        let watched = if pidfd >= 0 { 2 } else { 1 };
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
            if libc::poll(fds.as_mut_ptr(), watched, -1) < 0 {
                if *libc::__errno_location() == libc::EINTR {
                    continue;
                }
                break;
            }
            if fds[0].revents & libc::POLLIN != 0 {
                let mut notif: libc::seccomp_notif = std::mem::zeroed();
                if libc::ioctl(listener, libc::SECCOMP_IOCTL_NOTIF_RECV, &mut notif) < 0 {
                    match *libc::__errno_location() {
                        // Interrupted, or the caller died meanwhile.
                        libc::EINTR | libc::ENOENT => continue,
                        _ => break,
                    }
                }
                // Only the program exists besides init until it runs.
                let ours = notif.pid as libc::pid_t == program;
                let response = libc::seccomp_notif_resp {
                    id: notif.id,
                    val: 0,
                    error: if ours { 0 } else { -libc::EPERM },
                    flags: if ours {
                        libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32
                    } else {
                        0
                    },
                };
                libc::ioctl(listener, libc::SECCOMP_IOCTL_NOTIF_SEND, &response);
                if ours {
                    break;
                }
            } else if fds[0].revents != 0 || fds[1].revents != 0 {
                break; // the program ended before its exec
            }
        }
        if pidfd >= 0 {
            libc::close(pidfd);
        }
        libc::close(listener);
    }
}

/// The root builder: creates the root's entries as the sandbox user. Never
/// returns.
fn build_tree(spec: &ChildSpec) -> ! {
    // SAFETY: as in `init_main`: raw syscalls on prepared data; ends in _exit.
    unsafe {
        // The tree's paths are relative to the root: reach it with init's
        // credentials first, since the sandbox user may not be allowed to
        // walk the run dir's host path (a private TMPDIR).
        check(libc::chdir(spec.root.as_ptr()), Stage::BuildRoot);
        libc::syscall(libc::SYS_setfsgid, spec.fs_id);
        libc::syscall(libc::SYS_setfsuid, spec.fs_id);
        for entry in &spec.tree {
            let ret = match entry {
                TreeEntry::Dir(path) => libc::mkdir(path.as_ptr(), 0o755),
                TreeEntry::Symlink { path, target } => {
                    libc::symlink(target.as_ptr(), path.as_ptr())
                }
                TreeEntry::File { path, contents } => {
                    let fd = libc::open(
                        path.as_ptr(),
                        libc::O_WRONLY
                            | libc::O_CREAT
                            | libc::O_EXCL
                            | libc::O_NOFOLLOW
                            | libc::O_CLOEXEC,
                        0o644,
                    );
                    if fd >= 0 {
                        write_all(fd, contents);
                        libc::close(fd);
                    }
                    fd.min(0)
                }
            };
            check(ret, Stage::BuildRoot);
        }
        libc::_exit(0)
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

/// The program process. Never returns.
fn program_main(spec: &ChildSpec, gate: c_int) -> ! {
    // SAFETY: (whole function) as in `init_main`, raw syscalls on prepared
    // data and locals only; every path ends in execve or _exit.
    unsafe {
        // The gate's listener is init's alone: whoever holds it decides
        // which execs happen.
        libc::close(gate);
        libc::signal(libc::SIGUSR1, libc::SIG_DFL);
        // Into the run's cgroups first, before anything is allocated: "0"
        // in `tasks` moves the writing thread itself, which the kernel does
        // without waiting for an RCU grace period (see
        // `Cgroup::self_join_files`).
        if spec.fds.cgroups.is_some() {
            for fd in FD_CGROUPS {
                let ret = libc::write(fd, c"0".as_ptr().cast(), 1);
                check(ret.min(0) as c_int, Stage::JoinCgroup);
            }
        }
        for (resource, limit) in &spec.rlimits {
            check(libc::setrlimit(*resource as _, limit), Stage::Rlimit);
        }
        check(libc::chdir(spec.cwd.as_ptr()), Stage::Chdir);

        // Capabilities: empty the bounding and ambient sets (this needs
        // CAP_SETPCAP, so before any uid change), then every set.
        for cap in 0..64 {
            libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0);
        }
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        );
        // Raw syscalls: glibc's set*id wrappers broadcast to every thread
        // it believes exists, and wait forever for the ones the clone left
        // behind.
        if let Some(id) = spec.switch_to {
            let null = std::ptr::null::<libc::gid_t>();
            check(
                libc::syscall(libc::SYS_setgroups, 0usize, null) as c_int,
                Stage::SwitchUser,
            );
            check(
                libc::syscall(libc::SYS_setresgid, id, id, id) as c_int,
                Stage::SwitchUser,
            );
            check(
                libc::syscall(libc::SYS_setresuid, id, id, id) as c_int,
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
        check(
            libc::syscall(libc::SYS_capset, &header, data.as_ptr()) as c_int,
            Stage::DropCapabilities,
        );
        check(
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0),
            Stage::NoNewPrivs,
        );
        if spec.fds.landlock.is_some() {
            check(
                libc::syscall(libc::SYS_landlock_restrict_self, FD_LANDLOCK, 0u32) as c_int,
                Stage::Landlock,
            );
        }
        // Nothing but stdio, the report pipe (as descriptor 3) and the
        // (close-on-exec) error pipe survives.
        check(
            libc::fcntl(FD_ERROR, libc::F_SETFD, libc::FD_CLOEXEC),
            Stage::CloseDescriptors,
        );
        check(
            libc::dup2(FD_REPORT, PROGRAM_REPORT_FD),
            Stage::CloseDescriptors,
        );
        check(
            libc::syscall(
                libc::SYS_close_range,
                (PROGRAM_REPORT_FD + 1) as u32,
                (FD_ERROR - 1) as u32,
                0u32,
            ) as c_int,
            Stage::CloseDescriptors,
        );
        check(
            libc::syscall(libc::SYS_close_range, (FD_ERROR + 1) as u32, u32::MAX, 0u32) as c_int,
            Stage::CloseDescriptors,
        );
        // seccomp last: from here on the filter applies to us too.
        for program in &spec.seccomp {
            let fprog = libc::sock_fprog {
                len: program.len() as u16,
                filter: program.as_ptr().cast_mut(),
            };
            check(
                libc::syscall(
                    libc::SYS_seccomp,
                    libc::SECCOMP_SET_MODE_FILTER,
                    0u32,
                    &fprog,
                ) as c_int,
                Stage::Seccomp,
            );
        }
        libc::execve(
            spec.program.as_ptr(),
            spec.argv.as_ptr(),
            spec.envp.as_ptr(),
        );
        fail(Stage::Exec as u32, 127)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_stage_code_names_its_stage() {
        for code in 0..200u32 {
            match Step::decode(code) {
                Step::Stage(stage) => {
                    assert_eq!(stage as u32, code);
                    assert!(!stage.text().is_empty());
                }
                Step::Mount(n) => assert_eq!(Step::mount_code(n), code),
                Step::Unknown(unknown) => assert_eq!(unknown, code),
            }
        }
        assert_eq!(
            Step::decode(Stage::Routes as u32),
            Step::Stage(Stage::Routes)
        );
        assert_eq!(Step::decode(103), Step::Mount(3));
        assert_eq!(Step::decode(1), Step::Unknown(1));
    }

    use super::*;

    #[test]
    fn lines_and_offsets_need_no_allocation() {
        let mut line = Line::new();
        line.push(b"monotonic ");
        line.push_int(-1234567);
        line.push(b" ");
        line.push_int(0);
        line.push_int(i64::MIN);
        assert_eq!(line.bytes(), b"monotonic -1234567 0-9223372036854775808");
        let text = b"monotonic      -17    0\nboottime  42 0\n";
        assert_eq!(clock_offset(text, b"monotonic"), -17);
        assert_eq!(clock_offset(text, b"boottime"), 42);
        assert_eq!(clock_offset(b"", b"boottime"), 0);
        assert_eq!(clock_offset(b"boottime x1 0", b"boottime"), 0);
    }
}
