//! A synchronous client for scripts and programs without an async runtime,
//! in the manner of `reqwest::blocking`. Each client owns a small
//! single-threaded runtime; do not call it from inside an async runtime (it
//! returns an error there instead of deadlocking).

use sandbox_core::{ClientConfig, ExecutionEvent, ExecutionRequest, ExecutionResult, SandboxError};

/// The blocking twin of [`crate::SandboxClient`].
#[derive(Debug)]
pub struct SandboxClient {
    inner: crate::SandboxClient,
    runtime: tokio::runtime::Runtime,
}

impl SandboxClient {
    /// A local client with the default configuration.
    ///
    /// # Errors
    ///
    /// [`SandboxError::Io`] when its async runtime cannot start.
    pub fn new() -> Result<Self, SandboxError> {
        Self::wrap(crate::SandboxClient::new())
    }

    /// A client with an explicit configuration.
    ///
    /// # Errors
    ///
    /// [`SandboxError::Config`] when a setting is out of range or `server_url`
    /// is not an `http://` or `https://` URL,
    /// or [`SandboxError::Io`] when its async runtime cannot start.
    pub fn from_config(config: ClientConfig) -> Result<Self, SandboxError> {
        Self::wrap(crate::SandboxClient::from_config(config)?)
    }

    /// A client configured from the environment and `.env`.
    ///
    /// # Errors
    ///
    /// [`SandboxError::Config`] when a variable or a `.env` line does not parse
    /// (the message names it),
    /// or [`SandboxError::Io`] when its async runtime cannot start.
    pub fn from_env() -> Result<Self, SandboxError> {
        Self::wrap(crate::SandboxClient::from_env()?)
    }

    fn wrap(inner: crate::SandboxClient) -> Result<Self, SandboxError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|err| SandboxError::io("start the blocking client's runtime", err))?;
        Ok(Self { inner, runtime })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ClientConfig {
        self.inner.config()
    }

    /// Runs `code` with the configuration's defaults.
    ///
    /// # Errors
    ///
    /// A [`SandboxError`] when the request could not run: it is invalid
    /// (`InvalidRequest`), this machine cannot isolate it as asked
    /// (`Unsupported`), no interpreter was found (`Interpreter`), a step of the
    /// sandbox failed (`Io`), or a remote server refused it or could not be
    /// reached (`Server`, `Connection`, `ApiTimeout`). Code that runs and
    /// fails is a result with its `status`, not an error.
    pub fn execute(&self, code: impl Into<String>) -> Result<ExecutionResult, SandboxError> {
        self.execute_request(ExecutionRequest::new(code))
    }

    /// Runs `code` with input files.
    ///
    /// # Errors
    ///
    /// A [`SandboxError`] when the request could not run: it is invalid
    /// (`InvalidRequest`), this machine cannot isolate it as asked
    /// (`Unsupported`), no interpreter was found (`Interpreter`), a step of the
    /// sandbox failed (`Io`), or a remote server refused it or could not be
    /// reached (`Server`, `Connection`, `ApiTimeout`). Code that runs and
    /// fails is a result with its `status`, not an error.
    pub fn execute_with_files<N, C>(
        &self,
        code: impl Into<String>,
        files: impl IntoIterator<Item = (N, C)>,
    ) -> Result<ExecutionResult, SandboxError>
    where
        N: Into<String>,
        C: Into<Vec<u8>>,
    {
        self.execute_request(ExecutionRequest::new(code).with_files(files))
    }

    /// Runs a full request.
    ///
    /// # Errors
    ///
    /// A [`SandboxError`] when the request could not run: it is invalid
    /// (`InvalidRequest`), this machine cannot isolate it as asked
    /// (`Unsupported`), no interpreter was found (`Interpreter`), a step of the
    /// sandbox failed (`Io`), or a remote server refused it or could not be
    /// reached (`Server`, `Connection`, `ApiTimeout`). Code that runs and
    /// fails is a result with its `status`, not an error.
    pub fn execute_request(
        &self,
        request: ExecutionRequest,
    ) -> Result<ExecutionResult, SandboxError> {
        self.outside_a_runtime()?;
        self.runtime.block_on(self.inner.execute_request(request))
    }

    /// Runs a full request, calling `on_output` with each `stdout` and
    /// `stderr` event as the program writes (live output), and returns the
    /// result. The events' text, concatenated, is the result's.
    ///
    /// # Errors
    ///
    /// As [`execute_request`](Self::execute_request).
    pub fn execute_with_output(
        &self,
        request: ExecutionRequest,
        on_output: impl FnMut(ExecutionEvent),
    ) -> Result<ExecutionResult, SandboxError> {
        self.outside_a_runtime()?;
        self.runtime
            .block_on(self.inner.execute_stream(request).finish(on_output))
    }

    fn outside_a_runtime(&self) -> Result<(), SandboxError> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(SandboxError::Unsupported {
                feature: "the blocking client inside an async runtime".into(),
                reason: "use the async `sandbox_client::SandboxClient` there".into(),
            });
        }
        Ok(())
    }
}
