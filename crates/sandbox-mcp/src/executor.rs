//! Where the tools' code runs: anything that turns a request into a
//! result. A client runs it directly; `sandbox-server` puts its admission
//! control, rate limits and metrics in between.

use std::future::Future;

use rmcp::model::Extensions;
use sandbox_client::{ExecutionRequest, ExecutionResult, SandboxClient};

/// Runs one request for a tool call.
pub trait Executor: Send + Sync + 'static {
    /// Runs `request`. `extensions` are the MCP request's (over HTTP they
    /// hold the HTTP request's parts, with whatever the server's middleware
    /// put there). An `Err` is a message for the model: why nothing ran and
    /// what to do (retry later, ask for less).
    fn execute(
        &self,
        request: ExecutionRequest,
        extensions: &Extensions,
    ) -> impl Future<Output = Result<ExecutionResult, String>> + Send;
}

impl Executor for SandboxClient {
    async fn execute(
        &self,
        request: ExecutionRequest,
        _extensions: &Extensions,
    ) -> Result<ExecutionResult, String> {
        self.execute_request(request)
            .await
            .map_err(|err| format!("the sandbox could not run the code: {err}"))
    }
}
