//! The sandbox as Model Context Protocol tools, for agents and IDEs.
//!
//! [`SandboxMcp`] serves two tools, built on [`sandbox_client::tool`] so
//! every way an agent reaches the sandbox says the same thing:
//! - `run_python`: runs code (with `input_files`, an optional `timeout`) and
//!   answers with the output as text a model reads, the result as
//!   structured content, and output files as embedded resources (images as
//!   image content). Failures the model can act on (a syntax error, a
//!   policy violation, a timeout) are results with `isError: true`, not
//!   protocol errors.
//! - `check_python`: the syntax and policy check, without running.
//!
//! Their descriptions state the limits that apply (timeout, memory,
//! network, allowed modules). Two transports: [`serve_stdio`] (`sandbox
//! mcp`, for desktop agents and IDEs) and [`http::service`] (streamable
//! HTTP, mounted by `sandbox-server` at `/mcp`). Where code runs is the
//! [`Executor`]'s business: a [`sandbox_client::SandboxClient`], or the
//! server's admission-controlled path.
//!
//! The official SDK (`rmcp`) is pinned to an exact version: its API moves
//! between releases.

#![forbid(unsafe_code)]
#![warn(clippy::missing_errors_doc)]

mod content;
mod executor;
mod handler;
pub mod http;
mod progress;
mod schema;

pub use executor::{ClientExecutor, Executor, MAX_LOCAL_SESSIONS, Refusal};
pub use handler::{CLOSE_SESSION, CREATE_SESSION, SandboxMcp, SessionTerms};
pub use rmcp;

use rmcp::ServiceExt as _;

/// Why the stdio server stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The MCP handshake on stdin/stdout failed.
    #[error("the MCP session could not start on stdio")]
    Start(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The session's task failed.
    #[error("the MCP session ended abnormally")]
    Session(#[source] tokio::task::JoinError),
}

/// Serves `server` over stdin/stdout until the client closes stdin. Logs
/// must go to stderr: stdout carries only the protocol.
///
/// # Errors
///
/// [`ServeError::Start`] when the handshake with the client fails,
/// [`ServeError::Session`] when the session ends abnormally.
pub async fn serve_stdio<E: Executor>(server: SandboxMcp<E>) -> Result<(), ServeError> {
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|err| ServeError::Start(Box::new(err)))?;
    let reason = running.waiting().await.map_err(ServeError::Session)?;
    tracing::info!(?reason, "MCP session ended");
    Ok(())
}
