//! `sandbox-server`: the HTTP API of the Python sandbox.
//!
//! It serves the execution contract at `POST /execute` (as one JSON answer,
//! or as Server-Sent Events while the code runs) and the same
//! executions as MCP tools at `/mcp` (streamable HTTP), both behind the API
//! keys. Thin by design: it parses requests, applies the server's limits,
//! authentication and load control, calls [`sandbox_client::SandboxClient`]
//! (which runs code on this host through the runner) and renders the
//! results. No sandboxing logic lives here.
//!
//! - [`router`] builds the whole API from an [`AppState`], testable without
//!   a socket;
//! - [`serve`] runs it on a listener until a shutdown signal, then drains:
//!   readiness 503 and no new executions, in-flight executions finish up to
//!   the deadline, the rest are killed (their sandboxes die and their work
//!   dirs are removed when the executions are dropped), connections close.
//!
//! Modules: [`config`] (flags and environment), [`connection`] (accepting
//! and bounding connections), [`origin`] (`Host` and browser `Origin`),
//! [`auth`] (API keys), [`body`] (reading bodies within size, time and
//! memory), [`request`] (decoding `/execute` bodies), [`limits`]
//! (per-request maxima), [`mcp`] (the MCP tools at `/mcp`), [`admission`]
//! (slots, queue, draining), [`execution`] (one admitted run, for every
//! entry point), [`live`] (live output as Server-Sent Events),
//! [`rate_limit`], [`metrics`], [`routes`] (handlers), [`docs`] (OpenAPI, Swagger UI, ReDoc), [`error`] (the JSON
//! error answers), [`program`] (the binary's `main`).

#![forbid(unsafe_code)]
#![warn(clippy::missing_errors_doc)]

pub mod admission;
pub mod auth;
pub mod body;
pub mod budget;
pub mod config;
pub mod connection;
pub mod docs;
pub mod error;
pub mod execution;
pub mod extract;
pub mod keys;
pub mod limits;
pub mod live;
pub mod mcp;
pub mod metrics;
pub mod origin;
pub mod program;
pub mod rate_limit;
pub mod readiness;
pub mod request;
pub mod routes;
pub mod session_routes;
pub mod sessions;
pub mod state;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request};
use axum::middleware;
use axum::routing::{delete, get, post};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use config::{Args, ServerConfig};
pub use state::AppState;

use crate::error::{ApiFailure, Code};

/// How long connections get to close after the in-flight executions were
/// killed at the deadline.
const AFTER_KILL_GRACE: Duration = Duration::from_secs(5);

/// The whole API. Every request gets an `x-request-id` (kept when the
/// client sends one), a tracing span carrying it, and JSON errors. The
/// `Host` is checked everywhere; `/execute` and `/mcp` check the browser
/// `Origin`, then the API key, then read the body within its bounds.
pub fn router(state: AppState) -> Router {
    let protected = Router::new()
        .route("/execute", post(routes::execute))
        .route(
            "/sessions",
            post(session_routes::create).get(session_routes::list),
        )
        .route("/sessions/{id}", delete(session_routes::close))
        .route("/sessions/{id}/execute", post(session_routes::execute))
        .route("/sessions/{id}/files", get(session_routes::files))
        .route("/sessions/{id}/interrupt", post(session_routes::interrupt))
        .route(
            "/sessions/{id}/files/{*path}",
            get(session_routes::download).put(session_routes::upload),
        )
        .route_service("/mcp", mcp::endpoint(&state))
        .route_layer(middleware::from_fn_with_state(state.clone(), body::buffer))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_key,
        ))
        .route_layer(middleware::from_fn_with_state(
            Arc::new(state.config().allowed_origins.clone()),
            origin::check_origin,
        ))
        .layer(DefaultBodyLimit::max(state.config().limits.body_bytes));
    Router::new()
        .route("/", get(routes::health))
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .route("/metrics", get(routes::metrics))
        .merge(protected)
        .merge(docs::router(state.config()))
        .fallback(|| async { ApiFailure::new(Code::NotFound, "no such endpoint; see /docs") })
        .method_not_allowed_fallback(|| async {
            ApiFailure::new(
                Code::MethodNotAllowed,
                "this endpoint does not take that method",
            )
        })
        .layer(middleware::from_fn_with_state(
            Arc::new(state.config().allowed_hosts.clone()),
            origin::check_host,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            close_when_done,
        ))
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(NextRequestId::default()))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|request: &Request<_>| {
                            let id = request
                                .extensions()
                                .get::<RequestId>()
                                .and_then(|id| id.header_value().to_str().ok())
                                .unwrap_or("-");
                            tracing::info_span!(
                                "request",
                                id = %id,
                                method = %request.method(),
                                path = %request.uri().path(),
                            )
                        })
                        .on_response(DefaultOnResponse::new().level(Level::INFO))
                        // Every answer is logged at INFO with its status; an
                        // expected refusal (503 when overloaded) is no error,
                        // and internal failures log their own cause.
                        .on_failure(()),
                )
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(CatchPanicLayer::custom(|_panic| {
                    tracing::error!("a handler panicked");
                    axum::response::IntoResponse::into_response(ApiFailure::new(
                        Code::Internal,
                        "internal error; see the server log",
                    ))
                })),
        )
}

/// Ends the connection after answers that say "not now" (503) and after
/// every answer while the server drains, so keep-alive clients reconnect
/// (to another replica) instead of finding the connection closed under them.
async fn close_when_done(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let mut response = next.run(request).await;
    if response.status() == axum::http::StatusCode::SERVICE_UNAVAILABLE
        || state.admission().is_draining()
    {
        response.headers_mut().insert(
            axum::http::header::CONNECTION,
            HeaderValue::from_static("close"),
        );
    }
    response
}

/// Request ids: this process's start time and a counter, short and unique
/// across restarts.
#[derive(Debug, Clone)]
struct NextRequestId {
    prefix: String,
    counter: std::sync::Arc<AtomicU64>,
}

impl Default for NextRequestId {
    fn default() -> Self {
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self {
            prefix: format!("{:x}", started & 0xff_ffff),
            counter: std::sync::Arc::default(),
        }
    }
}

impl MakeRequestId for NextRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

/// Serves the API on `listener` until `shutdown` resolves, then drains:
/// readiness turns false and new executions get 503 (connections are still
/// accepted, so probes and clients hear it), in-flight executions get the
/// configured deadline, then are killed; then connections close and it
/// returns. `force` resolving during the drain (a second signal) kills at
/// once.
///
/// # Errors
///
/// An I/O error when the server stops serving for any reason but the shutdown.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    force: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    readiness::start(state.readiness().clone(), state.client().clone()).await;
    // Sandboxes prepared before the first request (in the background).
    if let Err(err) = state.client().warm().await {
        tracing::warn!(%err, "the sandbox pool could not be stocked; runs start cold");
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let sweeper = tokio::spawn({
        let state = state.clone();
        async move {
            loop {
                tokio::time::sleep(sessions::SWEEP_EVERY).await;
                state.sessions().sweep(state.metrics()).await;
            }
        }
    });
    let server = tokio::spawn(connection::serve(
        listener,
        router(state.clone()),
        state.config().connections,
        stop_rx,
        AFTER_KILL_GRACE,
    ));
    shutdown.await;
    let admission = state.admission();
    admission.start_draining();
    let deadline = state.config().shutdown_timeout;
    tracing::info!(
        in_flight = admission.running(),
        deadline_s = deadline.as_secs_f64(),
        "shutting down: no new executions; waiting for those in flight"
    );
    let drained = async {
        while admission.running() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::pin!(force);
    let clean = tokio::select! {
        () = drained => true,
        () = tokio::time::sleep(deadline) => {
            tracing::warn!(in_flight = admission.running(), "shutdown deadline passed; killing the executions left");
            false
        }
        () = &mut force => {
            tracing::warn!(in_flight = admission.running(), "second signal; killing the executions left");
            false
        }
    };
    if !clean {
        admission.kill_all();
    }
    // No more runs: the sessions and the prepared sandboxes go too.
    sweeper.abort();
    state.sessions().close_all(state.metrics()).await;
    state.client().close_pool().await;
    // Let the answers of the killed executions go out, then close.
    let _ = stop_tx.send(true);
    server.await.map_err(std::io::Error::other)?;
    if clean {
        tracing::info!("shut down cleanly");
    } else {
        tracing::info!("shut down after killing the executions left");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;

    use super::*;

    async fn get(app: Router, path: &str) -> (StatusCode, serde_json::Value) {
        let response = app
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    /// The router answers without a socket; readiness turns false while
    /// draining, and `/execute` refuses new work then.
    #[tokio::test]
    async fn readiness_follows_draining() {
        let state = AppState::new(ServerConfig::default()).unwrap();
        let (status, body) = get(router(state.clone()), "/healthz").await;
        assert_eq!(
            (status, body["status"].as_str()),
            (StatusCode::OK, Some("ok"))
        );

        state.admission().start_draining();
        let (status, body) = get(router(state.clone()), "/readyz").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["draining"], true);
        let response = router(state)
            .oneshot(
                Request::post("/execute")
                    .header("content-type", "application/json")
                    .body(Body::from(r#"{"code": "print(1)"}"#))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "1");
    }

    #[tokio::test]
    async fn unknown_paths_get_a_json_404_with_a_request_id() {
        let state = AppState::new(ServerConfig::default()).unwrap();
        let response = router(state)
            .oneshot(Request::get("/nope").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(response.headers().contains_key("x-request-id"));
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["error"]["code"], "not_found");
    }
}
