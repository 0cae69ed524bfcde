//! Request bodies, read whole before a handler sees them: within the size
//! limit (413), within the body deadline (408), and within the server's
//! memory budget for buffered requests, so that many large requests at
//! once wait their turn instead of growing the process without bound.
//!
//! A body is charged twice its size (as received, and decoded into the
//! request: base64 files, the code), from its first byte until its answer
//! is ready.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt as _;
use tokio::time::Instant;

use crate::budget::Charge;
use crate::error::{ApiFailure, Code};
use crate::state::AppState;

/// Middleware for the routes that take a body: reads it whole (see the
/// module docs), then hands the request on with the body in memory.
///
/// # Errors
///
/// A 413 answer for a body past the limit, 503 when the server holds all
/// the request bytes it may, 408 for a body that arrives too slowly, 400 for
/// one that breaks off.
pub async fn buffer(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiFailure> {
    let config = state.config();
    let limit = config.limits.body_bytes;
    let deadline = Instant::now() + config.connections.body_timeout;
    let (parts, mut body) = request.into_parts();
    let too_large = || {
        ApiFailure::new(
            Code::PayloadTooLarge,
            format!("the request body is larger than this server's limit of {limit} bytes"),
        )
    };
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let busy = || {
        state.metrics().rejected("memory_budget");
        ApiFailure::new(
            Code::Overloaded,
            format!(
                "the server holds its limit of {} bytes of requests in memory; retry later",
                state.body_budget().total()
            ),
        )
        .retry_after(1)
    };
    let mut charge = Charge::new(state.body_budget());
    let expected = declared.map_or(0, |n| n as usize);
    if !charge.grow_to(2 * expected, deadline).await {
        return Err(busy());
    }
    let mut received = Vec::with_capacity(expected);
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                return Err(ApiFailure::new(
                    Code::RequestTimeout,
                    format!(
                        "the request body did not arrive within {} s",
                        config.connections.body_timeout.as_secs_f64()
                    ),
                ));
            }
            Ok(None) => break,
            Ok(Some(Err(err))) => {
                return Err(ApiFailure::new(
                    Code::MalformedJson,
                    format!("cannot read the request body: {err}"),
                ));
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        let size = received.len() + data.len();
        if size > limit {
            return Err(too_large());
        }
        if !charge.grow_to(2 * size, deadline).await {
            return Err(busy());
        }
        received.extend_from_slice(&data);
    }
    let request = Request::from_parts(parts, Body::from(Bytes::from(received)));
    let response = next.run(request).await;
    drop(charge);
    Ok(response)
}
