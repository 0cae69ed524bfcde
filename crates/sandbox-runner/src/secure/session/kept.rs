//! A kept sandbox: one prepared secure sandbox that runs request after
//! request in one interpreter, a code interpreter's session. Variables,
//! imports and the work dir's files persist between runs; each run has its
//! own timeout, output caps and result, as a one-shot run's.
//!
//! A run past its timeout (or its output cap) is interrupted as Ctrl-C
//! would (`SIGINT` to the program: a `KeyboardInterrupt`, so the state
//! survives); if its `done` report does not come within
//! [`INTERRUPT_GRACE`], the sandbox is killed and the session is over. A
//! program that ends (the memory limit's OOM kill, `os._exit`) ends it too.
//! Files go in and out through the work dir's descriptor, never by path
//! (see [`crate::beneath`]): the program runs on between requests.

use std::os::fd::{AsFd as _, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use nix::unistd::Pid;
use sandbox_core::protocol::{self, Request};
use sandbox_core::{ExecutionRequest, ExecutionResult, Isolation, Limits, SandboxError, Status};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::unix::pipe;
use tokio::sync::watch;

use super::cleanup::Leftovers;
use super::{Init, Prepared, Sandbox, io_err, program_pid};
use crate::beneath;
use crate::blocking;
use crate::budget::ResultBudget;
use crate::capture::{Keeper, Stream, Tee, capture_run};
use crate::classify::{Observed, classify};
use crate::sys::sandbox::ProgramStatus;
use crate::sys::{self, Exit};
use crate::worker::{self, Compile, RunEnd};

/// How long an interrupted run gets to end before the session is killed.
pub(crate) const INTERRUPT_GRACE: Duration = Duration::from_secs(2);

/// How long init gets to report the program's end once the report pipe
/// closed.
const STATUS_GRACE: Duration = Duration::from_secs(1);

/// Why a session is over, once it is: shared by the session and its
/// [`Interrupter`], so it can be read and set without waiting for a run.
type EndReason = Arc<std::sync::Mutex<Option<String>>>;

fn lock_reason(reason: &EndReason) -> std::sync::MutexGuard<'_, Option<String>> {
    reason
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Reaches a kept sandbox while a run holds it: interrupts its running
/// code (`SIGINT` to its program: a `KeyboardInterrupt` in the run; between
/// runs the worker ignores it), or ends the session at once.
#[derive(Debug, Clone)]
pub(crate) struct Interrupter {
    init: Arc<Init>,
    ended: EndReason,
}

impl Interrupter {
    /// Interrupts the run in progress, if any.
    pub(crate) fn interrupt(&self) {
        if let Some(program) = program_pid(self.init.pid().as_raw()) {
            let _ = nix::sys::signal::kill(Pid::from_raw(program), Signal::SIGINT);
        }
    }

    /// Ends the session now, for `why` (unless it ended already): its
    /// sandbox is killed, a run in progress ends with it.
    pub(crate) fn kill(&self, why: &str) {
        lock_reason(&self.ended).get_or_insert_with(|| why.to_owned());
        self.init.signal(Signal::SIGKILL);
    }

    /// Why the session is over, once it is.
    pub(crate) fn ended(&self) -> Option<String> {
        lock_reason(&self.ended).clone()
    }
}

/// Ends the session if a run is dropped before it finished (its caller
/// went away): its frames would otherwise be read as the next run's.
struct InFlight<'a> {
    interrupter: &'a Interrupter,
    finished: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.interrupter
                .kill("a run was abandoned before it finished");
        }
    }
}

/// A sandbox kept for a session. Dropping it kills the sandbox and removes
/// what it left on the host.
pub(crate) struct Kept {
    /// Dropped last: kills init and cleans up.
    sandbox: Sandbox,
    /// Its init, and why the session ended.
    control: Interrupter,
    requests: pipe::Sender,
    reports: pipe::Receiver,
    stdout: pipe::Receiver,
    stderr: pipe::Receiver,
    status: pipe::Receiver,
    /// Held until the end: init waits on it once the program ended.
    _release: OwnedFd,
    work_dir: OwnedFd,
    isolation: Isolation,
    unused: Vec<&'static str>,
    guard: Option<String>,
    runs: u32,
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kept")
            .field("init", &self.control.init.pid())
            .field("runs", &self.runs)
            .field("ended", &self.control.ended())
            .finish_non_exhaustive()
    }
}

impl Kept {
    /// Keeps `prepared` (waiting at its hello) for a session whose runs
    /// install `guard` once, before the first one.
    ///
    /// # Errors
    /// The sandbox's descriptors could not be taken over.
    pub(crate) fn new(prepared: Prepared, guard: Option<String>) -> Result<Self, SandboxError> {
        let Prepared {
            recipe,
            sandbox,
            requests,
            reports,
            stdout,
            stderr,
            status,
            release,
            work_dir,
        } = prepared;
        let init = sandbox.init.clone().ok_or_else(|| {
            SandboxError::io("keep the sandbox", std::io::Error::other("no init"))
        })?;
        let watch =
            |fd| pipe::Receiver::from_owned_fd(fd).map_err(io_err("watch the sandbox's pipes"));
        Ok(Self {
            control: Interrupter {
                init,
                ended: EndReason::default(),
            },
            requests: pipe::Sender::from_owned_fd(requests)
                .map_err(io_err("watch the sandbox's pipes"))?,
            reports: watch(reports)?,
            stdout: watch(stdout)?,
            stderr: watch(stderr)?,
            status: watch(status)?,
            _release: release,
            work_dir: OwnedFd::from(work_dir),
            isolation: recipe.isolation,
            unused: recipe.unused.clone(),
            guard,
            runs: 0,
            sandbox,
        })
    }

    /// What interrupts the session's running code (as Ctrl-C), usable
    /// while a run holds the session.
    pub(crate) fn interrupter(&self) -> Interrupter {
        self.control.clone()
    }

    /// Ends the session for `why`; its sandbox is killed.
    fn end(&self, why: String) -> String {
        let mut reason = lock_reason(&self.control.ended);
        let why = reason.get_or_insert(why).clone();
        drop(reason);
        self.control.init.signal(Signal::SIGKILL);
        why
    }

    /// The work dir's descriptor, for work on a blocking thread.
    fn work(&self) -> Result<OwnedFd, SandboxError> {
        self.work_dir
            .try_clone()
            .map_err(io_err("open the session's work dir"))
    }

    fn ids(&self) -> (u32, u32) {
        self.sandbox.host_ids()
    }

    fn refuse_if_ended(&self) -> Result<(), SandboxError> {
        match self.control.ended() {
            Some(reason) => Err(SandboxError::SessionEnded { reason }),
            None => Ok(()),
        }
    }

    /// Writes `files` into the work dir, as the sandbox's user, replacing
    /// files of the same names.
    ///
    /// # Errors
    /// [`SandboxError::SessionEnded`], or a file could not be written.
    pub(crate) async fn put_files(
        &self,
        files: std::collections::BTreeMap<String, Vec<u8>>,
    ) -> Result<(), SandboxError> {
        self.refuse_if_ended()?;
        if files.is_empty() {
            return Ok(());
        }
        let (work, (uid, gid)) = (self.work()?, self.ids());
        blocking(move || {
            sys::as_fs_user(uid, gid, || {
                for (name, bytes) in &files {
                    beneath::write(work.as_fd(), name, bytes).map_err(|e| refused(name, e))?;
                }
                Ok(())
            })
        })
        .await
    }

    /// The contents of `name` in the work dir, if it is a regular file of
    /// at most `limit` bytes.
    ///
    /// # Errors
    /// [`SandboxError::SessionEnded`], or the file is too large or could
    /// not be read.
    pub(crate) async fn get_file(
        &self,
        name: &str,
        limit: u64,
    ) -> Result<Option<Vec<u8>>, SandboxError> {
        self.refuse_if_ended()?;
        let (work, name) = (self.work()?, name.to_owned());
        blocking(move || {
            beneath::read(work.as_fd(), &name, limit)
                .map_err(|e| SandboxError::io(format!("read `{name}` from the session"), e))
        })
        .await
    }

    /// The regular files of the work dir and their sizes.
    ///
    /// # Errors
    /// [`SandboxError::SessionEnded`].
    pub(crate) async fn files(&self) -> Result<Vec<(String, u64)>, SandboxError> {
        self.refuse_if_ended()?;
        let work = self.work()?;
        blocking(move || Ok(beneath::list(work.as_fd()))).await
    }

    /// Ends the session: the sandbox is killed and cleaned up before this
    /// returns.
    pub(crate) async fn close(self) {
        let Self {
            mut sandbox,
            control,
            ..
        } = self;
        drop(control);
        let _ = tokio::task::spawn_blocking(move || sandbox.discard()).await;
    }

    /// Runs `request` in the session under `limits` (its timeout, output
    /// caps; memory, network and policy are the session's).
    ///
    /// # Errors
    /// [`SandboxError::SessionEnded`] once the session is over; I/O errors
    /// of the runner.
    pub(crate) async fn run(
        &mut self,
        mut request: ExecutionRequest,
        limits: &Limits,
        output: Option<crate::OutputSink>,
    ) -> Result<ExecutionResult, SandboxError> {
        self.refuse_if_ended()?;
        let inputs = std::mem::take(&mut request.input_files);
        self.put_files(inputs).await?;
        let before = {
            let work = self.work()?;
            blocking(move || Ok(beneath::stamps(work.as_fd()))).await?
        };
        let first = self.runs == 0;
        self.runs += 1;
        let file = match &request.filename {
            Some(_) => request.file_name().to_owned(),
            None => format!("cell{}.py", self.runs),
        };
        let frame = protocol::encode(
            &Request::Run {
                v: protocol::VERSION,
                file: file.clone(),
                guard: if first { self.guard.clone() } else { None },
                rlimits: Vec::new(),
                no_exec: true,
                session: true,
                payload: request.code.len(),
            },
            request.code.as_bytes(),
        );
        let started = Instant::now();
        let cpu_before = self.cpu_us();
        let control = self.control.clone();
        let mut in_flight = InFlight {
            interrupter: &control,
            finished: false,
        };
        if self.requests.write_all(&frame).await.is_err() {
            // Its interpreter ended between runs (a thread of the program
            // ended it, or it was killed): the session is over.
            in_flight.finished = true;
            let reason = self
                .end("the session's interpreter ended between runs; the session is over".into());
            return Err(SandboxError::SessionEnded { reason });
        }

        let budget = ResultBudget::new(limits.max_result_bytes);
        let output_limited = Arc::new(AtomicBool::new(false));
        let (ended_tx, ended_rx) = watch::channel(false);
        let program = program_pid(self.control.init.pid().as_raw());
        let keeper = |stream| {
            let flag = output_limited.clone();
            Keeper::new(
                limits.max_output_bytes,
                budget.clone(),
                move || {
                    flag.store(true, Ordering::SeqCst);
                    if let Some(program) = program {
                        let _ = nix::sys::signal::kill(Pid::from_raw(program), Signal::SIGINT);
                    }
                },
                output.clone().map(|sink| Tee::new(sink, stream)),
            )
        };
        let (out_keeper, err_keeper) = (keeper(Stream::Stdout), keeper(Stream::Stderr));
        let Self {
            reports,
            stdout,
            stderr,
            ..
        } = self;
        let init = control.init.clone();
        let timeout = limits.timeout;
        let supervise = async {
            let reports_done = worker::session_reports(reports, &budget, output.as_ref());
            tokio::pin!(reports_done);
            let mut timed_out = false;
            let mut hard_killed = false;
            let outcome = tokio::select! {
                outcome = &mut reports_done => outcome,
                () = tokio::time::sleep(timeout) => {
                    timed_out = true;
                    if let Some(program) = program {
                        let _ = nix::sys::signal::kill(Pid::from_raw(program), Signal::SIGINT);
                    }
                    match tokio::time::timeout(INTERRUPT_GRACE, &mut reports_done).await {
                        Ok(outcome) => outcome,
                        Err(_) => {
                            hard_killed = true;
                            init.signal(Signal::SIGKILL);
                            reports_done.await
                        }
                    }
                }
            };
            let _ = ended_tx.send(true);
            (outcome, timed_out, hard_killed)
        };
        let (((compile, shown, end), timed_out, hard_killed), stdout, stderr) = tokio::join!(
            supervise,
            capture_run(stdout, out_keeper, ended_rx.clone()),
            capture_run(stderr, err_keeper, ended_rx),
        );
        let duration = started.elapsed();
        // Every frame of the run is read: a caller that goes away from here
        // on leaves the session in step.
        in_flight.finished = true;

        if let Compile::Refused {
            line,
            column,
            message,
            text,
        } = &compile
        {
            let mut result = crate::compile_refused(
                limits.mode,
                &file,
                &request.code,
                (*line, *column),
                message,
                text.as_deref(),
            );
            result.isolation = Some(self.isolation);
            return Ok(result);
        }
        // The run's own end, or the program's: then init says how it ended.
        let (exit, status) = match end {
            RunEnd::Done(status) if !hard_killed => (Exit::Code(status & 0xFF), None),
            _ => {
                let status = self.program_status().await;
                let exit = match status {
                    Some(s) if libc::WIFSIGNALED(s.wait_status) => {
                        Exit::Signal(libc::WTERMSIG(s.wait_status))
                    }
                    Some(s) => Exit::Code(libc::WEXITSTATUS(s.wait_status)),
                    None => Exit::Signal(libc::SIGKILL),
                };
                (exit, status)
            }
        };
        let counters = Leftovers::counters_of(self.sandbox.cgroup.as_ref());
        let over = !matches!(end, RunEnd::Done(_)) || hard_killed;
        let collected = if over {
            None
        } else {
            let work = self.work()?;
            let budget = budget.clone();
            let (files, bytes) = (limits.max_output_files, limits.max_output_files_bytes);
            Some(
                blocking(move || {
                    Ok(beneath::collect_changed(
                        work.as_fd(),
                        &before,
                        files,
                        bytes,
                        &budget,
                    ))
                })
                .await?,
            )
        };
        let verdict = classify(Observed {
            exit,
            timed_out,
            output_limited: output_limited.load(Ordering::SeqCst),
            result_limited: budget.stream_cut(),
            oom_killed: counters.oom,
            stderr: &stderr.bytes,
            limits,
        });
        let mut result = verdict.into_result(limits.mode, &stdout, &stderr, duration);
        // An interrupted run ends with the interrupt's traceback (exit 1),
        // which the status names; a run that reached the output cap too.
        if result.status == Status::Error && (timed_out || output_limited.load(Ordering::SeqCst)) {
            result.status = if timed_out {
                Status::Timeout
            } else {
                Status::OutputLimit
            };
            result.success = false;
        }
        if timed_out {
            // A session's run is interrupted, not killed: say what is kept.
            let after = crate::classify::secs(limits.timeout.as_secs_f64());
            result.message = Some(if hard_killed {
                format!("execution timed out after {after} s")
            } else {
                format!(
                    "execution timed out after {after} s and was interrupted \
                     (KeyboardInterrupt); the session and its state are kept"
                )
            });
        }
        result.usage.cpu_ms = self
            .cpu_us()
            .zip(cpu_before)
            .map_or(0.0, |(after, before)| {
                after.saturating_sub(before) as f64 / 1e3
            });
        result.usage.peak_memory_kb = counters
            .peak_kb
            .or(status.map(|s| s.max_rss_kb))
            .unwrap_or(0);
        result.isolation = Some(self.isolation);
        let mut notes: Vec<String> = result.message.take().into_iter().collect();
        notes.extend(shown.note());
        result.display = shown.bundles;
        if !self.unused.is_empty() {
            notes.push(format!(
                "isolation {} ran without: {}",
                self.isolation,
                self.unused.join(", ")
            ));
        }
        if let Some(collected) = collected {
            result.output_files_truncated = !collected.left_out.is_empty();
            notes.extend(collected.note());
            result.output_files = collected.files;
        }
        if over {
            let why = if let Some(why) = self.control.ended() {
                format!("the session was ended during this run: {why}")
            } else if hard_killed {
                format!(
                    "the run did not stop within {} s of being interrupted; the session was ended",
                    INTERRUPT_GRACE.as_secs()
                )
            } else if counters.oom {
                "the session's memory limit was reached; the session was ended".to_owned()
            } else {
                "the session's interpreter ended; the session is over".to_owned()
            };
            self.end(why.clone());
            notes.push(why);
        }
        result.message = (!notes.is_empty()).then(|| notes.join(". "));
        Ok(result)
    }

    /// Init's report of the program's end, if it comes in time.
    async fn program_status(&mut self) -> Option<ProgramStatus> {
        let mut record = [0u8; ProgramStatus::SIZE];
        match tokio::time::timeout(STATUS_GRACE, self.status.read_exact(&mut record)).await {
            Ok(Ok(_)) => Some(ProgramStatus::decode(&record)),
            _ => None,
        }
    }

    /// The program's CPU time so far (user and system, microseconds), from
    /// the host's view of it.
    fn cpu_us(&self) -> Option<u64> {
        let program = program_pid(self.control.init.pid().as_raw())?;
        let stat = std::fs::read_to_string(format!("/proc/{program}/stat")).ok()?;
        // Fields after the command's closing parenthesis; utime and stime
        // are the 14th and 15th of the whole line.
        let rest = stat.get(stat.rfind(')')? + 2..)?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok()??;
        Some(ticks * 1_000_000 / u64::try_from(hz).ok()?.max(1))
    }
}

/// A file the session's work dir cannot take as `name`: a name that is not
/// a regular file there (a directory, a FIFO, a symlink on the way) is the
/// caller's error; anything else the runner's.
fn refused(name: &str, err: std::io::Error) -> SandboxError {
    use nix::errno::Errno;
    let theirs = err.kind() == std::io::ErrorKind::InvalidInput
        || [Errno::ELOOP, Errno::ENOTDIR, Errno::EISDIR, Errno::EXDEV]
            .iter()
            .any(|e| err.raw_os_error() == Some(*e as i32));
    if theirs {
        sandbox_core::RequestError::FileName {
            name: name.escape_debug().to_string(),
            reason: "the session's work dir has something other than a regular file there \
                     (a directory, a FIFO, or a symlink on the way)",
        }
        .into()
    } else {
        SandboxError::io(format!("write `{name}` into the session"), err)
    }
}
