//! What a session is created with: the body of `POST /sessions`, and the
//! options of `create_session` in the clients. A session is one secure
//! sandbox kept for one owner; its memory, network and policy are fixed
//! here, each run has its own timeout.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::serde_helpers::{base64_map, opt_secs};

/// How a session is made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SessionOptions {
    /// The timeout of each run that sets none, as seconds on the wire; the
    /// configuration's default when absent.
    #[serde(default, with = "opt_secs", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>, example = 30))]
    pub timeout: Option<Duration>,
    /// Memory limit of the whole session, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = 256))]
    pub memory_mb: Option<u64>,
    /// Whether the session's code may use the network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_network: Option<bool>,
    /// How long the session may sit unused before it is ended, as seconds
    /// on the wire (a server's sessions; its default when absent).
    #[serde(default, with = "opt_secs", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>, example = 600))]
    pub idle_timeout: Option<Duration>,
    /// Files placed in the work dir before the first run: relative name to
    /// contents (base64 on the wire).
    #[serde(
        default,
        with = "base64_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, String>))]
    pub input_files: BTreeMap<String, Vec<u8>>,
}

impl SessionOptions {
    /// Options with every setting left to the defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Each run's default timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The session's memory limit, MiB.
    #[must_use]
    pub fn with_memory_mb(mut self, memory_mb: u64) -> Self {
        self.memory_mb = Some(memory_mb);
        self
    }

    /// Whether the session's code may use the network.
    #[must_use]
    pub fn with_network(mut self, allow: bool) -> Self {
        self.allow_network = Some(allow);
        self
    }

    /// Adds a file to the work dir before the first run.
    #[must_use]
    pub fn with_file(mut self, name: impl Into<String>, contents: impl Into<Vec<u8>>) -> Self {
        self.input_files.insert(name.into(), contents.into());
        self
    }
}
