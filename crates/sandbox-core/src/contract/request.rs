//! The request half of the execution contract (`POST /execute`, the client's
//! `execute_request`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::serde_helpers::{base64_map, opt_secs};

/// How strongly the code is isolated from the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ExecutionMode {
    /// Kernel-enforced isolation for untrusted code (namespaces, landlock,
    /// seccomp, cgroups).
    Secure,
    /// A plain child process with rlimits, a timeout and output caps: for
    /// trusted code only, since the code can read what the host user can.
    Simple,
}

impl ExecutionMode {
    /// The name used in JSON, environment variables and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secure => "secure",
            Self::Simple => "simple",
        }
    }
}

impl fmt::Display for ExecutionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExecutionMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "secure" => Ok(Self::Secure),
            "simple" => Ok(Self::Simple),
            _ => Err(format!("unknown mode `{s}`, expected `secure` or `simple`")),
        }
    }
}

/// One execution: the code plus optional per-call overrides of the
/// configuration's defaults. Only `code` is required on the wire.
///
/// ```
/// use sandbox_core::ExecutionRequest;
/// use std::time::Duration;
///
/// let request = ExecutionRequest::new("print(open('data.csv').read())")
///     .with_file("data.csv", b"id,value\n1,100\n".to_vec())
///     .with_timeout(Duration::from_secs(5));
/// assert_eq!(request.input_files.len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExecutionRequest {
    /// The Python source to run.
    #[cfg_attr(feature = "openapi", schema(example = "print(\"Hello, World!\")"))]
    pub code: String,
    /// Isolation mode; the configuration's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ExecutionMode>,
    /// Wall-clock limit, as seconds on the wire.
    #[serde(default, with = "opt_secs", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>, example = 30))]
    pub timeout: Option<Duration>,
    /// Memory limit in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = 128))]
    pub memory_mb: Option<u64>,
    /// Whether the code may use the network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_network: Option<bool>,
    /// Files placed in the work dir before the code starts: relative name to
    /// contents (base64 on the wire).
    #[serde(
        default,
        with = "base64_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = BTreeMap<String, String>, example = json!({"data.csv": "aWQsdmFsdWUKMSwxMDAK"}))
    )]
    pub input_files: BTreeMap<String, Vec<u8>>,
    /// The name the code runs as: its `__file__`, and the file named in
    /// tracebacks and diagnostics, e.g. `agent.py`. A plain file name (no
    /// directories); `main.py` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = "agent.py"))]
    pub filename: Option<String>,
}

/// The name code runs as when its request names none.
pub const DEFAULT_FILENAME: &str = "main.py";

impl ExecutionRequest {
    /// The name the code runs as: [`ExecutionRequest::filename`], else
    /// [`DEFAULT_FILENAME`].
    pub fn file_name(&self) -> &str {
        self.filename.as_deref().unwrap_or(DEFAULT_FILENAME)
    }

    /// Runs the code as `name` (see [`ExecutionRequest::filename`]).
    #[must_use]
    pub fn with_filename(mut self, name: impl Into<String>) -> Self {
        self.filename = Some(name.into());
        self
    }

    /// A request for `code` with every other setting left to the defaults.
    pub fn new(code: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            ..Self::default()
        }
    }

    /// Adds an input file (a relative path such as `data/x.csv`).
    #[must_use]
    pub fn with_file(mut self, name: impl Into<String>, contents: impl Into<Vec<u8>>) -> Self {
        self.input_files.insert(name.into(), contents.into());
        self
    }

    /// Adds every file of `files`.
    #[must_use]
    pub fn with_files<N, C>(mut self, files: impl IntoIterator<Item = (N, C)>) -> Self
    where
        N: Into<String>,
        C: Into<Vec<u8>>,
    {
        self.input_files
            .extend(files.into_iter().map(|(n, c)| (n.into(), c.into())));
        self
    }

    /// Overrides the mode.
    #[must_use]
    pub fn with_mode(mut self, mode: ExecutionMode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// Overrides the timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Overrides the memory limit (MiB).
    #[must_use]
    pub fn with_memory_mb(mut self, memory_mb: u64) -> Self {
        self.memory_mb = Some(memory_mb);
        self
    }

    /// Overrides network access.
    #[must_use]
    pub fn with_network(mut self, allow: bool) -> Self {
        self.allow_network = Some(allow);
        self
    }
}
