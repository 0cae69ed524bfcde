//! The MCP server: its tools, described from the settings that apply, and
//! their calls. Besides `run_python` and `check_python`, `create_session`
//! and `close_session` let an agent keep state: `run_python` with a
//! `session_id` runs in that session, where variables, imports and files
//! of earlier runs are kept.

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
use crate::executor::{ClientExecutor, Executor, Refusal};

/// The tool that makes a session.
pub const CREATE_SESSION: &str = "create_session";
/// The tool that ends one.
pub const CLOSE_SESSION: &str = "close_session";

/// What the server tells the client about itself at `initialize`.
const INSTRUCTIONS: &str = "Runs Python 3 code in an isolated sandbox. Use `run_python` to \
    compute, transform data or test code; pass data in as `input_files`, print results, and \
    write files to get them back; the value of the last expression and matplotlib charts come \
    back too. To keep variables, imports and files between calls (load data once, then work \
    on it step by step), call `create_session` and pass its `session_id` to `run_python`; \
    `close_session` when done. Use `check_python` to see whether code is allowed without \
    running it. Each tool's description states the limits.";

/// When this server's sessions end, as the tool descriptions state it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTerms {
    /// A session unused this long is ended; `None`: it lasts while the
    /// connection does.
    pub idle_timeout: Option<std::time::Duration>,
    /// A session is ended this long after it was made, if ever.
    pub max_lifetime: Option<std::time::Duration>,
    /// Most sessions open at once for one caller.
    pub max_open: usize,
}

impl Default for SessionTerms {
    /// A local server's: sessions last while the connection does.
    fn default() -> Self {
        Self {
            idle_timeout: None,
            max_lifetime: None,
            max_open: crate::MAX_LOCAL_SESSIONS,
        }
    }
}

impl SessionTerms {
    /// How a session ends, for the descriptions: "when closed, after 10
    /// minutes unused, ...".
    fn ending(&self) -> String {
        let mut ways = vec!["when closed".to_owned()];
        match self.idle_timeout {
            Some(idle) => ways.push(format!("after {} unused", span(idle))),
            None => ways.push("when this connection ends".to_owned()),
        }
        if let Some(life) = self.max_lifetime {
            ways.push(format!("{} after it was made", span(life)));
        }
        ways.push("at its memory limit".to_owned());
        let last = ways.pop().unwrap_or_default();
        format!(
            "{}, or {last}; at most {} sessions are open at once",
            ways.join(", "),
            self.max_open
        )
    }

    /// What `run_python` says about sessions, after its limits.
    fn note(&self) -> String {
        if self.max_open == 0 {
            return format!("\n\n{SESSIONS_OFF}");
        }
        format!(
            "\n\nSessions: with `session_id` (from `create_session`) the code runs in that \
             session, where variables, imports, functions and files of its earlier runs are \
             kept; each run still has its own `timeout` (a run past it is interrupted with \
             KeyboardInterrupt and the state is kept; code that will not stop ends the \
             session). A session ends {}; then create a new one (its state starts empty).",
            self.ending()
        )
    }
}

/// What the tools say where the server has sessions turned off.
const SESSIONS_OFF: &str = "Sessions are turned off on this server: each run starts from \
    nothing, and `create_session` is refused.";

/// `10 minutes`, `1 hour`, `90 s`.
fn span(duration: std::time::Duration) -> String {
    let secs = duration.as_secs();
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    let whole = duration.subsec_nanos() == 0;
    if whole && secs >= 3600 && secs.is_multiple_of(3600) {
        plural(secs / 3600, "hour")
    } else if whole && secs >= 60 && secs.is_multiple_of(60) {
        plural(secs / 60, "minute")
    } else {
        format!("{} s", duration.as_secs_f64())
    }
}

/// The sandbox's MCP server; cheap to clone (one per HTTP request in
/// stateless mode).
#[derive(Debug)]
pub struct SandboxMcp<E> {
    executor: Arc<E>,
    settings: Arc<ToolSettings>,
    /// One session for every `run_python` call without a `session_id`
    /// (`sandbox mcp --session`), made on first use and anew once it ended.
    default_session: Option<Arc<tokio::sync::Mutex<Option<String>>>>,
    /// When sessions end, for the descriptions.
    terms: Arc<SessionTerms>,
}

impl<E> Clone for SandboxMcp<E> {
    fn clone(&self) -> Self {
        Self {
            executor: Arc::clone(&self.executor),
            settings: Arc::clone(&self.settings),
            default_session: self.default_session.clone(),
            terms: Arc::clone(&self.terms),
        }
    }
}

impl SandboxMcp<ClientExecutor> {
    /// A server running code through `client`, described from its
    /// configuration and (locally) the modules its interpreter has.
    pub fn for_client(client: SandboxClient) -> Self {
        let settings = ToolSettings::probed(client.config());
        Self::new(ClientExecutor::new(client), settings)
    }
}

impl<E: Executor> SandboxMcp<E> {
    /// A server running code through `executor`, under `settings`.
    pub fn new(executor: E, settings: ToolSettings) -> Self {
        Self {
            executor: Arc::new(executor),
            settings: Arc::new(settings),
            default_session: None,
            terms: Arc::new(SessionTerms::default()),
        }
    }

    /// States `terms` in the tool descriptions (a server's session limits).
    #[must_use]
    pub fn with_session_terms(mut self, terms: SessionTerms) -> Self {
        self.terms = Arc::new(terms);
        self
    }

    /// Runs every `run_python` call without a `session_id` in one session
    /// of this server's (made on the first call): state persists across
    /// calls without the model managing sessions. For a server that serves
    /// one client (stdio).
    #[must_use]
    pub fn with_default_session(mut self) -> Self {
        self.default_session = Some(Arc::default());
        self
    }

    /// The settings the tools are described and checked with.
    pub fn settings(&self) -> &ToolSettings {
        &self.settings
    }

    /// The tools, as `tools/list` gives them.
    pub fn tools(&self) -> Vec<Tool> {
        let mut description = self.settings.run_description();
        description.push_str(&self.terms.note());
        if self.default_session.is_some() {
            description.push_str(
                " Without `session_id`, every call runs in this server's own session, so state \
                 is kept from call to call.",
            );
        }
        let mut parameters = self.settings.run_parameters();
        if let Some(properties) = parameters["properties"].as_object_mut() {
            properties.insert(
                "session_id".into(),
                json!({
                    "type": "string",
                    "description": "Run in this session (from `create_session`): the variables, imports and files of its earlier runs are kept.",
                }),
            );
        }
        let run = Tool::new(RUN_PYTHON, description, schema(parameters))
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
        let create = Tool::new(
            CREATE_SESSION,
            if self.terms.max_open == 0 {
                SESSIONS_OFF.to_owned()
            } else {
                format!(
                "Make a session: a sandbox kept for you, in which variables, imports, functions \
                 and files persist from one `run_python` call to the next (pass its \
                 `session_id`). Use one for step-by-step work on the same data. It ends {}; the \
                 limits of `run_python` apply to each run.",
                self.terms.ending()
            )
            },
            schema(json!({"type": "object", "properties": {}, "additionalProperties": false})),
        )
        .with_title("Make a Python session")
        .with_raw_output_schema(schema(json!({
            "type": "object",
            "properties": {"session_id": {"type": "string"}},
            "required": ["session_id"]
        })))
        .with_annotations(
            ToolAnnotations::new()
                .read_only(false)
                .destructive(false)
                .idempotent(false)
                .open_world(false),
        );
        let close = Tool::new(
            CLOSE_SESSION,
            "End a session made by `create_session`: its variables and files are gone.",
            schema(json!({
                "type": "object",
                "properties": {"session_id": {"type": "string", "description": "The session to end"}},
                "required": ["session_id"],
                "additionalProperties": false
            })),
        )
        .with_title("End a Python session")
        .with_annotations(
            ToolAnnotations::new()
                .read_only(false)
                .destructive(true)
                .idempotent(true)
                .open_world(false),
        );
        vec![run, check, create, close]
    }

    /// The session a `run_python` call names, or this server's own (made
    /// anew, with a note for the model, when the last one ended).
    async fn session_for(
        &self,
        arguments: &mut JsonObject,
        context: &RequestContext<RoleServer>,
    ) -> Result<(Option<String>, Option<&'static str>), String> {
        match arguments.remove("session_id") {
            Some(Value::String(id)) => Ok((Some(id), None)),
            Some(Value::Null) | None => match &self.default_session {
                Some(own) => {
                    let mut own = own.lock().await;
                    let mut note = None;
                    if let Some(id) = own.as_deref()
                        && !self.executor.session_open(id, &context.extensions).await
                    {
                        *own = None;
                        note = Some(
                            "Note: this server's session had ended, so its variables, imports \
                             and files are gone; this call ran in a new session.",
                        );
                    }
                    if own.is_none() {
                        let id = self
                            .executor
                            .create_session(&context.extensions)
                            .await
                            .map_err(|refusal| format!("Error: {refusal}"))?;
                        *own = Some(id);
                    }
                    Ok((own.clone(), note))
                }
                None => Ok((None, None)),
            },
            Some(_) => Err("Error: invalid arguments: `session_id` must be a string".into()),
        }
    }

    async fn create_session(&self, context: &RequestContext<RoleServer>) -> CallToolResult {
        match self.executor.create_session(&context.extensions).await {
            Ok(id) => {
                let mut result = CallToolResult::success(vec![ContentBlock::text(format!(
                    "Session `{id}` is ready. Pass \"session_id\": \"{id}\" to run_python to run \
                     in it; call close_session when done."
                ))]);
                result.structured_content = Some(json!({ "session_id": id }));
                result
            }
            Err(refusal) => error_text(format!("Error: {refusal}")),
        }
    }

    async fn close_session(
        &self,
        arguments: &JsonObject,
        context: &RequestContext<RoleServer>,
    ) -> CallToolResult {
        let Some(id) = arguments.get("session_id").and_then(Value::as_str) else {
            return error_text(
                "Error: invalid arguments: `session_id` (a string) is required".into(),
            );
        };
        match self.executor.close_session(id, &context.extensions).await {
            Ok(()) => CallToolResult::success(vec![ContentBlock::text(format!(
                "Session `{id}` is closed."
            ))]),
            Err(refusal) => error_text(format!("Error: {refusal}")),
        }
    }

    async fn run_python(
        &self,
        mut arguments: JsonObject,
        context: &RequestContext<RoleServer>,
    ) -> CallToolResult {
        let (session, note) = match self.session_for(&mut arguments, context).await {
            Ok(found) => found,
            Err(text) => return error_text(text),
        };
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
            let execution = async {
                match &session {
                    Some(id) => {
                        self.executor
                            .execute_in_session(id, request, &context.extensions, output)
                            .await
                    }
                    None => {
                        self.executor
                            .execute(request, &context.extensions, output)
                            .await
                    }
                }
            };
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
        let mut answer = match outcome {
            Ok(result) => content::run_result(&result),
            Err(refusal) => error_text(format!("Error: {refusal}")),
        };
        if let Some(note) = note {
            answer.content.insert(0, ContentBlock::text(note));
        }
        answer
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
            CREATE_SESSION => self.create_session(&context).await,
            CLOSE_SESSION => self.close_session(&arguments, &context).await,
            other => {
                return Err(ErrorData::invalid_params(
                    format!(
                        "unknown tool `{other}`; this server has `{RUN_PYTHON}`, `{CHECK_PYTHON}`, \
                         `{CREATE_SESSION}` and `{CLOSE_SESSION}`"
                    ),
                    None,
                ));
            }
        };
        Ok(result.into())
    }
}
