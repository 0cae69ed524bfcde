//! The state every handler shares: configuration, the client that runs
//! code, admission, rate limits, metrics, and what this host offers.

use std::sync::Arc;

use sandbox_client::{ExecutionMode, SandboxClient, SandboxError};

use crate::admission::Admission;
use crate::budget::BodyBudget;
use crate::config::ServerConfig;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::readiness::Readiness;
use crate::sessions::Sessions;

/// One secure-mode layer as `GET /` reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct LayerReport {
    /// The layer, e.g. `user namespace`, `landlock`, `cgroup memory`.
    pub name: String,
    /// Whether this host offers it.
    pub available: bool,
    /// What was found, or why it is missing.
    pub detail: String,
}

/// Shared server state; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ServerConfig,
    client: SandboxClient,
    admission: Admission,
    rate_limiter: Option<RateLimiter>,
    body_budget: BodyBudget,
    readiness: Arc<Readiness>,
    metrics: Metrics,
    sessions: Sessions,
    layers: Vec<LayerReport>,
    missing: Vec<String>,
}

impl AppState {
    /// State for `config`, probing this host's secure-mode layers once.
    ///
    /// # Errors
    ///
    /// [`SandboxError`] when the execution configuration cannot make a client.
    pub fn new(config: ServerConfig) -> Result<Self, SandboxError> {
        let capabilities = sandbox_client::probe_isolation();
        let layers = capabilities
            .layers
            .iter()
            .map(|layer| LayerReport {
                name: layer.name.to_owned(),
                available: layer.available(),
                detail: match &layer.status {
                    Ok(detail) | Err(detail) => detail.clone(),
                },
            })
            .collect();
        let missing = capabilities
            .missing_for(config.execution.isolation)
            .iter()
            .map(|layer| layer.name.to_owned())
            .collect();
        let client = SandboxClient::from_config(config.execution.clone())?;
        Ok(Self {
            inner: Arc::new(Inner {
                admission: Admission::new(config.max_concurrency, config.max_queue),
                rate_limiter: config.rate_limit.map(RateLimiter::new),
                body_budget: BodyBudget::new(config.max_buffered_bytes),
                readiness: Arc::new(Readiness::default()),
                client,
                metrics: Metrics::new(),
                sessions: Sessions::new(config.sessions.clone()),
                layers,
                missing,
                config,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// The client that runs code on this host.
    pub fn client(&self) -> &SandboxClient {
        &self.inner.client
    }

    /// Slots, queue and shutdown switches.
    pub fn admission(&self) -> &Admission {
        &self.inner.admission
    }

    /// The per-caller rate limit, when configured.
    pub fn rate_limiter(&self) -> Option<&RateLimiter> {
        self.inner.rate_limiter.as_ref()
    }

    /// The memory budget of buffered request bodies.
    pub fn body_budget(&self) -> &BodyBudget {
        &self.inner.body_budget
    }

    /// Whether runs can be set up here (see [`crate::readiness`]).
    pub fn readiness(&self) -> &Arc<Readiness> {
        &self.inner.readiness
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The open sessions.
    pub fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    /// Every secure-mode layer and whether this host offers it.
    pub fn layers(&self) -> &[LayerReport] {
        &self.inner.layers
    }

    /// The layers the configured isolation level needs that are missing.
    pub fn missing_layers(&self) -> &[String] {
        &self.inner.missing
    }

    /// Whether the server's default mode can run here: simple always can;
    /// secure when no required layer is missing.
    pub fn default_mode_available(&self) -> bool {
        self.config().execution.mode == ExecutionMode::Simple || self.inner.missing.is_empty()
    }
}
