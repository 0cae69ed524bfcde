//! What is left of a run on the host once its processes are gone, and the
//! background ends of pooled runs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sandbox_core::SandboxError;

use super::super::cgroup::Cgroup;
use super::io_err;

/// What is left of a run on the host once its processes are gone.
pub(super) struct Leftovers {
    pub(super) cgroup: Option<Cgroup>,
    pub(super) run_dir: Option<tempfile::TempDir>,
}

/// What the cgroups said before they were removed.
pub(super) struct Removed {
    pub(super) oom: bool,
    pub(super) peak_kb: Option<u64>,
}

impl Leftovers {
    /// The memory counters, read before the cgroups go.
    pub(super) fn counters(&self) -> Removed {
        Self::counters_of(self.cgroup.as_ref())
    }

    /// The memory counters of `cgroup`, when there is one.
    pub(super) fn counters_of(cgroup: Option<&Cgroup>) -> Removed {
        Removed {
            oom: cgroup.is_some_and(Cgroup::oom_killed),
            peak_kb: cgroup.and_then(Cgroup::peak_memory_kb),
        }
    }

    /// Reads the memory counters, then removes the cgroups and the run dir,
    /// on a blocking thread.
    pub(super) fn remove_in_background(
        self,
    ) -> tokio::task::JoinHandle<Result<Removed, SandboxError>> {
        tokio::task::spawn_blocking(move || {
            let Removed { oom, peak_kb } = self.counters();
            if let Some(group) = self.cgroup {
                group.remove();
            }
            if let Some(dir) = self.run_dir {
                dir.close().map_err(io_err("remove the run dir"))?;
            }
            Ok(Removed { oom, peak_kb })
        })
    }
}

/// Ends of pooled runs (and network helpers) still finishing in the
/// background.
static TAILS: AtomicUsize = AtomicUsize::new(0);

/// One run's background end, counted while it lasts (also when its task
/// is dropped with its runtime).
pub(in crate::secure) struct Tail;

impl Tail {
    pub(in crate::secure) fn start() -> Self {
        TAILS.fetch_add(1, Ordering::SeqCst);
        Self
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        TAILS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits up to `limit` for the background ends of pooled runs (blocking:
/// their tasks must be able to run meanwhile).
pub(crate) fn wait_for_tails(limit: Duration) {
    crate::wait_for_zero(&TAILS, limit);
}
