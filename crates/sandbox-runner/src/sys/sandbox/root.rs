//! Init's root stage: a small tmpfs built as the sandbox user, the plan's
//! mounts on it, `pivot_root` into it, the old root detached and `/`
//! remounted read-only.

use libc::c_ulong;

use super::handshake::{Stage, Step};
use super::raw::{EXIT_SETUP, check, close, exit, fail, mount, write_all, write_file};
use super::{ChildSpec, TreeEntry, fork_raw};

/// Builds the new root and moves into it.
pub(super) fn enter(spec: &ChildSpec) {
    check(
        mount(None, c"/", None, libc::MS_REC | libc::MS_PRIVATE, None),
        Stage::PrivateMounts,
    );
    // The new root is a small tmpfs built here, so nothing of the host's
    // directory tree (not even the run dir's name) shows in
    // /proc/self/mountinfo. Files are created as the sandbox user: a tmpfs
    // refuses owners its user namespace cannot map.
    check(
        mount(
            Some(c"tmpfs"),
            &spec.root,
            Some(c"tmpfs"),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
            Some(&spec.root_data),
        ),
        Stage::MountRoot,
    );
    build_tree_as_sandbox_user(spec);
    mount_plan(spec);
    pivot(spec);
    const READ_ONLY_ROOT: c_ulong = libc::MS_NOSUID
        | libc::MS_NODEV
        | libc::MS_NOEXEC
        | libc::MS_REMOUNT
        | libc::MS_BIND
        | libc::MS_RDONLY;
    check(
        mount(None, c"/", None, READ_ONLY_ROOT, None),
        Stage::RemountRoot,
    );
}

/// A short-lived helper builds the tree with the sandbox user as its
/// filesystem id; init keeps its own credentials, which the bind mounts
/// need to reach their sources.
fn build_tree_as_sandbox_user(spec: &ChildSpec) {
    // SAFETY: see `fork_raw`: the child runs `build_tree`, which makes raw
    // syscalls on `spec` and ends in `_exit`.
    let builder = unsafe { fork_raw(0) };
    let builder = check(builder, Stage::BuildRoot);
    if builder == 0 {
        build_tree(spec);
    }
    let Ok(builder) = libc::pid_t::try_from(builder) else {
        fail(Stage::BuildRoot, EXIT_SETUP);
    };
    let Some(status) = super::raw::wait_for(builder) else {
        fail(Stage::BuildRoot, EXIT_SETUP);
    };
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        exit(EXIT_SETUP); // the builder reported why
    }
}

/// The root builder: creates the root's entries as the sandbox user. Never
/// returns.
fn build_tree(spec: &ChildSpec) -> ! {
    // The tree's paths are relative to the root: reach it with init's
    // credentials first, since the sandbox user may not be allowed to walk
    // the run dir's host path (a private TMPDIR).
    // SAFETY: `root` is NUL-terminated and lives across the call.
    check(unsafe { libc::chdir(spec.root.as_ptr()) }, Stage::BuildRoot);
    // SAFETY: integer arguments only. (These two calls return the previous
    // id, never an error.)
    unsafe { libc::syscall(libc::SYS_setfsgid, spec.fs_id) };
    // SAFETY: as above.
    unsafe { libc::syscall(libc::SYS_setfsuid, spec.fs_id) };
    for entry in &spec.tree {
        let made = match entry {
            // SAFETY: a NUL-terminated path that lives across the call.
            TreeEntry::Dir(path) => unsafe { libc::mkdir(path.as_ptr(), 0o755) },
            TreeEntry::Symlink { path, target } => {
                // SAFETY: two NUL-terminated strings that live across the call.
                unsafe { libc::symlink(target.as_ptr(), path.as_ptr()) }
            }
            TreeEntry::File { path, contents } => write_new_file(path, contents),
        };
        check(made, Stage::BuildRoot);
    }
    exit(0)
}

/// Creates `path` (which must not exist, nor be a symlink) with `contents`.
fn write_new_file(path: &std::ffi::CStr, contents: &[u8]) -> libc::c_int {
    const FLAGS: libc::c_int = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW;
    // SAFETY: a NUL-terminated path that lives across the call; the mode is
    // the variadic third argument O_CREAT needs.
    let fd = unsafe { libc::open(path.as_ptr(), FLAGS | libc::O_CLOEXEC, 0o644) };
    if fd == -1 {
        return -1;
    }
    let written = write_all(fd, contents);
    close(fd);
    if written == -1 { -1 } else { 0 }
}

/// The plan's mounts, in order, each with its read-only remount.
fn mount_plan(spec: &ChildSpec) {
    for (i, m) in spec.mounts.iter().enumerate() {
        let step = Step::Mount(i);
        let mounted = mount(
            m.source.as_deref(),
            &m.target,
            m.fstype.as_deref(),
            m.flags,
            m.data.as_deref(),
        );
        check(mounted, step);
        if let Some(flags) = m.remount {
            let flags = flags | libc::MS_REMOUNT | libc::MS_BIND;
            check(mount(None, &m.target, None, flags, None), step);
        }
    }
}

/// `pivot_root` into the new root, detach the old one and remove the
/// sources of the `/proc` views.
fn pivot(spec: &ChildSpec) {
    // SAFETY: two NUL-terminated paths that live across the call.
    let pivoted = unsafe {
        libc::syscall(
            libc::SYS_pivot_root,
            spec.root.as_ptr(),
            spec.old_root.as_ptr(),
        )
    };
    check(pivoted, Stage::PivotRoot);
    // SAFETY: a NUL-terminated literal.
    check(unsafe { libc::chdir(c"/".as_ptr()) }, Stage::PivotRoot);
    // SAFETY: a NUL-terminated path that lives across the call.
    let detached = unsafe { libc::umount2(spec.old_root_inside.as_ptr(), libc::MNT_DETACH) };
    check(detached, Stage::DetachOldRoot);
    // SAFETY: as above. (Best effort: an entry left in the read-only root
    // is an empty directory.)
    unsafe { libc::rmdir(spec.old_root_inside.as_ptr()) };
    for path in &spec.scratch {
        // SAFETY: a NUL-terminated path that lives across the call.
        if unsafe { libc::unlink(path.as_ptr()) } == -1 {
            // SAFETY: as above.
            check(unsafe { libc::rmdir(path.as_ptr()) }, Stage::Scratch);
        }
    }
}

/// Writes the namespaced sysctls (best effort: a kernel without one keeps
/// its default).
pub(super) fn set_sysctls(spec: &ChildSpec) {
    for (path, value) in &spec.sysctls {
        write_file(path, value);
    }
}
