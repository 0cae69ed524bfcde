//! One API to run Python in the sandbox, wherever it runs.
//!
//! [`SandboxClient`] hides where code runs: with no `server_url` it runs it on
//! this machine through [`sandbox_runner`]; with one it posts each request
//! to that `sandbox-server` over HTTP, with the same API and the same
//! [`ExecutionResult`]s. A server that refuses a request (limits,
//! authentication, load) gives [`SandboxError::Server`] with the HTTP status
//! and the server's message. The default mode is **secure**: the code runs in
//! fresh Linux namespaces under landlock, seccomp and cgroup limits, and a
//! machine that lacks a layer makes it refuse rather than run weaker.
//! **Simple** mode, a plain child process with limits, is for trusted code
//! only.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sandbox_client::SandboxError> {
//! use sandbox_client::SandboxClient;
//!
//! let client = SandboxClient::new();
//! let result = client.execute("print(sum(range(10)))").await?;
//! assert_eq!(result.stdout, "45\n");
//! # Ok(()) }
//! ```
//!
//! Scripts without an async runtime use [`blocking::SandboxClient`]. Agents
//! that call tools use [`tool::PythonTool`]: a function-calling definition
//! and a `run(arguments) -> String` that answers in text a model reads.

#![forbid(unsafe_code)]
// The public API says how each call can fail.
#![warn(clippy::missing_errors_doc)]

pub mod blocking;
mod remote;
mod session;
mod sse;
mod stream;
pub mod tool;

pub use sandbox_core::secure::PRIVATE_PATHS;
pub use sandbox_core::{
    ClientConfig, ConfigError, ExecutionEvent, ExecutionMode, ExecutionRequest, ExecutionResult,
    Isolation, MAX_POOL_SIZE, MimeBundle, Policy, PolicyChoice, RequestError, SandboxError,
    SessionOptions, Status, Usage, Violation, vars,
};
use sandbox_runner::Runner;
pub use sandbox_runner::interpreter;
pub use sandbox_runner::secure::{Capabilities, Layer, probe as probe_isolation};
pub use sandbox_runner::{
    OutputSink, PoolStats, Swept, explained, names_alternatives, sweep_stale, wait_for_cleanup,
};
pub use session::Session;
pub use stream::ExecutionStream;

/// Runs Python code locally or on a remote `sandbox-server`, with one
/// configuration's defaults. Cheap to clone and safe to share across tasks.
#[derive(Debug, Clone)]
pub struct SandboxClient {
    backend: Backend,
}

#[derive(Debug, Clone)]
enum Backend {
    Local(Runner),
    // Shared: the configuration it holds is large; clones share it.
    Remote(std::sync::Arc<remote::Remote>),
}

impl Default for SandboxClient {
    fn default() -> Self {
        Self::new()
    }
}

impl SandboxClient {
    /// A local client with the default configuration (secure mode, 30 s
    /// timeout, 128 MiB, no network).
    pub fn new() -> Self {
        Self {
            backend: Backend::Local(Runner::default()),
        }
    }

    /// A client with an explicit configuration: remote when `server_url`
    /// is set (an `http://` or `https://` base URL), local otherwise.
    ///
    /// # Errors
    ///
    /// [`SandboxError::Config`] when a setting is out of range or `server_url`
    /// is not an `http://` or `https://` URL.
    pub fn from_config(config: ClientConfig) -> Result<Self, SandboxError> {
        let backend = match config.server_url.clone() {
            Some(url) => {
                if !sandbox_core::config::is_server_url(&url) {
                    return Err(sandbox_core::ConfigError::OutOfRange {
                        field: "server_url",
                        value: format!("`{url}`"),
                        expected: sandbox_core::config::SERVER_URL_EXPECTED.into(),
                    }
                    .into());
                }
                Backend::Remote(std::sync::Arc::new(remote::Remote::new(config, url)?))
            }
            None => Backend::Local(Runner::new(config)?),
        };
        Ok(Self { backend })
    }

    /// Whether code runs on a remote server.
    pub fn is_remote(&self) -> bool {
        matches!(self.backend, Backend::Remote(_))
    }

    /// A client configured from the environment and a `.env` file in the
    /// current directory (see [`ClientConfig::from_env`]).
    ///
    /// # Errors
    ///
    /// [`SandboxError::Config`] when a variable or a `.env` line does not parse
    /// (the message names it).
    pub fn from_env() -> Result<Self, SandboxError> {
        Self::from_config(ClientConfig::from_env()?)
    }

    /// The configuration in use.
    pub fn config(&self) -> &ClientConfig {
        match &self.backend {
            Backend::Local(runner) => runner.config(),
            Backend::Remote(remote) => remote.config(),
        }
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
    pub async fn execute(&self, code: impl Into<String>) -> Result<ExecutionResult, SandboxError> {
        self.execute_request(ExecutionRequest::new(code)).await
    }

    /// Runs `code` with input files placed in its work dir (the original's
    /// `execute(code, input_files=...)`).
    ///
    /// # Errors
    ///
    /// A [`SandboxError`] when the request could not run: it is invalid
    /// (`InvalidRequest`), this machine cannot isolate it as asked
    /// (`Unsupported`), no interpreter was found (`Interpreter`), a step of the
    /// sandbox failed (`Io`), or a remote server refused it or could not be
    /// reached (`Server`, `Connection`, `ApiTimeout`). Code that runs and
    /// fails is a result with its `status`, not an error.
    pub async fn execute_with_files<N, C>(
        &self,
        code: impl Into<String>,
        files: impl IntoIterator<Item = (N, C)>,
    ) -> Result<ExecutionResult, SandboxError>
    where
        N: Into<String>,
        C: Into<Vec<u8>>,
    {
        self.execute_request(ExecutionRequest::new(code).with_files(files))
            .await
    }

    /// Runs a full request (files, per-call overrides of mode, timeout,
    /// memory and network).
    ///
    /// # Errors
    ///
    /// A [`SandboxError`] when the request could not run: it is invalid
    /// (`InvalidRequest`), this machine cannot isolate it as asked
    /// (`Unsupported`), no interpreter was found (`Interpreter`), a step of the
    /// sandbox failed (`Io`), or a remote server refused it or could not be
    /// reached (`Server`, `Connection`, `ApiTimeout`). Code that runs and
    /// fails is a result with its `status`, not an error.
    pub async fn execute_request(
        &self,
        request: ExecutionRequest,
    ) -> Result<ExecutionResult, SandboxError> {
        match &self.backend {
            Backend::Local(runner) => runner.run(request).await,
            Backend::Remote(remote) => remote.run(request).await,
        }
    }

    /// Starts a request and returns its events as they happen: what the
    /// program writes to stdout and stderr while it runs, then the result
    /// (live output). Locally the runner forwards the output as it reads
    /// it; remotely the server sends it as Server-Sent Events. Nothing runs
    /// until the stream is polled; dropping it cancels the run.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), sandbox_client::SandboxError> {
    /// use sandbox_client::{ExecutionEvent, ExecutionRequest, SandboxClient};
    ///
    /// let client = SandboxClient::new();
    /// let code = "import time\nfor i in range(3):\n    print(i)\n    time.sleep(1)";
    /// let mut events = client.execute_stream(ExecutionRequest::new(code));
    /// while let Some(event) = events.next().await {
    ///     match event? {
    ///         ExecutionEvent::Stdout { text } => print!("{text}"),
    ///         ExecutionEvent::Stderr { text } => eprint!("{text}"),
    ///         ExecutionEvent::Result(result) => println!("status: {:?}", result.status),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn execute_stream(&self, request: ExecutionRequest) -> ExecutionStream {
        let (output, events) = tokio::sync::mpsc::unbounded_channel();
        match &self.backend {
            Backend::Local(runner) => {
                let runner = runner.clone();
                ExecutionStream::new(events, async move {
                    runner.run_with_output(request, output).await
                })
            }
            Backend::Remote(remote) => {
                let remote = remote.clone();
                ExecutionStream::new(events, async move {
                    remote.run_with_output(request, output).await
                })
            }
        }
    }

    /// Runs a request as [`execute_request`](Self::execute_request) does,
    /// or, with `output`, as [`execute_stream`](Self::execute_stream) does,
    /// sending each output event there as it comes (a receiver that went
    /// away stops nothing).
    ///
    /// # Errors
    ///
    /// As [`execute_request`](Self::execute_request).
    pub async fn execute_to(
        &self,
        request: ExecutionRequest,
        output: Option<OutputSink>,
    ) -> Result<ExecutionResult, SandboxError> {
        match output {
            None => self.execute_request(request).await,
            Some(output) => {
                self.execute_stream(request)
                    .finish(|event| {
                        let _ = output.send(event);
                    })
                    .await
            }
        }
    }

    /// Makes a session: a secure sandbox kept for this caller, in which
    /// variables, imports and files persist from one run to the next (a
    /// code interpreter). Memory, network and policy are fixed by
    /// `options` and the configuration; each run has its own timeout.
    ///
    /// # Errors
    ///
    /// [`SandboxError::InvalidRequest`] for options out of bounds,
    /// [`SandboxError::Unsupported`] where secure mode cannot run or
    /// sessions are not offered, [`SandboxError::Interpreter`] without a
    /// usable interpreter.
    pub async fn create_session(&self, options: SessionOptions) -> Result<Session, SandboxError> {
        match &self.backend {
            #[cfg(target_os = "linux")]
            Backend::Local(runner) => Ok(Session::local(runner.open_session(options).await?)),
            #[cfg(not(target_os = "linux"))]
            Backend::Local(_) => Err(SandboxError::Unsupported {
                feature: "local sessions".into(),
                reason: "sessions run in secure mode, which needs Linux; use a server".into(),
            }),
            Backend::Remote(remote) => {
                let id = remote.create_session(&options).await?;
                Ok(Session::remote(remote.clone(), id))
            }
        }
    }

    /// Prepares the sandbox pool (`pool_size`) for the default request
    /// shape now, so the first requests find sandboxes ready rather than
    /// stocking it on the first request. Nothing to do remotely or without
    /// a pool.
    ///
    /// # Errors
    ///
    /// A [`SandboxError`] when the pool's sandboxes cannot be prepared (the
    /// causes a cold run's set-up has).
    pub async fn warm(&self) -> Result<(), SandboxError> {
        match &self.backend {
            Backend::Local(runner) => runner.warm().await,
            Backend::Remote(_) => Ok(()),
        }
    }

    /// What the local sandbox pool did so far (prepared sandboxes, hits,
    /// misses, refills); `None` remotely or without a pool.
    pub fn pool_stats(&self) -> Option<PoolStats> {
        match &self.backend {
            Backend::Local(runner) => runner.pool_stats(),
            Backend::Remote(_) => None,
        }
    }

    /// Ends the pool's waiting sandboxes and returns when they are gone;
    /// later runs start cold. For a server shutting down (dropping the last
    /// clone does the same without waiting).
    pub async fn close_pool(&self) {
        if let Backend::Local(runner) = &self.backend {
            runner.close_pool().await;
        }
    }
}
