//! One host user per sandbox under a root runner.
//!
//! The kernel keeps some quotas per host user (pipe buffers, inotify
//! watches, `RLIMIT_NPROC`, message queues): sandboxes that share a host
//! uid share them, and one could starve the others. A root runner maps
//! each sandbox's user to a host uid of its own from a reserved range, the
//! same number as its gid. The range starts right after the one systemd
//! reserves for containers (`0x70000000`, 1879048192) and holds 65536 ids;
//! no account of the host may use it.
//!
//! Concurrent runners on one host (a server, `sandbox run` processes)
//! share the range through one lock file: a sandbox holds an open-file-
//! description lock on byte `id - FIRST` of `/run/sandbox-uids.lock` for as
//! long as it lives, so no two live sandboxes, of any runner, get the same
//! id; the kernel drops the lock when the holder dies. An unprivileged
//! runner can map only its own uid: its sandboxes all run as its user.

use std::fs::File;
use std::os::fd::AsFd as _;
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::sync::atomic::{AtomicU32, Ordering};

use sandbox_core::SandboxError;

/// The first host id of the range.
pub(crate) const FIRST: u32 = 0x7000_0000;
/// How many ids the range holds.
pub(crate) const COUNT: u32 = 65536;
/// Where the range starts inside a fork server's user namespace, which
/// maps it whole (its sandboxes each map one id of it).
pub(crate) const INNER_FIRST: u32 = 100_000;
/// The lock file every runner of the host shares.
pub(crate) const LOCK_FILE: &str = "/run/sandbox-uids.lock";

/// A host id held for one sandbox; dropping it frees the id.
#[derive(Debug)]
pub(crate) struct Lease {
    id: u32,
    _lock: File,
}

impl Lease {
    /// The host uid (and gid).
    pub(crate) fn id(&self) -> u32 {
        self.id
    }

    /// The same id inside a fork server's user namespace.
    pub(crate) fn inner(&self) -> u32 {
        INNER_FIRST + (self.id - FIRST)
    }
}

/// A free id of the range, held until the lease is dropped.
pub(crate) fn lease() -> Result<Lease, SandboxError> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let failed =
        |e: std::io::Error| SandboxError::io(format!("reserve a host uid ({LOCK_FILE})"), e);
    // Each lease opens the file anew: locks of one open file description
    // never conflict with each other.
    let lock = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(LOCK_FILE)
        .map_err(failed)?;
    let meta = lock.metadata().map_err(failed)?;
    if !meta.is_file() || meta.uid() != 0 || meta.mode() & 0o022 != 0 {
        return Err(failed(std::io::Error::other(
            "the lock file must be a regular file owned by root and writable by root alone",
        )));
    }
    let start = NEXT.fetch_add(1, Ordering::Relaxed) % COUNT;
    for step in 0..COUNT {
        let slot = (start + step) % COUNT;
        let region = byte_lock(slot);
        match nix::fcntl::fcntl(lock.as_fd(), nix::fcntl::FcntlArg::F_OFD_SETLK(&region)) {
            Ok(_) => {
                return Ok(Lease {
                    id: FIRST + slot,
                    _lock: lock,
                });
            }
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EACCES) => {}
            Err(err) => return Err(failed(err.into())),
        }
    }
    Err(failed(std::io::Error::other(format!(
        "all {COUNT} ids from {FIRST} are held by live sandboxes"
    ))))
}

/// `F_WRLCK` and `SEEK_SET` as `flock`'s short fields.
const WRITE_LOCK: libc::c_short = 1;
const FROM_START: libc::c_short = 0;

/// A write lock on byte `slot` of the lock file.
fn byte_lock(slot: u32) -> libc::flock {
    libc::flock {
        l_type: WRITE_LOCK,
        l_whence: FROM_START,
        l_start: libc::off_t::from(slot),
        l_len: 1,
        l_pid: 0,
    }
}

/// What `sandbox doctor` says about host users here.
pub(crate) fn describe() -> Result<String, String> {
    if !nix::unistd::geteuid().is_root() {
        return Err(
            "the runner is not root, so every sandbox runs as the runner's own host user and \
             shares its per-user kernel quotas (pipe buffers, process count); run separate \
             runners as separate users, or as root"
                .into(),
        );
    }
    match lease() {
        Ok(lease) => Ok(format!(
            "one per sandbox, host ids {FIRST}-{} (now free: {}), locks in {LOCK_FILE}",
            FIRST + COUNT - 1,
            lease.id()
        )),
        Err(err) => Err(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_constants_are_libc_s() {
        assert_eq!(i32::from(WRITE_LOCK), libc::F_WRLCK);
        assert_eq!(i32::from(FROM_START), libc::SEEK_SET);
    }

    /// Whether byte `slot` of the lock file can be locked by another open
    /// file description (as another runner would try).
    fn free(slot: u32) -> bool {
        let file = File::options()
            .read(true)
            .write(true)
            .open(LOCK_FILE)
            .unwrap();
        let region = libc::flock {
            l_type: WRITE_LOCK,
            l_whence: FROM_START,
            l_start: libc::off_t::from(slot),
            l_len: 1,
            l_pid: 0,
        };
        nix::fcntl::fcntl(file.as_fd(), nix::fcntl::FcntlArg::F_OFD_SETLK(&region)).is_ok()
    }

    /// Live leases never share an id, no other holder can take a held one,
    /// and a dropped one is free again.
    #[test]
    fn leases_are_distinct_and_exclusive_while_held() {
        if !nix::unistd::geteuid().is_root() {
            // Only root may create the lock file under /run.
            assert!(lease().is_err());
            return;
        }
        let held: Vec<Lease> = (0..64).map(|_| lease().expect("a lease")).collect();
        let mut ids: Vec<u32> = held.iter().map(Lease::id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), held.len());
        assert!(ids.iter().all(|id| (FIRST..FIRST + COUNT).contains(id)));
        let slot = held[0].id() - FIRST;
        assert_eq!(held[0].inner(), INNER_FIRST + slot);
        assert!(!free(slot), "a held id could be taken");
        drop(held);
        assert!(free(slot), "a dropped lease kept its id");
    }
}
