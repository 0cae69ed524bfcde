//! Running one request in a prepared sandbox, in stages: set this
//! request's limits, write the input files, supervise (output, timeout),
//! collect the output files, clean up, and turn what was observed into the
//! contract's result.

use std::os::fd::{AsRawFd as _, OwnedFd};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use sandbox_core::protocol::{self, Request};
use sandbox_core::{ExecutionResult, Isolation, Limits, SandboxError, Usage};
use tokio::io::AsyncReadExt as _;
use tokio::net::unix::pipe;
use tokio::sync::watch;

use super::super::cgroup::Cgroup;
use super::cleanup::{Leftovers, Removed, Tail};
use super::{Failure, Init, Job, KillOnDrop, Prepared, Trace, io_err};
use crate::blocking;
use crate::budget::ResultBudget;
use crate::capture::{Captured, Stream, Tee, capture};
use crate::classify::{Observed, classify};
use crate::collect::{Collected, collect};
use crate::sys::sandbox::ProgramStatus;
use crate::sys::{self, Exit};
use crate::workdir::write_files;
use crate::worker::{self, Channel, Compile, Shown};

/// How long init gets to report after being asked to stop the run.
const STOP_GRACE: Duration = Duration::from_secs(1);
/// How long output pipes are read after the program's end.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

/// Runs `job` in the prepared sandbox, under the request's `limits`, and
/// collects its result; the sandbox is gone when this returns. `waited`:
/// the sandbox was prepared ahead and waited (in a pool), so a death from
/// outside before it took the job hands the job back ([`Failure::Stale`]).
pub(crate) async fn execute(
    mut prepared: Prepared,
    job: Job,
    limits: &Limits,
    waited: bool,
) -> Result<ExecutionResult, Failure> {
    let Job {
        mut request,
        guard_spec,
        output,
    } = job;
    let limits = limits.clone();
    let trace = Trace::start();
    let init = prepared
        .sandbox
        .init
        .take()
        .ok_or_else(|| SandboxError::io("run the sandbox", std::io::Error::other("no init")))?;
    let (uid, gid) = prepared.sandbox.host_ids();
    let leftovers = Leftovers {
        cgroup: prepared.sandbox.cgroup.take(),
        run_dir: prepared.sandbox.run_dir.take(),
    };
    // Freed once init is reaped, never while a process of the sandbox may
    // still run as its id.
    let host = prepared.sandbox.host.take();
    // The network helper and relay serve the sandbox until the run is over.
    let _network = prepared.sandbox.network.take();
    let guard = KillOnDrop(Some(init.clone()));
    let waiter = {
        let init = init.clone();
        tokio::task::spawn_blocking(move || init.wait())
    };
    let Prepared {
        recipe,
        requests,
        reports,
        stdout,
        stderr,
        status,
        release,
        work_dir,
        ..
    } = prepared;
    let to_async = |fd: OwnedFd| {
        pipe::Receiver::from_owned_fd(fd).map_err(io_err("watch the sandbox's pipes"))
    };
    let mut status_pipe = to_async(status)?;
    let stdout = to_async(stdout)?;
    let stderr = to_async(stderr)?;
    let channel = Channel::new(requests, reports)?;

    // What the sandbox was set up with: a pool's are the most allowed.
    let planned = &recipe.plan.limits;
    let rlimits = lower_limits(leftovers.cgroup.as_ref(), planned, &limits)?;
    trace.mark("limited");
    // Input files go in through the work dir's descriptor, written as the
    // sandbox user's host ids, so the files are the program's (a tmpfs of
    // the sandbox's namespace cannot hold files of unmapped owners, such as
    // root's).
    let work_inside = PathBuf::from(format!("/proc/self/fd/{}", work_dir.as_raw_fd()));
    let inputs = Arc::new(std::mem::take(&mut request.input_files));
    if !inputs.is_empty() {
        let inputs = inputs.clone();
        let dir = work_inside.clone();
        blocking(move || sys::as_fs_user(uid, gid, || write_files(&dir, &inputs))).await?;
    }

    // Supervise: capture output, enforce the timeout.
    let streams = Streams::capture(stdout, stderr, &init, &limits, output.clone());
    let started = Instant::now();
    let run = Request::Run {
        v: protocol::VERSION,
        file: request.file_name().to_owned(),
        guard: guard_spec.clone(),
        rlimits,
        no_exec: true,
        session: false,
        payload: request.code.len(),
    };
    let reports = match channel.run(&run, request.code.as_bytes()).await {
        Ok(reports) => reports,
        // The interpreter is gone before it read a byte: it died while it
        // waited. Nothing ran; the job goes back (the guard kills the rest).
        Err(SandboxError::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            request.input_files = unshare(inputs);
            return Err(Failure::Stale(Box::new(Job {
                request,
                guard_spec,
                output,
            })));
        }
        Err(err) => return Err(err.into()),
    };
    trace.mark("sent");
    let compiled = tokio::spawn(worker::reports(
        reports,
        streams.budget.clone(),
        output.clone(),
        streams.stop.subscribe(),
    ));
    let (status, timed_out) = wait_for_end(&mut status_pipe, &init, limits.timeout).await;
    trace.mark("exited");
    let duration = started.elapsed();

    // Stage 7: collect through init's root while it waits for release.
    let collected = match status {
        Some(_) => {
            let (inputs, dir) = (inputs.clone(), work_inside.clone());
            let budget = streams.budget.clone();
            let (files, bytes) = (limits.max_output_files, limits.max_output_files_bytes);
            Some(blocking(move || Ok(collect(&dir, &inputs, files, bytes, &budget))).await?)
        }
        None => None,
    };
    trace.mark("collected");
    drop(work_dir);
    drop(release);
    init.signal(Signal::SIGKILL); // no-op when init already left
    let (init_exit, Removed { oom, peak_kb }) = clean_up(
        Remains {
            waiter,
            leftovers,
            host,
            guard,
        },
        status.is_some(),
        waited,
        &trace,
    )
    .await?;
    let (stdout, stderr, output_limited, result_limited) = streams.finish().await;
    trace.mark("cleaned");
    let (compiled, shown) = match compiled.await {
        Ok((compile, shown)) => (Ok(compile), shown),
        Err(err) => (Err(err), Shown::default()),
    };
    let exit = match status {
        Some(s) if libc::WIFSIGNALED(s.wait_status) => Exit::Signal(libc::WTERMSIG(s.wait_status)),
        Some(s) => Exit::Code(libc::WEXITSTATUS(s.wait_status)),
        // No status record: the pooled shortcut above was not taken.
        None => init_exit.unwrap_or(Exit::Signal(libc::SIGKILL)),
    };
    // Killed from outside before it took the request (SIGKILL lands a
    // moment after `kill` returns, so the request may still have gone into
    // its pipe): nothing of the job ran; it goes back for a cold run.
    let killed_waiting = matches!(compiled, Ok(Compile::Ended))
        && exit == Exit::Signal(libc::SIGKILL)
        && !timed_out
        && !oom
        && !output_limited;
    if killed_waiting && waited {
        request.input_files = unshare(inputs);
        return Err(Failure::Stale(Box::new(Job {
            request,
            guard_spec,
            output,
        })));
    }
    let isolation = recipe.isolation;
    if let Ok(Compile::Refused {
        line,
        column,
        message,
        text,
    }) = compiled
    {
        let mut result = crate::compile_refused(
            limits.mode,
            request.file_name(),
            &request.code,
            (line, column),
            &message,
            text.as_deref(),
        );
        result.isolation = Some(isolation);
        return Ok(result);
    }
    Ok(Outcome {
        exit,
        status,
        timed_out,
        output_limited,
        result_limited,
        oom,
        peak_kb,
        duration,
        stdout,
        stderr,
        shown,
        collected,
    }
    .into_result(&limits, isolation, &recipe.unused))
}

/// The output pipes being read, under the output cap and the result
/// budget; past the cap, init is asked to stop the run.
struct Streams {
    stdout: tokio::task::JoinHandle<Captured>,
    stderr: tokio::task::JoinHandle<Captured>,
    stop: watch::Sender<bool>,
    output_limited: Arc<AtomicBool>,
    budget: ResultBudget,
}

impl Streams {
    fn capture(
        stdout: pipe::Receiver,
        stderr: pipe::Receiver,
        init: &Arc<Init>,
        limits: &Limits,
        output: Option<crate::OutputSink>,
    ) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let output_limited = Arc::new(AtomicBool::new(false));
        let budget = ResultBudget::new(limits.max_result_bytes);
        let reader = |pipe, stream| {
            let init = init.clone();
            let flag = output_limited.clone();
            tokio::spawn(capture(
                pipe,
                limits.max_output_bytes,
                budget.clone(),
                stop_rx.clone(),
                move || {
                    flag.store(true, Ordering::SeqCst);
                    init.signal(Signal::SIGUSR1);
                },
                output.clone().map(|sink| Tee::new(sink, stream)),
            ))
        };
        Self {
            stdout: reader(stdout, Stream::Stdout),
            stderr: reader(stderr, Stream::Stderr),
            stop,
            output_limited,
            budget,
        }
    }

    /// Reads what is left, for at most [`DRAIN_GRACE`] (a process of the
    /// sandbox may have passed the pipes on): stdout, stderr, whether the
    /// output cap and the result budget cut them.
    async fn finish(self) -> (Captured, Captured, bool, bool) {
        let stop = self.stop;
        tokio::spawn(async move {
            tokio::time::sleep(DRAIN_GRACE).await;
            let _ = stop.send(true);
        });
        let stdout = self.stdout.await.unwrap_or_default();
        let stderr = self.stderr.await.unwrap_or_default();
        (
            stdout,
            stderr,
            self.output_limited.load(Ordering::SeqCst),
            self.budget.stream_cut(),
        )
    }
}

/// What the sandbox holds once its run is over.
struct Remains {
    waiter: tokio::task::JoinHandle<std::io::Result<sys::Reaped>>,
    leftovers: Leftovers,
    host: Option<super::super::uid::Lease>,
    guard: KillOnDrop,
}

/// Reaps init and removes what the run left; `reported`: init reported the
/// program's end. A pooled run (`waited`) that reported answers once its
/// counters are read, and init's exit and the removals (about a
/// millisecond) finish in the background, counted by `Tail` so closing the
/// pool or the process waits. Init's exit when it was awaited, and the
/// cgroups' counters.
async fn clean_up(
    remains: Remains,
    reported: bool,
    waited: bool,
    trace: &Trace,
) -> Result<(Option<Exit>, Removed), SandboxError> {
    let Remains {
        waiter,
        leftovers,
        host,
        mut guard,
    } = remains;
    if reported && waited {
        let (counters, leftovers) = blocking(move || Ok((leftovers.counters(), leftovers))).await?;
        let tail = Tail::start();
        tokio::spawn(async move {
            let _ = waiter.await;
            drop(host);
            drop(guard);
            let _ = leftovers.remove_in_background().await;
            drop(tail);
        });
        return Ok((None, counters));
    }
    // Once init reported, every other process of the sandbox is dead and
    // reaped: the cgroups and the run dir can go while init exits.
    // Otherwise they wait for init (and with it the namespace) to be gone.
    let early = if reported {
        Ok(leftovers.remove_in_background())
    } else {
        Err(leftovers)
    };
    let init_exit = waiter
        .await
        .map_err(|err| SandboxError::io("wait for the sandbox", std::io::Error::other(err)))?
        .map_err(io_err("wait for the sandbox"))?;
    trace.mark("reaped");
    drop(host);
    guard.0 = None;
    let removed = early
        .unwrap_or_else(Leftovers::remove_in_background)
        .await
        .map_err(|err| SandboxError::io("clean up the sandbox", std::io::Error::other(err)))??;
    Ok((Some(init_exit.exit), removed))
}

/// This request's limits: the cgroup's memory limit, and the rlimits the
/// interpreter sets on itself before the code runs (lowering is all a
/// process may do; a prepared sandbox starts at `planned`, the most
/// allowed).
fn lower_limits(
    cgroup: Option<&Cgroup>,
    planned: &Limits,
    limits: &Limits,
) -> Result<Vec<protocol::Rlimit>, SandboxError> {
    let memory = limits.memory_mb.saturating_mul(1 << 20);
    if let Some(group) = cgroup {
        group
            .set_memory_limit(memory)
            .map_err(io_err("set the run's memory limit"))?;
    }
    Ok(request_rlimits(planned, limits, cgroup.is_some()))
}

/// The rlimits a request lowers below what its sandbox was made with.
fn request_rlimits(planned: &Limits, limits: &Limits, cgroup: bool) -> Vec<protocol::Rlimit> {
    let mut rlimits = Vec::new();
    let cpu = limits.cpu_seconds();
    if planned.cpu_seconds() != cpu {
        rlimits.push(protocol::Rlimit {
            resource: "cpu",
            soft: cpu,
            hard: cpu,
        });
    }
    if !cgroup && planned.memory_mb != limits.memory_mb {
        let memory = limits.memory_mb.saturating_mul(1 << 20);
        rlimits.push(protocol::Rlimit {
            resource: "as",
            soft: memory,
            hard: memory,
        });
    }
    rlimits
}

/// Waits for init's report of the program's end, or the timeout: then
/// init is asked to stop the run and gets [`STOP_GRACE`] to report. The
/// status if init reported, and whether the run timed out.
async fn wait_for_end(
    status_pipe: &mut pipe::Receiver,
    init: &Init,
    timeout: Duration,
) -> (Option<ProgramStatus>, bool) {
    let mut record = [0u8; ProgramStatus::SIZE];
    let mut timed_out = false;
    let reported = tokio::select! {
        read = status_pipe.read_exact(&mut record) => read.is_ok(),
        () = tokio::time::sleep(timeout) => {
            timed_out = true;
            init.signal(Signal::SIGUSR1);
            matches!(
                tokio::time::timeout(STOP_GRACE, status_pipe.read_exact(&mut record)).await,
                Ok(Ok(_))
            )
        }
    };
    (reported.then(|| ProgramStatus::decode(&record)), timed_out)
}

/// A request's input files, by name.
type InputFiles = std::collections::BTreeMap<String, Vec<u8>>;

/// The input files back from a shared handle, for a job that goes back.
fn unshare(inputs: Arc<InputFiles>) -> InputFiles {
    Arc::try_unwrap(inputs).unwrap_or_else(|shared| (*shared).clone())
}

/// What was observed of a run that ran.
struct Outcome {
    exit: Exit,
    status: Option<ProgramStatus>,
    timed_out: bool,
    output_limited: bool,
    result_limited: bool,
    oom: bool,
    peak_kb: Option<u64>,
    duration: Duration,
    stdout: Captured,
    stderr: Captured,
    shown: Shown,
    /// `None` when the sandbox did not stop in time to collect.
    collected: Option<Collected>,
}

impl Outcome {
    fn into_result(
        self,
        limits: &Limits,
        isolation: Isolation,
        unused: &[&'static str],
    ) -> ExecutionResult {
        let verdict = classify(Observed {
            exit: self.exit,
            timed_out: self.timed_out,
            output_limited: self.output_limited,
            result_limited: self.result_limited,
            oom_killed: self.oom,
            stderr: &self.stderr.bytes,
            limits,
        });
        let mut result =
            verdict.into_result(limits.mode, &self.stdout, &self.stderr, self.duration);
        let status = self.status;
        result.usage = Usage {
            cpu_ms: status.map_or(0.0, |s| crate::millis(Duration::from_micros(s.cpu_us))),
            peak_memory_kb: self.peak_kb.or(status.map(|s| s.max_rss_kb)).unwrap_or(0),
        };
        result.isolation = Some(isolation);
        let mut notes: Vec<String> = result.message.take().into_iter().collect();
        notes.extend(self.shown.note());
        result.display = self.shown.bundles;
        if !unused.is_empty() {
            notes.push(format!(
                "isolation {isolation} ran without: {}",
                unused.join(", ")
            ));
        }
        if let Some(collected) = self.collected {
            result.output_files_truncated = !collected.left_out.is_empty();
            notes.extend(collected.note());
            result.output_files = collected.files;
        } else {
            result.output_files_truncated = true;
            notes.push("the sandbox did not stop in time; output files were not collected".into());
        }
        result.message = (!notes.is_empty()).then(|| notes.join(". "));
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_lowers_only_what_differs() {
        let planned = Limits::resolve(
            &sandbox_core::ExecutionRequest::new(""),
            &sandbox_core::ClientConfig::default(),
        )
        .unwrap();
        assert!(request_rlimits(&planned, &planned, true).is_empty());
        let mut lower = planned.clone();
        lower.memory_mb = planned.memory_mb / 2;
        // With a cgroup, memory is the cgroup's business.
        assert!(request_rlimits(&planned, &lower, true).is_empty());
        let without = request_rlimits(&planned, &lower, false);
        assert_eq!(without.len(), 1);
        assert_eq!(without[0].resource, "as");
        assert_eq!(without[0].soft, lower.memory_mb << 20);
        lower.timeout = planned.timeout / 2;
        let both = request_rlimits(&planned, &lower, false);
        assert_eq!(
            both.iter().map(|r| r.resource).collect::<Vec<_>>(),
            ["cpu", "as"]
        );
        assert_eq!(both[0].soft, lower.cpu_seconds());
    }
}
