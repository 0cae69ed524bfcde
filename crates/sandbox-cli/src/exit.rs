//! Exit codes of `sandbox run`, in one place.

use sandbox_core::{ExecutionResult, SandboxError, Status};

/// The table shown in `sandbox run --help`.
pub(crate) const HELP: &str = "\
Exit codes:
  0        the program succeeded
  1-119    the program's own exit code (also 120-255 when it chose one)
  2        invalid options or request (bad file name, limit out of range,
           or a request the server refused as invalid)
  120      the sandbox itself failed (no interpreter, I/O error, server
           unreachable or refusing: auth, load)
  121      syntax error found before running: nothing ran
  122      policy violation found before running (see --policy): nothing ran
  123      output limit: the program wrote more than --max-output-bytes, or
           its output reached --max-result-bytes as JSON
  124      timeout: wall-clock or CPU time limit reached
  125      memory limit reached
  128+N    killed by signal N (e.g. 137 for SIGKILL)
With --json the same codes apply; the JSON says exactly what happened.";

/// Invalid options, input or configuration.
pub(crate) const USAGE: u8 = 2;
/// The sandbox failed.
pub(crate) const SANDBOX_ERROR: u8 = 120;

/// The exit code for a finished execution.
pub(crate) fn for_result(result: &ExecutionResult) -> u8 {
    match result.status {
        Status::Ok => 0,
        Status::Error => match result.return_code {
            Some(code @ 1..=255) => code as u8,
            _ => 1,
        },
        Status::SandboxError => SANDBOX_ERROR,
        Status::SyntaxError => 121,
        Status::PolicyViolation => 122,
        Status::OutputLimit => 123,
        Status::Timeout => 124,
        Status::MemoryLimit => 125,
        Status::Killed => match result.return_code {
            Some(signal @ -127..=-1) => (128 - signal) as u8,
            _ => SANDBOX_ERROR,
        },
        _ => SANDBOX_ERROR,
    }
}

/// The exit code for an error that stopped the run before it started.
pub(crate) fn for_error(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<sandbox_core::ConfigError>().is_some() {
        return USAGE;
    }
    match err.downcast_ref::<SandboxError>() {
        Some(SandboxError::InvalidRequest(_) | SandboxError::Config(_)) => USAGE,
        // The server refused the request itself (bad input, over a limit).
        Some(SandboxError::Server {
            status: 400 | 413 | 415 | 422,
            ..
        }) => USAGE,
        Some(_) => SANDBOX_ERROR,
        None if err.downcast_ref::<UsageError>().is_some() => USAGE,
        None => SANDBOX_ERROR,
    }
}

/// The stable code of an error that stopped the run before it started, as
/// the HTTP API names its errors (`--json` prints it in that shape).
pub(crate) fn error_code(err: &anyhow::Error) -> String {
    if err.downcast_ref::<sandbox_core::ConfigError>().is_some() {
        return "invalid_config".into();
    }
    match err.downcast_ref::<SandboxError>() {
        Some(SandboxError::Config(_)) => "invalid_config".into(),
        Some(SandboxError::InvalidRequest(_)) => "invalid_request".into(),
        Some(SandboxError::Server { code, .. }) => code.clone(),
        Some(SandboxError::Connection { .. }) => "connection_error".into(),
        Some(SandboxError::ApiTimeout { .. }) => "api_timeout".into(),
        Some(SandboxError::Interpreter { .. }) => "no_interpreter".into(),
        Some(SandboxError::Unsupported { .. }) => "unsupported".into(),
        Some(_) => "sandbox_error".into(),
        None if err.downcast_ref::<UsageError>().is_some() => "invalid_request".into(),
        None => "sandbox_error".into(),
    }
}

/// A mistake in the command line that clap cannot see (an unreadable
/// `--input`, a malformed `NAME=PATH`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub(crate) String);
