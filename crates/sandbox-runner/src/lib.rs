//! Runs Python code for the sandbox.
//!
//! [`Runner::run`] takes an [`ExecutionRequest`], resolves it against the
//! [`ClientConfig`] into [`Limits`] and a [`sandbox_core::ExecutionPlan`], and
//! executes it:
//!
//! - **simple mode**: a plain child process in its own process group and a
//!   fresh temporary work dir, with rlimits (CPU, address space, file size,
//!   open files, no core dumps), a wall-clock timeout that kills the whole
//!   group, capped stdout/stderr, and output files collected without following
//!   symlinks. It does not isolate the filesystem or the network: use it for
//!   trusted code only.
//! - **secure mode** (the default): the [`secure`] module's sandbox of
//!   namespaces, a minimal read-only root, cgroup limits, landlock and
//!   seccomp. A machine that lacks a layer the configured
//!   [`sandbox_core::Isolation`] requires gets [`SandboxError::Unsupported`]
//!   naming it, never a silently weaker run.
//!
//! The supervision below is simple mode's; secure mode's stages are listed
//! in the [`secure`] module.
//!
//! Before either mode starts anything, the code is parsed
//! ([`sandbox_core::syntax`]): a syntax error is an `ok` return with status
//! `syntax_error`, its line and column, and nothing spawned.
//!
//! ## How a simple run is supervised
//! 1. Validate the request ([`Limits::resolve`]) and resolve the interpreter
//!    (a `PATH` shim such as pyenv's is resolved once to `sys.executable`).
//! 2. Create `sandbox-XXXXXX/{work,tmp}` and write the input files.
//! 3. Spawn `python -I -B -u -X utf8 -c BOOTSTRAP` with a cleared environment,
//!    in a new process group. The bootstrap first reads the code from stdin,
//!    so the rlimits, applied with `prlimit(2)` right after the spawn, are in
//!    force before any user code runs; no code runs between `fork` and `exec`
//!    in this (possibly multithreaded) process.
//! 4. Feed the code, read both output streams with a cap (past it the group
//!    is killed: `output_limit`), wait with a wall-clock timeout (past it the
//!    group is killed: `timeout`).
//! 5. When the leader exits, kill whatever it left in its group, then reap it
//!    with `wait4(2)` for CPU time and peak memory.
//! 6. Collect output files, remove the work dir (also when the caller drops
//!    the future half-way), classify the outcome.
//!
//! All `unsafe` code lives in the private `sys` module. Secure mode's child
//! is clone-based rather than a re-executed helper: after `clone(2)` it makes
//! only async-signal-safe raw syscalls on data prepared in the parent, so the
//! runner is safe inside multithreaded hosts and needs no extra binary.

// The runner passes numbers across the syscall boundary, where a silent
// truncation or sign change is a bug: every conversion says how it cannot
// fail, or what happens when it does.
#![warn(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    clippy::cast_lossless
)]
#![warn(clippy::missing_errors_doc)]

#[cfg(target_os = "linux")]
mod beneath;
mod budget;
mod capture;
mod classify;
mod collect;
mod disk_cache;
pub mod interpreter;
#[cfg(target_os = "linux")]
mod pool;
mod pool_stats;
mod process;
pub mod secure;
#[cfg(target_os = "linux")]
mod session;
mod simple;
mod stale;
mod sys;
pub mod workdir;
mod worker;

use std::sync::Arc;

use sandbox_core::Status;
use sandbox_core::policy::{self, Rejection};

pub use capture::OutputSink;
pub use pool_stats::PoolStats;
pub use sandbox_core::{
    ClientConfig, ExecutionMode, ExecutionRequest, ExecutionResult, Limits, SandboxError,
    SessionOptions,
};
#[cfg(target_os = "linux")]
pub use session::Session;
pub use stale::{Swept, sweep_stale};

/// Waits up to `limit` for the host-side clean-up of closed pools, of the
/// ends of pooled runs and of abandoned runs (cgroups removed on background
/// threads) to finish: call it before a process that ran code exits, so it
/// leaves nothing behind.
pub fn wait_for_cleanup(limit: std::time::Duration) {
    let start = std::time::Instant::now();
    #[cfg(target_os = "linux")]
    {
        pool::wait_for_closing(limit);
        secure::session::wait_for_tails(limit.saturating_sub(start.elapsed()));
    }
    secure::cgroup::wait_for_removals(limit.saturating_sub(start.elapsed()));
}

/// Waits until `counter` (work still running on other threads or tasks)
/// is zero, at most `limit`, polling every 2 ms.
pub(crate) fn wait_for_zero(counter: &std::sync::atomic::AtomicUsize, limit: std::time::Duration) {
    let start = std::time::Instant::now();
    while counter.load(std::sync::atomic::Ordering::SeqCst) > 0 && start.elapsed() < limit {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// `limit` lowered to this process's own hard limit where that is lower: an
/// unprivileged process cannot raise a hard limit, and a child inherits the
/// parent's. Asking for more than the host allows would fail the run.
pub(crate) fn within_host_limit(
    mut limit: sandbox_core::plan::Rlimit,
) -> sandbox_core::plan::Rlimit {
    if let Ok((_, hard)) = rlimit::getrlimit(process::to_rlimit(limit.resource)) {
        limit.hard = limit.hard.min(hard);
        limit.soft = limit.soft.min(limit.hard);
    }
    limit
}

/// Runs filesystem work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, SandboxError> + Send + 'static,
) -> Result<T, SandboxError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| SandboxError::io("run a filesystem task", std::io::Error::other(err)))?
}

/// Milliseconds with microsecond precision: enough for timings, and exact
/// through a JSON round trip.
pub(crate) fn millis(duration: std::time::Duration) -> f64 {
    (duration.as_micros() as f64) / 1000.0
}

/// Runs requests locally with one configuration's defaults. Cheap to clone;
/// one runner serves any number of concurrent executions.
#[derive(Debug, Clone)]
pub struct Runner {
    config: Arc<ClientConfig>,
    /// Prepared secure sandboxes, when `config.pool_size` asks for them;
    /// shared by the runner's clones, ended with the last one.
    #[cfg(target_os = "linux")]
    pool: Option<Arc<pool::Pool>>,
}

impl Default for Runner {
    /// A runner with the default configuration (always valid; no pool).
    fn default() -> Self {
        Self {
            config: Arc::new(ClientConfig::default()),
            #[cfg(target_os = "linux")]
            pool: None,
        }
    }
}

impl Runner {
    /// A runner with `config`'s defaults, after checking them. With a
    /// `pool_size`, secure sandboxes are prepared in the background from
    /// the first request of each shape on (see [`Runner::warm`]).
    ///
    /// # Errors
    ///
    /// [`SandboxError::Config`] when a field of `config` is out of range.
    pub fn new(config: ClientConfig) -> Result<Self, SandboxError> {
        config.validate()?;
        Ok(Self {
            #[cfg(target_os = "linux")]
            pool: pool::Pool::new(config.pool_size).map(Arc::new),
            config: Arc::new(config),
        })
    }

    /// Prepares the pool's sandboxes for the default request shape now, so
    /// the first requests find them ready. Nothing to do without a pool or
    /// where secure mode cannot run (runs then say why).
    ///
    /// # Errors
    ///
    /// [`SandboxError`] when the interpreter cannot be resolved or the default
    /// request cannot be planned.
    pub async fn warm(&self) -> Result<(), SandboxError> {
        #[cfg(target_os = "linux")]
        if let Some(pool) = &self.pool
            && self.config.mode == ExecutionMode::Secure
        {
            secure::warm(pool, &self.config).await?;
        }
        Ok(())
    }

    /// What the pool did so far; `None` without a pool.
    pub fn pool_stats(&self) -> Option<PoolStats> {
        #[cfg(target_os = "linux")]
        return self.pool.as_ref().map(|pool| pool.stats());
        #[cfg(not(target_os = "linux"))]
        None
    }

    /// Makes a session: one secure sandbox kept for its owner, running
    /// request after request in one interpreter, so variables, imports and
    /// files persist between runs (a code interpreter's session). Its
    /// memory, network and policy are fixed by `options` and this runner's
    /// configuration; each run has its own timeout. Sessions run in secure
    /// mode, whatever the configuration's default mode.
    ///
    /// # Errors
    ///
    /// [`SandboxError::InvalidRequest`] for options out of bounds or input
    /// files the policy refuses; [`SandboxError::Unsupported`] where secure
    /// mode cannot run; [`SandboxError::Interpreter`] without a usable
    /// interpreter.
    #[cfg(target_os = "linux")]
    pub async fn open_session(&self, options: SessionOptions) -> Result<Session, SandboxError> {
        Session::open(self.config.clone(), options, session::DEFAULT_MAX_LIFETIME).await
    }

    /// Ends the pool's waiting sandboxes and stops preparing more (runs
    /// from then on start cold); returns when they are gone. For a server
    /// shutting down; dropping the last clone of the runner does the same
    /// without waiting.
    pub async fn close_pool(&self) {
        #[cfg(target_os = "linux")]
        if let Some(pool) = &self.pool {
            pool.close().await;
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Runs one request. An `Err` means the request could not be tried at
    /// all (invalid request, no interpreter, an unsupported mode); a program
    /// that ran and failed is an `Ok` result with a non-`ok` status, and so
    /// is a sandbox that could not be set up (`sandbox_error`, saying which
    /// step failed).
    ///
    /// # Errors
    ///
    /// [`SandboxError::InvalidRequest`] for a request out of bounds,
    /// [`SandboxError::Interpreter`] without a usable interpreter,
    /// [`SandboxError::Unsupported`] for a mode this host cannot give.
    pub async fn run(&self, request: ExecutionRequest) -> Result<ExecutionResult, SandboxError> {
        self.run_to(request, None).await
    }

    /// Runs one request as [`run`](Self::run) does, sending what the
    /// program writes to `output` while it runs (stdout and stderr events,
    /// whole characters only). The events carry what the result keeps,
    /// within the same caps; text the runner writes itself (a refusal's
    /// diagnostics, a sandbox error) is only in the result.
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run).
    pub async fn run_with_output(
        &self,
        request: ExecutionRequest,
        output: OutputSink,
    ) -> Result<ExecutionResult, SandboxError> {
        self.run_to(request, Some(output)).await
    }

    async fn run_to(
        &self,
        request: ExecutionRequest,
        output: Option<OutputSink>,
    ) -> Result<ExecutionResult, SandboxError> {
        stale::sweep_once(self.config.work_root.as_deref());
        let limits = Limits::resolve(&request, &self.config)?;
        let policy = self.config.policy_for(limits.mode);
        if let Err(rejection) = policy::validate_request(&request, policy) {
            let main = request.file_name().to_owned();
            let rejection = match policy {
                Some(policy) if names_alternatives(&rejection) => {
                    let (python, policy) = (self.config.python.clone(), policy.clone());
                    tokio::task::spawn_blocking(move || {
                        explained(&request, &policy, python.as_deref())
                    })
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or(rejection)
                }
                _ => rejection,
            };
            return Ok(refused(rejection, limits.mode, &main));
        }
        let guard = policy.and_then(|policy| {
            let local = policy::local_modules(request.input_files.keys().map(String::as_str));
            policy::guard_spec(policy, &local, limits.allow_network)
        });
        let mode = limits.mode;
        let outcome = match mode {
            ExecutionMode::Simple => {
                simple::run(request, limits, &self.config, guard, output).await
            }
            ExecutionMode::Secure => {
                #[cfg(target_os = "linux")]
                let pool = self.pool.as_deref();
                #[cfg(not(target_os = "linux"))]
                let pool = None;
                secure::run(request, limits, &self.config, guard, pool, output).await
            }
        };
        match outcome {
            Err(SandboxError::Io { action, source }) => Ok(sandbox_failed(
                mode,
                match action.strip_prefix("set up the sandbox: ") {
                    Some(step) => format!("the sandbox could not be set up: {step}: {source}"),
                    None => format!("the sandbox could not {action}: {source}"),
                },
            )),
            other => other,
        }
    }
}

/// Whether `rejection` refuses an import, and so lists allowed modules.
pub fn names_alternatives(rejection: &Rejection) -> bool {
    matches!(rejection, Rejection::Policy(found)
        if found.iter().any(|d| d.rule == policy::Rule::BlockedImport))
}

/// `request` checked again against `policy` told which modules the
/// interpreter `python` has, so that refused imports list only allowed
/// modules that can really be imported; `None` when the interpreter cannot
/// be asked or the code passes. Blocking: it may start the interpreter.
pub fn explained(
    request: &ExecutionRequest,
    policy: &policy::Policy,
    python: Option<&std::path::Path>,
) -> Option<Rejection> {
    let installed = interpreter::installed_modules(python).ok()?;
    let policy = policy.clone().with_installed(installed);
    policy::validate_request(request, Some(&policy)).err()
}

/// The result of a run whose sandbox failed before or around the program:
/// status `sandbox_error`, no return code, and what failed.
fn sandbox_failed(mode: ExecutionMode, message: String) -> ExecutionResult {
    tracing::debug!(%message, "sandbox failure");
    let mut result = ExecutionResult::new(Status::SandboxError, mode);
    result.stderr = format!("sandbox error: {message}\n");
    result.message = Some(if mode == ExecutionMode::Secure {
        format!("{message} (run `sandbox doctor` to see what this host allows)")
    } else {
        message
    });
    result
}

/// The result for code the interpreter's compiler refused (what the parser
/// before it could not see): a `syntax_error` like the parser's, naming the
/// line when the compiler gave one.
pub(crate) fn compile_refused(
    mode: ExecutionMode,
    main: &str,
    code: &str,
    (line, column): (Option<u32>, Option<u32>),
    message: &str,
    text: Option<&str>,
) -> ExecutionResult {
    let known = line.is_some();
    let line = line.unwrap_or(1).max(1);
    let column = column.unwrap_or(1).max(1);
    // The compiler leaves the line out of some errors; the code has it.
    let text = text.or_else(|| known.then(|| code.lines().nth(line as usize - 1)).flatten());
    let issue = sandbox_core::syntax::SyntaxIssue {
        line,
        column,
        message: message.to_owned(),
        excerpt: sandbox_core::diagnostic::Excerpt::new(text.unwrap_or(""), column, 1),
    };
    refused(Rejection::Syntax { file: None, issue }, mode, main)
}

/// The result for code refused before running: a syntax error (rendered as
/// Python would) or policy violations (rendered as a linter would), with
/// nothing spawned. `main` is the name the main code runs as.
fn refused(rejection: Rejection, mode: ExecutionMode, main: &str) -> ExecutionResult {
    let violations = rejection.violations();
    let mut result = match rejection {
        Rejection::Syntax { file, issue } => {
            let mut result = ExecutionResult::new(Status::SyntaxError, mode);
            let place = file
                .as_deref()
                .map(|f| format!(" in `{f}`"))
                .unwrap_or_default();
            result.message = Some(format!(
                "syntax error{place} at line {}, column {}: {}; nothing ran",
                issue.line, issue.column, issue.message
            ));
            result.stderr = issue.render(file.as_deref().unwrap_or(main));
            result
        }
        Rejection::Policy(diagnostics) => {
            let mut result = ExecutionResult::new(Status::PolicyViolation, mode);
            let n = diagnostics.len();
            result.message = Some(format!(
                "the code breaks the sandbox policy ({n} violation{}); nothing ran",
                if n == 1 { "" } else { "s" }
            ));
            result.stderr = policy::render_diagnostics(main, &diagnostics);
            result
        }
    };
    result.violations = violations;
    result
}
