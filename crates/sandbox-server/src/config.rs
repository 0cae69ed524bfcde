//! The server's configuration: command-line flags, each also read from a
//! `SANDBOX_*` environment variable, on top of the execution defaults that
//! every sandbox program reads (`SANDBOX_MODE`, `SANDBOX_TIMEOUT`, …).
//!
//! The server reads the process environment only, not a `.env` file: it is
//! configured the way its container or service unit sets it.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use sandbox_client::{ClientConfig, ExecutionMode, Isolation, vars};

use crate::connection::{
    ConnectionLimits, DEFAULT_BODY_TIMEOUT, DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
};
use crate::keys::ApiKeys;
use crate::origin::{AllowedHosts, AllowedOrigins};

/// Default number of requests allowed to wait for a free execution slot.
pub const DEFAULT_MAX_QUEUE: usize = 64;
/// Default largest `timeout` a request may ask for: 5 minutes.
pub const DEFAULT_TIMEOUT_LIMIT: f64 = 300.0;
/// Default largest `memory_mb` a request may ask for.
pub const DEFAULT_MEMORY_LIMIT_MB: u64 = 1024;
/// Default largest request body: 32 MiB (base64 input files included).
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 << 20;
/// Default most input files per request.
pub const DEFAULT_MAX_INPUT_FILES: usize = 100;
/// Default largest total of input files per request: 16 MiB decoded.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 16 << 20;
/// Most concurrent executions accepted in the configuration.
pub const MAX_CONCURRENCY: usize = 10_000;
/// Longest queue accepted in the configuration.
pub const MAX_QUEUE: usize = 1_000_000;
/// Most connections accepted in the configuration.
pub const MAX_CONNECTIONS: usize = 1_000_000;
/// Default idle time after which a session is ended: 10 minutes.
pub const DEFAULT_SESSION_IDLE_TIMEOUT: f64 = 600.0;
/// Default longest life of a session: 1 hour.
pub const DEFAULT_SESSION_MAX_LIFETIME: f64 = 3600.0;
/// Default sessions open at once.
pub const DEFAULT_MAX_SESSIONS: usize = 32;
/// Default sessions one caller may hold.
pub const DEFAULT_MAX_SESSIONS_PER_KEY: usize = 8;
/// Default grace period for in-flight executions at shutdown.
pub const DEFAULT_SHUTDOWN_TIMEOUT: f64 = 30.0;
/// Default request bytes held in memory at once: 128 MiB (two bodies of
/// the largest default size, each counted twice).
pub const DEFAULT_MAX_BUFFERED_BYTES: usize = 128 << 20;

const ABOUT: &str = "HTTP API of the Python sandbox: POST /execute runs code and returns \
its output and files (the execution contract), with health, readiness, Prometheus metrics \
and API docs (/docs, /redoc, /openapi.json).";

const AFTER_HELP: &str = "\
Execution defaults come from the same variables as every sandbox program:
  SANDBOX_MODE (secure|simple), SANDBOX_ISOLATION (full|no-cgroups|best-effort),
  SANDBOX_TIMEOUT, SANDBOX_MAX_MEMORY_MB, SANDBOX_ALLOW_NETWORK, SANDBOX_PYTHON,
  SANDBOX_MAX_OUTPUT_BYTES, SANDBOX_MAX_RESULT_BYTES, SANDBOX_POLICY (the policy
  code is checked against), SANDBOX_ALLOWED_NETWORKS (private networks or host
  addresses a sandbox with the network may reach, for an internal service).
The server's mode and network setting are also the most a request may ask for:
a secure server refuses `\"mode\": \"simple\"`, and `\"allow_network\": true` is
accepted only when SANDBOX_ALLOW_NETWORK is true. Requests over a limit get 422
naming the field and the limit; bodies over --max-body-bytes get 413.

SIGTERM or SIGINT: stop accepting, let in-flight executions finish for
--shutdown-timeout seconds, kill the rest, exit 0. A second signal kills at once.

Endpoints: GET / (health), /healthz (liveness), /readyz (readiness), POST /execute,
POST /sessions (a kept sandbox: state persists between its runs), GET /sessions,
POST /sessions/{id}/execute, GET|PUT /sessions/{id}/files/{path}, DELETE /sessions/{id},
GET /metrics, /openapi.json, /docs (Swagger UI), /redoc (ReDoc).";

/// Command-line flags; each falls back to its environment variable.
#[derive(Debug, Clone, Parser)]
#[command(name = "sandbox-server", version, about = ABOUT, after_help = AFTER_HELP)]
pub struct Args {
    /// Address or host name to listen on (`0.0.0.0` for every interface).
    #[arg(long, env = vars::HOST, default_value = "127.0.0.1")]
    pub host: String,

    /// Port to listen on (0 picks a free one and logs it).
    #[arg(long, env = vars::PORT, default_value_t = 8000)]
    pub port: u16,

    /// API keys accepted as `Authorization: Bearer KEY` or `X-API-Key: KEY`,
    /// comma-separated. Without any key the server is open to anyone who can
    /// reach it (it warns at start-up). Prefer the variable or the key file:
    /// a command line is visible to other users of the machine.
    #[arg(long, env = vars::API_KEYS, value_name = "KEYS", hide_env_values = true)]
    pub api_keys: Option<String>,

    /// File of API keys, one per line; blank lines and `#` comments are
    /// ignored. Used together with --api-keys.
    #[arg(long, env = vars::API_KEYS_FILE, value_name = "PATH")]
    pub api_keys_file: Option<PathBuf>,

    /// Executions run at once; more wait in the queue. [default: CPU count]
    #[arg(long, env = vars::MAX_CONCURRENCY, value_name = "N")]
    pub max_concurrency: Option<usize>,

    /// Requests that may wait for a free slot; past it the server answers
    /// 503 with `Retry-After`.
    #[arg(long, env = vars::MAX_QUEUE, value_name = "N", default_value_t = DEFAULT_MAX_QUEUE)]
    pub max_queue: usize,

    /// Executions per minute per API key (per client address when no keys
    /// are configured); past it the server answers 429 with `Retry-After`.
    /// 0 turns the limit off.
    #[arg(long, env = vars::RATE_LIMIT, value_name = "PER_MINUTE", default_value_t = 0)]
    pub rate_limit: u32,

    /// Seconds a session may sit unused before it is ended (a session's
    /// `idle_timeout` may ask for less, not more).
    #[arg(long, env = vars::SESSION_IDLE_TIMEOUT, value_name = "SECONDS", default_value_t = DEFAULT_SESSION_IDLE_TIMEOUT)]
    pub session_idle_timeout: f64,

    /// Seconds a session may live at most, however busy.
    #[arg(long, env = vars::SESSION_MAX_LIFETIME, value_name = "SECONDS", default_value_t = DEFAULT_SESSION_MAX_LIFETIME)]
    pub session_max_lifetime: f64,

    /// Sessions open at once (each holds a sandbox and its memory); past
    /// it `POST /sessions` answers 503 with `Retry-After`. 0 turns sessions
    /// off.
    #[arg(long, env = vars::MAX_SESSIONS, value_name = "N", default_value_t = DEFAULT_MAX_SESSIONS)]
    pub max_sessions: usize,

    /// Sessions one API key (one client address without keys) may hold
    /// open; past it `POST /sessions` answers 429 with `Retry-After`.
    #[arg(long, env = vars::MAX_SESSIONS_PER_KEY, value_name = "N", default_value_t = DEFAULT_MAX_SESSIONS_PER_KEY)]
    pub max_sessions_per_key: usize,

    /// Largest `timeout` a request may ask for, in seconds.
    #[arg(long, env = vars::TIMEOUT_LIMIT, value_name = "SECONDS", default_value_t = DEFAULT_TIMEOUT_LIMIT)]
    pub timeout_limit: f64,

    /// Largest `memory_mb` a request may ask for.
    #[arg(long, env = vars::MEMORY_LIMIT_MB, value_name = "MIB", default_value_t = DEFAULT_MEMORY_LIMIT_MB)]
    pub memory_limit_mb: u64,

    /// Largest request body, in bytes (input files are base64 in it).
    #[arg(long, env = vars::MAX_BODY_BYTES, value_name = "BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,

    /// Most input files per request.
    #[arg(long, env = vars::MAX_INPUT_FILES, value_name = "N", default_value_t = DEFAULT_MAX_INPUT_FILES)]
    pub max_input_files: usize,

    /// Largest total size of a request's input files, in bytes (decoded).
    #[arg(long, env = vars::MAX_INPUT_BYTES, value_name = "BYTES", default_value_t = DEFAULT_MAX_INPUT_BYTES)]
    pub max_input_bytes: u64,

    /// Most output files returned per execution (the rest are named in the
    /// result's `message`). [default: 100]
    #[arg(long, env = vars::MAX_OUTPUT_FILES, value_name = "N")]
    pub max_output_files: Option<usize>,

    /// Largest total size of the output files returned per execution, in
    /// bytes. [default: 16777216]
    #[arg(long, env = vars::MAX_OUTPUT_FILES_BYTES, value_name = "BYTES")]
    pub max_output_files_bytes: Option<u64>,

    /// Most bytes one result may take as JSON: stdout and stderr as
    /// escaped (a NUL byte is six bytes), output files as base64, and the
    /// fixed fields. This bounds what one run holds in memory and sends;
    /// a program whose output reaches it is stopped, files past it are
    /// left out. [env: SANDBOX_MAX_RESULT_BYTES] [default: derived from the
    /// output caps, 26607512 with theirs]
    #[arg(long, value_name = "BYTES")]
    pub max_result_bytes: Option<u64>,

    /// Seconds in-flight executions get to finish after SIGTERM or SIGINT
    /// before they are killed.
    #[arg(long, env = vars::SHUTDOWN_TIMEOUT, value_name = "SECONDS", default_value_t = DEFAULT_SHUTDOWN_TIMEOUT)]
    pub shutdown_timeout: f64,

    /// Most connections open at once; more wait in the kernel's backlog
    /// until one closes.
    #[arg(long, env = vars::MAX_CONNECTIONS, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,

    /// Seconds a client has to send a request's headers, counted from the
    /// connection's start or its first byte after an idle spell; slower
    /// clients get 408 and are disconnected.
    #[arg(long, env = vars::HEADER_TIMEOUT, value_name = "SECONDS", default_value_t = DEFAULT_HEADER_TIMEOUT.as_secs_f64())]
    pub header_timeout: f64,

    /// Seconds a client has to send a request's whole body (408 after).
    #[arg(long, env = vars::BODY_TIMEOUT, value_name = "SECONDS", default_value_t = DEFAULT_BODY_TIMEOUT.as_secs_f64())]
    pub body_timeout: f64,

    /// Seconds an idle keep-alive connection stays open.
    #[arg(long, env = vars::IDLE_TIMEOUT, value_name = "SECONDS", default_value_t = DEFAULT_IDLE_TIMEOUT.as_secs_f64())]
    pub idle_timeout: f64,

    /// Request bytes held in memory at once, over all requests (each body
    /// counts twice: as received and decoded); bodies past it wait for room
    /// up to --body-timeout, then get 503.
    #[arg(long, env = vars::MAX_BUFFERED_BYTES, value_name = "BYTES", default_value_t = DEFAULT_MAX_BUFFERED_BYTES)]
    pub max_buffered_bytes: usize,

    /// Browser origins (`https://app.example.com`) allowed to call /execute
    /// and /mcp, comma-separated, besides the server's own origin; `*`
    /// allows any. Requests from other origins get 403 (this stops web
    /// pages, including DNS-rebinding ones, from using the server).
    #[arg(long, env = vars::ALLOWED_ORIGINS, value_name = "ORIGINS")]
    pub allowed_origins: Option<String>,

    /// `Host` header values the server answers, comma-separated (a port is
    /// allowed but ignored). Unset: `localhost`, `127.0.0.1` and `::1` when
    /// listening on a loopback address, any host otherwise.
    #[arg(long, env = vars::ALLOWED_HOSTS, value_name = "HOSTS")]
    pub allowed_hosts: Option<String>,

    /// Log format on stderr: `text` or `json` (one object per line). The
    /// level follows RUST_LOG (default `info`).
    #[arg(long, env = vars::LOG_FORMAT, value_name = "FORMAT", default_value = "text")]
    pub log_format: LogFormat,

    /// Default execution mode, and the weakest a request may ask for.
    /// [env: SANDBOX_MODE] [default: secure]
    #[arg(long, value_name = "MODE")]
    pub mode: Option<ExecutionMode>,

    /// Secure-mode layers required: `full`, `no-cgroups` or `best-effort`.
    /// [env: SANDBOX_ISOLATION] [default: full]
    #[arg(long, value_name = "LEVEL")]
    pub isolation: Option<Isolation>,

    /// Default execution timeout in seconds. [env: SANDBOX_TIMEOUT] [default: 30]
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,

    /// Default memory limit per execution, MiB. [env: SANDBOX_MAX_MEMORY_MB] [default: 128]
    #[arg(long, value_name = "MIB")]
    pub memory_mb: Option<u64>,

    /// Secure sandboxes kept prepared ahead of requests (per shape: network
    /// off or on), so a run pays only for its code; 0 prepares none and
    /// every run starts cold. Prepared from start-up on, refilled in the
    /// background. [env: SANDBOX_POOL_SIZE] [default: --max-concurrency]
    #[arg(long, value_name = "N")]
    pub pool_size: Option<usize>,

    /// Python interpreter (path or name on PATH). [env: SANDBOX_PYTHON]
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<PathBuf>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// What a request may ask for at most, beyond the core's absolute bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestLimits {
    /// Largest `timeout`.
    pub timeout: Duration,
    /// Largest `memory_mb`.
    pub memory_mb: u64,
    /// Largest body, bytes.
    pub body_bytes: usize,
    /// Most input files.
    pub input_files: usize,
    /// Largest total of input files, bytes.
    pub input_bytes: u64,
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs_f64(DEFAULT_TIMEOUT_LIMIT),
            memory_mb: DEFAULT_MEMORY_LIMIT_MB,
            body_bytes: DEFAULT_MAX_BODY_BYTES,
            input_files: DEFAULT_MAX_INPUT_FILES,
            input_bytes: DEFAULT_MAX_INPUT_BYTES,
        }
    }
}

/// How many sessions may be open and for how long.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionLimits {
    /// Idle time after which a session is ended.
    pub idle_timeout: Duration,
    /// Longest life of a session.
    pub max_lifetime: Duration,
    /// Sessions open at once (0: sessions are off).
    pub max_sessions: usize,
    /// Sessions one caller may hold.
    pub max_per_caller: usize,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs_f64(DEFAULT_SESSION_IDLE_TIMEOUT),
            max_lifetime: Duration::from_secs_f64(DEFAULT_SESSION_MAX_LIFETIME),
            max_sessions: DEFAULT_MAX_SESSIONS,
            max_per_caller: DEFAULT_MAX_SESSIONS_PER_KEY,
        }
    }
}

/// Everything the server needs, resolved and checked.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Execution defaults (and, for mode and network, the most a request
    /// may ask for); `server_url` is always `None`.
    pub execution: ClientConfig,
    /// Per-request maxima.
    pub limits: RequestLimits,
    /// Sessions: how many, how long.
    pub sessions: SessionLimits,
    /// Accepted API keys; empty means open.
    pub api_keys: ApiKeys,
    /// Executions at once.
    pub max_concurrency: usize,
    /// Requests waiting for a slot.
    pub max_queue: usize,
    /// Executions per minute per caller; `None` is unlimited.
    pub rate_limit: Option<u32>,
    /// Grace period for in-flight executions at shutdown.
    pub shutdown_timeout: Duration,
    /// Bounds on connections: how many, and how slow they may be.
    pub connections: ConnectionLimits,
    /// Request bytes held in memory at once.
    pub max_buffered_bytes: usize,
    /// Browser origins allowed besides the server's own.
    pub allowed_origins: AllowedOrigins,
    /// `Host` values answered; `None` answers any.
    pub allowed_hosts: AllowedHosts,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            execution: ClientConfig::default(),
            limits: RequestLimits::default(),
            sessions: SessionLimits::default(),
            api_keys: ApiKeys::default(),
            max_concurrency: default_concurrency(),
            max_queue: DEFAULT_MAX_QUEUE,
            rate_limit: None,
            shutdown_timeout: Duration::from_secs_f64(DEFAULT_SHUTDOWN_TIMEOUT),
            connections: ConnectionLimits::default(),
            max_buffered_bytes: DEFAULT_MAX_BUFFERED_BYTES,
            allowed_origins: AllowedOrigins::default(),
            allowed_hosts: AllowedHosts::default(),
        }
    }
}

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// An execution default (`SANDBOX_MODE`, `SANDBOX_TIMEOUT`, …) is invalid.
    #[error(transparent)]
    Execution(#[from] sandbox_client::ConfigError),
    /// A server setting is out of range.
    #[error("`{name}` is {value}, expected {expected}")]
    OutOfRange {
        /// The flag (and variable) name.
        name: &'static str,
        /// The value given.
        value: String,
        /// What is accepted.
        expected: String,
    },
    /// A list setting (origins, hosts) has an entry that cannot be used.
    #[error("`{name}` has `{entry}`: {reason}")]
    BadEntry {
        /// The flag (and variable) name.
        name: &'static str,
        /// The entry.
        entry: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The key file cannot be read.
    #[error("cannot read the API key file `{}`: {source}", path.display())]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The CPU count, the default number of concurrent executions.
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

impl Args {
    /// Resolves the flags and `environment` into a checked configuration.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the flag or variable that is malformed or out of
    /// range, or a key file that cannot be read.
    pub fn into_config(
        self,
        environment: impl IntoIterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
    ) -> Result<ServerConfig, ConfigError> {
        let environment: Vec<_> = environment.into_iter().collect();
        let pool_in_environment = environment
            .iter()
            .any(|(name, _)| name == sandbox_client::vars::POOL_SIZE);
        let mut execution = ClientConfig::from_sources(environment, None)?;
        // A server runs what it is sent; it never forwards to another server.
        execution.server_url = None;
        execution.api_key = None;
        if let Some(mode) = self.mode {
            execution.mode = mode;
        }
        if let Some(isolation) = self.isolation {
            execution.isolation = isolation;
        }
        if let Some(secs) = self.timeout {
            execution.timeout = seconds("--timeout (SANDBOX_TIMEOUT)", secs)?;
        }
        if let Some(mb) = self.memory_mb {
            execution.max_memory_mb = mb;
        }
        if let Some(python) = self.python {
            execution.python = Some(python);
        }
        if let Some(n) = self.max_output_files {
            execution.max_output_files = n;
        }
        let max_concurrency = self.max_concurrency.unwrap_or_else(default_concurrency);
        match self.pool_size {
            Some(n) => execution.pool_size = n,
            // Enough to keep every concurrency slot fed.
            None if !pool_in_environment => {
                execution.pool_size = max_concurrency.min(sandbox_client::MAX_POOL_SIZE);
            }
            None => {}
        }
        if let Some(n) = self.max_output_files_bytes {
            execution.max_output_files_bytes = n;
        }
        if let Some(n) = self.max_result_bytes {
            execution.max_result_bytes = Some(n);
        }
        execution.validate()?;

        let limits = RequestLimits {
            timeout: seconds(
                "--timeout-limit (SANDBOX_TIMEOUT_LIMIT)",
                self.timeout_limit,
            )?,
            memory_mb: self.memory_limit_mb,
            body_bytes: self.max_body_bytes,
            input_files: self.max_input_files,
            input_bytes: self.max_input_bytes,
        };
        let mut api_keys = ApiKeys::parse(self.api_keys.as_deref().unwrap_or(""));
        if let Some(path) = &self.api_keys_file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::KeyFile {
                path: path.clone(),
                source,
            })?;
            api_keys.extend(ApiKeys::parse_file(&text));
        }
        let connections = ConnectionLimits {
            max_connections: self.max_connections,
            header_timeout: seconds(
                "--header-timeout (SANDBOX_HEADER_TIMEOUT)",
                self.header_timeout,
            )?,
            body_timeout: seconds("--body-timeout (SANDBOX_BODY_TIMEOUT)", self.body_timeout)?,
            idle_timeout: seconds("--idle-timeout (SANDBOX_IDLE_TIMEOUT)", self.idle_timeout)?,
        };
        let allowed_origins = AllowedOrigins::parse(self.allowed_origins.as_deref().unwrap_or(""))
            .map_err(|(entry, reason)| ConfigError::BadEntry {
                name: "--allowed-origins (SANDBOX_ALLOWED_ORIGINS)",
                entry,
                reason,
            })?;
        let allowed_hosts = match self.allowed_hosts.as_deref() {
            Some(list) if !list.trim().is_empty() => AllowedHosts::parse(list),
            _ => AllowedHosts::default_for(&self.host),
        };
        let sessions = SessionLimits {
            idle_timeout: seconds(
                "--session-idle-timeout (SANDBOX_SESSION_IDLE_TIMEOUT)",
                self.session_idle_timeout,
            )?,
            max_lifetime: seconds(
                "--session-max-lifetime (SANDBOX_SESSION_MAX_LIFETIME)",
                self.session_max_lifetime,
            )?,
            max_sessions: self.max_sessions,
            max_per_caller: self.max_sessions_per_key,
        };
        let config = ServerConfig {
            execution,
            limits,
            sessions,
            api_keys,
            max_concurrency,
            max_queue: self.max_queue,
            rate_limit: Some(self.rate_limit).filter(|&n| n > 0),
            shutdown_timeout: seconds(
                "--shutdown-timeout (SANDBOX_SHUTDOWN_TIMEOUT)",
                self.shutdown_timeout,
            )?,
            connections,
            max_buffered_bytes: self.max_buffered_bytes,
            allowed_origins,
            allowed_hosts,
        };
        config.validate()?;
        Ok(config)
    }
}

impl ServerConfig {
    /// Checks that the defaults fit under the maxima and that the server
    /// can run anything at all.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the first setting out of range or above its
    /// maximum.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let out_of_range = |name, value: String, expected: String| {
            Err(ConfigError::OutOfRange {
                name,
                value,
                expected,
            })
        };
        if !(1..=MAX_CONCURRENCY).contains(&self.max_concurrency) {
            return out_of_range(
                "--max-concurrency (SANDBOX_MAX_CONCURRENCY)",
                self.max_concurrency.to_string(),
                format!("1 to {MAX_CONCURRENCY}"),
            );
        }
        if self.max_queue > MAX_QUEUE {
            return out_of_range(
                "--max-queue (SANDBOX_MAX_QUEUE)",
                self.max_queue.to_string(),
                format!("at most {MAX_QUEUE}"),
            );
        }
        if self.limits.timeout > sandbox_core::limits::MAX_TIMEOUT {
            return out_of_range(
                "--timeout-limit (SANDBOX_TIMEOUT_LIMIT)",
                format!("{} s", self.limits.timeout.as_secs_f64()),
                format!("at most {} s", sandbox_core::limits::MAX_TIMEOUT.as_secs()),
            );
        }
        if self.execution.timeout > self.limits.timeout {
            return out_of_range(
                "the default timeout (SANDBOX_TIMEOUT)",
                format!("{} s", self.execution.timeout.as_secs_f64()),
                format!(
                    "at most the timeout limit, {} s",
                    self.limits.timeout.as_secs_f64()
                ),
            );
        }
        if self.execution.max_memory_mb > self.limits.memory_mb {
            return out_of_range(
                "the default memory (SANDBOX_MAX_MEMORY_MB)",
                format!("{} MiB", self.execution.max_memory_mb),
                format!("at most the memory limit, {} MiB", self.limits.memory_mb),
            );
        }
        if self.limits.body_bytes < 1024 {
            return out_of_range(
                "--max-body-bytes (SANDBOX_MAX_BODY_BYTES)",
                self.limits.body_bytes.to_string(),
                "at least 1024".into(),
            );
        }
        if !(1..=MAX_CONNECTIONS).contains(&self.connections.max_connections) {
            return out_of_range(
                "--max-connections (SANDBOX_MAX_CONNECTIONS)",
                self.connections.max_connections.to_string(),
                format!("1 to {MAX_CONNECTIONS}"),
            );
        }
        // Two bodies of the largest size must fit: one as received, one
        // decoded.
        if self.max_buffered_bytes < 2 * self.limits.body_bytes {
            return out_of_range(
                "--max-buffered-bytes (SANDBOX_MAX_BUFFERED_BYTES)",
                self.max_buffered_bytes.to_string(),
                format!(
                    "at least twice --max-body-bytes, {}",
                    2 * self.limits.body_bytes
                ),
            );
        }
        if self.limits.input_files > sandbox_core::limits::MAX_INPUT_FILES {
            return out_of_range(
                "--max-input-files (SANDBOX_MAX_INPUT_FILES)",
                self.limits.input_files.to_string(),
                format!("at most {}", sandbox_core::limits::MAX_INPUT_FILES),
            );
        }
        if self.limits.input_bytes > sandbox_core::limits::MAX_INPUT_BYTES {
            return out_of_range(
                "--max-input-bytes (SANDBOX_MAX_INPUT_BYTES)",
                self.limits.input_bytes.to_string(),
                format!("at most {}", sandbox_core::limits::MAX_INPUT_BYTES),
            );
        }
        Ok(())
    }
}

fn seconds(name: &'static str, secs: f64) -> Result<Duration, ConfigError> {
    sandbox_core::seconds::from_f64(secs, None).map_err(|_| ConfigError::OutOfRange {
        name,
        value: secs.to_string(),
        expected: "a positive number of seconds".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<ServerConfig, ConfigError> {
        let args =
            Args::try_parse_from(std::iter::once("sandbox-server").chain(args.iter().copied()))
                .unwrap();
        args.into_config(env.iter().map(|(k, v)| ((*k).into(), (*v).into())))
    }

    #[test]
    fn execution_defaults_come_from_the_environment_and_flags_win() {
        let config = parse(
            &["--memory-mb", "256"],
            &[("SANDBOX_MODE", "simple"), ("SANDBOX_MAX_MEMORY_MB", "64")],
        )
        .unwrap();
        assert_eq!(config.execution.mode, ExecutionMode::Simple);
        assert_eq!(config.execution.max_memory_mb, 256);
        assert!(config.api_keys.is_empty());
        assert_eq!(config.rate_limit, None);
    }

    #[test]
    fn defaults_above_the_limits_are_refused() {
        let err = parse(&["--timeout", "60", "--timeout-limit", "10"], &[]).unwrap_err();
        assert!(err.to_string().contains("SANDBOX_TIMEOUT"), "{err}");
        let err = parse(&["--max-concurrency", "0"], &[]).unwrap_err();
        assert!(err.to_string().contains("1 to 10000"), "{err}");
        let err = parse(&["--max-queue", "99999999999"], &[]).unwrap_err();
        assert!(err.to_string().contains("SANDBOX_MAX_QUEUE"), "{err}");
        let err = parse(&[], &[("SANDBOX_TIMEOUT", "x")]).unwrap_err();
        assert!(err.to_string().contains("`SANDBOX_TIMEOUT`"), "{err}");
    }

    #[test]
    fn the_result_cap_comes_from_the_flag_or_the_environment_and_is_checked() {
        let config = parse(&[], &[]).unwrap();
        assert_eq!(config.execution.max_result_bytes, None);
        assert_eq!(config.execution.result_cap(), 26_607_512);
        let config = parse(&[], &[("SANDBOX_MAX_RESULT_BYTES", "2000000")]).unwrap();
        assert_eq!(config.execution.result_cap(), 2_000_000);
        let config = parse(
            &["--max-result-bytes", "3000000"],
            &[("SANDBOX_MAX_RESULT_BYTES", "2000000")],
        )
        .unwrap();
        assert_eq!(config.execution.result_cap(), 3_000_000);
        // Smaller output caps make a smaller default.
        let config = parse(&["--max-output-files-bytes", "1000"], &[]).unwrap();
        assert_eq!(
            config.execution.result_cap(),
            16_384 + 4 * (1 << 20) + 1336 + 27_200
        );
        let err = parse(&["--max-result-bytes", "10"], &[]).unwrap_err();
        assert!(err.to_string().contains("max_result_bytes"), "{err}");
        assert!(err.to_string().contains("65536"), "{err}");
        let err = parse(&[], &[("SANDBOX_MAX_RESULT_BYTES", "lots")]).unwrap_err();
        assert!(
            err.to_string().contains("`SANDBOX_MAX_RESULT_BYTES`"),
            "{err}"
        );
    }
}
