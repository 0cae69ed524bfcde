//! Prometheus metrics (`GET /metrics`, OpenMetrics text): executions by
//! status, their duration, how many run and wait, and what was turned away.
//!
//! Each server state owns its registry (no global recorder), so servers in
//! one process, as in tests, count separately.

use std::sync::atomic::{AtomicI64, AtomicU64};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The `status` label of an execution: a result status, or `cancelled` when
/// the client went away or the server shut down before it ended.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabel {
    /// `ok`, `error`, `timeout`, …, or `cancelled`.
    pub status: String,
}

/// The `reason` label of a turned-away request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    /// `overloaded`, `rate_limited` or `shutting_down`.
    pub reason: String,
}

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    executions: Family<StatusLabel, Counter>,
    duration: Histogram,
    in_flight: Gauge<i64, AtomicI64>,
    queued: Gauge<i64, AtomicI64>,
    rejected: Family<ReasonLabel, Counter>,
    pool: PoolMetrics,
    sessions: SessionMetrics,
}

/// Sessions: how many are open, and how they ended.
#[derive(Debug, Default)]
pub struct SessionMetrics {
    /// Sessions open now.
    pub open: Gauge<i64, AtomicI64>,
    /// Sessions made.
    pub created: Counter,
    /// Sessions ended by their idle timeout or maximum lifetime.
    pub expired: Counter,
    /// Sessions ended by their program: a run that would not stop, the
    /// memory limit, the interpreter's end.
    pub killed: Counter,
    /// Sessions closed by their owner (`DELETE`) or the server's shutdown.
    pub closed: Counter,
}

/// The sandbox pool's figures, brought up to date at each scrape.
#[derive(Debug, Default)]
struct PoolMetrics {
    size: Gauge<i64, AtomicI64>,
    ready: Gauge<i64, AtomicI64>,
    hits: Counter,
    misses: Counter,
    refills: Counter,
    failed: Counter,
    died: Counter,
    forked: Counter,
    mean_refill: Gauge<f64, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("sandbox");
        let executions = Family::<StatusLabel, Counter>::default();
        registry.register(
            "executions",
            "Executions finished, by result status (`cancelled`: client gone or shutdown)",
            executions.clone(),
        );
        // 5 ms to about 82 s, doubling.
        let duration = Histogram::new(exponential_buckets(0.005, 2.0, 15));
        registry.register(
            "execution_duration_seconds",
            "Wall time of executions, from the start of the run to its result",
            duration.clone(),
        );
        let in_flight = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "executions_in_flight",
            "Executions running now",
            in_flight.clone(),
        );
        let queued = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "executions_queued",
            "Requests waiting for a free execution slot",
            queued.clone(),
        );
        let rejected = Family::<ReasonLabel, Counter>::default();
        registry.register(
            "requests_rejected",
            "Requests turned away before running, by reason",
            rejected.clone(),
        );
        let pool = PoolMetrics::default();
        let gauges = [
            (
                "pool_size",
                "Secure sandboxes kept prepared per shape, at most",
                &pool.size,
            ),
            ("pool_ready", "Prepared sandboxes waiting now", &pool.ready),
        ];
        for (name, help, gauge) in gauges {
            registry.register(name, help, gauge.clone());
        }
        let counters = [
            (
                "pool_hits",
                "Executions served by a prepared sandbox",
                &pool.hits,
            ),
            (
                "pool_misses",
                "Executions that found no prepared sandbox and started cold",
                &pool.misses,
            ),
            ("pool_refills", "Sandboxes prepared", &pool.refills),
            (
                "pool_failed_refills",
                "Preparations that failed",
                &pool.failed,
            ),
            (
                "pool_died_idle",
                "Prepared sandboxes that died while waiting",
                &pool.died,
            ),
            (
                "pool_forked",
                "Sandboxes the fork server made (the rest of the refills started cold)",
                &pool.forked,
            ),
        ];
        for (name, help, counter) in counters {
            registry.register(name, help, counter.clone());
        }
        registry.register(
            "pool_mean_refill_seconds",
            "Mean time to prepare one sandbox",
            pool.mean_refill.clone(),
        );
        let sessions = SessionMetrics::default();
        registry.register("sessions_open", "Sessions open now", sessions.open.clone());
        let counters = [
            ("sessions_created", "Sessions made", &sessions.created),
            (
                "sessions_expired",
                "Sessions ended by their idle timeout or maximum lifetime",
                &sessions.expired,
            ),
            (
                "sessions_killed",
                "Sessions ended by their program (a run that would not stop, the memory limit)",
                &sessions.killed,
            ),
            (
                "sessions_closed",
                "Sessions closed by their owner or at shutdown",
                &sessions.closed,
            ),
        ];
        for (name, help, counter) in counters {
            registry.register(name, help, counter.clone());
        }
        Self {
            registry,
            executions,
            duration,
            in_flight,
            queued,
            rejected,
            pool,
            sessions,
        }
    }

    /// The sessions' figures.
    pub fn sessions(&self) -> &SessionMetrics {
        &self.sessions
    }

    /// Brings the pool's figures up to `stats` (its counters only grow).
    pub fn observe_pool(&self, stats: &sandbox_client::PoolStats) {
        let pool = &self.pool;
        pool.size.set(i64::try_from(stats.size).unwrap_or(i64::MAX));
        pool.ready
            .set(i64::try_from(stats.ready).unwrap_or(i64::MAX));
        for (counter, total) in [
            (&pool.hits, stats.hits),
            (&pool.misses, stats.misses),
            (&pool.refills, stats.refills),
            (&pool.failed, stats.failed_refills),
            (&pool.died, stats.died_idle),
            (&pool.forked, stats.forked),
        ] {
            counter.inc_by(total.saturating_sub(counter.get()));
        }
        pool.mean_refill.set(stats.mean_refill_ms / 1000.0);
    }

    /// Counts a finished execution.
    pub fn finished(&self, status: &str, seconds: f64) {
        self.executions
            .get_or_create(&StatusLabel {
                status: status.to_owned(),
            })
            .inc();
        self.duration.observe(seconds);
    }

    /// Counts a turned-away request.
    pub fn rejected(&self, reason: &str) {
        self.rejected
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// The running-executions gauge.
    pub fn in_flight(&self) -> &Gauge<i64, AtomicI64> {
        &self.in_flight
    }

    /// The waiting-requests gauge.
    pub fn queued(&self) -> &Gauge<i64, AtomicI64> {
        &self.queued
    }

    /// The OpenMetrics text of every metric.
    ///
    /// # Errors
    ///
    /// A formatting error from the encoder (writing to a `String` itself
    /// cannot fail).
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}
