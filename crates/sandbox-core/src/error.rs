//! Errors of the sandbox, one enum per failure domain.
//!
//! [`SandboxError`] is what every public API returns (the original tool's
//! `SandboxException`). An error means the sandbox could not do what was asked;
//! a program that ran and failed is not an error but an
//! [`ExecutionResult`](crate::ExecutionResult) with a non-`ok` status.

use std::path::{Path, PathBuf};

/// Everything that can stop the sandbox from running a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    // The inner errors are part of the message, not a `source`, so an error
    // chain printed in full does not repeat them.
    /// The configuration (environment, `.env`, builder) is invalid.
    #[error("invalid configuration: {0}")]
    Config(ConfigError),

    /// The request itself is invalid; nothing was run.
    #[error("invalid request: {0}")]
    InvalidRequest(RequestError),

    /// No usable Python interpreter was found.
    #[error("no usable Python interpreter: {reason}")]
    Interpreter {
        /// What was tried and why it failed.
        reason: String,
    },

    /// An I/O step of the sandbox itself failed (work dir, pipes, spawn).
    #[error("sandbox failed to {action}")]
    Io {
        /// The step that failed, e.g. "create the work dir".
        action: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The request needs something this build or platform does not offer.
    #[error("{feature} is not available: {reason}")]
    Unsupported {
        /// What was asked for, e.g. "secure mode".
        feature: String,
        /// Why it is unavailable and what to do instead.
        reason: String,
    },

    /// A remote `sandbox-server` answered with an error instead of a result
    /// (bad request, authentication, overload). The HTTP status and the
    /// server's own code and message are kept.
    #[error("the sandbox server answered {status} `{code}`: {message}")]
    Server {
        /// The HTTP status code, e.g. 422 or 429.
        status: u16,
        /// The server's stable error code, e.g. `invalid_request`.
        code: String,
        /// The server's explanation.
        message: String,
        /// Seconds the server asked the caller to wait (`Retry-After`), when
        /// it refused because of load or a rate limit.
        retry_after: Option<u64>,
    },

    /// A remote `sandbox-server` could not be reached, or its answer could
    /// not be read.
    #[error("cannot talk to the sandbox server at `{url}`: {reason}")]
    Connection {
        /// The server's base URL.
        url: String,
        /// What went wrong, with its causes.
        reason: String,
    },

    /// A remote `sandbox-server` did not answer within the HTTP timeout
    /// (`api_timeout`, separate from the execution timeout).
    #[error(
        "the sandbox server at `{url}` did not answer within {} s (`api_timeout`)",
        timeout.as_secs_f64()
    )]
    ApiTimeout {
        /// The server's base URL.
        url: String,
        /// The HTTP timeout that passed.
        timeout: std::time::Duration,
    },

    /// The session is over (closed, expired, or ended by its program, its
    /// memory limit or a run that would not stop); nothing ran.
    #[error("the session has ended: {reason}")]
    SessionEnded {
        /// Why it ended.
        reason: String,
    },
}

impl From<ConfigError> for SandboxError {
    fn from(err: ConfigError) -> Self {
        Self::Config(err)
    }
}

impl From<RequestError> for SandboxError {
    fn from(err: RequestError) -> Self {
        Self::InvalidRequest(err)
    }
}

impl SandboxError {
    /// The HTTP status of a [`SandboxError::Server`] error.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Server { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Wraps an I/O error with the step that failed.
    pub fn io(action: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            action: action.into(),
            source,
        }
    }
}

/// An invalid configuration value, always naming where it came from.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An environment (or `.env`) variable holds a value that does not parse.
    #[error("`{name}` is set to `{value}`, expected {expected}")]
    InvalidVar {
        /// The variable's name.
        name: &'static str,
        /// The value found.
        value: String,
        /// What would have been accepted.
        expected: &'static str,
    },

    /// A list-valued variable holds an entry that does not parse.
    #[error("`{name}` is invalid: {why}")]
    InvalidEntry {
        /// The variable's name.
        name: &'static str,
        /// Which entry, and what would have been accepted.
        why: String,
    },

    /// The `.env` file exists but cannot be read or parsed.
    #[error("cannot read `{}`: {source}", path.display())]
    DotEnv {
        /// The file's path.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: dotenvy::Error,
    },

    /// The policy file named by a variable or option cannot be used.
    #[error("{0}")]
    Policy(#[from] PolicyFileError),

    /// A configuration field is out of its valid range.
    #[error("`{field}` is {value}, expected {expected}")]
    OutOfRange {
        /// The field's name.
        field: &'static str,
        /// The value given.
        value: String,
        /// The accepted range.
        expected: String,
    },
}

/// Why a request was rejected before anything ran.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// An input file name is unsafe or malformed.
    #[error("input file name `{name}` is rejected: {reason}")]
    FileName {
        /// The name as given (control characters escaped).
        name: String,
        /// Why it is rejected.
        reason: &'static str,
    },

    /// A numeric field is out of range.
    #[error("`{field}` is {value}, expected {expected}")]
    OutOfRange {
        /// The field's name in the JSON contract.
        field: &'static str,
        /// The value given.
        value: String,
        /// The accepted range.
        expected: String,
    },

    /// A field past what an operator allows (a server's maxima), as
    /// opposed to the absolute bounds.
    #[error("`{field}` {given}, {set_by} allows at most {allowed}")]
    NotAllowed {
        /// The field's name in the JSON contract.
        field: &'static str,
        /// What was asked for (`is 301 s`, `has 3 files`).
        given: String,
        /// Who set the bound (`this server`).
        set_by: &'static str,
        /// The most that is allowed.
        allowed: String,
    },

    /// Too many input files or bytes.
    #[error("input files exceed the limit: {detail}")]
    TooLarge {
        /// Which limit and by how much.
        detail: String,
    },

    /// A session's run asks for a setting fixed when the session was made.
    #[error(
        "`{field}` is {asked}: a session's memory, network and mode are fixed when it is \
         created ({fixed} here); leave `{field}` out of its runs"
    )]
    FixedBySession {
        /// The field's name in the JSON contract.
        field: &'static str,
        /// What the run asked for.
        asked: String,
        /// What the session has.
        fixed: String,
    },

    /// An input file breaks the sandbox policy (a session's files, checked
    /// when they go in).
    #[error("{name} breaks the sandbox policy: {diagnostic}")]
    Policy {
        /// The file.
        name: String,
        /// The policy's finding.
        diagnostic: String,
    },
}

impl RequestError {
    /// More input files than [`MAX_INPUT_FILES`](crate::bounds::MAX_INPUT_FILES).
    pub fn too_many_files(given: usize) -> Self {
        let most = crate::bounds::MAX_INPUT_FILES;
        Self::TooLarge {
            detail: format!("{given} files given, at most {most} allowed"),
        }
    }

    /// More input bytes than [`MAX_INPUT_BYTES`](crate::bounds::MAX_INPUT_BYTES).
    pub fn too_many_bytes(given: u64) -> Self {
        let most = crate::bounds::MAX_INPUT_BYTES;
        Self::TooLarge {
            detail: format!("{given} bytes given, at most {most} allowed"),
        }
    }
}

/// A policy file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyFileError {
    /// The file cannot be read.
    #[error("cannot read the policy file `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown keys.
    #[error("invalid policy{}: {message}", origin(path.as_deref()))]
    Syntax {
        /// The file, when the policy came from one.
        path: Option<PathBuf>,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A value is not acceptable.
    #[error("invalid policy{}: {message}", origin(path.as_deref()))]
    Value {
        /// The file, when the policy came from one.
        path: Option<PathBuf>,
        /// What is wrong.
        message: String,
    },
}

fn origin(path: Option<&Path>) -> String {
    path.map(|p| format!(" in `{}`", p.display()))
        .unwrap_or_default()
}
