//! Sessions through the client: a code interpreter's state kept between
//! runs, the same API locally (a kept sandbox of the runner) and remotely
//! (a server's session, `POST /sessions`).

use std::sync::Arc;

use sandbox_core::{ExecutionRequest, ExecutionResult, SandboxError};
use sandbox_runner::OutputSink;

use crate::ExecutionStream;
use crate::remote::Remote;

/// One session: variables, imports, functions and the work dir's files
/// persist from one run to the next. Runs are served one at a time, in
/// order. Dropping the last handle ends a local session at once (a
/// server's when its idle timeout passes); [`Session::close`] ends it now.
///
/// ```no_run
/// # async fn demo() -> Result<(), sandbox_client::SandboxError> {
/// use sandbox_client::{SandboxClient, SessionOptions};
///
/// let client = SandboxClient::new();
/// let session = client.create_session(SessionOptions::new()).await?;
/// session.run("import math\nr = 2").await?;
/// let result = session.run("math.pi * r ** 2").await?;
/// assert_eq!(result.display[0].plain(), Some("12.566370614359172"));
/// session.close().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Session {
    inner: Inner,
}

#[derive(Debug, Clone)]
enum Inner {
    #[cfg(target_os = "linux")]
    Local(Arc<sandbox_runner::Session>),
    Remote(Arc<RemoteSession>),
}

/// A server's session: its id, and the client that reaches it.
#[derive(Debug)]
struct RemoteSession {
    remote: Arc<Remote>,
    id: String,
}

impl Session {
    #[cfg(target_os = "linux")]
    pub(crate) fn local(session: sandbox_runner::Session) -> Self {
        Self {
            inner: Inner::Local(Arc::new(session)),
        }
    }

    pub(crate) fn remote(remote: Arc<Remote>, id: String) -> Self {
        Self {
            inner: Inner::Remote(Arc::new(RemoteSession { remote, id })),
        }
    }

    /// The server's id of this session (as in `/sessions/{id}`); `None`
    /// for a local one.
    pub fn id(&self) -> Option<&str> {
        match &self.inner {
            #[cfg(target_os = "linux")]
            Inner::Local(_) => None,
            Inner::Remote(remote) => Some(&remote.id),
        }
    }

    /// Runs `code` in the session.
    ///
    /// # Errors
    /// As [`Session::run_request`].
    pub async fn run(&self, code: impl Into<String>) -> Result<ExecutionResult, SandboxError> {
        self.run_request(ExecutionRequest::new(code)).await
    }

    /// Runs `request` in the session: its code, input files (written into
    /// the work dir first), timeout and file name; its memory, network and
    /// mode must be the session's or absent. A run past its timeout is
    /// interrupted (`KeyboardInterrupt`: the state survives, the status is
    /// `timeout`); one that does not stop then ends the session.
    ///
    /// # Errors
    /// [`SandboxError::SessionEnded`] once a local session is over (a
    /// server answers 404, [`SandboxError::Server`]);
    /// [`SandboxError::InvalidRequest`] for a request out of bounds or that
    /// asks for other memory, network or mode than the session's.
    pub async fn run_request(
        &self,
        request: ExecutionRequest,
    ) -> Result<ExecutionResult, SandboxError> {
        self.run_to(request, None).await
    }

    /// Runs `request` in the session and returns its events as they happen
    /// (output, displays, then the result), as
    /// [`SandboxClient::execute_stream`](crate::SandboxClient::execute_stream).
    pub fn run_stream(&self, request: ExecutionRequest) -> ExecutionStream {
        let (output, events) = tokio::sync::mpsc::unbounded_channel();
        let session = self.clone();
        ExecutionStream::new(events, async move {
            session.run_to(request, Some(output)).await
        })
    }

    async fn run_to(
        &self,
        request: ExecutionRequest,
        output: Option<OutputSink>,
    ) -> Result<ExecutionResult, SandboxError> {
        match &self.inner {
            #[cfg(target_os = "linux")]
            Inner::Local(session) => match output {
                Some(output) => session.run_with_output(request, output).await,
                None => session.run_request(request).await,
            },
            Inner::Remote(remote) => {
                remote
                    .remote
                    .run_in_session(&remote.id, &request, output)
                    .await
            }
        }
    }

    /// Writes `contents` as `name` (a relative path) into the session's
    /// work dir, replacing a file of that name.
    ///
    /// # Errors
    /// [`SandboxError::InvalidRequest`] for a hostile name or too many
    /// bytes; [`SandboxError::SessionEnded`].
    pub async fn upload(
        &self,
        name: &str,
        contents: impl Into<Vec<u8>>,
    ) -> Result<(), SandboxError> {
        match &self.inner {
            #[cfg(target_os = "linux")]
            Inner::Local(session) => session.upload(name, contents.into()).await,
            Inner::Remote(remote) => {
                remote
                    .remote
                    .upload(&remote.id, name, contents.into())
                    .await
            }
        }
    }

    /// The contents of `name` in the session's work dir; `None` when there
    /// is no such file.
    ///
    /// # Errors
    /// [`SandboxError::InvalidRequest`] for a hostile name;
    /// [`SandboxError::SessionEnded`]; a file over the output files' cap.
    pub async fn download(&self, name: &str) -> Result<Option<Vec<u8>>, SandboxError> {
        match &self.inner {
            #[cfg(target_os = "linux")]
            Inner::Local(session) => session.download(name).await,
            Inner::Remote(remote) => remote.remote.download(&remote.id, name).await,
        }
    }

    /// The files in the session's work dir and their sizes, by name.
    ///
    /// # Errors
    /// [`SandboxError::SessionEnded`].
    pub async fn files(&self) -> Result<Vec<(String, u64)>, SandboxError> {
        match &self.inner {
            #[cfg(target_os = "linux")]
            Inner::Local(session) => session.files().await,
            Inner::Remote(remote) => remote.remote.files(&remote.id).await,
        }
    }

    /// Interrupts the run in progress, as Ctrl-C would: a
    /// `KeyboardInterrupt` in the code, whose run ends while the session
    /// and its state stay. Nothing happens between runs.
    ///
    /// # Errors
    /// A server's refusal or a connection error.
    pub async fn interrupt(&self) -> Result<(), SandboxError> {
        match &self.inner {
            #[cfg(target_os = "linux")]
            Inner::Local(session) => {
                session.interrupt();
                Ok(())
            }
            Inner::Remote(remote) => remote.remote.interrupt(&remote.id).await,
        }
    }

    /// Why a local session is over, once it is (a run that would not
    /// stop, the memory limit, the interpreter's end); `None` while it is
    /// open, and for a server's session (its calls say so).
    pub fn ended(&self) -> Option<String> {
        match &self.inner {
            #[cfg(target_os = "linux")]
            Inner::Local(session) => session.ended(),
            Inner::Remote(_) => None,
        }
    }

    /// Ends the session now, for every clone of this handle, and waits
    /// until its sandbox is gone; a run in progress ends with it (its
    /// result says so).
    ///
    /// # Errors
    /// A server's refusal (its session already ended: 404), or a
    /// connection error.
    pub async fn close(self) -> Result<(), SandboxError> {
        match self.inner {
            #[cfg(target_os = "linux")]
            Inner::Local(session) => {
                session.close().await;
                Ok(())
            }
            Inner::Remote(remote) => remote.remote.close_session(&remote.id).await,
        }
    }
}
