//! Prometheus metrics (`GET /metrics`, OpenMetrics text): executions by
//! status, their duration, how many run and wait, and what was turned away.
//!
//! Each server state owns its registry (no global recorder), so servers in
//! one process, as in tests, count separately.

use std::sync::atomic::AtomicI64;

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
        Self {
            registry,
            executions,
            duration,
            in_flight,
            queued,
            rejected,
        }
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
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}
