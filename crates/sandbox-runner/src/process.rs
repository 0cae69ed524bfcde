//! Starting a planned process and supervising it to the end: limits,
//! stdin, capped output, wall-clock timeout, and a kill of its whole process
//! group however the run ends (exit, timeout, output cap, or the caller
//! dropping the future).

use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use sandbox_core::SandboxError;
use sandbox_core::plan::{ExecutionPlan, Resource};
use tokio::net::unix::pipe;
use tokio::sync::watch;

use crate::budget::ResultBudget;
use crate::capture::{Captured, Stream, Tee, capture};
use crate::sys::{self, Reaped};
use crate::worker::{self, Channel, Compile, Shown};
use sandbox_core::protocol::Request;

/// How long the interpreter may take to start and say hello.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How long output pipes are still read after the program exits. Its
/// process group is killed at exit, so pipes normally close at once; this
/// only bounds the wait for a process that escaped the group.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

/// Everything observed about one finished process.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// Whether the interpreter's compiler took the code.
    pub(crate) compile: Compile,
    /// What the program showed.
    pub(crate) shown: Shown,
    pub(crate) reaped: Reaped,
    pub(crate) stdout: Captured,
    pub(crate) stderr: Captured,
    /// The wall-clock timeout fired and the group was killed.
    pub(crate) timed_out: bool,
    /// An output stream passed its cap and the group was killed.
    pub(crate) output_limited: bool,
    /// The result cap, of which the streams took their share.
    pub(crate) budget: ResultBudget,
    pub(crate) duration: Duration,
}

/// A child's process group, which is killed at most until its leader is
/// reaped: while the leader is an unreaped zombie its pid, and so the group
/// id, cannot be reused, so a kill can never hit an unrelated process.
#[derive(Debug)]
struct ProcessGroup {
    pid: Pid,
    reaped: Mutex<bool>,
}

impl ProcessGroup {
    fn kill(&self) {
        let reaped = self
            .reaped
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !*reaped {
            // ESRCH (nobody left) is the expected outcome of a second kill.
            let _ = killpg(self.pid, Signal::SIGKILL);
        }
    }

    /// Waits for the leader to exit, kills whatever it left running in its
    /// group, then reaps it.
    fn wait(&self) -> std::io::Result<Reaped> {
        sys::wait_exited(self.pid)?;
        {
            let mut reaped = self
                .reaped
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let _ = killpg(self.pid, Signal::SIGKILL);
            *reaped = true;
        }
        sys::reap(self.pid)
    }
}

/// Kills the group when an execution is abandoned half-way (an error, or the
/// caller dropping the future); disarmed once the leader is reaped.
struct KillOnDrop(Option<Arc<ProcessGroup>>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(group) = self.0.take() {
            group.kill();
        }
    }
}

/// Runs `plan` with the worker protocol (the compiled `bootstrap`, then the
/// `run` request with its `code`), and supervises it to the end.
pub(crate) async fn execute(
    plan: &ExecutionPlan,
    bootstrap: &[u8],
    run: &Request,
    code: &[u8],
    output: Option<crate::OutputSink>,
) -> Result<Outcome, SandboxError> {
    // std's pipe is close-on-exec on every Unix (pipe2 is Linux/BSD only).
    let (report_r, report_w) = std::io::pipe().map_err(|e| SandboxError::io("create a pipe", e))?;
    let (report_r, report_w) = (OwnedFd::from(report_r), OwnedFd::from(report_w));
    let mut command = Command::new(&plan.program);
    command
        .args(&plan.args)
        .env_clear()
        .envs(plan.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&plan.cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    crate::sys::report_pipe_as_fd_3(&mut command, &report_w);
    // Without prlimit (macOS, the BSDs) the limits are set between fork and
    // exec instead.
    #[cfg(not(target_os = "linux"))]
    crate::sys::limit_before_exec(
        &mut command,
        plan.rlimits
            .iter()
            .map(|l| {
                let l = crate::within_host_limit(*l);
                (to_rlimit(l.resource), l.soft, l.hard)
            })
            .collect(),
    );
    let started = Instant::now();
    let mut child = command.spawn().map_err(|err| {
        SandboxError::io(
            format!("start the interpreter `{}`", plan.program.display()),
            err,
        )
    })?;
    let group = Arc::new(ProcessGroup {
        // A pid is a positive `pid_t`; `Child::id` widens it to `u32`.
        pid: Pid::from_raw(child.id().cast_signed()),
        reaped: Mutex::new(false),
    });
    drop(report_w);
    let mut guard = KillOnDrop(Some(group.clone()));
    // Reaping starts at once, so the child is reaped whatever happens to this
    // future; the guard kills the group if the future is dropped early.
    let waiter_group = group.clone();
    let mut waiter = tokio::task::spawn_blocking(move || waiter_group.wait());

    // The bootstrap reads the code from stdin before running anything, so
    // limits set now are in force before the first line of user code.
    #[cfg(target_os = "linux")]
    for limit in &plan.rlimits {
        let limit = &crate::within_host_limit(*limit);
        rlimit::prlimit(
            group.pid.as_raw(),
            to_rlimit(limit.resource),
            Some((limit.soft, limit.hard)),
            None,
        )
        .or_else(|err| match err.raw_os_error() {
            // The interpreter already died: its exit status tells why.
            Some(libc::ESRCH) => Ok(()),
            _ => Err(SandboxError::io(
                format!("set the {:?} limit", limit.resource),
                err,
            )),
        })?;
    }

    let (Some(child_in), Some(child_out), Some(child_err)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(SandboxError::io(
            "open the interpreter's pipes",
            std::io::Error::other("a pipe was not created"),
        ));
    };
    let pipe_err = |err| SandboxError::io("watch the interpreter's pipes", err);
    let channel = Channel::new(OwnedFd::from(child_in), report_r)?;
    let child_out = pipe::Receiver::from_owned_fd(OwnedFd::from(child_out)).map_err(pipe_err)?;
    let child_err = pipe::Receiver::from_owned_fd(OwnedFd::from(child_err)).map_err(pipe_err)?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let output_limited = Arc::new(AtomicBool::new(false));
    let cap = plan.limits.max_output_bytes;
    let budget = ResultBudget::new(plan.limits.max_result_bytes);
    let reader = |pipe, stream| {
        let group = group.clone();
        let flag = output_limited.clone();
        tokio::spawn(capture(
            pipe,
            cap,
            budget.clone(),
            stop_rx.clone(),
            move || {
                flag.store(true, Ordering::SeqCst);
                group.kill();
            },
            output.clone().map(|sink| Tee::new(sink, stream)),
        ))
    };
    let stdout_task = reader(child_out, Stream::Stdout);
    let stderr_task = reader(child_err, Stream::Stderr);
    // Hello, then the code, then whether it compiled.
    let mut channel = channel;
    channel.start(Some(bootstrap), START_TIMEOUT).await?;
    let reports = channel.run(run, code).await?;
    let compiled = tokio::spawn(worker::reports(
        reports,
        budget.clone(),
        output.clone(),
        stop_rx.clone(),
    ));

    let mut timed_out = false;
    let waited = tokio::select! {
        waited = &mut waiter => waited,
        () = tokio::time::sleep(plan.limits.timeout) => {
            timed_out = true;
            group.kill();
            waiter.await
        }
    };
    let reaped = waited
        .map_err(|err| SandboxError::io("wait for the interpreter", std::io::Error::other(err)))?
        .map_err(|err| SandboxError::io("wait for the interpreter", err))?;
    guard.0 = None;
    let duration = started.elapsed();

    tokio::spawn(async move {
        tokio::time::sleep(DRAIN_GRACE).await;
        let _ = stop_tx.send(true);
    });
    let stdout = stdout_task.await.unwrap_or_default();
    let stderr = stderr_task.await.unwrap_or_default();
    let (compile, shown) = compiled
        .await
        .unwrap_or_else(|e| (Compile::Unknown(e.to_string()), Shown::default()));
    Ok(Outcome {
        compile,
        shown,
        reaped,
        stdout,
        stderr,
        timed_out,
        output_limited: output_limited.load(Ordering::SeqCst),
        budget,
        duration,
    })
}

pub(crate) fn to_rlimit(resource: Resource) -> rlimit::Resource {
    match resource {
        Resource::Cpu => rlimit::Resource::CPU,
        Resource::AddressSpace => rlimit::Resource::AS,
        Resource::FileSize => rlimit::Resource::FSIZE,
        Resource::OpenFiles => rlimit::Resource::NOFILE,
        Resource::Core => rlimit::Resource::CORE,
        Resource::Processes => rlimit::Resource::NPROC,
    }
}
