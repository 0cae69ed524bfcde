//! A synchronous client for scripts and programs without an async runtime,
//! in the manner of `reqwest::blocking`. Each client owns a small
//! single-threaded runtime; do not call it from inside an async runtime (it
//! returns an error there instead of deadlocking).

use std::sync::Arc;

use sandbox_core::{
    ClientConfig, ExecutionEvent, ExecutionRequest, ExecutionResult, SandboxError, SessionOptions,
};

/// The blocking twin of [`crate::SandboxClient`].
#[derive(Debug)]
pub struct SandboxClient {
    inner: crate::SandboxClient,
    /// Shared with the client's sessions, which outlive a borrow of it.
    runtime: Arc<tokio::runtime::Runtime>,
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
        Ok(Self {
            inner,
            runtime: Arc::new(runtime),
        })
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

    /// Opens a session: one sandbox whose state persists from run to run
    /// (see [`crate::Session`]).
    ///
    /// # Errors
    ///
    /// As [`crate::SandboxClient::create_session`].
    pub fn create_session(&self, options: SessionOptions) -> Result<Session, SandboxError> {
        self.outside_a_runtime()?;
        let inner = self.runtime.block_on(self.inner.create_session(options))?;
        Ok(Session {
            inner: Some(inner),
            runtime: Arc::clone(&self.runtime),
        })
    }

    fn outside_a_runtime(&self) -> Result<(), SandboxError> {
        outside_a_runtime()
    }
}

fn outside_a_runtime() -> Result<(), SandboxError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(SandboxError::Unsupported {
            feature: "the blocking client inside an async runtime".into(),
            reason: "use the async `sandbox_client::SandboxClient` there".into(),
        });
    }
    Ok(())
}

/// The blocking twin of [`crate::Session`]: state persists from one run to
/// the next; dropping it ends a local session, [`Session::close`] ends it
/// and waits.
///
/// ```no_run
/// use sandbox_client::{SessionOptions, blocking::SandboxClient};
///
/// let client = SandboxClient::new()?;
/// let session = client.create_session(SessionOptions::new())?;
/// session.run("total = 40")?;
/// let result = session.run("total + 2")?;
/// assert_eq!(result.display[0].plain(), Some("42"));
/// session.close()?;
/// # Ok::<(), sandbox_client::SandboxError>(())
/// ```
#[derive(Debug)]
pub struct Session {
    /// `Some` until dropped or closed; taken so the drop runs inside the
    /// runtime that owns the session's pipes.
    inner: Option<crate::Session>,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl Session {
    /// The async session; absent only inside `close` and `drop`.
    fn inner(&self) -> Result<&crate::Session, SandboxError> {
        self.inner
            .as_ref()
            .ok_or_else(|| SandboxError::SessionEnded {
                reason: "the session was closed".into(),
            })
    }

    fn block_on<T>(
        &self,
        call: impl Future<Output = Result<T, SandboxError>>,
    ) -> Result<T, SandboxError> {
        outside_a_runtime()?;
        self.runtime.block_on(call)
    }

    /// The server's id of this session; `None` for a local one.
    pub fn id(&self) -> Option<&str> {
        self.inner.as_ref().and_then(crate::Session::id)
    }

    /// Runs `code` in the session.
    ///
    /// # Errors
    ///
    /// As [`crate::Session::run_request`].
    pub fn run(&self, code: impl Into<String>) -> Result<ExecutionResult, SandboxError> {
        self.block_on(self.inner()?.run(code))
    }

    /// Runs a full request in the session.
    ///
    /// # Errors
    ///
    /// As [`crate::Session::run_request`].
    pub fn run_request(&self, request: ExecutionRequest) -> Result<ExecutionResult, SandboxError> {
        self.block_on(self.inner()?.run_request(request))
    }

    /// Runs a request, calling `on_output` with each event (output and
    /// displays) as it happens, and returns the result.
    ///
    /// # Errors
    ///
    /// As [`crate::Session::run_request`].
    pub fn run_with_output(
        &self,
        request: ExecutionRequest,
        on_output: impl FnMut(ExecutionEvent),
    ) -> Result<ExecutionResult, SandboxError> {
        self.block_on(self.inner()?.run_stream(request).finish(on_output))
    }

    /// Writes `contents` as `name` into the session's work dir.
    ///
    /// # Errors
    ///
    /// As [`crate::Session::upload`].
    pub fn upload(&self, name: &str, contents: impl Into<Vec<u8>>) -> Result<(), SandboxError> {
        self.block_on(self.inner()?.upload(name, contents))
    }

    /// The contents of `name` in the session's work dir, `None` when absent.
    ///
    /// # Errors
    ///
    /// As [`crate::Session::download`].
    pub fn download(&self, name: &str) -> Result<Option<Vec<u8>>, SandboxError> {
        self.block_on(self.inner()?.download(name))
    }

    /// The files in the session's work dir and their sizes, by name.
    ///
    /// # Errors
    ///
    /// As [`crate::Session::files`].
    pub fn files(&self) -> Result<Vec<(String, u64)>, SandboxError> {
        self.block_on(self.inner()?.files())
    }

    /// Ends the session now and waits until its sandbox is gone.
    ///
    /// # Errors
    ///
    /// As [`crate::Session::close`].
    pub fn close(mut self) -> Result<(), SandboxError> {
        outside_a_runtime()?;
        match self.inner.take() {
            Some(inner) => self.runtime.block_on(inner.close()),
            None => Ok(()),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            let _inside = self.runtime.enter();
            drop(inner);
        }
    }
}
