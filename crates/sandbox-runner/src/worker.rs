//! The runner's end of the worker protocol (`sandbox_core::protocol`,
//! `docs/workers.md`), the same in both modes: the compiled bootstrap and
//! then requests down the interpreter's stdin, reports up its descriptor 3.
//!
//! Nothing the sandbox sends is trusted: every read is bounded in size and
//! time, and a report the runner cannot take ends the run as a
//! `sandbox_error`, never a hang or a panic.

use std::os::fd::OwnedFd;
use std::time::Duration;

use sandbox_core::SandboxError;
use sandbox_core::protocol::{self, Report, Request};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::unix::pipe;

/// How the interpreter's compiler took the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Compile {
    /// It compiled and runs.
    Compiled,
    /// The compiler refused it (what the parser before it could not see).
    Refused {
        line: Option<u32>,
        column: Option<u32>,
        message: String,
        text: Option<String>,
    },
    /// The interpreter ended before saying (nothing came up its pipe).
    Ended,
    /// The interpreter broke the protocol.
    Unknown(String),
}

/// Both pipes of one interpreter.
#[derive(Debug)]
pub(crate) struct Channel {
    requests: pipe::Sender,
    reports: pipe::Receiver,
}

fn protocol_error(what: impl Into<String>) -> SandboxError {
    SandboxError::io(
        "talk to the interpreter",
        std::io::Error::other(what.into()),
    )
}

impl Channel {
    /// The channel over the runner's ends of the interpreter's stdin and of
    /// its report pipe.
    pub(crate) fn new(requests: OwnedFd, reports: OwnedFd) -> Result<Self, SandboxError> {
        let watch = |err| SandboxError::io("watch the interpreter's pipes", err);
        Ok(Self {
            requests: pipe::Sender::from_owned_fd(requests).map_err(watch)?,
            reports: pipe::Receiver::from_owned_fd(reports).map_err(watch)?,
        })
    }

    /// The channel's descriptors, to hand to another async runtime.
    #[cfg(target_os = "linux")]
    pub(crate) fn into_fds(self) -> Result<(OwnedFd, OwnedFd), SandboxError> {
        let hand_over = |err| SandboxError::io("hand over the interpreter's pipes", err);
        Ok((
            self.requests.into_nonblocking_fd().map_err(hand_over)?,
            self.reports.into_nonblocking_fd().map_err(hand_over)?,
        ))
    }

    /// Sends the compiled bootstrap (unless the interpreter has it already,
    /// as a fork server's sandbox does) and waits up to `limit` for its
    /// hello.
    ///
    /// # Errors
    /// The interpreter ended, broke the protocol, or said nothing in time.
    pub(crate) async fn start(
        &mut self,
        bootstrap: Option<&[u8]>,
        limit: Duration,
    ) -> Result<(), SandboxError> {
        let payload = bootstrap
            .map(|b| sandbox_core::plan::stdin_payload(b, b""))
            .unwrap_or_default();
        let hello = async {
            // Written while the interpreter starts; a pipe holds the whole
            // bootstrap only with the interpreter reading it.
            let write = self.requests.write_all(&payload);
            let mut read = Box::pin(read_report(&mut self.reports));
            let mut written = payload.is_empty();
            tokio::pin!(write);
            loop {
                tokio::select! {
                    done = &mut write, if !written => {
                        done.map_err(|e| SandboxError::io("send the bootstrap", e))?;
                        written = true;
                    }
                    report = &mut read => return report,
                }
            }
        };
        match tokio::time::timeout(limit, hello).await {
            Err(_) => Err(protocol_error(format!(
                "the interpreter did not start within {} s",
                limit.as_secs()
            ))),
            Ok(Ok(Some(Report::Hello { v }))) if v == protocol::VERSION => Ok(()),
            Ok(Ok(Some(Report::Hello { v }))) => Err(protocol_error(format!(
                "the interpreter speaks protocol version {v}, the runner {}",
                protocol::VERSION
            ))),
            Ok(Ok(Some(other))) => Err(protocol_error(format!(
                "the interpreter said {other:?} before hello"
            ))),
            Ok(Ok(None)) => Err(protocol_error("the interpreter ended before it started")),
            Ok(Err(err)) => Err(err),
        }
    }

    /// Sends a run request with its code; returns the report pipe, whose
    /// first report says whether the code compiled (see [`compile`]).
    ///
    /// # Errors
    /// The request could not be written (the interpreter is gone).
    pub(crate) async fn run(
        mut self,
        request: &Request,
        code: &[u8],
    ) -> Result<pipe::Receiver, SandboxError> {
        let frame = protocol::encode(request, code);
        // The interpreter reads the request before anything else; a pipe
        // buffers only part of a long program, so writing waits for it.
        self.requests
            .write_all(&frame)
            .await
            .map_err(|e| SandboxError::io("send the code", e))?;
        drop(self.requests);
        Ok(self.reports)
    }
}

/// Reads the first report after a run request: compiled or refused.
pub(crate) async fn compile(reports: &mut pipe::Receiver) -> Compile {
    match read_report(reports).await {
        Ok(Some(Report::Compiled)) => Compile::Compiled,
        Ok(Some(Report::SyntaxError {
            line,
            column,
            message,
            text,
        })) => Compile::Refused {
            line,
            column,
            message,
            text,
        },
        Ok(Some(other)) => Compile::Unknown(format!("unexpected report {other:?}")),
        Ok(None) => Compile::Ended,
        Err(err) => Compile::Unknown(err.to_string()),
    }
}

/// Reads one report; `None` at the end of the pipe.
async fn read_report(reports: &mut pipe::Receiver) -> Result<Option<Report>, SandboxError> {
    let mut prefix = [0u8; 4];
    match reports.read_exact(&mut prefix).await {
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(err) => return Err(SandboxError::io("read the interpreter's report", err)),
    }
    let length = protocol::header_length(prefix).map_err(|e| protocol_error(e.to_string()))?;
    let mut header = vec![0u8; length];
    reports
        .read_exact(&mut header)
        .await
        .map_err(|e| SandboxError::io("read the interpreter's report", e))?;
    let (report, payload) =
        protocol::decode_report(&header).map_err(|e| protocol_error(e.to_string()))?;
    // No report this runner knows carries a payload yet: skip it, bounded.
    if payload > 0 {
        let mut rest = (&mut *reports).take(payload as u64);
        tokio::io::copy(&mut rest, &mut tokio::io::sink())
            .await
            .map_err(|e| SandboxError::io("read the interpreter's report", e))?;
    }
    Ok(Some(report))
}
