//! Every environment variable the sandbox reads, in one place.
//!
//! The first four are the original tool's names and keep its meaning, so an
//! existing `.env` file works unchanged. [`ALL`] lists every variable with a
//! one-line description; a test (`tests/docs.rs`) checks that the README's
//! configuration table has a row for each, so the docs cannot drift from the
//! code.

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
];
