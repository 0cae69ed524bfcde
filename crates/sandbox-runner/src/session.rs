//! Sessions: one secure sandbox kept for one owner, running request after
//! request in one interpreter (see `secure::session::kept`). The code
//! interpreter's state (variables, imports, files in the work dir)
//! persists from one run to the next; memory, network and policy are fixed
//! when the session is made, each run has its own timeout.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use sandbox_core::files::validate_file_name;
use sandbox_core::policy;
use sandbox_core::{
    ClientConfig, ExecutionMode, ExecutionRequest, ExecutionResult, Limits, RequestError,
    SandboxError, SessionOptions,
};
use tokio::sync::Mutex;

use crate::OutputSink;
use crate::secure::session::{Interrupter, Kept};

/// How long a session may live at most unless its owner says otherwise:
/// its CPU limit (each run's time is bounded by its own timeout).
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(60 * 60);

/// One kept sandbox. Runs are served one at a time, in order. Dropping
/// the session kills its sandbox; [`Session::close`] also waits until what
/// it left on the host is removed.
///
/// A run goes on in a task of its own, so a caller that stops waiting for
/// it (a dropped future, a client that went away) interrupts it as Ctrl-C
/// would and the session stays usable; the run's timeout still holds.
#[derive(Debug)]
pub struct Session {
    /// `None` once closed.
    kept: Arc<Mutex<Option<Kept>>>,
    interrupter: Interrupter,
    config: std::sync::Arc<ClientConfig>,
    /// The session's own limits: memory, network, output caps, and each
    /// run's default timeout.
    limits: Limits,
}

impl Session {
    /// Makes a session under `config` with `options`.
    pub(crate) async fn open(
        config: std::sync::Arc<ClientConfig>,
        options: SessionOptions,
        lifetime: Duration,
    ) -> Result<Self, SandboxError> {
        let probe = ExecutionRequest {
            code: String::new(),
            mode: Some(ExecutionMode::Secure),
            timeout: options.timeout,
            memory_mb: options.memory_mb,
            allow_network: options.allow_network,
            input_files: options.input_files,
            filename: None,
        };
        let limits = Limits::resolve(&probe, &config)?;
        let policy = config.policy_for(ExecutionMode::Secure);
        if let Some(policy) = policy {
            policy::validate_request(&probe, Some(policy)).map_err(rejected)?;
        }
        let guard = policy.and_then(|policy| {
            let local = policy::local_modules(probe.input_files.keys().map(String::as_str));
            policy::session_guard_spec(policy, &local, limits.allow_network)
        });
        let kept = crate::secure::open_session(&limits, lifetime, &config, guard).await?;
        kept.put_files(probe.input_files).await?;
        Ok(Self {
            interrupter: kept.interrupter(),
            kept: Arc::new(Mutex::new(Some(kept))),
            config,
            limits,
        })
    }

    /// Runs `code` in the session.
    ///
    /// # Errors
    /// As [`Session::run_request`].
    pub async fn run(&self, code: impl Into<String>) -> Result<ExecutionResult, SandboxError> {
        self.run_request(ExecutionRequest::new(code)).await
    }

    /// Runs `request` in the session: its code, input files (written into
    /// the work dir first, replacing files of the same names), timeout and
    /// file name. Its memory, network and mode must be the session's (or
    /// absent).
    ///
    /// # Errors
    /// [`SandboxError::SessionEnded`] once the session is over;
    /// [`SandboxError::InvalidRequest`] for a request out of bounds or one
    /// that asks for other memory, network or mode than the session's.
    pub async fn run_request(
        &self,
        request: ExecutionRequest,
    ) -> Result<ExecutionResult, SandboxError> {
        self.run_to(request, None).await
    }

    /// Runs `request` as [`Session::run_request`] does, sending its output
    /// and displays to `output` as they come.
    ///
    /// # Errors
    /// As [`Session::run_request`].
    pub async fn run_with_output(
        &self,
        request: ExecutionRequest,
        output: OutputSink,
    ) -> Result<ExecutionResult, SandboxError> {
        self.run_to(request, Some(output)).await
    }

    async fn run_to(
        &self,
        mut request: ExecutionRequest,
        output: Option<OutputSink>,
    ) -> Result<ExecutionResult, SandboxError> {
        let fixed = |field: &'static str, asked: String, fixed: String| {
            SandboxError::InvalidRequest(RequestError::FixedBySession {
                field,
                asked,
                fixed,
            })
        };
        if let Some(mode) = request.mode {
            return Err(fixed("mode", mode.to_string(), "secure".into()));
        }
        if let Some(memory) = request.memory_mb {
            return Err(fixed(
                "memory_mb",
                memory.to_string(),
                self.limits.memory_mb.to_string(),
            ));
        }
        if let Some(net) = request.allow_network {
            return Err(fixed(
                "allow_network",
                net.to_string(),
                self.limits.allow_network.to_string(),
            ));
        }
        request.mode = Some(ExecutionMode::Secure);
        request.memory_mb = Some(self.limits.memory_mb);
        request.allow_network = Some(self.limits.allow_network);
        if request.timeout.is_none() {
            request.timeout = Some(self.limits.timeout);
        }
        let limits = Limits::resolve(&request, &self.config)?;
        let mut held = Arc::clone(&self.kept).lock_owned().await;
        let kept = open(&mut held)?;
        if let Some(policy) = self.config.policy_for(ExecutionMode::Secure) {
            // The session's own modules count as local, as the guard
            // counts them.
            let mut checked = request.clone();
            for (name, _) in kept.files().await? {
                checked.input_files.entry(name).or_default();
            }
            if let Err(rejection) = policy::validate_request(&checked, Some(policy)) {
                return Ok(crate::refused(
                    rejection,
                    ExecutionMode::Secure,
                    request.file_name(),
                ));
            }
        }
        let run = tokio::spawn(async move {
            let kept = open(&mut held)?;
            kept.run(request, &limits, output).await
        });
        let abandoned = Abandoned {
            interrupter: &self.interrupter,
            armed: true,
        };
        let outcome = run.await;
        abandoned.disarm();
        outcome.unwrap_or_else(|err| {
            Err(SandboxError::io(
                "run code in the session",
                std::io::Error::other(err.to_string()),
            ))
        })
    }

    /// Writes `contents` as `name` (a relative path) into the session's work
    /// dir, replacing a file of that name.
    ///
    /// # Errors
    /// [`SandboxError::InvalidRequest`] for a hostile name or a file over
    /// the input limit; [`SandboxError::SessionEnded`].
    pub async fn upload(&self, name: &str, contents: Vec<u8>) -> Result<(), SandboxError> {
        validate_file_name(name)?;
        if contents.len() as u64 > sandbox_core::bounds::MAX_INPUT_BYTES {
            return Err(RequestError::too_many_bytes(contents.len() as u64).into());
        }
        let mut kept = self.kept.lock().await;
        open(&mut kept)?
            .put_files(BTreeMap::from([(name.to_owned(), contents)]))
            .await
    }

    /// The contents of `name` in the session's work dir; `None` when there
    /// is no such regular file.
    ///
    /// # Errors
    /// [`SandboxError::InvalidRequest`] for a hostile name;
    /// [`SandboxError::SessionEnded`]; a file over the output files' size
    /// cap.
    pub async fn download(&self, name: &str) -> Result<Option<Vec<u8>>, SandboxError> {
        validate_file_name(name)?;
        let mut kept = self.kept.lock().await;
        open(&mut kept)?
            .get_file(name, self.limits.max_output_files_bytes)
            .await
    }

    /// The regular files in the session's work dir and their sizes, by name.
    ///
    /// # Errors
    /// [`SandboxError::SessionEnded`].
    pub async fn files(&self) -> Result<Vec<(String, u64)>, SandboxError> {
        open(&mut *self.kept.lock().await)?.files().await
    }

    /// Interrupts the run in progress, as Ctrl-C would: a
    /// `KeyboardInterrupt` in the code, whose run ends (status `error`)
    /// while the session and its state stay. Nothing happens between runs.
    pub fn interrupt(&self) {
        self.interrupter.interrupt();
    }

    /// Why the session is over, once it is (a run that would not stop, the
    /// memory limit, the interpreter's end, [`Session::close`]); answered
    /// at once, even while a run holds the session.
    pub fn ended(&self) -> Option<String> {
        self.interrupter.ended()
    }

    /// The session's limits: memory, network, output caps, and each run's
    /// default timeout.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Ends the session now and waits until its sandbox is gone. A run in
    /// progress is killed (its result says the session was closed); later
    /// calls get [`SandboxError::SessionEnded`].
    pub async fn close(&self) {
        self.interrupter.kill("it was closed");
        let kept = self.kept.lock().await.take();
        if let Some(kept) = kept {
            kept.close().await;
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // A run's task may still hold the sandbox: kill it now.
        self.interrupter.kill("it was dropped");
    }
}

/// The kept sandbox, unless the session was closed.
fn open(kept: &mut Option<Kept>) -> Result<&mut Kept, SandboxError> {
    kept.as_mut().ok_or_else(|| SandboxError::SessionEnded {
        reason: "it was closed".to_owned(),
    })
}

/// Interrupts a session's run whose caller stopped waiting for it; the
/// run's own task reads it to its end, so the session stays in step.
struct Abandoned<'a> {
    interrupter: &'a Interrupter,
    armed: bool,
}

impl Abandoned<'_> {
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for Abandoned<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.interrupter.interrupt();
        }
    }
}

/// A session's input file the policy refuses, as an invalid request.
fn rejected(rejection: policy::Rejection) -> SandboxError {
    let violations = rejection.violations();
    let name = violations
        .iter()
        .find_map(|v| v.file.clone())
        .unwrap_or_default();
    let diagnostic = violations
        .iter()
        .map(|v| format!("line {}: {}", v.line, v.message))
        .collect::<Vec<_>>()
        .join("; ");
    RequestError::Policy { name, diagnostic }.into()
}
