//! Where the tools' code runs: anything that turns a request into a
//! result. A client runs it directly; `sandbox-server` puts its admission
//! control, rate limits and metrics in between.

use std::future::Future;

use rmcp::model::Extensions;
use sandbox_client::{ExecutionRequest, ExecutionResult, OutputSink, SandboxClient, SandboxError};

/// Why a tool call's code did not run. Its text is the answer the model
/// reads: why nothing ran and what to do (retry later, ask for less).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The sandbox could not run it (invalid request, unsupported here,
    /// a remote server's error).
    #[error("the sandbox could not run the code: {0}")]
    Sandbox(#[from] SandboxError),
    /// Whoever stands between the tool and the sandbox refused it: a
    /// server's load bounds, rate limit or keys.
    #[error("{message}{}", retry_after.map(|seconds| format!("; retry in {seconds} s")).unwrap_or_default())]
    Refused {
        /// Why, in words.
        message: String,
        /// Seconds after which a retry may succeed.
        retry_after: Option<u64>,
    },
    /// The client cancelled the call (its sandbox is killed).
    #[error("the call was cancelled")]
    Cancelled,
}

/// Runs one request for a tool call.
pub trait Executor: Send + Sync + 'static {
    /// Runs `request`. `extensions` are the MCP request's (over HTTP they
    /// hold the HTTP request's parts, with whatever the server's middleware
    /// put there). With `output`, what the program writes goes there as it
    /// is written (for progress notifications).
    ///
    /// # Errors
    ///
    /// A [`Refusal`] when the code did not run.
    fn execute(
        &self,
        request: ExecutionRequest,
        extensions: &Extensions,
        output: Option<OutputSink>,
    ) -> impl Future<Output = Result<ExecutionResult, Refusal>> + Send;
}

impl Executor for SandboxClient {
    async fn execute(
        &self,
        request: ExecutionRequest,
        _extensions: &Extensions,
        output: Option<OutputSink>,
    ) -> Result<ExecutionResult, Refusal> {
        Ok(self.execute_to(request, output).await?)
    }
}
