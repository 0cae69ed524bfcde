//! The handlers: health, readiness, metrics and `POST /execute`. Each one
//! parses, calls the client, renders; none knows how code is sandboxed.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sandbox_client::{ExecutionMode, ExecutionRequest, ExecutionResult, Isolation};
use sandbox_core::ApiError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiFailure, Code};
use crate::execution::{run, shutting_down};
use crate::extract::RequestIdText;
use crate::state::{AppState, LayerReport};

/// `GET /`: what this server is and what it can do (the original's health
/// check, extended).
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `healthy` when a sandbox can be set up and run here; `unhealthy`
    /// otherwise (`reason` says why).
    #[schema(example = "healthy")]
    pub status: &'static str,
    /// Why the server cannot run code now, when it cannot.
    pub reason: Option<String>,
    /// `sandbox-server`.
    pub service: &'static str,
    /// The server's version.
    pub version: &'static str,
    /// The default execution mode (also the weakest a request may ask for).
    pub mode: ExecutionMode,
    /// The isolation level secure mode requires on this server.
    pub isolation: Isolation,
    /// Whether secure mode can run here at that level.
    pub secure_mode_available: bool,
    /// Every secure-mode layer and whether this host offers it.
    pub layers: Vec<LayerReport>,
    /// The pool of secure sandboxes prepared ahead of requests; absent when
    /// the pool is off (`SANDBOX_POOL_SIZE=0`).
    pub pool: Option<Pool>,
    /// Sessions (kept sandboxes): how many are open and the limits.
    pub sessions: SessionsReport,
}

/// Sessions in `GET /`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionsReport {
    /// Sessions open now.
    pub open: usize,
    /// Sessions this server keeps open at most (0: sessions are off).
    pub max: usize,
    /// Sessions one API key (one client address without keys) may hold.
    pub max_per_key: usize,
    /// Seconds a session may sit unused before it is ended.
    pub idle_timeout: f64,
    /// Seconds a session may live at most.
    pub max_lifetime: f64,
}

/// The sandbox pool in `GET /`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Pool {
    /// Sandboxes kept prepared per shape (network off or on), at most.
    pub size: usize,
    /// Prepared sandboxes waiting now.
    pub ready: usize,
    /// Executions served by a prepared sandbox.
    pub hits: u64,
    /// Executions that found none ready and started cold.
    pub misses: u64,
    /// Sandboxes prepared so far.
    pub refills: u64,
    /// Of those, sandboxes the fork server made (the rest started cold).
    pub forked: u64,
    /// Preparations that failed (runs start cold meanwhile).
    pub failed_refills: u64,
    /// Prepared sandboxes that died while waiting, and were replaced.
    pub died_idle: u64,
    /// Mean time to prepare one sandbox, milliseconds.
    pub mean_refill_ms: f64,
    /// Why the last preparation failed, if it did.
    pub last_error: Option<String>,
}

impl From<sandbox_client::PoolStats> for Pool {
    fn from(stats: sandbox_client::PoolStats) -> Self {
        Self {
            size: stats.size,
            ready: stats.ready,
            hits: stats.hits,
            misses: stats.misses,
            refills: stats.refills,
            forked: stats.forked,
            failed_refills: stats.failed_refills,
            died_idle: stats.died_idle,
            mean_refill_ms: stats.mean_refill_ms,
            last_error: stats.last_error,
        }
    }
}

/// `GET /healthz`: the process is alive.
#[derive(Debug, Serialize, ToSchema)]
pub struct Liveness {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// `GET /readyz`: whether to send this server work.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `true` when the server accepts executions.
    pub ready: bool,
    /// The server is shutting down.
    pub draining: bool,
    /// Why it is not ready, when it is not.
    pub reason: Option<String>,
}

/// Health check: status, version, default mode and this host's
/// secure-mode layers.
#[utoipa::path(get, path = "/", tag = "health", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    let execution = &state.config().execution;
    let reason = unavailable(&state);
    Json(Health {
        status: if reason.is_none() {
            "healthy"
        } else {
            "unhealthy"
        },
        reason,
        service: "sandbox-server",
        version: env!("CARGO_PKG_VERSION"),
        mode: execution.mode,
        isolation: execution.isolation,
        secure_mode_available: state.missing_layers().is_empty(),
        layers: state.layers().to_vec(),
        pool: state.client().pool_stats().map(Pool::from),
        sessions: {
            let limits = state.sessions().limits();
            SessionsReport {
                open: state.sessions().count(),
                max: limits.max_sessions,
                max_per_key: limits.max_per_caller,
                idle_timeout: limits.idle_timeout.as_secs_f64(),
                max_lifetime: limits.max_lifetime.as_secs_f64(),
            }
        },
    })
}

/// Why the server cannot run code now: a layer its isolation level needs is
/// missing, or a real sandbox failed to set up.
fn unavailable(state: &AppState) -> Option<String> {
    if !state.default_mode_available() {
        return Some(format!(
            "secure mode (isolation `{}`) is unavailable: missing {}",
            state.config().execution.isolation,
            state.missing_layers().join(", ")
        ));
    }
    state.readiness().problem()
}

/// Liveness: answers while the process runs.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Liveness)))]
pub async fn healthz() -> Json<Liveness> {
    Json(Liveness { status: "ok" })
}

/// Readiness: 503 while draining for shutdown, when the default mode is
/// secure and this host lacks a layer it requires, and until a real sandbox
/// has been set up and run (again after any run fails to set up).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Ready for executions", body = Readiness),
        (status = 503, description = "Draining, or secure mode unavailable", body = Readiness),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let draining = state.admission().is_draining();
    let reason = if draining {
        Some("the server is shutting down".to_owned())
    } else {
        unavailable(&state)
    };
    let ready = reason.is_none();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Readiness {
            ready,
            draining,
            reason,
        }),
    )
}

/// Prometheus metrics in the OpenMetrics text format.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    responses((status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text", body = String))
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    if let Some(stats) = state.client().pool_stats() {
        state.metrics().observe_pool(&stats);
    }
    match state.metrics().render() {
        Ok(text) => (
            [(
                CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            )],
            text,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(%err, "cannot render the metrics");
            ApiFailure::new(Code::Internal, "cannot render the metrics").into_response()
        }
    }
}

/// Runs Python code and returns its result (the execution contract).
///
/// Only `code` is required; the other fields default to the server's
/// settings and may not exceed its limits (422 names the field and the
/// limit). A program that fails is still a 200 with `success: false`; error
/// statuses mean nothing ran.
#[utoipa::path(
    post,
    path = "/execute",
    tag = "execution",
    request_body(content = ExecutionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The code ran (or was refused before running, e.g. a syntax error); see `status`. With `Accept: text/event-stream` the answer is Server-Sent Events while it runs: `stdout` and `stderr` events with `{\"text\": ...}` as the program writes, a `display` event with a MIME bundle (`{\"text/plain\": ...}`) for each object it shows, then one `result` event (this result) or `error` event (`{\"status\": ..., \"error\": {...}}`); comment lines keep a quiet stream open. Dropping the stream cancels the run.", content(
            (ExecutionResult = "application/json"),
            (String = "text/event-stream"),
        )),
        (status = 400, description = "The body is not valid JSON", body = ApiError),
        (status = 401, description = "Missing or wrong API key", body = ApiError),
        (status = 413, description = "The body is over the size limit", body = ApiError),
        (status = 415, description = "The body is not declared as JSON", body = ApiError),
        (status = 422, description = "Not a valid request, or a field over the server's limit", body = ApiError),
        (status = 429, description = "Rate limit reached; see `Retry-After`", body = ApiError),
        (status = 503, description = "Overloaded or shutting down; see `Retry-After`", body = ApiError),
        (status = 500, description = "Internal error; the log has it under the request id", body = ApiError),
    ),
    security((), ("bearer" = []), ("api_key" = []))
)]
#[expect(
    clippy::missing_errors_doc,
    reason = "the doc comment is the OpenAPI description; its responses list the errors"
)]
pub async fn execute(
    State(state): State<AppState>,
    caller: Caller,
    RequestIdText(request_id): RequestIdText,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    check_caller(&state, &caller)?;
    check_content_type(&headers)?;
    let request = crate::request::decode(&body, state.config())?;
    if crate::live::wants_events(&headers) {
        return crate::live::respond(state, caller, request_id, request).await;
    }
    run(&state, &caller, &request_id, request)
        .await
        .map(|result| Json(result).into_response())
}

/// The checks before a request is even read: refused while draining, and
/// when the caller's rate limit is used up.
///
/// # Errors
///
/// 503 while draining, 429 with `Retry-After` when the caller's rate limit is
/// used up.
pub fn check_caller(state: &AppState, caller: &Caller) -> Result<(), ApiFailure> {
    if state.admission().is_draining() {
        state.metrics().rejected("shutting_down");
        return Err(shutting_down());
    }
    if let Some(limiter) = state.rate_limiter()
        && let Err(wait) = limiter.check(caller)
    {
        state.metrics().rejected("rate_limited");
        tracing::info!(%caller, "rate limit reached");
        return Err(ApiFailure::new(
            Code::RateLimited,
            format!(
                "rate limit of {} executions per minute reached",
                state.config().rate_limit.unwrap_or_default()
            ),
        )
        .retry_after(wait.as_secs_f64().ceil() as u64));
    }
    Ok(())
}

/// Requires a JSON content type, which keeps browsers from posting code
/// cross-site without a CORS preflight: a form, a `text/plain` body and an
/// untyped body (a `Blob` without a type) need none.
pub(crate) fn check_content_type(headers: &HeaderMap) -> Result<(), ApiFailure> {
    let given = headers.get(CONTENT_TYPE).map(|v| v.to_str().unwrap_or("?"));
    let mime = given
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime == "application/json" || mime.ends_with("+json") {
        return Ok(());
    }
    Err(ApiFailure::new(
        Code::UnsupportedMediaType,
        match given {
            Some(given) => {
                format!("the body must be JSON (`Content-Type: application/json`), got `{given}`")
            }
            None => "the body must be JSON: send `Content-Type: application/json`".into(),
        },
    ))
}
