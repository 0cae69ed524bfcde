//! Where the tools' code runs: anything that turns a request into a
//! result. A client runs it directly; `sandbox-server` puts its admission
//! control, rate limits and metrics in between.

use std::collections::HashMap;
use std::future::Future;

use rmcp::model::Extensions;
use sandbox_client::{
    ExecutionRequest, ExecutionResult, OutputSink, SandboxClient, SandboxError, Session,
    SessionOptions,
};
use tokio::sync::Mutex;

/// Why a tool call's code did not run. Its text is the answer the model
/// reads: why nothing ran and what to do (retry later, ask for less).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The sandbox could not run it (invalid request, unsupported here,
    /// a remote server's error).
    #[error("the sandbox could not run the code: {0}")]
    Sandbox(#[from] SandboxError),
    /// Whoever stands between the tool and the sandbox refused it: a
    /// server's load bounds, rate limit or keys.
    #[error("{message}{}", retry_after.map(|seconds| format!("; retry in {seconds} s")).unwrap_or_default())]
    Refused {
        /// Why, in words.
        message: String,
        /// Seconds after which a retry may succeed.
        retry_after: Option<u64>,
    },
    /// The client cancelled the call (its sandbox is killed).
    #[error("the call was cancelled")]
    Cancelled,
}

/// Runs one request for a tool call.
pub trait Executor: Send + Sync + 'static {
    /// Runs `request`. `extensions` are the MCP request's (over HTTP they
    /// hold the HTTP request's parts, with whatever the server's middleware
    /// put there). With `output`, what the program writes goes there as it
    /// is written (for progress notifications).
    ///
    /// # Errors
    ///
    /// A [`Refusal`] when the code did not run.
    fn execute(
        &self,
        request: ExecutionRequest,
        extensions: &Extensions,
        output: Option<OutputSink>,
    ) -> impl Future<Output = Result<ExecutionResult, Refusal>> + Send;

    /// Makes a session for the caller; its id.
    ///
    /// # Errors
    ///
    /// A [`Refusal`] when no session could be made.
    fn create_session(
        &self,
        extensions: &Extensions,
    ) -> impl Future<Output = Result<String, Refusal>> + Send;

    /// Runs `request` in the caller's session `id`.
    ///
    /// # Errors
    ///
    /// A [`Refusal`] when the code did not run (an unknown or ended
    /// session among them).
    fn execute_in_session(
        &self,
        id: &str,
        request: ExecutionRequest,
        extensions: &Extensions,
        output: Option<OutputSink>,
    ) -> impl Future<Output = Result<ExecutionResult, Refusal>> + Send;

    /// Ends the caller's session `id`.
    ///
    /// # Errors
    ///
    /// A [`Refusal`] for an unknown session.
    fn close_session(
        &self,
        id: &str,
        extensions: &Extensions,
    ) -> impl Future<Output = Result<(), Refusal>> + Send;

    /// Whether the caller's session `id` is still open (not ended, closed
    /// or expired), so a server's own session can be made anew.
    fn session_open(&self, id: &str, extensions: &Extensions) -> impl Future<Output = bool> + Send;
}

/// Most sessions one local MCP server keeps open.
pub const MAX_LOCAL_SESSIONS: usize = 8;

/// A client's tools for one MCP connection (`sandbox mcp`): code runs
/// through the client; its sessions are this connection's, at most
/// [`MAX_LOCAL_SESSIONS`], and end with it.
#[derive(Debug)]
pub struct ClientExecutor {
    client: SandboxClient,
    sessions: Mutex<HashMap<String, Session>>,
    /// Sessions being made, counted against the limit with the open ones.
    making: std::sync::atomic::AtomicUsize,
    next: std::sync::atomic::AtomicU64,
}

impl ClientExecutor {
    /// Tools running code through `client`.
    pub fn new(client: SandboxClient) -> Self {
        Self {
            client,
            sessions: Mutex::new(HashMap::new()),
            making: std::sync::atomic::AtomicUsize::new(0),
            next: std::sync::atomic::AtomicU64::new(1),
        }
    }

    /// The client.
    pub fn client(&self) -> &SandboxClient {
        &self.client
    }

    async fn session(&self, id: &str) -> Result<Session, Refusal> {
        self.sessions
            .lock()
            .await
            .get(id)
            .cloned()
            .ok_or_else(|| unknown_session(id))
    }
}

/// A session being made, counted until it is made or given up.
struct Making<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Making<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The refusal for a session id this server does not hold.
fn unknown_session(id: &str) -> Refusal {
    let shown: String = id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(40)
        .collect();
    Refusal::Refused {
        message: format!(
            "there is no session `{shown}`: it was closed, ended, or never made; call \
             `create_session` for a new one (its state starts empty)"
        ),
        retry_after: None,
    }
}

impl Executor for ClientExecutor {
    async fn execute(
        &self,
        request: ExecutionRequest,
        _extensions: &Extensions,
        output: Option<OutputSink>,
    ) -> Result<ExecutionResult, Refusal> {
        Ok(self.client.execute_to(request, output).await?)
    }

    async fn create_session(&self, _extensions: &Extensions) -> Result<String, Refusal> {
        use std::sync::atomic::Ordering::SeqCst;
        {
            // Counted and reserved under the lock, so calls racing here
            // cannot pass the limit together.
            let mut sessions = self.sessions.lock().await;
            sessions.retain(|_, session| session.ended().is_none());
            if sessions.len() + self.making.load(SeqCst) >= MAX_LOCAL_SESSIONS {
                return Err(Refusal::Refused {
                    message: format!(
                        "{MAX_LOCAL_SESSIONS} sessions are open, the most this server keeps; \
                         close one with `close_session`"
                    ),
                    retry_after: None,
                });
            }
            self.making.fetch_add(1, SeqCst);
        }
        let making = Making(&self.making);
        let made = self.client.create_session(SessionOptions::new()).await;
        let mut sessions = self.sessions.lock().await;
        drop(making);
        let id = format!("s{}", self.next.fetch_add(1, SeqCst));
        sessions.insert(id.clone(), made?);
        Ok(id)
    }

    async fn execute_in_session(
        &self,
        id: &str,
        request: ExecutionRequest,
        _extensions: &Extensions,
        output: Option<OutputSink>,
    ) -> Result<ExecutionResult, Refusal> {
        let session = self.session(id).await?;
        let outcome = match output {
            Some(output) => {
                session
                    .run_stream(request)
                    .finish(|event| {
                        let _ = output.send(event);
                    })
                    .await
            }
            None => session.run_request(request).await,
        };
        if matches!(&outcome, Err(SandboxError::SessionEnded { .. })) || session.ended().is_some() {
            self.sessions.lock().await.remove(id);
        }
        Ok(outcome?)
    }

    async fn session_open(&self, id: &str, _extensions: &Extensions) -> bool {
        self.sessions
            .lock()
            .await
            .get(id)
            .is_some_and(|session| session.ended().is_none())
    }

    async fn close_session(&self, id: &str, _extensions: &Extensions) -> Result<(), Refusal> {
        let session = self
            .sessions
            .lock()
            .await
            .remove(id)
            .ok_or_else(|| unknown_session(id))?;
        Ok(session.close().await?)
    }
}
