//! The one async runtime every client in the process shares, and the wait
//! that keeps the caller's thread responsive while code runs: the GIL is
//! released (other Python threads run in parallel) and `Ctrl-C` cancels the
//! run, which kills its sandbox before `KeyboardInterrupt` reaches the
//! caller.

use std::future::Future;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use pyo3::prelude::*;

use crate::errors;

/// How often a waiting thread looks at pending signals (`Ctrl-C`): the
/// delay between the key and the cancellation, never a delay of the result.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// How long a cancelled run may take to leave nothing behind (its
/// sandbox's processes and cgroup) before the interrupt is raised.
const CLEANUP_LIMIT: Duration = Duration::from_secs(5);

/// The shared runtime, started on first use. Two workers: the runs
/// themselves happen in sandboxes; the runtime only waits on them.
pub(crate) fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("sandbox-executor")
                .enable_all()
                .build()
                .map_err(|err| format!("cannot start the async runtime: {err}"))
        })
        .as_ref()
        .map_err(|why| errors::sandbox_exception(why.clone()))
}

/// Runs `work` on the shared runtime and waits for it with the GIL
/// released. A signal handler that raises (`KeyboardInterrupt` from
/// `Ctrl-C`, on the main thread) cancels `work`, waits until its clean-up
/// is done, and raises that exception.
pub(crate) fn wait<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let runtime = runtime()?;
    let (done, result) = mpsc::sync_channel(1);
    // Shared with the GIL-free closure below, which needs it `Sync`.
    let result = Mutex::new(result);
    let task = runtime.spawn(async move {
        // The receiver is gone only when the caller was interrupted.
        let _ = done.send(work.await);
    });
    loop {
        let received = py.detach(|| match result.lock() {
            Ok(result) => result.recv_timeout(SIGNAL_POLL),
            Err(_) => Err(RecvTimeoutError::Disconnected),
        });
        match received {
            Ok(value) => return Ok(value),
            Err(RecvTimeoutError::Timeout) => {
                if let Err(interrupt) = py.check_signals() {
                    task.abort();
                    py.detach(|| {
                        // Dropping the run's future kills its sandbox; the
                        // host-side clean-up then finishes on its own
                        // threads, which this waits for.
                        let _ = runtime.block_on(task);
                        sandbox_client::wait_for_cleanup(CLEANUP_LIMIT);
                    });
                    return Err(interrupt);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(errors::sandbox_exception(
                    "the run ended without a result (its task panicked)".into(),
                ));
            }
        }
    }
}
