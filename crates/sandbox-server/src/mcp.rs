//! `/mcp`: the sandbox's MCP tools over streamable HTTP, behind the same
//! API keys as `/execute`, and through the same rate limits, limits,
//! admission and metrics (see [`routes::run`]).

use axum::http::request::Parts;
use sandbox_client::tool::ToolSettings;
use sandbox_client::{ExecutionRequest, ExecutionResult};
use sandbox_mcp::rmcp::model::Extensions;
use sandbox_mcp::{Executor, SandboxMcp};
use tower_http::request_id::RequestId;

use crate::auth::Caller;
use crate::routes;
use crate::state::AppState;

/// Runs tool calls the way `POST /execute` runs requests.
#[derive(Debug, Clone)]
pub struct ServerExecutor {
    state: AppState,
}

impl Executor for ServerExecutor {
    async fn execute(
        &self,
        request: ExecutionRequest,
        extensions: &Extensions,
    ) -> Result<ExecutionResult, String> {
        // The HTTP request's parts carry what the middleware found: the
        // caller (from the API key) and the request id.
        let parts = extensions.get::<Parts>();
        let caller = parts
            .and_then(|p| p.extensions.get::<Caller>())
            .cloned()
            .unwrap_or(Caller::Anonymous);
        let request_id = parts
            .and_then(|p| p.extensions.get::<RequestId>())
            .and_then(|id| id.header_value().to_str().ok())
            .unwrap_or("-")
            .to_owned();
        let outcome = match routes::check_caller(&self.state, &caller) {
            Ok(()) => routes::run(&self.state, &caller, &request_id, request).await,
            Err(failure) => Err(failure),
        };
        outcome.map_err(|failure| match failure.retry_after {
            Some(seconds) => format!("{}; retry in {seconds} s", failure.message),
            None => failure.message,
        })
    }
}

/// The `/mcp` service: tools described from the server's defaults and
/// maxima and its policy.
pub fn service(state: &AppState) -> sandbox_mcp::http::Service<ServerExecutor> {
    let config = state.config();
    let settings =
        ToolSettings::from_config(&config.execution).with_max_timeout(config.limits.timeout);
    let body_bytes = config.limits.body_bytes;
    let server = SandboxMcp::new(
        ServerExecutor {
            state: state.clone(),
        },
        settings,
    );
    sandbox_mcp::http::service(server, body_bytes)
}
