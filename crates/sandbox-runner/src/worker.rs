//! The runner's end of the worker protocol (`sandbox_core::protocol`,
//! `docs/workers.md`), the same in both modes: the compiled bootstrap and
//! then requests down the interpreter's stdin, reports up its descriptor 3.
//!
//! Nothing the sandbox sends is trusted: every read is bounded in size and
//! time, and a report the runner cannot take ends the run as a
//! `sandbox_error`, never a hang or a panic.

use std::os::fd::OwnedFd;
use std::time::Duration;

use sandbox_core::protocol::{self, Report, Request};
use sandbox_core::{ExecutionEvent, MimeBundle, SandboxError};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::unix::pipe;
use tokio::sync::watch;

use crate::OutputSink;
use crate::budget::ResultBudget;

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

/// What a run showed (its `display` reports), as far as the result
/// budget took it.
#[derive(Debug, Default)]
pub(crate) struct Shown {
    /// The bundles, in the order shown.
    pub(crate) bundles: Vec<MimeBundle>,
    /// Bundles left out because the result was full.
    pub(crate) left_out: usize,
    /// Why the rest of the reports were ignored: the program wrote
    /// something that is not a display report on the report pipe.
    pub(crate) broken: Option<String>,
}

impl Shown {
    /// What the result's message says about displays left out.
    pub(crate) fn note(&self) -> Option<String> {
        match (self.left_out, &self.broken) {
            (0, None) => None,
            (0, Some(why)) => Some(format!("later displayed objects were ignored: {why}")),
            (n, _) => Some(format!(
                "{n} displayed object{} left out: the result reached its size cap",
                if n == 1 { " was" } else { "s were" }
            )),
        }
    }
}

/// Reads a run's reports: whether the code compiled, then what it shows
/// until the pipe ends or `stop` (the program's end and a grace). Each
/// bundle is checked, charged to `budget` (as the JSON it becomes) and
/// sent to `output` as it comes; bundles past the budget are read and
/// dropped, so a program never blocks on a full pipe.
pub(crate) async fn reports(
    mut reports: pipe::Receiver,
    budget: ResultBudget,
    output: Option<OutputSink>,
    mut stop: watch::Receiver<bool>,
) -> (Compile, Shown) {
    let compile = compile(&mut reports).await;
    let mut shown = Shown::default();
    if compile != Compile::Compiled {
        return (compile, shown);
    }
    let read = async {
        if let RunEnd::Done(_) =
            read_shown(&mut reports, &budget, output.as_ref(), &mut shown).await
        {
            shown.broken = Some("the program sent a done report".into());
        }
        if shown.broken.is_some() {
            // Read on and drop, so the program is not blocked.
            let _ = tokio::io::copy(&mut reports, &mut tokio::io::sink()).await;
        }
    };
    tokio::select! {
        () = read => {}
        _ = stop.wait_for(|stop| *stop) => {}
    }
    (compile, shown)
}

/// How a session's run ended, as its reports tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RunEnd {
    /// The worker reported the run's end, with its exit status.
    Done(i32),
    /// The report pipe closed: the worker is gone.
    Closed,
    /// The reports broke the protocol (`Shown::broken` says how).
    Broken,
}

/// Reads a session run's reports: whether the code compiled, what it
/// shows, then its end. A run the compiler refused ends there.
#[cfg(target_os = "linux")]
pub(crate) async fn session_reports(
    reports: &mut pipe::Receiver,
    budget: &ResultBudget,
    output: Option<&OutputSink>,
) -> (Compile, Shown, RunEnd) {
    let compile = compile(reports).await;
    let mut shown = Shown::default();
    let end = match &compile {
        Compile::Compiled => read_shown(reports, budget, output, &mut shown).await,
        Compile::Refused { .. } => RunEnd::Done(1),
        Compile::Ended => RunEnd::Closed,
        Compile::Unknown(why) => {
            shown.broken = Some(why.clone());
            RunEnd::Broken
        }
    };
    (compile, shown, end)
}

/// Reads display reports into `shown` until the pipe ends, a `done`
/// report, or one that breaks the protocol.
async fn read_shown(
    reports: &mut pipe::Receiver,
    budget: &ResultBudget,
    output: Option<&OutputSink>,
    shown: &mut Shown,
) -> RunEnd {
    loop {
        match read_display(reports, budget).await {
            Ok(Frame::End) => return RunEnd::Closed,
            Ok(Frame::Done(status)) => return RunEnd::Done(status),
            Ok(Frame::Shown(Some(bundle))) => {
                if let Some(sink) = output {
                    let _ = sink.send(ExecutionEvent::Display {
                        data: bundle.clone(),
                    });
                }
                shown.bundles.push(bundle);
            }
            Ok(Frame::Shown(None)) => shown.left_out += 1,
            Err(why) => {
                shown.broken = Some(why);
                return RunEnd::Broken;
            }
        }
    }
}

/// A report after `compiled`.
enum Frame {
    /// The pipe ended.
    End,
    /// A session's run ended.
    Done(i32),
    /// A bundle, or `None` when the budget has no room for it.
    Shown(Option<MimeBundle>),
}

/// Reads one report after `compiled`: a display (checked and charged to
/// `budget`), a session run's end, or the pipe's end.
async fn read_display(
    reports: &mut pipe::Receiver,
    budget: &ResultBudget,
) -> Result<Frame, String> {
    let Some((report, payload)) = read_header(reports).await.map_err(|e| e.to_string())? else {
        return Ok(Frame::End);
    };
    match report {
        Report::Display => {}
        Report::Done { status } if payload == 0 => return Ok(Frame::Done(status)),
        other => return Err(format!("the program sent a {other:?} report")),
    }
    let read_err = |e: std::io::Error| format!("a display report was cut short: {e}");
    // The bundle's JSON in the result is about as long as its report.
    if payload as u64 >= budget.left() {
        let mut rest = (&mut *reports).take(payload as u64);
        tokio::io::copy(&mut rest, &mut tokio::io::sink())
            .await
            .map_err(read_err)?;
        return Ok(Frame::Shown(None));
    }
    let mut data = vec![0u8; payload];
    reports.read_exact(&mut data).await.map_err(read_err)?;
    let bundle = MimeBundle::from_report(&data).map_err(|e| e.to_string())?;
    let cost = serde_json::to_vec(&bundle).map_or(u64::MAX, |json| json.len() as u64 + 1);
    Ok(Frame::Shown(budget.take(cost).then_some(bundle)))
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

/// Reads one report, skipping its payload; `None` at the end of the pipe.
async fn read_report(reports: &mut pipe::Receiver) -> Result<Option<Report>, SandboxError> {
    let Some((report, payload)) = read_header(reports).await? else {
        return Ok(None);
    };
    if payload > 0 {
        let mut rest = (&mut *reports).take(payload as u64);
        tokio::io::copy(&mut rest, &mut tokio::io::sink())
            .await
            .map_err(|e| SandboxError::io("read the interpreter's report", e))?;
    }
    Ok(Some(report))
}

/// Reads one report's header: the report, and how many payload bytes
/// follow it; `None` at the end of the pipe.
async fn read_header(
    reports: &mut pipe::Receiver,
) -> Result<Option<(Report, usize)>, SandboxError> {
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
    protocol::decode_report(&header)
        .map(Some)
        .map_err(|e| protocol_error(e.to_string()))
}
