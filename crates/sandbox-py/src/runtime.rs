//! The one async runtime every client in the process shares, and the wait
//! that keeps the caller's thread responsive while code runs: the GIL is
//! released (other Python threads run in parallel) and `Ctrl-C` cancels the
//! run, which kills its sandbox (SIGKILL, then the runner's clean-up)
//! before `KeyboardInterrupt` reaches the caller.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::prelude::*;

use crate::errors;

/// How often a waiting thread looks at pending signals (`Ctrl-C`): the
/// delay between the key and the cancellation, never a delay of the result.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// How long a cancelled run may take to leave nothing behind (its
/// sandbox's processes and cgroup) before the interrupt is raised.
pub(crate) const CLEANUP_LIMIT: Duration = Duration::from_secs(5);

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

/// Runs `work` to completion on the calling thread (the shared runtime's
/// `block_on`: no hand-off to another thread and back) with the GIL
/// released. Every `SIGNAL_POLL` it takes the GIL for a moment to run
/// pending signal handlers: one that raises (`KeyboardInterrupt` from
/// `Ctrl-C`, on the main thread) drops `work`, which kills its sandbox,
/// waits until the clean-up is done, and raises that exception.
#[allow(
    clippy::redundant_closure_for_method_calls,
    reason = "`Python::check_signals` as a path is not general enough over the GIL's lifetime"
)]
pub(crate) fn wait<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send,
    F: Future<Output = T> + Send,
{
    let runtime = runtime()?;
    py.detach(|| {
        let outcome = runtime.block_on(async move {
            let mut work = std::pin::pin!(work);
            loop {
                match tokio::time::timeout(SIGNAL_POLL, &mut work).await {
                    Ok(value) => return Ok(value),
                    Err(_) => Python::attach(|py| py.check_signals())?,
                }
            }
        });
        if outcome.is_err() {
            // `work` is dropped: the sandbox is killed; its host-side
            // clean-up finishes on the runner's own threads.
            sandbox_client::wait_for_cleanup(CLEANUP_LIMIT);
        }
        outcome
    })
}
