//! Request bodies, read whole before a handler sees them: within the size
//! limit (413), within the body deadline (408), and within the server's
//! memory budget for buffered requests, so that many large requests at
//! once wait their turn instead of growing the process without bound.
//!
//! A body is charged twice its size (as received, and decoded into the
//! request: base64 files, the code), from its first byte until its answer
//! is ready.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::error::{ApiFailure, Code};
use crate::state::AppState;

/// The memory budget of buffered request bodies, in bytes.
#[derive(Debug, Clone)]
pub struct BodyBudget {
    bytes: Arc<Semaphore>,
    total: usize,
}

impl BodyBudget {
    /// A budget of `total` bytes.
    pub fn new(total: usize) -> Self {
        let total = total.min(Semaphore::MAX_PERMITS);
        Self {
            bytes: Arc::new(Semaphore::new(total)),
            total,
        }
    }

    /// Bytes charged to requests now.
    pub fn in_use(&self) -> usize {
        self.total - self.bytes.available_permits()
    }
}

/// What one request holds of the budget.
struct Charge {
    budget: BodyBudget,
    held: Option<OwnedSemaphorePermit>,
    amount: usize,
}

impl Charge {
    fn new(budget: &BodyBudget) -> Self {
        Self {
            budget: budget.clone(),
            held: None,
            amount: 0,
        }
    }

    /// Grows the charge to `amount` bytes, waiting for room until
    /// `deadline`; `false` when there is none by then.
    async fn grow_to(&mut self, amount: usize, deadline: Instant) -> bool {
        if amount <= self.amount {
            return true;
        }
        let more = (amount - self.amount).min(self.budget.total);
        let Ok(more) = u32::try_from(more) else {
            return false;
        };
        let acquired = tokio::time::timeout_at(
            deadline,
            Arc::clone(&self.budget.bytes).acquire_many_owned(more),
        )
        .await;
        let Ok(Ok(permit)) = acquired else {
            return false;
        };
        match &mut self.held {
            Some(held) => held.merge(permit),
            None => self.held = Some(permit),
        }
        self.amount = amount;
        true
    }
}

/// Middleware for the routes that take a body: reads it whole (see the
/// module docs), then hands the request on with the body in memory.
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
                state.body_budget().total
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn charges_wait_for_room_and_give_it_back() {
        let budget = BodyBudget::new(100);
        let soon = || Instant::now() + Duration::from_millis(50);
        let mut first = Charge::new(&budget);
        assert!(first.grow_to(60, soon()).await);
        assert!(first.grow_to(80, soon()).await);
        assert_eq!(budget.in_use(), 80);
        let mut second = Charge::new(&budget);
        assert!(!second.grow_to(40, soon()).await, "no room yet");
        drop(first);
        assert!(second.grow_to(40, soon()).await);
        assert_eq!(budget.in_use(), 40);
        drop(second);
        assert_eq!(budget.in_use(), 0);
    }
}
