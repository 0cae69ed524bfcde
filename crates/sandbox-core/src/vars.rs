//! Every environment variable the sandbox reads, in one place.
//!
//! The first four are the original tool's names and keep its meaning, so an
//! existing `.env` file works unchanged. [`ALL`] lists every variable with a
//! one-line description; a test (`tests/docs.rs`) checks that the tables
//! of docs/configuration.md and docs/server.md have a row for each, so the
//! docs cannot drift from the code.

/// Default execution mode: `secure` or `simple`.
pub const MODE: &str = "SANDBOX_MODE";
/// Default wall-clock timeout per execution, in seconds (fractions allowed).
pub const TIMEOUT: &str = "SANDBOX_TIMEOUT";
/// Whether executions may use the network by default: `true` or `false`.
pub const ALLOW_NETWORK: &str = "SANDBOX_ALLOW_NETWORK";
/// Default memory limit per execution, in MiB.
pub const MAX_MEMORY_MB: &str = "SANDBOX_MAX_MEMORY_MB";
/// How much isolation secure mode requires: `full`, `no-cgroups` or
/// `best-effort`.
pub const ISOLATION: &str = "SANDBOX_ISOLATION";
/// The policy code is checked against: a TOML policy file, `default` (the
/// built-in policy in secure mode, none in simple mode) or `none`.
pub const POLICY: &str = "SANDBOX_POLICY";
/// Base URL of a remote `sandbox-server`; unset or empty means local execution.
pub const SERVER_URL: &str = "SANDBOX_SERVER_URL";
/// API key sent to a remote server.
pub const API_KEY: &str = "SANDBOX_API_KEY";
/// HTTP timeout for calls to a remote server, in seconds.
pub const API_TIMEOUT: &str = "SANDBOX_API_TIMEOUT";
/// Python interpreter to run code with (a path or a name on `PATH`).
pub const PYTHON: &str = "SANDBOX_PYTHON";
/// Cap on captured bytes per output stream (stdout and stderr each).
pub const MAX_OUTPUT_BYTES: &str = "SANDBOX_MAX_OUTPUT_BYTES";
/// Cap on one result's size as JSON, in bytes (streams escaped, files as
/// base64); unset: derived from the other caps.
pub const MAX_RESULT_BYTES: &str = "SANDBOX_MAX_RESULT_BYTES";
/// Networks a secure sandbox with the network allowed may reach although
/// they are refused by default (private, loopback, link-local ranges and
/// the host's own addresses): IPv4 networks or addresses, comma-separated.
pub const ALLOWED_NETWORKS: &str = "SANDBOX_ALLOWED_NETWORKS";
/// Secure sandboxes kept prepared ahead of requests, per shape (0: none).
pub const POOL_SIZE: &str = "SANDBOX_POOL_SIZE";

// `sandbox-server` only: where it listens, who may call it, how much it takes.

/// Address the server listens on.
pub const HOST: &str = "SANDBOX_HOST";
/// Port the server listens on.
pub const PORT: &str = "SANDBOX_PORT";
/// API keys the server accepts, comma-separated.
pub const API_KEYS: &str = "SANDBOX_API_KEYS";
/// A file of API keys the server accepts, one per line (`#` comments).
pub const API_KEYS_FILE: &str = "SANDBOX_API_KEYS_FILE";
/// Executions the server runs at once.
pub const MAX_CONCURRENCY: &str = "SANDBOX_MAX_CONCURRENCY";
/// Requests the server lets wait for a free slot; past it, 503.
pub const MAX_QUEUE: &str = "SANDBOX_MAX_QUEUE";
/// Executions per minute per API key (per client address without keys).
pub const RATE_LIMIT: &str = "SANDBOX_RATE_LIMIT";
/// Seconds a server's session may sit unused before it is ended.
pub const SESSION_IDLE_TIMEOUT: &str = "SANDBOX_SESSION_IDLE_TIMEOUT";
/// Seconds a server's session may live at most.
pub const SESSION_MAX_LIFETIME: &str = "SANDBOX_SESSION_MAX_LIFETIME";
/// Sessions a server keeps open at once.
pub const MAX_SESSIONS: &str = "SANDBOX_MAX_SESSIONS";
/// Sessions one API key (one client address without keys) may hold open.
pub const MAX_SESSIONS_PER_KEY: &str = "SANDBOX_MAX_SESSIONS_PER_KEY";
/// Largest `timeout` a request may ask the server for, in seconds.
pub const TIMEOUT_LIMIT: &str = "SANDBOX_TIMEOUT_LIMIT";
/// Largest `memory_mb` a request may ask the server for.
pub const MEMORY_LIMIT_MB: &str = "SANDBOX_MEMORY_LIMIT_MB";
/// Largest request body the server reads, in bytes.
pub const MAX_BODY_BYTES: &str = "SANDBOX_MAX_BODY_BYTES";
/// Most input files per request the server accepts.
pub const MAX_INPUT_FILES: &str = "SANDBOX_MAX_INPUT_FILES";
/// Largest total size of a request's input files, in bytes (decoded).
pub const MAX_INPUT_BYTES: &str = "SANDBOX_MAX_INPUT_BYTES";
/// Most output files the server returns per execution.
pub const MAX_OUTPUT_FILES: &str = "SANDBOX_MAX_OUTPUT_FILES";
/// Largest total size of the output files returned per execution, in bytes.
pub const MAX_OUTPUT_FILES_BYTES: &str = "SANDBOX_MAX_OUTPUT_FILES_BYTES";
/// Seconds in-flight executions get to finish after SIGTERM or SIGINT.
pub const SHUTDOWN_TIMEOUT: &str = "SANDBOX_SHUTDOWN_TIMEOUT";
/// Log format of the server: `text` or `json`.
pub const LOG_FORMAT: &str = "SANDBOX_LOG_FORMAT";
/// Most connections the server keeps open at once.
pub const MAX_CONNECTIONS: &str = "SANDBOX_MAX_CONNECTIONS";
/// Seconds a client has to send a request's headers.
pub const HEADER_TIMEOUT: &str = "SANDBOX_HEADER_TIMEOUT";
/// Seconds a client has to send a request's body.
pub const BODY_TIMEOUT: &str = "SANDBOX_BODY_TIMEOUT";
/// Seconds an idle keep-alive connection stays open.
pub const IDLE_TIMEOUT: &str = "SANDBOX_IDLE_TIMEOUT";
/// Request bodies the server holds in memory at once, in bytes.
pub const MAX_BUFFERED_BYTES: &str = "SANDBOX_MAX_BUFFERED_BYTES";
/// Browser origins allowed to call `/execute` and `/mcp`, comma-separated.
pub const ALLOWED_ORIGINS: &str = "SANDBOX_ALLOWED_ORIGINS";
/// `Host` header values the server answers, comma-separated.
pub const ALLOWED_HOSTS: &str = "SANDBOX_ALLOWED_HOSTS";

/// Every variable with its description, in documentation order.
pub const ALL: &[(&str, &str)] = &[
    (MODE, "Execution mode: `secure` or `simple`"),
    (TIMEOUT, "Default execution timeout in seconds"),
    (
        ALLOW_NETWORK,
        "Allow network access by default: `true` or `false`",
    ),
    (MAX_MEMORY_MB, "Memory limit per execution, in MiB"),
    (
        ISOLATION,
        "Secure-mode layers required: `full`, `no-cgroups` or `best-effort`",
    ),
    (
        POLICY,
        "Policy file (TOML), `default` (built-in policy in secure mode) or `none`",
    ),
    (
        SERVER_URL,
        "Remote `sandbox-server` URL; unset means local execution",
    ),
    (API_KEY, "API key sent to the remote server"),
    (API_TIMEOUT, "HTTP timeout for remote calls, in seconds"),
    (PYTHON, "Python interpreter (path or name on `PATH`)"),
    (
        MAX_OUTPUT_BYTES,
        "Captured bytes per output stream (stdout, stderr)",
    ),
    (
        MAX_RESULT_BYTES,
        "Largest result as JSON, in bytes (output escaped, files as base64)",
    ),
    (
        ALLOWED_NETWORKS,
        "IPv4 networks a networked secure sandbox may reach though refused by default (private, link-local, the host's own), comma-separated",
    ),
    (
        POOL_SIZE,
        "Secure sandboxes prepared ahead of requests (0: none)",
    ),
    (HOST, "Address `sandbox-server` listens on"),
    (PORT, "Port `sandbox-server` listens on"),
    (API_KEYS, "API keys the server accepts, comma-separated"),
    (
        API_KEYS_FILE,
        "File of API keys the server accepts, one per line",
    ),
    (MAX_CONCURRENCY, "Executions the server runs at once"),
    (
        MAX_QUEUE,
        "Requests waiting for a free slot; past it the server answers 503",
    ),
    (
        RATE_LIMIT,
        "Executions per minute per API key (per client address without keys)",
    ),
    (
        SESSION_IDLE_TIMEOUT,
        "Seconds a session may sit unused before the server ends it",
    ),
    (SESSION_MAX_LIFETIME, "Seconds a session may live at most"),
    (MAX_SESSIONS, "Sessions the server keeps open at once"),
    (
        MAX_SESSIONS_PER_KEY,
        "Sessions one API key (one client address without keys) may hold open",
    ),
    (
        TIMEOUT_LIMIT,
        "Largest `timeout` a request may ask for, in seconds",
    ),
    (MEMORY_LIMIT_MB, "Largest `memory_mb` a request may ask for"),
    (MAX_BODY_BYTES, "Largest request body, in bytes"),
    (MAX_INPUT_FILES, "Most input files per request"),
    (
        MAX_INPUT_BYTES,
        "Largest total size of a request's input files, in bytes",
    ),
    (MAX_OUTPUT_FILES, "Most output files returned per execution"),
    (
        MAX_OUTPUT_FILES_BYTES,
        "Largest total size of the output files returned, in bytes",
    ),
    (
        SHUTDOWN_TIMEOUT,
        "Seconds in-flight executions get to finish on SIGTERM",
    ),
    (LOG_FORMAT, "Server log format: `text` or `json`"),
    (MAX_CONNECTIONS, "Connections the server keeps open at once"),
    (
        HEADER_TIMEOUT,
        "Seconds a client has to send a request's headers",
    ),
    (
        BODY_TIMEOUT,
        "Seconds a client has to send a request's body",
    ),
    (
        IDLE_TIMEOUT,
        "Seconds an idle keep-alive connection stays open",
    ),
    (
        MAX_BUFFERED_BYTES,
        "Request bytes the server holds in memory at once",
    ),
    (
        ALLOWED_ORIGINS,
        "Browser origins allowed to call `/execute` and `/mcp` (`*`: any)",
    ),
    (ALLOWED_HOSTS, "`Host` values the server answers"),
];
