//! The result of a run as Python sees it: the original's attributes
//! (`success`, `stdout`, `stderr`, `return_code`, `status`, `duration`,
//! `output_files`, `get_file_content`) and the rest of the execution
//! contract (truncation flags, violations, what was displayed, usage,
//! mode, message).

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use sandbox_client::ExecutionResult;

/// What one run did. Immutable; `to_dict()` gives the execution
/// contract's JSON shape (files as base64), as the HTTP API returns it.
#[pyclass(frozen, module = "sandbox_executor", name = "ExecutionResult")]
#[derive(Debug)]
pub(crate) struct PyExecutionResult {
    inner: ExecutionResult,
}

impl From<ExecutionResult> for PyExecutionResult {
    fn from(inner: ExecutionResult) -> Self {
        Self { inner }
    }
}

/// A serde value as the Python object `json.loads` would give.
fn to_python<'py, T: serde::Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value).map_err(|err| {
        crate::errors::sandbox_exception(format!("cannot encode the result: {err}"))
    })?;
    py.import("json")?.call_method1("loads", (text,))
}

#[pymethods]
impl PyExecutionResult {
    /// `True` exactly when `status` is `"ok"`.
    #[getter]
    fn success(&self) -> bool {
        self.inner.success
    }

    /// What happened: `ok`, `error`, `timeout`, `memory_limit`,
    /// `output_limit`, `policy_violation`, `syntax_error` or `sandbox_error`.
    #[getter]
    fn status(&self) -> &'static str {
        self.inner.status.as_str()
    }

    /// The exit code; minus the signal number when killed by a signal;
    /// `None` when the program never started.
    #[getter]
    fn return_code(&self) -> Option<i32> {
        self.inner.return_code
    }

    /// What the program printed (UTF-8, invalid bytes replaced).
    #[getter]
    fn stdout(&self) -> &str {
        &self.inner.stdout
    }

    /// What the program wrote to standard error, tracebacks included.
    #[getter]
    fn stderr(&self) -> &str {
        &self.inner.stderr
    }

    /// `stdout` was cut at the output cap.
    #[getter]
    fn stdout_truncated(&self) -> bool {
        self.inner.stdout_truncated
    }

    /// `stderr` was cut at the output cap.
    #[getter]
    fn stderr_truncated(&self) -> bool {
        self.inner.stderr_truncated
    }

    /// Wall-clock time of the run, in seconds (the original's unit).
    #[getter]
    fn duration(&self) -> f64 {
        self.inner.duration_ms / 1000.0
    }

    /// Wall-clock time of the run, in milliseconds (the HTTP API's field).
    #[getter]
    fn duration_ms(&self) -> f64 {
        self.inner.duration_ms
    }

    /// Files the program created or changed in its work dir: name to bytes.
    #[getter]
    fn output_files<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let files = PyDict::new(py);
        for (name, contents) in &self.inner.output_files {
            files.set_item(name, PyBytes::new(py, contents))?;
        }
        Ok(files)
    }

    /// Some output files were left out at a count or size cap (`message`
    /// says which).
    #[getter]
    fn output_files_truncated(&self) -> bool {
        self.inner.output_files_truncated
    }

    /// The policy's findings when `status` is `policy_violation`: dicts
    /// with `rule`, `message`, `line`, `column` (and `hint`).
    #[getter]
    fn violations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.inner.violations)
    }

    /// What the run showed as a notebook cell would, in order (the value of
    /// its last expression, `display(obj)`, matplotlib figures): a list of
    /// MIME bundles, dicts of MIME type to representation (`"text/plain"`,
    /// `"text/html"`; images such as `"image/png"` as base64 text).
    #[getter]
    fn display<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.inner.display)
    }

    /// Resources used (`cpu_ms`, `peak_memory_kb`), as a dict.
    #[getter]
    fn usage<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.inner.usage)
    }

    /// The mode the code ran in: `"secure"` or `"simple"`.
    #[getter]
    fn mode(&self) -> &'static str {
        self.inner.mode.as_str()
    }

    /// The isolation secure mode ran with (`None` in simple mode).
    #[getter]
    fn isolation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.inner.isolation)
    }

    /// Why the run did not simply succeed or fail (which limit was hit, why
    /// the sandbox failed), and notes such as left-out files; else `None`.
    #[getter]
    fn message(&self) -> Option<&str> {
        self.inner.message.as_deref()
    }

    /// The contents of output file `name` as bytes, or `None` when the
    /// program left no such file.
    fn get_file_content<'py>(&self, py: Python<'py>, name: &str) -> Option<Bound<'py, PyBytes>> {
        self.inner
            .output_files
            .get(name)
            .map(|contents| PyBytes::new(py, contents))
    }

    /// The result as the HTTP API's JSON object (output files in base64).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        let mut shown = format!(
            "ExecutionResult(status={:?}, return_code={}, duration={:.3}",
            self.inner.status.as_str(),
            self.inner
                .return_code
                .map_or_else(|| "None".to_owned(), |code| code.to_string()),
            self.inner.duration_ms / 1000.0,
        );
        for (field, text) in [
            ("stdout", &self.inner.stdout),
            ("stderr", &self.inner.stderr),
        ] {
            let cut: String = text.chars().take(60).collect();
            let more = if cut.len() < text.len() { "..." } else { "" };
            shown.push_str(&format!(", {field}={cut:?}{more}"));
        }
        if !self.inner.output_files.is_empty() {
            let names: Vec<&str> = self.inner.output_files.keys().map(String::as_str).collect();
            shown.push_str(&format!(", output_files={names:?}"));
        }
        shown.push(')');
        shown
    }
}
