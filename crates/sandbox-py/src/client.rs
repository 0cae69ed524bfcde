//! The client as the Python package drives it: one native object per
//! `SandboxClient`, whose calls run on the shared runtime with the GIL
//! released.

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use sandbox_client::{ExecutionEvent, ExecutionResult, SandboxClient, SandboxError};
use sandbox_core::ClientConfig;

use crate::errors;
use crate::options::{PyRequest, Settings};
use crate::result::PyExecutionResult;
use crate::runtime;

/// The native half of `sandbox_executor.SandboxClient`; use that class.
#[pyclass(frozen, module = "sandbox_executor._native")]
#[derive(Debug)]
pub(crate) struct NativeClient {
    pub(crate) client: SandboxClient,
}

#[pymethods]
impl NativeClient {
    /// A client from keyword settings over the defaults, or over the
    /// environment and `./.env` when `from_env` is true.
    #[new]
    #[pyo3(signature = (
        *, from_env = false, server_url = None, mode = None, timeout = None,
        allow_network = None, max_memory_mb = None, api_timeout = None, api_key = None,
        python = None, max_output_bytes = None, policy = None, pool_size = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        from_env: bool,
        server_url: Option<String>,
        mode: Option<String>,
        timeout: Option<f64>,
        allow_network: Option<bool>,
        max_memory_mb: Option<i64>,
        api_timeout: Option<f64>,
        api_key: Option<String>,
        python: Option<std::path::PathBuf>,
        max_output_bytes: Option<i64>,
        policy: Option<String>,
        pool_size: Option<i64>,
    ) -> PyResult<Self> {
        let base = if from_env {
            ClientConfig::from_env().map_err(|err| errors::to_py(err.into()))?
        } else {
            ClientConfig::default()
        };
        let config = Settings {
            server_url,
            mode,
            timeout,
            allow_network,
            max_memory_mb,
            api_timeout,
            api_key,
            python,
            max_output_bytes,
            policy,
            pool_size,
        }
        .apply(base)?;
        // Building a remote client starts no connection, and a local one
        // probes nothing yet; the first run does.
        let client = {
            let _entered = runtime::runtime()?.enter();
            SandboxClient::from_config(config).map_err(errors::to_py)?
        };
        Ok(Self { client })
    }

    /// Whether code runs on a remote server.
    #[getter]
    fn is_remote(&self) -> bool {
        self.client.is_remote()
    }

    /// The settings in use, as a dict of plain values.
    fn settings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let config = self.client.config();
        let settings = pyo3::types::PyDict::new(py);
        settings.set_item("server_url", config.server_url.as_deref())?;
        settings.set_item("mode", config.mode.as_str())?;
        settings.set_item("timeout", config.timeout.as_secs_f64())?;
        settings.set_item("allow_network", config.allow_network)?;
        settings.set_item("max_memory_mb", config.max_memory_mb)?;
        settings.set_item("api_timeout", config.api_timeout.as_secs_f64())?;
        settings.set_item("api_key", config.api_key.as_deref())?;
        settings.set_item(
            "python",
            config
                .python
                .as_ref()
                .map(|path| path.display().to_string()),
        )?;
        settings.set_item("max_output_bytes", config.max_output_bytes)?;
        settings.set_item("pool_size", config.pool_size)?;
        Ok(settings)
    }

    /// Ends the prepared sandboxes (`pool_size`) and waits until they are
    /// gone.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let client = self.client.clone();
        runtime::wait(py, async move { client.close_pool().await })
    }

    /// Runs `request` and waits for its result with the GIL released;
    /// `KeyboardInterrupt` cancels the run and kills its sandbox. With
    /// `on_stdout` or `on_stderr`, each is called with the text of its
    /// stream as the program writes it (live output), on this thread; an
    /// exception from one cancels the run and is raised.
    #[pyo3(signature = (request, on_stdout = None, on_stderr = None))]
    fn execute(
        &self,
        py: Python<'_>,
        request: &PyRequest,
        on_stdout: Option<Py<PyAny>>,
        on_stderr: Option<Py<PyAny>>,
    ) -> PyResult<PyExecutionResult> {
        let (client, request) = (self.client.clone(), request.inner.clone());
        if on_stdout.is_none() && on_stderr.is_none() {
            return runtime::wait(py, async move { client.execute_request(request).await })?
                .map(PyExecutionResult::from)
                .map_err(errors::to_py);
        }
        let outcome: PyResult<Result<ExecutionResult, SandboxError>> =
            runtime::wait(py, async move {
                let mut stream = client.execute_stream(request);
                while let Some(event) = stream.next().await {
                    let (callback, text) = match event {
                        Ok(ExecutionEvent::Result(result)) => return Ok(Ok(*result)),
                        Ok(ExecutionEvent::Stdout { text }) => (&on_stdout, text),
                        Ok(ExecutionEvent::Stderr { text }) => (&on_stderr, text),
                        Ok(_) => continue,
                        Err(err) => return Ok(Err(err)),
                    };
                    if let Some(callback) = callback {
                        // An exception drops the stream, which kills the run.
                        Python::attach(|py| callback.call1(py, (text,)).map(drop))?;
                    }
                }
                Ok(Err(no_result()))
            })?;
        let outcome = outcome.inspect_err(|_| {
            sandbox_client::wait_for_cleanup(runtime::CLEANUP_LIMIT);
        })?;
        outcome.map(PyExecutionResult::from).map_err(errors::to_py)
    }

    /// Starts `request` and returns at once; `done(result, error)` is
    /// called from a runtime thread when it ends (one of the two is
    /// `None`). The returned handle cancels it. This is what the asyncio
    /// API awaits.
    fn submit(&self, done: Py<PyAny>, request: &PyRequest) -> PyResult<RunHandle> {
        let (client, request) = (self.client.clone(), request.inner.clone());
        let task = runtime::runtime()?.spawn(async move {
            let outcome = client.execute_request(request).await;
            Python::attach(|py| {
                let arguments = match outcome {
                    Ok(result) => Bound::new(py, PyExecutionResult::from(result)).map(|result| {
                        PyTuple::new(py, [result.into_any(), py.None().into_bound(py)])
                    }),
                    Err(err) => Ok(PyTuple::new(
                        py,
                        [
                            py.None().into_bound(py),
                            errors::to_py(err).into_value(py).into_bound(py).into_any(),
                        ],
                    )),
                };
                // A failing callback has nobody to report to but the
                // process's unraisable hook.
                let called = arguments
                    .and_then(|arguments| arguments)
                    .and_then(|arguments| done.call1(py, arguments));
                if let Err(err) = called {
                    err.write_unraisable(py, Some(done.bind(py)));
                }
            });
        });
        Ok(RunHandle {
            task: task.abort_handle(),
        })
    }
}

/// A run started by `submit`.
#[pyclass(frozen, module = "sandbox_executor._native")]
#[derive(Debug)]
pub(crate) struct RunHandle {
    task: tokio::task::AbortHandle,
}

#[pymethods]
impl RunHandle {
    /// Cancels the run: its sandbox is killed and `done` is never called.
    fn cancel(&self) {
        self.task.abort();
    }

    /// Whether the run has ended (or was cancelled).
    fn done(&self) -> bool {
        self.task.is_finished()
    }
}

/// The error for a stream that ended without its result.
fn no_result() -> SandboxError {
    SandboxError::io(
        "run the code",
        std::io::Error::other("the run ended without a result"),
    )
}
