//! `/mcp`: the sandbox's MCP tools over streamable HTTP, behind the same
//! API keys as `/execute`, and through the same rate limits, limits,
//! admission and metrics (see [`crate::execution::run`]).

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse as _, Response};
use http_body_util::BodyExt as _;
use sandbox_client::tool::ToolSettings;
use sandbox_client::{ExecutionRequest, ExecutionResult, OutputSink};
use sandbox_mcp::rmcp::model::Extensions;
use sandbox_mcp::{Executor, Refusal, SandboxMcp};
use serde_json::{Value, json};
use tower::ServiceExt as _;
use tower_http::request_id::RequestId;

use crate::auth::Caller;
use crate::routes;
use crate::state::AppState;

/// Runs tool calls the way `POST /execute` runs requests.
#[derive(Debug, Clone)]
pub struct ServerExecutor {
    state: AppState,
}

/// The caller (from the API key) and the request id the middleware put in
/// the HTTP request's parts, which a tool call's extensions carry.
fn caller_of(extensions: &Extensions) -> (Caller, String) {
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
    (caller, request_id)
}

fn refused(failure: crate::error::ApiFailure) -> Refusal {
    Refusal::Refused {
        message: failure.message,
        retry_after: failure.retry_after,
    }
}

impl Executor for ServerExecutor {
    async fn create_session(&self, extensions: &Extensions) -> Result<String, Refusal> {
        let (caller, request_id) = caller_of(extensions);
        routes::check_caller(&self.state, &caller).map_err(refused)?;
        crate::session_routes::make(
            &self.state,
            &caller,
            &request_id,
            None,
            sandbox_client::SessionOptions::default(),
        )
        .await
        .map(|created| created.session_id)
        .map_err(refused)
    }

    async fn execute_in_session(
        &self,
        id: &str,
        request: ExecutionRequest,
        extensions: &Extensions,
        output: Option<OutputSink>,
    ) -> Result<ExecutionResult, Refusal> {
        let (caller, request_id) = caller_of(extensions);
        routes::check_caller(&self.state, &caller).map_err(refused)?;
        crate::session_routes::run_in(&self.state, &caller, &request_id, id, request, output)
            .await
            .map_err(refused)
    }

    async fn close_session(&self, id: &str, extensions: &Extensions) -> Result<(), Refusal> {
        let (caller, _) = caller_of(extensions);
        self.state
            .sessions()
            .close(self.state.metrics(), id, &caller)
            .await
            .map_err(refused)
    }

    async fn session_open(&self, id: &str, extensions: &Extensions) -> bool {
        let (caller, _) = caller_of(extensions);
        self.state.sessions().get(id, &caller).is_ok()
    }

    async fn execute(
        &self,
        request: ExecutionRequest,
        extensions: &Extensions,
        output: Option<OutputSink>,
    ) -> Result<ExecutionResult, Refusal> {
        let (caller, request_id) = caller_of(extensions);
        let outcome = match routes::check_caller(&self.state, &caller) {
            Ok(()) => {
                crate::execution::run_to(&self.state, &caller, &request_id, request, output).await
            }
            Err(failure) => Err(failure),
        };
        outcome.map_err(refused)
    }
}

/// The `/mcp` service: tools described from the server's defaults and
/// maxima and its policy; answers in plain JSON, or (`streaming`) as a
/// stream of the request's notifications and then its answer.
pub fn service(state: &AppState, streaming: bool) -> sandbox_mcp::http::Service<ServerExecutor> {
    let config = state.config();
    let settings = ToolSettings::probed(&config.execution).with_max_timeout(config.limits.timeout);
    let body_bytes = config.limits.body_bytes;
    let server = SandboxMcp::new(
        ServerExecutor {
            state: state.clone(),
        },
        settings,
    )
    .with_session_terms(sandbox_mcp::SessionTerms {
        idle_timeout: Some(config.sessions.idle_timeout),
        max_lifetime: Some(config.sessions.max_lifetime),
        max_open: config
            .sessions
            .max_per_caller
            .min(config.sessions.max_sessions),
    });
    if streaming {
        sandbox_mcp::http::streaming_service(server, body_bytes)
    } else {
        sandbox_mcp::http::service(server, body_bytes)
    }
}

/// Most messages in one JSON-RPC batch.
pub const MAX_BATCH: usize = 100;

/// The MCP revision that has JSON-RPC batches; later ones removed them. A
/// request without `MCP-Protocol-Version` is taken to be of this revision,
/// as the specification says.
const BATCH_REVISION: &str = "2025-03-26";

/// `/mcp`: each POST body is checked as JSON-RPC before the SDK sees it, so
/// malformed bodies get JSON-RPC errors (`-32700` parse error, `-32600`
/// invalid request) as the transport specification says, batches are
/// served where the negotiated revision has them, and the SDK's plain-text
/// refusals become JSON-RPC errors too. Answers are plain JSON, except for
/// a `tools/call` that asks for progress (a `progressToken` in its
/// `_meta`) from a client that takes `text/event-stream`: that one is
/// answered as a stream, its progress notifications (live output) and
/// then its result.
pub fn endpoint(state: &AppState) -> Endpoint {
    Endpoint {
        inner: service(state, false),
        streaming: service(state, true),
    }
}

/// The `/mcp` endpoint (see [`endpoint`]).
#[derive(Clone)]
pub struct Endpoint {
    inner: Inner,
    streaming: Inner,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Endpoint(/mcp)")
    }
}

impl tower::Service<Request> for Endpoint {
    type Response = Response;
    type Error = Infallible;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let (inner, streaming) = (self.inner.clone(), self.streaming.clone());
        Box::pin(async move { Ok(handle(inner, streaming, request).await) })
    }
}

type Inner = sandbox_mcp::http::Service<ServerExecutor>;

async fn handle(inner: Inner, streaming: Inner, request: Request) -> Response {
    if request.method() != Method::POST {
        return as_json_rpc(forward(inner, request).await, Value::Null).await;
    }
    let (mut parts, body) = request.into_parts();
    let mime = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if mime.as_deref() != Some("application/json") {
        return rpc_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Value::Null,
            INVALID_REQUEST,
            "the body must be JSON-RPC sent as `Content-Type: application/json`".into(),
        );
    }
    // The SDK insists on being told the client takes both; a client that
    // says nothing (or `*/*`) takes whatever comes.
    let accepts = parts
        .headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let takes_events = accepts.contains("text/event-stream");
    if !(accepts.contains("application/json") && accepts.contains("text/event-stream")) {
        parts.headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/json, text/event-stream"),
        );
    }
    // The body is already in memory (see `body::buffer`).
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => {
            return rpc_error(
                StatusCode::BAD_REQUEST,
                Value::Null,
                PARSE_ERROR,
                err.to_string(),
            );
        }
    };
    let message: Value = match serde_json::from_slice(&bytes) {
        Ok(message) => message,
        Err(err) => {
            return rpc_error(
                StatusCode::BAD_REQUEST,
                Value::Null,
                PARSE_ERROR,
                format!("parse error: the body is not valid JSON: {err}"),
            );
        }
    };
    match message {
        Value::Array(batch) => serve_batch(inner, parts, batch).await,
        mut message => {
            let id = valid_id(&message);
            if let Err(problem) = check_message(&message) {
                return rpc_error(StatusCode::BAD_REQUEST, id, INVALID_REQUEST, problem);
            }
            let body = if message.get("id").is_some_and(serde_json::Value::is_f64) {
                normalise_id(&mut message);
                Body::from(message.to_string())
            } else {
                Body::from(bytes)
            };
            let mut request = Request::from_parts(parts, body);
            request
                .headers_mut()
                .remove(axum::http::header::CONTENT_LENGTH);
            let target = if takes_events && asks_for_progress(&message) {
                streaming
            } else {
                inner
            };
            let response = forward(target, request).await;
            as_json_rpc(settle(response, &message).await, id).await
        }
    }
}

/// Whether `message` is a tool call with a progress token: its client
/// wants to hear how it goes.
fn asks_for_progress(message: &Value) -> bool {
    message.get("method").and_then(Value::as_str) == Some("tools/call")
        && message
            .pointer("/params/_meta/progressToken")
            .is_some_and(|token| token.is_string() || token.is_number())
}

/// The SDK refuses a well-formed message whose `params` do not fit its
/// method (415, in text). A request gets the JSON-RPC answer for that
/// (`-32602`, with its id); a notification, which gets no answer, is
/// accepted and ignored, as JSON-RPC has it.
async fn settle(response: Response, message: &Value) -> Response {
    if response.status() != StatusCode::UNSUPPORTED_MEDIA_TYPE {
        return response;
    }
    let Some(id) = message.get("id").cloned() else {
        return StatusCode::ACCEPTED.into_response();
    };
    let text = match response.into_body().collect().await {
        Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
        Err(err) => err.to_string(),
    };
    let method = message.get("method").and_then(Value::as_str).unwrap_or("?");
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        error_object(
            id,
            INVALID_PARAMS,
            &format!(
                "invalid params for `{}`: {}",
                method.escape_debug(),
                text.trim()
                    .trim_start_matches("fail to deserialize request body ")
            ),
        )
        .to_string(),
    )
        .into_response()
}

/// A message's `id` to answer with: itself when it is a string or a whole
/// number, else `null` (as JSON-RPC says when it cannot be told).
fn valid_id(message: &Value) -> Value {
    match message.get("id") {
        Some(id @ Value::String(_)) => id.clone(),
        Some(Value::Number(n)) => whole_id(n).map_or(Value::Null, Value::from),
        _ => Value::Null,
    }
}

/// A numeric id as the whole number JSON means by it (`7` or `7.0`), if
/// it fits 64 bits.
fn whole_id(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && (-9.2e18..9.2e18).contains(f))
            .map(|f| f as i64)
    })
}

/// `message` with a numeric id written as a whole number (`7.0` becomes
/// `7`), which is what the SDK takes.
fn normalise_id(message: &mut Value) {
    if let Some(Value::Number(n)) = message.get("id")
        && !n.is_i64()
        && let Some(whole) = whole_id(n)
    {
        message["id"] = Value::from(whole);
    }
}

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const INVALID_PARAMS: i64 = -32602;
const INTERNAL_ERROR: i64 = -32603;

/// Whether `message` is a JSON-RPC 2.0 request, notification or response.
fn check_message(message: &Value) -> Result<(), String> {
    let Value::Object(fields) = message else {
        return Err(format!(
            "invalid request: a JSON-RPC message must be an object, got {}",
            match message {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                Value::Array(_) => "an array",
                Value::Object(_) => "an object",
            }
        ));
    };
    if fields.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err("invalid request: `jsonrpc` must be \"2.0\"".into());
    }
    match fields.get("id") {
        None | Some(Value::String(_)) => {}
        Some(Value::Number(n)) if whole_id(n).is_some() => {}
        Some(_) => {
            return Err(
                "invalid request: `id` must be a string or a whole number that fits 64 bits".into(),
            );
        }
    }
    if fields.get("params").is_some_and(|p| !p.is_object()) {
        return Err("invalid request: `params` must be an object".into());
    }
    let has_method = fields.get("method").is_some_and(Value::is_string);
    let is_response = fields.contains_key("id")
        && (fields.contains_key("result") || fields.contains_key("error"));
    if !has_method && !is_response {
        return Err(
            "invalid request: expected a `method` (a request or notification) or a `result` or \
             `error` with an `id` (a response)"
                .into(),
        );
    }
    Ok(())
}

/// Serves a batch (MCP 2025-03-26): each message in turn, the answers to
/// its requests collected in one array (notifications get none).
async fn serve_batch(
    inner: Inner,
    parts: axum::http::request::Parts,
    batch: Vec<Value>,
) -> Response {
    let revision = parts
        .headers
        .get("mcp-protocol-version")
        .and_then(|v| v.to_str().ok())
        .unwrap_or(BATCH_REVISION);
    if revision != BATCH_REVISION {
        return rpc_error(
            StatusCode::BAD_REQUEST,
            Value::Null,
            INVALID_REQUEST,
            format!(
                "invalid request: MCP revision {} has no JSON-RPC batches (only {BATCH_REVISION} \
                 had them); send one message per request",
                revision.escape_debug()
            ),
        );
    }
    if batch.is_empty() || batch.len() > MAX_BATCH {
        return rpc_error(
            StatusCode::BAD_REQUEST,
            Value::Null,
            INVALID_REQUEST,
            format!(
                "invalid request: a batch holds 1 to {MAX_BATCH} messages, this one {}",
                batch.len()
            ),
        );
    }
    let mut answers = Vec::new();
    for mut message in batch {
        normalise_id(&mut message);
        if let Err(problem) = check_message(&message) {
            answers.push(error_object(valid_id(&message), INVALID_REQUEST, &problem));
            continue;
        }
        let id = message.get("id").cloned();
        let mut sub =
            axum::http::Request::from_parts(parts.clone(), Body::from(message.to_string()));
        sub.headers_mut().remove(axum::http::header::CONTENT_LENGTH);
        let response = settle(forward(inner.clone(), sub).await, &message).await;
        let Some(id) = id.filter(|_| message.get("method").is_some()) else {
            continue; // a notification, or a response to the server
        };
        answers.push(answer_for(response, id).await);
    }
    if answers.is_empty() {
        return StatusCode::ACCEPTED.into_response();
    }
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        Value::Array(answers).to_string(),
    )
        .into_response()
}

/// The SDK's answer to one request of a batch, as a JSON-RPC response
/// object: from a JSON body, or the last message of an event stream.
async fn answer_for(response: Response, id: Value) -> Value {
    let status = response.status();
    let text = match response.into_body().collect().await {
        Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
        Err(err) => return error_object(id, INTERNAL_ERROR, &err.to_string()),
    };
    let messages: Vec<Value> = match serde_json::from_str::<Value>(&text) {
        Ok(value) => vec![value],
        // An event stream: `data:` lines carry the messages.
        Err(_) => text
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .filter_map(|data| serde_json::from_str(data.trim()).ok())
            .collect(),
    };
    messages
        .into_iter()
        .rev()
        .find(|m| {
            m.get("id") == Some(&id) && (m.get("result").is_some() || m.get("error").is_some())
        })
        .unwrap_or_else(|| {
            let code = if status.is_client_error() {
                INVALID_REQUEST
            } else {
                INTERNAL_ERROR
            };
            error_object(id, code, text.trim())
        })
}

/// Calls the SDK's service.
async fn forward(inner: Inner, request: Request) -> Response {
    match inner.oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

/// The SDK answers some refusals (wrong content type, bad protocol version
/// header, wrong method) in plain text: those become JSON-RPC errors with
/// the same HTTP status.
async fn as_json_rpc(response: Response, id: Value) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/event-stream"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match body.collect().await {
        Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
        Err(err) => err.to_string(),
    };
    let code = if status.is_client_error() {
        INVALID_REQUEST
    } else {
        INTERNAL_ERROR
    };
    let mut answer = rpc_error(status, id, code, text.trim().to_owned());
    for (name, value) in &parts.headers {
        if name != CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    answer
}

fn error_object(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// A JSON-RPC error answer with HTTP `status`.
fn rpc_error(status: StatusCode, id: Value, code: i64, message: String) -> Response {
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        error_object(id, code, &message).to_string(),
    )
        .into_response()
}
