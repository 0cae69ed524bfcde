//! Running one admitted request, the same for every entry point (`POST
//! /execute`, its live form, the MCP tools): the server's limits, a slot
//! (or the queue), the execution, its metrics and log.

use std::time::Instant;

use sandbox_client::{ExecutionRequest, ExecutionResult, OutputSink, SandboxError};

use crate::admission::Refusal;
use crate::error::{ApiFailure, Code};
use crate::keys::Caller;
use crate::limits;
use crate::metrics::Metrics;
use crate::state::AppState;

/// Runs a request that passed the caller checks, the way every entry point
/// does (`POST /execute`, the MCP tools): the server's limits, a slot (or
/// the queue), the execution, its metrics.
///
/// # Errors
///
/// 422 for a request past the server's maxima, 503 when the queue is full or
/// the server drains, 500 (logged under the request id) when the sandbox cannot
/// run at all.
pub async fn run(
    state: &AppState,
    caller: &Caller,
    request_id: &str,
    request: ExecutionRequest,
) -> Result<ExecutionResult, ApiFailure> {
    run_to(state, caller, request_id, request, None).await
}

/// [`run`], sending what the program writes to `output` as it is written.
///
/// # Errors
///
/// As [`run`].
pub async fn run_to(
    state: &AppState,
    caller: &Caller,
    request_id: &str,
    request: ExecutionRequest,
    output: Option<OutputSink>,
) -> Result<ExecutionResult, ApiFailure> {
    limits::check(&request, state.config())?;
    let slot = admit(state).await?;
    let record = Record::start(state.metrics(), request_id);
    let outcome = tokio::select! {
        outcome = state.client().execute_to(request, output) => outcome,
        () = state.admission().killed() => {
            // Dropping the execution above killed its sandbox and removed
            // its work dir.
            return Err(killed_at_shutdown());
        }
    };
    drop(slot);
    conclude(state, caller, request_id, record, outcome)
}

/// A slot to run in (after the queue, if it must wait).
///
/// # Errors
///
/// 503 when the queue is full or the server drains.
pub(crate) async fn admit(state: &AppState) -> Result<crate::admission::Slot<'_>, ApiFailure> {
    match state.admission().admit(state.metrics()).await {
        Ok(slot) => Ok(slot),
        Err(Refusal::QueueFull) => {
            state.metrics().rejected("overloaded");
            Err(ApiFailure::new(
                Code::Overloaded,
                format!(
                    "all {} execution slots and the queue are taken; retry later",
                    state.admission().max_concurrency()
                ),
            )
            .retry_after(1))
        }
        Err(Refusal::Draining) => {
            state.metrics().rejected("shutting_down");
            Err(shutting_down())
        }
    }
}

/// The answer when the shutdown deadline killed a run.
pub(crate) fn killed_at_shutdown() -> ApiFailure {
    tracing::warn!("execution killed: the shutdown deadline passed");
    ApiFailure::new(
        Code::ShuttingDown,
        "the server shut down before the execution ended; it was killed",
    )
}

/// A run's outcome as the API answers it, counted in the metrics and the
/// log.
pub(crate) fn conclude(
    state: &AppState,
    caller: &Caller,
    request_id: &str,
    record: Record<'_>,
    outcome: Result<ExecutionResult, SandboxError>,
) -> Result<ExecutionResult, ApiFailure> {
    match outcome {
        Ok(result) => {
            record.finish(result.status.as_str());
            if result.status == sandbox_client::Status::SandboxError {
                state
                    .readiness()
                    .setup_failed(result.message.as_deref().unwrap_or("a sandbox failed"));
            }
            tracing::info!(
                %caller,
                status = %result.status,
                duration_ms = result.duration_ms,
                "execution finished"
            );
            Ok(result)
        }
        Err(SandboxError::InvalidRequest(err)) => {
            record.discard();
            Err(ApiFailure::invalid(err.to_string()))
        }
        Err(SandboxError::SessionEnded { reason }) => {
            record.discard();
            Err(ApiFailure::new(
                Code::NotFound,
                format!("the session has ended: {reason}"),
            ))
        }
        Err(err @ SandboxError::Unsupported { .. }) => {
            record.discard();
            tracing::error!(error = %err, "cannot run the request on this host");
            Err(ApiFailure::new(
                Code::Unavailable,
                format!(
                    "this server cannot run the request now (its sandbox is unavailable); \
                     request id `{request_id}`"
                ),
            )
            .retry_after(30))
        }
        Err(err) => {
            record.discard();
            tracing::error!(error = %err, "execution failed inside the server");
            Err(ApiFailure::internal(request_id))
        }
    }
}

pub(crate) fn shutting_down() -> ApiFailure {
    ApiFailure::new(Code::ShuttingDown, "the server is shutting down").retry_after(1)
}

/// Counts one execution in the metrics: its status when it ends, or
/// `cancelled` when it is dropped first (client gone, shutdown).
pub(crate) struct Record<'a> {
    metrics: &'a Metrics,
    started: Instant,
    done: bool,
    // Logged on drop, which may happen outside the request's span.
    request_id: String,
}

impl<'a> Record<'a> {
    pub(crate) fn start(metrics: &'a Metrics, request_id: &str) -> Self {
        Self {
            metrics,
            started: Instant::now(),
            done: false,
            request_id: request_id.to_owned(),
        }
    }

    fn finish(mut self, status: &str) {
        self.metrics
            .finished(status, self.started.elapsed().as_secs_f64());
        self.done = true;
    }

    /// Nothing ran (refused by the runner): not an execution.
    fn discard(mut self) {
        self.done = true;
    }
}

impl Drop for Record<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.metrics
                .finished("cancelled", self.started.elapsed().as_secs_f64());
            tracing::info!(
                request_id = %self.request_id,
                "execution cancelled before it ended (client gone or shutdown)"
            );
        }
    }
}
