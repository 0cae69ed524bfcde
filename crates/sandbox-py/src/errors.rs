//! `SandboxError` as the package's exceptions. The exception classes are
//! written in Python (`sandbox_executor/exceptions.py`, where their
//! docstrings and attributes are plain to read); this module picks the
//! class and fills in the code, message and HTTP status.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use sandbox_client::SandboxError;

/// Server codes that mean the request itself was wrong, raised as
/// `InvalidRequestError` like the same mistake made locally.
const REQUEST_CODES: &[&str] = &[
    "invalid_request",
    "malformed_json",
    "payload_too_large",
    "unsupported_media_type",
];

/// What to raise for `err`.
pub(crate) fn to_py(err: SandboxError) -> PyErr {
    let message = err.to_string();
    let (class, code, status, retry_after) = match &err {
        SandboxError::Config(_) => ("ConfigurationError", "invalid_config", None, None),
        SandboxError::InvalidRequest(_) => ("InvalidRequestError", "invalid_request", None, None),
        SandboxError::Interpreter { .. } => ("InterpreterError", "no_interpreter", None, None),
        SandboxError::Unsupported { .. } => ("UnsupportedError", "unsupported", None, None),
        SandboxError::Io { .. } => ("SandboxException", "sandbox_error", None, None),
        SandboxError::Server {
            status,
            code,
            retry_after,
            ..
        } => {
            let class = if REQUEST_CODES.contains(&code.as_str()) {
                "InvalidRequestError"
            } else if matches!(status, 401 | 403) {
                "AuthenticationError"
            } else {
                "ServerError"
            };
            (class, code.as_str(), Some(*status), *retry_after)
        }
        SandboxError::Connection { .. } => ("SandboxConnectionError", "connection", None, None),
        SandboxError::ApiTimeout { .. } => ("SandboxTimeoutError", "api_timeout", None, None),
        _ => ("SandboxException", "sandbox_error", None, None),
    };
    raise(class, message, code, status, retry_after)
}

/// The base exception, for failures of the binding itself.
pub(crate) fn sandbox_exception(message: String) -> PyErr {
    raise("SandboxException", message, "sandbox_error", None, None)
}

/// An invalid argument, named: raised before anything runs.
pub(crate) fn invalid_config(message: String) -> PyErr {
    raise("ConfigurationError", message, "invalid_config", None, None)
}

/// An invalid argument of one call.
pub(crate) fn invalid_request(message: String) -> PyErr {
    raise(
        "InvalidRequestError",
        message,
        "invalid_request",
        None,
        None,
    )
}

fn raise(
    class: &str,
    message: String,
    code: &str,
    status: Option<u16>,
    retry_after: Option<u64>,
) -> PyErr {
    Python::attach(|py| {
        let made = py
            .import("sandbox_executor.exceptions")
            .and_then(|module| module.getattr(class))
            .and_then(|class| {
                let kwargs = pyo3::types::PyDict::new(py);
                kwargs.set_item("code", code)?;
                kwargs.set_item("status_code", status)?;
                kwargs.set_item("retry_after", retry_after)?;
                class.call((message.as_str(),), Some(&kwargs))
            });
        match made {
            Ok(exception) => PyErr::from_value(exception),
            // Only when the native module is loaded without its package.
            Err(_) => PyRuntimeError::new_err(message),
        }
    })
}
