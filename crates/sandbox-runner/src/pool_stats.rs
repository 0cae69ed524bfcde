//! What a pool of prepared sandboxes reports (see `pool`, Linux only).

use serde::Serialize;

/// What the pool did so far, for `GET /` and `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PoolStats {
    /// Prepared sandboxes per shape, at most.
    pub size: usize,
    /// Prepared sandboxes waiting now.
    pub ready: usize,
    /// Requests served by a prepared sandbox.
    pub hits: u64,
    /// Requests that found none ready and took the cold path.
    pub misses: u64,
    /// Sandboxes prepared.
    pub refills: u64,
    /// Of those, sandboxes the fork server made (the rest started cold:
    /// the server could not start or failed, and the log says why).
    pub forked: u64,
    /// Preparations that failed (the cold path then serves, and says why).
    pub failed_refills: u64,
    /// Prepared sandboxes found dead while waiting, and replaced.
    pub died_idle: u64,
    /// Mean time to prepare one sandbox, milliseconds.
    pub mean_refill_ms: f64,
    /// Why the last preparation failed, if the last one did.
    pub last_error: Option<String>,
}
