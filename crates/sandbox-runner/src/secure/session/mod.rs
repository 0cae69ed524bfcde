//! The parent's side of one secure execution: prepare ([`prepare`]: host
//! side, clone, handshake), run ([`execute`]: limits, inputs, supervise,
//! collect, clean up, result), and what both share: the sandbox as the
//! parent holds it.

mod cleanup;
mod execute;
mod kept;
mod prepare;

use std::ffi::CString;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use sandbox_core::secure::{MAX_PROCESSES, Namespace};
use sandbox_core::{
    ExecutionRequest, ExecutionResult, Isolation, Limits, SandboxError, SecurePlan,
};
use tokio::io::AsyncReadExt as _;
use tokio::net::unix::pipe;

use super::cgroup::Cgroup;
use super::seccomp;
use crate::sys::sandbox::{ErrorRecord, Ready, Step};
use crate::sys::{self, Exit};

pub(super) use cleanup::Tail;
pub(crate) use cleanup::wait_for_tails;
pub(crate) use execute::execute;
pub(crate) use kept::{Interrupter, Kept};
pub(crate) use prepare::prepare;
pub(super) use prepare::{ZygoteStart, prepare_as};

/// How long the sandbox may take to set itself up and start the
/// interpreter; past it the run is abandoned (init is killed on drop).
pub(super) const SETUP_TIMEOUT: Duration = Duration::from_secs(10);

/// The sandbox's init process, seen from the parent. It is signalled only
/// until it is reaped, so its pid cannot have been reused.
/// Init of a forked sandbox (see `zygote`) is not the runner's child: it
/// is signalled and awaited through a pidfd instead.
#[derive(Debug)]
pub(super) struct Init {
    pid: Pid,
    reaped: Mutex<bool>,
    pidfd: Option<OwnedFd>,
}

impl Init {
    /// Its pid, in this process's pid namespace.
    pub(super) fn pid(&self) -> Pid {
        self.pid
    }

    /// Init of a forked sandbox, by its pidfd.
    pub(super) fn forked(pid: Pid, pidfd: OwnedFd) -> Self {
        Self {
            pid,
            reaped: Mutex::new(false),
            pidfd: Some(pidfd),
        }
    }

    fn signal(&self, signal: Signal) {
        if let Some(pidfd) = &self.pidfd {
            // A pidfd names this process only, never a later one.
            let _ = sys::pidfd_signal(pidfd, signal);
            return;
        }
        let reaped = self
            .reaped
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !*reaped {
            let _ = kill(self.pid, signal);
        }
    }

    fn wait(&self) -> std::io::Result<sys::Reaped> {
        if let Some(pidfd) = &self.pidfd {
            // Not our child: no wait status (init's status pipe carries
            // the program's), only the moment it is gone.
            sys::pidfd_wait(pidfd)?;
            return Ok(sys::Reaped {
                exit: Exit::Signal(libc::SIGKILL),
                cpu: Duration::ZERO,
                max_rss_kb: 0,
            });
        }
        let exited = sys::wait_exited(self.pid);
        // Even when waiting failed (a host that auto-reaps its children),
        // init's pid can no longer be trusted: never signal it again.
        *self
            .reaped
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        exited?;
        sys::reap(self.pid)
    }
}

/// Kills init (and with it the whole sandbox) if the run is abandoned.
struct KillOnDrop(Option<Arc<Init>>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(init) = self.0.take() {
            init.signal(Signal::SIGKILL);
        }
    }
}

/// The step whose failure means a namespace cannot be created here.
pub(crate) const CLONE_STEP: &str = "clone the sandbox into new namespaces";

pub(super) fn io_err(action: &str) -> impl FnOnce(std::io::Error) -> SandboxError + '_ {
    move |err| SandboxError::io(action, err)
}

pub(super) fn pipe_pair() -> Result<(OwnedFd, OwnedFd), SandboxError> {
    nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(|e| SandboxError::io("create a pipe", e.into()))
}

fn cstring(bytes: &[u8]) -> Result<CString, SandboxError> {
    CString::new(bytes).map_err(|_| {
        SandboxError::io(
            "prepare the sandbox",
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "argument with a NUL byte"),
        )
    })
}

pub(super) fn seccomp_programs(
    allow_network: bool,
) -> Result<Vec<Vec<libc::sock_filter>>, SandboxError> {
    static CACHE: OnceLock<[Result<Vec<Vec<libc::sock_filter>>, String>; 2]> = OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        [false, true].map(|network| {
            seccomp::filters(network)
                .map(|programs| programs.iter().map(seccomp::to_kernel).collect())
                .map_err(|e| e.to_string())
        })
    });
    cache[usize::from(allow_network)]
        .clone()
        .map_err(|e| SandboxError::io("compile the seccomp filter", std::io::Error::other(e)))
}

/// Waits for init to say `expected` on `ready`; on end of file, the error
/// it reported; past [`SETUP_TIMEOUT`], a timeout. Any other byte breaks
/// the handshake.
async fn await_init(
    ready: &mut pipe::Receiver,
    errors: &mut pipe::Receiver,
    expected: Ready,
    step: &str,
    plan: &SecurePlan,
) -> Result<(), SandboxError> {
    let failed = |what: String| SandboxError::io("set up the sandbox", std::io::Error::other(what));
    let mut byte = [0u8; 1];
    match tokio::time::timeout(SETUP_TIMEOUT, ready.read_exact(&mut byte)).await {
        Ok(Ok(_)) => match Ready::try_from(byte[0]) {
            Ok(said) if said == expected => Ok(()),
            _ => Err(failed(format!(
                "init said {:?} where it should {step}",
                char::from(byte[0])
            ))),
        },
        Ok(Err(_)) => Err(child_error(errors, plan)
            .await
            .unwrap_or_else(|| failed(format!("init exited before it could {step}")))),
        Err(_) => Err(failed(format!("init did not {step} within 10 s"))),
    }
}

/// Reads the child's error record if it wrote one.
async fn child_error(pipe: &mut pipe::Receiver, plan: &SecurePlan) -> Option<SandboxError> {
    let mut record = [0u8; ErrorRecord::SIZE];
    pipe.read_exact(&mut record).await.ok()?;
    let ErrorRecord { step, errno } = ErrorRecord::decode(&record);
    let step = match step {
        Step::Stage(stage) => stage.text().to_owned(),
        Step::Mount(n) => match plan.mounts.get(n) {
            Some(mount) => format!("mount {}", mount.describe()),
            None => format!("mount #{n}"),
        },
        Step::Unknown(code) => format!("finish an unknown step ({code})"),
    };
    Some(SandboxError::io(
        format!("set up the sandbox: could not {step}"),
        std::io::Error::from_raw_os_error(errno),
    ))
}

/// One request, and the policy guard's specification for it.
pub(crate) struct Job {
    pub(crate) request: ExecutionRequest,
    pub(crate) guard_spec: Option<String>,
    /// Where output goes as it is written, for live output.
    pub(crate) output: Option<crate::OutputSink>,
}

/// What a sandbox is made from. A cold run's recipe is its request's own
/// plan; a pool's serves every request of one shape (its rlimits and cgroup
/// limit are the most any request may ask, lowered at checkout).
#[derive(Debug)]
pub(crate) struct Recipe {
    pub(crate) plan: Arc<SecurePlan>,
    pub(crate) bootstrap: Arc<[u8]>,
    pub(crate) isolation: Isolation,
    /// Layers this isolation level goes without (named in results).
    pub(crate) unused: Vec<&'static str>,
    /// Where run dirs are made.
    pub(crate) work_root: PathBuf,
}

/// A sandbox set up up to the interpreter's hello: waiting for the one
/// request it will run. Dropping it kills the sandbox and removes what it
/// left on the host. Holds plain descriptors, so it can be made under one
/// async runtime and run under another.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(super) recipe: Arc<Recipe>,
    pub(super) sandbox: Sandbox,
    pub(super) requests: OwnedFd,
    pub(super) reports: OwnedFd,
    pub(super) stdout: OwnedFd,
    pub(super) stderr: OwnedFd,
    pub(super) status: OwnedFd,
    pub(super) release: OwnedFd,
    /// The work dir, opened through init's root.
    pub(super) work_dir: std::fs::File,
}

impl Prepared {
    /// Whether the sandbox still waits: its program has not ended (init
    /// reports that on the status pipe) and init is there (else the pipe
    /// hangs up).
    pub(crate) fn is_alive(&self) -> bool {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::os::fd::AsFd as _;
        // Nothing on the status pipe, and the interpreter still holds its
        // stdin (a pipe whose reader is gone polls as an error).
        let mut fds = [
            PollFd::new(self.status.as_fd(), PollFlags::POLLIN),
            PollFd::new(self.requests.as_fd(), PollFlags::empty()),
        ];
        matches!(poll(&mut fds, PollTimeout::ZERO), Ok(0))
    }
}

/// A sandbox's init and what it holds on the host. Dropped while it owns
/// init (a sandbox never used, or abandoned while being set up), it kills
/// the sandbox and, on a thread of its own, reaps init and then removes the
/// cgroups and the run dir.
#[derive(Debug)]
pub(super) struct Sandbox {
    pub(super) init: Option<Arc<Init>>,
    pub(super) cgroup: Option<Cgroup>,
    pub(super) run_dir: Option<tempfile::TempDir>,
    /// With the network allowed: its helper and DNS relay.
    pub(super) network: Option<super::network::Link>,
    /// Under a root runner: the host id its user maps to, held until init
    /// is reaped.
    pub(super) host: Option<super::uid::Lease>,
}

impl Sandbox {
    /// The host uid and gid the sandbox user maps to.
    pub(super) fn host_ids(&self) -> (u32, u32) {
        match &self.host {
            Some(lease) => (lease.id(), lease.id()),
            None => host_ids(),
        }
    }
}

impl Prepared {
    /// Kills the sandbox and removes what it left, before returning
    /// (blocking: for a pool being shut down, or its own thread).
    pub(crate) fn discard(mut self) {
        self.sandbox.discard();
    }
}

impl Sandbox {
    /// Kills the sandbox and removes what it left, before returning
    /// (blocking).
    pub(super) fn discard(&mut self) {
        if let Some(init) = self.init.take() {
            init.signal(Signal::SIGKILL);
            let _ = init.wait();
        }
        drop(self.host.take());
        drop(self.network.take());
        if let Some(group) = self.cgroup.take() {
            group.remove();
        }
        if let Some(dir) = self.run_dir.take() {
            let _ = dir.close();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let Some(init) = self.init.take() else {
            return;
        };
        init.signal(Signal::SIGKILL);
        let (cgroup, run_dir) = (self.cgroup.take(), self.run_dir.take());
        let (network, host) = (self.network.take(), self.host.take());
        // Counted, so a process that exits (`wait_for_cleanup`) waits for
        // a sandbox dropped just before, such as a session's.
        let tail = Tail::start();
        let cleanup = move || {
            drop(network);
            let _ = init.wait();
            drop(host);
            drop(cgroup);
            drop(run_dir);
            drop(tail);
        };
        // Without a thread to spare, clean up here: init is already dying.
        let mut cleanup = Some(cleanup);
        let spawned = std::thread::Builder::new()
            .name("sandbox-discard".into())
            .spawn({
                let cleanup = cleanup.take();
                move || {
                    if let Some(cleanup) = cleanup {
                        cleanup();
                    }
                }
            });
        if spawned.is_err()
            && let Some(cleanup) = cleanup.take()
        {
            cleanup();
        }
    }
}

/// Why a prepared sandbox did not run its job.
pub(crate) enum Failure {
    /// The interpreter had ended while it waited (killed from outside):
    /// nothing of the job ran, and here it is back, to run elsewhere.
    Stale(Box<Job>),
    /// The run failed.
    Failed(SandboxError),
}

impl From<SandboxError> for Failure {
    fn from(err: SandboxError) -> Self {
        Self::Failed(err)
    }
}

/// Runs one request in a sandbox made for it.
pub(crate) async fn run(
    recipe: Arc<Recipe>,
    job: Job,
    limits: &Limits,
) -> Result<ExecutionResult, SandboxError> {
    let prepared = prepare(recipe).await?;
    match execute(prepared, job, limits, false).await {
        Ok(result) => Ok(result),
        Err(Failure::Failed(err)) => Err(err),
        Err(Failure::Stale(_)) => Err(SandboxError::io(
            "send the code",
            std::io::Error::other("the interpreter ended before it got the code"),
        )),
    }
}

/// Debug-level timings of a sandbox's stages, from when it started.
struct Trace(Instant);

impl Trace {
    fn start() -> Self {
        Self(Instant::now())
    }

    fn mark(&self, stage: &str) {
        tracing::debug!(
            stage,
            elapsed_ms = self.0.elapsed().as_secs_f64() * 1e3,
            "secure run"
        );
    }
}

/// The `clone(2)` flags of `namespaces`. The time namespace has none: init
/// unshares it for the program (its flag overlaps `clone`'s exit signal).
pub(super) fn clone_flags(namespaces: &[Namespace]) -> libc::c_int {
    namespaces
        .iter()
        .map(|namespace| match namespace {
            Namespace::User => libc::CLONE_NEWUSER,
            Namespace::Pid => libc::CLONE_NEWPID,
            Namespace::Mount => libc::CLONE_NEWNS,
            Namespace::Ipc => libc::CLONE_NEWIPC,
            Namespace::Uts => libc::CLONE_NEWUTS,
            Namespace::Cgroup => libc::CLONE_NEWCGROUP,
            Namespace::Net => libc::CLONE_NEWNET,
            Namespace::Time => 0,
        })
        .fold(0, |flags, flag| flags | flag)
}

/// The rlimits the program sets: the plan's, and without a cgroup the
/// fallbacks that stand in for it, each within the host's own limit (one
/// mapping for cold sandboxes, fork servers and their sandboxes).
pub(super) fn program_rlimits(
    plan: &SecurePlan,
    cgroup: bool,
) -> Vec<(libc::__rlimit_resource_t, libc::rlimit)> {
    let mut rlimits = plan.rlimits.clone();
    if !cgroup {
        rlimits.extend(plan.fallback_rlimits());
    }
    rlimits
        .iter()
        .map(|l| {
            let l = crate::within_host_limit(*l);
            (
                resource_number(l.resource),
                libc::rlimit {
                    rlim_cur: l.soft,
                    rlim_max: l.hard,
                },
            )
        })
        .collect()
}

/// The run's cgroups, named `name`, unless the isolation level goes
/// without: `no-cgroups` means rlimits instead, even where cgroups exist
/// (the level a result reports is the level it ran with); `best-effort`
/// falls back to rlimits when they cannot be made.
pub(super) fn run_cgroup(
    caps: &super::Capabilities,
    isolation: Isolation,
    name: &str,
    memory_mb: u64,
) -> Result<Option<Cgroup>, SandboxError> {
    let Some(hierarchy) = caps
        .cgroups
        .as_ref()
        .filter(|_| isolation != Isolation::NoCgroups)
    else {
        return Ok(None);
    };
    match Cgroup::create(
        hierarchy,
        name,
        memory_mb.saturating_mul(1 << 20),
        MAX_PROCESSES,
    ) {
        Ok(group) => Ok(Some(group)),
        Err(err) if isolation == Isolation::Full => {
            Err(SandboxError::io("create the run's cgroup", err))
        }
        Err(err) => {
            tracing::warn!(%err, "cgroup creation failed; limiting memory with rlimits");
            Ok(None)
        }
    }
}

/// The host ids a sandbox user maps to without a lease of its own: this
/// process's, or `nobody`'s when this process is root (a fork server).
fn host_ids() -> (u32, u32) {
    const NOBODY: u32 = 65534;
    if nix::unistd::geteuid().is_root() {
        (NOBODY, NOBODY)
    } else {
        (
            nix::unistd::geteuid().as_raw(),
            nix::unistd::getegid().as_raw(),
        )
    }
}

/// The parent's argument and environment strings (from /proc/self/stat),
/// which init zeroes in its copy of this process's memory.
fn own_arguments_and_environment() -> Vec<(usize, usize)> {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Vec::new();
    };
    // Fields after the parenthesised command name; arg_start is field 48.
    let Some((_, rest)) = stat.rsplit_once(") ") else {
        return Vec::new();
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (the state).
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<usize>().ok());
    let mut ranges = Vec::new();
    for (start, end) in [(48, 49), (50, 51)] {
        if let (Some(s), Some(e)) = (field(start), field(end))
            && e > s
        {
            ranges.push((s, e - s));
        }
    }
    ranges
}

/// The host pid of init's only child, the program.
pub(super) fn program_pid(init: libc::pid_t) -> Option<i32> {
    std::fs::read_to_string(format!("/proc/{init}/task/{init}/children"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

pub(super) fn resource_number(resource: sandbox_core::plan::Resource) -> libc::__rlimit_resource_t {
    use sandbox_core::plan::Resource;
    match resource {
        Resource::Cpu => libc::RLIMIT_CPU,
        Resource::AddressSpace => libc::RLIMIT_AS,
        Resource::FileSize => libc::RLIMIT_FSIZE,
        Resource::OpenFiles => libc::RLIMIT_NOFILE,
        Resource::Core => libc::RLIMIT_CORE,
        Resource::Processes => libc::RLIMIT_NPROC,
    }
}
