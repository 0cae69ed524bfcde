//! Python arguments as the client's configuration and requests, each bad
//! value refused with its name and what would have been accepted, before
//! anything runs. The ranges themselves are checked where the Rust API
//! checks them (`ClientConfig::validate`, the runner's request limits), so
//! Python callers get the same bounds and messages.

use std::path::PathBuf;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};
use sandbox_core::bounds::{MAX_INPUT_BYTES, MAX_INPUT_FILES};
use sandbox_core::{ClientConfig, ExecutionMode, ExecutionRequest, RequestError, SandboxError};

use crate::errors;

/// Client settings given as keyword arguments; `None` keeps the base
/// configuration's value (the defaults, or the environment's).
#[derive(Debug, Default)]
pub(crate) struct Settings {
    pub server_url: Option<String>,
    pub mode: Option<String>,
    pub timeout: Option<f64>,
    pub allow_network: Option<bool>,
    pub max_memory_mb: Option<i64>,
    pub api_timeout: Option<f64>,
    pub api_key: Option<String>,
    pub python: Option<PathBuf>,
    pub max_output_bytes: Option<i64>,
    pub policy: Option<String>,
    pub pool_size: Option<i64>,
}

impl Settings {
    /// `base` with these settings applied.
    pub fn apply(self, mut config: ClientConfig) -> PyResult<ClientConfig> {
        let invalid = errors::invalid_config;
        if let Some(url) = self.server_url {
            config.server_url = Some(url);
        }
        if let Some(mode) = self.mode {
            config.mode = mode_from(&mode).map_err(invalid)?;
        }
        if let Some(timeout) = self.timeout {
            config.timeout = seconds("timeout", timeout).map_err(invalid)?;
        }
        if let Some(allow) = self.allow_network {
            config.allow_network = allow;
        }
        if let Some(memory) = self.max_memory_mb {
            config.max_memory_mb = count("max_memory_mb", memory).map_err(invalid)?;
        }
        if let Some(timeout) = self.api_timeout {
            config.api_timeout = seconds("api_timeout", timeout).map_err(invalid)?;
        }
        if let Some(key) = self.api_key {
            config.api_key = Some(key);
        }
        if let Some(python) = self.python {
            config.python = Some(python);
        }
        if let Some(bytes) = self.max_output_bytes {
            config.max_output_bytes = usize::try_from(
                count("max_output_bytes", bytes).map_err(invalid)?,
            )
            .map_err(|_| invalid(format!("`max_output_bytes` is {bytes}, which is too large")))?;
        }
        if let Some(policy) = self.policy {
            config.policy = sandbox_core::config::parse_policy(&policy)
                .map_err(|err| invalid(err.to_string()))?;
        }
        if let Some(size) = self.pool_size {
            config.pool_size = usize::try_from(count("pool_size", size).map_err(invalid)?)
                .map_err(|_| invalid(format!("`pool_size` is {size}, which is too large")))?;
        }
        config
            .validate()
            .map_err(|err| invalid(format!("invalid configuration: {err}")))?;
        Ok(config)
    }
}

/// One checked request: the code, its input files and per-call overrides,
/// read from Python once, run by the client's `execute` or `submit`.
#[pyclass(frozen, module = "sandbox_executor._native", name = "Request")]
#[derive(Debug)]
pub(crate) struct PyRequest {
    pub(crate) inner: ExecutionRequest,
}

#[pymethods]
impl PyRequest {
    /// Reads and checks the arguments; a bad one raises
    /// `InvalidRequestError` naming it. Only plain values cross into the
    /// runtime.
    #[new]
    #[pyo3(signature = (
        code, input_files = None, *, timeout = None, mode = None, allow_network = None,
        memory_mb = None, filename = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        code: &Bound<'_, PyAny>,
        input_files: Option<&Bound<'_, PyAny>>,
        timeout: Option<f64>,
        mode: Option<String>,
        allow_network: Option<bool>,
        memory_mb: Option<i64>,
        filename: Option<String>,
    ) -> PyResult<Self> {
        let invalid = errors::invalid_request;
        if !code.is_instance_of::<PyString>() {
            return Err(invalid(format!(
                "`code` must be a str, got {}",
                type_name(code)
            )));
        }
        let files = match input_files {
            Some(files) if !files.is_none() => read_files(files)?,
            _ => Vec::new(),
        };
        let code = text(code, || "`code`".to_owned())?;
        let mut request = ExecutionRequest::new(code).with_files(files);
        if let Some(timeout) = timeout {
            request = request.with_timeout(seconds("timeout", timeout).map_err(invalid)?);
        }
        if let Some(mode) = mode {
            request = request.with_mode(mode_from(&mode).map_err(invalid)?);
        }
        if let Some(allow) = allow_network {
            request = request.with_network(allow);
        }
        if let Some(memory) = memory_mb {
            request = request.with_memory_mb(count("memory_mb", memory).map_err(invalid)?);
        }
        if let Some(name) = filename {
            request = request.with_filename(name);
        }
        Ok(Self { inner: request })
    }
}

/// `input_files`: any mapping of name to `bytes`, `bytearray` or `str`
/// (written as UTF-8).
fn read_files(files: &Bound<'_, PyAny>) -> PyResult<Vec<(String, Vec<u8>)>> {
    let items = files.call_method0("items").map_err(|_| {
        errors::invalid_request(format!(
            "`input_files` must be a dict of file name to bytes, got {}",
            type_name(files)
        ))
    })?;
    // Bounded as the request is: past the limits nothing more is copied.
    let (mut read, mut bytes) = (Vec::new(), 0u64);
    let refuse = |err: RequestError| errors::to_py(SandboxError::InvalidRequest(err));
    for item in items.try_iter()? {
        if read.len() == MAX_INPUT_FILES {
            let given = files.len().unwrap_or(MAX_INPUT_FILES + 1);
            return Err(refuse(RequestError::too_many_files(given)));
        }
        let (name, contents): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
        if !name.is_instance_of::<PyString>() {
            return Err(errors::invalid_request(format!(
                "`input_files` names must be str, got {}",
                type_name(&name)
            )));
        }
        let name = text(&name, || "an input file name".to_owned())?;
        let contents_bytes = if let Ok(bytes) = contents.cast::<PyBytes>() {
            bytes.as_bytes().to_vec()
        } else if let Ok(array) = contents.cast::<PyByteArray>() {
            array.to_vec()
        } else if contents.is_instance_of::<PyString>() {
            text(&contents, || format!("input file `{name}`"))?.into_bytes()
        } else {
            return Err(errors::invalid_request(format!(
                "input file `{name}` must be bytes, bytearray or str, got {}",
                type_name(&contents)
            )));
        };
        bytes = bytes.saturating_add(contents_len(&contents_bytes));
        if bytes > MAX_INPUT_BYTES {
            return Err(refuse(RequestError::too_many_bytes(bytes)));
        }
        read.push((name, contents_bytes));
    }
    Ok(read)
}

/// A `str` as UTF-8; one that cannot be (a lone surrogate, as from
/// `surrogateescape`) is an invalid request naming `what`.
fn text(value: &Bound<'_, PyAny>, what: impl FnOnce() -> String) -> PyResult<String> {
    value.extract::<String>().map_err(|_| {
        errors::invalid_request(format!(
            "{} is not valid Unicode text: it holds a lone surrogate (decode bytes with \
             errors='replace', or pass bytes)",
            what()
        ))
    })
}

fn contents_len(contents: &[u8]) -> u64 {
    u64::try_from(contents.len()).unwrap_or(u64::MAX)
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "an unknown type".into())
}

fn mode_from(value: &str) -> Result<ExecutionMode, String> {
    value
        .parse()
        .map_err(|_| format!("`mode` is `{value}`, expected `secure` or `simple`"))
}

/// Seconds as a `Duration`: finite and more than zero (upper bounds are
/// the Rust API's).
fn seconds(field: &str, value: f64) -> Result<Duration, String> {
    use sandbox_core::seconds::{Invalid, from_f64, shown};
    from_f64(value, None).map_err(|why| match why {
        Invalid::TooLarge if value.is_finite() => {
            format!("`{field}` is {}, which is too large", shown(value))
        }
        _ => format!(
            "`{field}` is {}, expected a positive number of seconds",
            shown(value)
        ),
    })
}

/// A count that must not be negative (upper bounds are the Rust API's).
fn count(field: &str, value: i64) -> Result<u64, String> {
    u64::try_from(value)
        .map_err(|_| format!("`{field}` is {value}, expected a positive whole number"))
}
