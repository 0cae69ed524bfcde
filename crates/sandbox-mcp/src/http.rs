//! MCP over streamable HTTP, as a tower service to mount in an axum router.
//!
//! Stateless: every POST is served on its own (no session kept in memory),
//! so any replica behind a load balancer can take any request and nothing
//! accumulates per client. [`service`] answers plain JSON;
//! [`streaming_service`] answers a request with a stream of its
//! notifications (progress with live output) and then its answer.

use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use crate::executor::Executor;
use crate::handler::SandboxMcp;

/// The service answering MCP at the path it is mounted on.
pub type Service<E> = StreamableHttpService<SandboxMcp<E>, LocalSessionManager>;

/// The streamable HTTP service for `server`, reading bodies up to
/// `max_body_bytes`.
///
/// The `Host` header is not restricted: the service is meant to sit behind
/// the same authentication as the rest of an HTTP API (API keys), which is
/// what stops a DNS-rebinding page as well as anyone else; a loopback-only
/// host list would break every deployment reached by a service name.
pub fn service<E: Executor>(server: SandboxMcp<E>, max_body_bytes: usize) -> Service<E> {
    build(server, max_body_bytes, false)
}

/// [`service`] answering with Server-Sent Events: the notifications a
/// request causes (progress), then its answer, with heartbeats while the
/// stream is quiet.
pub fn streaming_service<E: Executor>(server: SandboxMcp<E>, max_body_bytes: usize) -> Service<E> {
    build(server, max_body_bytes, true)
}

fn build<E: Executor>(server: SandboxMcp<E>, max_body_bytes: usize, streaming: bool) -> Service<E> {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(!streaming)
        .with_sse_keep_alive(streaming.then_some(std::time::Duration::from_secs(10)))
        .with_max_request_body_bytes(max_body_bytes)
        .disable_allowed_hosts();
    StreamableHttpService::new(move || Ok(server.clone()), Default::default(), config)
}
