//! Live output over HTTP: `POST /execute` with `Accept: text/event-stream`
//! answers with Server-Sent Events. `stdout` and `stderr` events carry
//! `{"text": ...}` as the program writes, `display` events a MIME bundle
//! for each object it shows; the last event is `result` (the
//! contract's result) or `error` (`{"status": ..., "error": {...}}`, what
//! the plain call would have answered with that status). Comments keep a
//! quiet stream open through proxies. The request is checked and admitted
//! before the answer starts, so refusals keep their HTTP status; a client
//! that goes away drops the stream, which cancels the run.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::http::HeaderMap;
use axum::http::header::ACCEPT;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse as _, Response};
use sandbox_client::{ExecutionEvent, ExecutionRequest, ExecutionResult, ExecutionStream};
use sandbox_core::ApiError;
use tokio::sync::{mpsc, oneshot};

use crate::auth::Caller;
use crate::error::ApiFailure;
use crate::execution::{Record, admit, conclude, killed_at_shutdown};
use crate::state::AppState;

/// How often a quiet stream gets a comment.
const HEARTBEAT: Duration = Duration::from_secs(10);

/// Whether the caller asked for events rather than one JSON answer.
pub fn wants_events(headers: &HeaderMap) -> bool {
    headers.get_all(ACCEPT).iter().any(|value| {
        value.to_str().is_ok_and(|value| {
            value.split(',').any(|item| {
                item.split(';')
                    .next()
                    .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("text/event-stream"))
            })
        })
    })
}

/// The events of `request`, once it is admitted.
///
/// # Errors
///
/// What [`crate::execution::run`] answers before anything runs: 422 past the
/// server's maxima, 503 with the queue full or while draining.
pub async fn respond(
    state: AppState,
    caller: Caller,
    request_id: String,
    request: ExecutionRequest,
) -> Result<Response, ApiFailure> {
    let client = state.client().clone();
    respond_with(
        state,
        caller,
        request_id,
        request,
        Box::new(move |request| client.execute_stream(request)),
        Box::new(|_| {}),
    )
    .await
}

/// How a live run starts: its request to its stream of events.
pub type Start = Box<dyn FnOnce(ExecutionRequest) -> ExecutionStream + Send>;

/// What to do with a live run's outcome before it is sent.
pub type OnEnd = Box<dyn FnOnce(&Result<ExecutionResult, ApiFailure>) + Send>;

/// [`respond`] for a run that `start` makes (a session's), with `on_end`
/// told its outcome.
///
/// # Errors
///
/// As [`respond`].
pub async fn respond_with(
    state: AppState,
    caller: Caller,
    request_id: String,
    request: ExecutionRequest,
    start: Start,
    on_end: OnEnd,
) -> Result<Response, ApiFailure> {
    crate::limits::check(&request, state.config())?;
    let (admitted_tx, admitted) = oneshot::channel();
    let (events, events_rx) = mpsc::unbounded_channel();
    // The run is a task of its own, so its timeout and caps hold however
    // slowly the client reads; the body aborts it when dropped (a client
    // that went away), which cancels the run.
    let run = Aborting(tokio::spawn(async move {
        let slot = match admit(&state).await {
            Ok(slot) => slot,
            Err(failure) => {
                let _ = admitted_tx.send(Err(failure));
                return;
            }
        };
        let _ = admitted_tx.send(Ok(()));
        let record = Record::start(state.metrics(), &request_id);
        let mut stream = start(request);
        let ended = loop {
            let next = tokio::select! {
                next = stream.next() => next,
                () = state.admission().killed() => break Err(killed_at_shutdown()),
            };
            match next {
                Some(Ok(ExecutionEvent::Result(result))) => {
                    drop(slot);
                    break conclude(&state, &caller, &request_id, record, Ok(*result));
                }
                Some(Ok(output)) => {
                    let _ = events.send(output_event(&output));
                }
                Some(Err(err)) => {
                    drop(slot);
                    break conclude(&state, &caller, &request_id, record, Err(err));
                }
                None => break Err(ApiFailure::internal(&request_id)),
            }
        };
        on_end(&ended);
        let _ = events.send(match ended {
            Ok(result) => json_event("result", &result),
            Err(failure) => error_event(&failure),
        });
    }));
    match admitted.await {
        Ok(Ok(())) => Ok(Sse::new(Drive {
            _run: run,
            events: events_rx,
        })
        .keep_alive(KeepAlive::new().interval(HEARTBEAT).text("keep-alive"))
        .into_response()),
        Ok(Err(failure)) => Err(failure),
        Err(_) => Err(ApiFailure::new(
            crate::error::Code::Internal,
            "the run ended before it was admitted",
        )),
    }
}

/// A task aborted when this is dropped.
struct Aborting(tokio::task::JoinHandle<()>);

impl Drop for Aborting {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn json_event(name: &str, data: &impl serde::Serialize) -> Event {
    Event::default()
        .event(name)
        .json_data(data)
        .unwrap_or_else(|_| Event::default().event("error").data("{}"))
}

fn output_event(event: &ExecutionEvent) -> Event {
    match event {
        ExecutionEvent::Stdout { text } | ExecutionEvent::Stderr { text } => {
            json_event(event.name(), &serde_json::json!({ "text": text }))
        }
        ExecutionEvent::Display { data } => json_event(event.name(), data),
        other => json_event(other.name(), other),
    }
}

fn error_event(failure: &ApiFailure) -> Event {
    let body = ApiError::new(failure.code.as_str(), failure.message.clone());
    let mut data = serde_json::to_value(body).unwrap_or_default();
    data["status"] = failure.code.status().as_u16().into();
    json_event("error", &data)
}

/// The body of a live answer: hands out the events its run's task sends.
/// Dropping it aborts the run, which kills a one-shot run's sandbox (a
/// session's run is interrupted, and the session kept).
struct Drive {
    /// The run: aborted with the stream.
    _run: Aborting,
    events: mpsc::UnboundedReceiver<Event>,
}

impl futures_core::Stream for Drive {
    type Item = Result<Event, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // The run holds the sender: when it ended, so does the stream.
        self.get_mut()
            .events
            .poll_recv(cx)
            .map(|event| event.map(Ok))
    }
}
