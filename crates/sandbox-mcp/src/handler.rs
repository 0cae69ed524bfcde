//! The MCP server: its two tools, described from the settings that apply,
//! and their calls.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use sandbox_client::SandboxClient;
use sandbox_client::tool::{
    self, CHECK_PYTHON, RUN_PYTHON, ToolSettings, parse_check_arguments, render_check,
};
use sandbox_core::policy;
use serde_json::{Value, json};

use crate::content;
use crate::executor::{Executor, Refusal};

/// What the server tells the client about itself at `initialize`.
const INSTRUCTIONS: &str = "Runs Python 3 code in an isolated sandbox. Use `run_python` to \
    compute, transform data or test code; pass data in as `input_files`, print results, and \
    write files to get them back. Use `check_python` to see whether code is allowed without \
    running it. Each tool's description states the limits.";

/// The sandbox's MCP server; cheap to clone (one per HTTP request in
/// stateless mode).
#[derive(Debug)]
pub struct SandboxMcp<E> {
    executor: Arc<E>,
    settings: Arc<ToolSettings>,
}

impl<E> Clone for SandboxMcp<E> {
    fn clone(&self) -> Self {
        Self {
            executor: Arc::clone(&self.executor),
            settings: Arc::clone(&self.settings),
        }
    }
}

impl SandboxMcp<SandboxClient> {
    /// A server running code through `client`, described from its
    /// configuration and (locally) the modules its interpreter has.
    pub fn for_client(client: SandboxClient) -> Self {
        let settings = ToolSettings::probed(client.config());
        Self::new(client, settings)
    }
}

impl<E: Executor> SandboxMcp<E> {
    /// A server running code through `executor`, under `settings`.
    pub fn new(executor: E, settings: ToolSettings) -> Self {
        Self {
            executor: Arc::new(executor),
            settings: Arc::new(settings),
        }
    }

    /// The settings the tools are described and checked with.
    pub fn settings(&self) -> &ToolSettings {
        &self.settings
    }

    /// The tools, as `tools/list` gives them.
    pub fn tools(&self) -> Vec<Tool> {
        let run = Tool::new(
            RUN_PYTHON,
            self.settings.run_description(),
            schema(self.settings.run_parameters()),
        )
        .with_title("Run Python in a sandbox")
        .with_raw_output_schema(schema(crate::schema::run_output()))
        .with_annotations(
            ToolAnnotations::new()
                .read_only(false)
                .destructive(false)
                .idempotent(false)
                .open_world(self.settings.allow_network),
        );
        let check = Tool::new(
            CHECK_PYTHON,
            self.settings.check_description(),
            schema(self.settings.check_parameters()),
        )
        .with_title("Check Python against the sandbox policy")
        .with_raw_output_schema(schema(crate::schema::check_output()))
        .with_annotations(
            ToolAnnotations::new()
                .read_only(true)
                .destructive(false)
                .idempotent(true)
                .open_world(false),
        );
        vec![run, check]
    }

    async fn run_python(
        &self,
        arguments: JsonObject,
        context: &RequestContext<RoleServer>,
    ) -> CallToolResult {
        let request = match tool::parse_run_arguments(&arguments) {
            Ok(request) => request,
            Err(err) => return error_text(format!("Error: invalid arguments: {err}")),
        };
        // With a progress token, output goes to the client as it comes.
        let (output, progress) = match context.meta.get_progress_token() {
            Some(token) => {
                let (output, events) = tokio::sync::mpsc::unbounded_channel();
                let forward = crate::progress::forward(&context.peer, token, events);
                (Some(output), Some(forward))
            }
            None => (None, None),
        };
        let run = async {
            let execution = self.executor.execute(request, &context.extensions, output);
            match progress {
                // The forwarder ends when the run drops its sender.
                Some(progress) => tokio::join!(execution, progress).0,
                None => execution.await,
            }
        };
        let outcome = tokio::select! {
            outcome = run => outcome,
            // Dropping the execution kills its sandbox.
            () = context.ct.cancelled() => Err(Refusal::Cancelled),
        };
        match outcome {
            Ok(result) => content::run_result(&result),
            Err(refusal) => error_text(format!("Error: {refusal}")),
        }
    }

    fn check_python(&self, arguments: &JsonObject) -> CallToolResult {
        let request = match parse_check_arguments(arguments) {
            Ok(request) => request,
            Err(err) => return error_text(format!("Error: invalid arguments: {err}")),
        };
        let policy = self.settings.policy();
        let outcome = policy::validate_request(&request, policy);
        let (status, violations) = match &outcome {
            Ok(()) => ("ok", Vec::new()),
            Err(rejection) => (
                match rejection {
                    policy::Rejection::Syntax { .. } => "syntax_error",
                    policy::Rejection::Policy(_) => "policy_violation",
                },
                rejection.violations(),
            ),
        };
        let mut result = CallToolResult::success(vec![ContentBlock::text(render_check(
            &outcome,
            policy.is_some(),
        ))]);
        result.structured_content = Some(json!({
            "ok": outcome.is_ok(),
            "status": status,
            "policy_checked": policy.is_some(),
            "violations": violations,
        }));
        result
    }
}

/// A tool result that is only an error message.
fn error_text(text: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// A schema built by the tool module, as the object MCP wants.
fn schema(value: Value) -> Arc<JsonObject> {
    match value {
        Value::Object(object) => Arc::new(object),
        _ => Arc::new(JsonObject::new()),
    }
}

impl<E: Executor> ServerHandler for SandboxMcp<E> {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("sandbox", env!("CARGO_PKG_VERSION"))
                    .with_title("Python sandbox"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let arguments = request.arguments.unwrap_or_default();
        let result = match request.name.as_ref() {
            RUN_PYTHON => self.run_python(arguments, &context).await,
            CHECK_PYTHON => self.check_python(&arguments),
            other => {
                return Err(ErrorData::invalid_params(
                    format!(
                        "unknown tool `{other}`; this server has `{RUN_PYTHON}` and `{CHECK_PYTHON}`"
                    ),
                    None,
                ));
            }
        };
        Ok(result.into())
    }
}
