//! The parent's side of one secure execution: prepare, clone, talk to init
//! through pipes, supervise, collect, clean up.

use std::ffi::CString;
use std::os::fd::{AsRawFd as _, OwnedFd};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use sandbox_core::secure::{MAX_PROCESSES, SANDBOX_ID, WORK_DIR};
use sandbox_core::{
    ExecutionRequest, ExecutionResult, Isolation, Limits, SandboxError, SecurePlan, Usage,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::unix::pipe;
use tokio::sync::watch;

use super::cgroup::Cgroup;
use super::{landlock, rootfs, seccomp};
use crate::blocking;
use crate::budget::ResultBudget;
use crate::capture::capture;
use crate::classify::{Observed, classify};
use crate::collect::collect;
use crate::sys::sandbox::{ChildFds, ChildSpec, ProgramStatus, Step};
use crate::sys::{self, Exit};
use crate::workdir::write_files;
use crate::worker::{self, Channel, Compile};
use sandbox_core::protocol::{self, Request};

/// How long the sandbox may take to set itself up and start the
/// interpreter; past it the run is abandoned (init is killed on drop).
pub(super) const SETUP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long init gets to report after being asked to stop the run.
const STOP_GRACE: Duration = Duration::from_secs(1);
/// How long output pipes are read after the program's end.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

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

/// Waits for init's next byte on `ready` (it says it reached a step); on
/// end of file, the error it reported; past [`SETUP_TIMEOUT`], a timeout.
async fn await_init(
    ready: &mut pipe::Receiver,
    errors: &mut pipe::Receiver,
    step: &str,
    plan: &SecurePlan,
) -> Result<(), SandboxError> {
    let failed = |what: String| SandboxError::io("set up the sandbox", std::io::Error::other(what));
    let mut byte = [0u8; 1];
    match tokio::time::timeout(SETUP_TIMEOUT, ready.read_exact(&mut byte)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(_)) => Err(child_error(errors, plan)
            .await
            .unwrap_or_else(|| failed(format!("init exited before it could {step}")))),
        Err(_) => Err(failed(format!("init did not {step} within 10 s"))),
    }
}

/// Reads an error record `(stage, errno)` if the child wrote one.
async fn child_error(pipe: &mut pipe::Receiver, plan: &SecurePlan) -> Option<SandboxError> {
    let mut record = [0u8; 8];
    match pipe.read_exact(&mut record).await {
        Ok(_) => {
            let stage = u32::from_ne_bytes([record[0], record[1], record[2], record[3]]);
            let errno = i32::from_ne_bytes([record[4], record[5], record[6], record[7]]);
            let step = match Step::decode(stage) {
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
        Err(_) => None,
    }
}

/// One request, and the policy guard's specification for it.
pub(crate) struct Job {
    pub(crate) request: ExecutionRequest,
    pub(crate) guard_spec: Option<String>,
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
        let sandbox = &mut self.sandbox;
        if let Some(init) = sandbox.init.take() {
            init.signal(Signal::SIGKILL);
            let _ = init.wait();
        }
        drop(sandbox.host.take());
        drop(sandbox.network.take());
        if let Some(group) = sandbox.cgroup.take() {
            group.remove();
        }
        if let Some(dir) = sandbox.run_dir.take() {
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
        let cleanup = move || {
            drop(network);
            let _ = init.wait();
            drop(host);
            drop(cgroup);
            drop(run_dir);
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

/// The request that brings up the loopback interface.
fn loopback_up() -> libc::ifreq {
    let mut loopback: libc::ifreq = empty_ifreq();
    for (dst, src) in loopback.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    loopback.ifr_ifru.ifru_flags = (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
    loopback
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

/// Makes a sandbox from `recipe` and starts its interpreter, up to the
/// hello that says it waits for a request.
pub(crate) async fn prepare(recipe: Arc<Recipe>) -> Result<Prepared, SandboxError> {
    prepare_as(recipe, None).await
}

/// A fork server's base sandbox (see `zygote`): its program is the server,
/// with `control` (its end of the runner's socket) as descriptor 3.
pub(super) struct ZygoteStart {
    pub(super) control: OwnedFd,
}

/// [`prepare`], or with `zygote` the base sandbox of a fork server: the
/// same namespaces and root, but its program keeps what it needs to make
/// sandboxes of its own (no landlock, no seccomp, no run cgroup, no CPU
/// limit, room for nested namespaces) and is returned as soon as it runs,
/// its stdin still waiting for the server's payload.
pub(super) async fn prepare_as(
    recipe: Arc<Recipe>,
    zygote: Option<ZygoteStart>,
) -> Result<Prepared, SandboxError> {
    let plan = match zygote {
        // A fork server's sandboxes mount a fresh /proc of their own and
        // cover it with their views; the kernel refuses that mount where
        // the /proc it would stack on has files covered.
        Some(_) if !recipe.plan.proc_views.is_empty() => {
            let mut base = (*recipe.plan).clone();
            base.proc_views.clear();
            Arc::new(base)
        }
        _ => recipe.plan.clone(),
    };
    let bootstrap = recipe.bootstrap.clone();
    let isolation = recipe.isolation;
    let caps = super::probe::for_isolation(isolation);
    let limits = plan.limits.clone();
    let t0 = Instant::now();
    let mark = |stage: &str| {
        tracing::debug!(
            stage,
            elapsed_ms = t0.elapsed().as_secs_f64() * 1e3,
            "secure run"
        );
    };
    // Stage 1: prepare everything in the parent.
    let parent = recipe.work_root.clone();
    // The run dir is only the mount point of the new root (its name also
    // names the run's cgroups); it stays empty on the host.
    let run_dir = tempfile::Builder::new()
        .prefix(crate::stale::run_prefix())
        .tempdir_in(&parent)
        .map_err(io_err("create the run dir"))?;
    mark("run dir");
    let root = run_dir.path().to_owned();
    let mounts = rootfs::prepare_mounts(&root, &plan).map_err(io_err("prepare the mounts"))?;
    let boot = rootfs::Boot::now().map_err(io_err("make a boot id"))?;
    let tree = rootfs::tree(&plan, &boot).map_err(io_err("prepare the sandbox root"))?;
    let host_rules = rootfs::host_rules(&plan);
    let masks = landlock::Masks::for_kernel(caps.landlock_abi);
    let landlock_fd = if caps.landlock && zygote.is_none() {
        Some(landlock::ruleset(&host_rules, &masks).map_err(|e| {
            SandboxError::io("build the landlock ruleset", std::io::Error::other(e))
        })?)
    } else {
        None
    };
    let landlock_rules = host_rules
        .inside
        .iter()
        .filter(|_| zygote.is_none())
        .map(|(path, writable)| {
            let mask = if *writable {
                masks.write_dir
            } else {
                masks.read
            };
            Ok((cstring(path.as_os_str().as_bytes())?, mask.bits()))
        })
        .collect::<Result<Vec<_>, SandboxError>>()?;
    mark("landlock");
    let seccomp = match zygote {
        Some(_) => Vec::new(),
        None => seccomp_programs(plan.allow_network)?,
    };
    // `no-cgroups` means rlimits instead, even where cgroups exist: the
    // level a result reports is the level it ran with.
    let cgroup = if zygote.is_some() {
        None
    } else {
        let name = run_dir
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sandbox".into());
        run_cgroup(caps, isolation, &name, limits.memory_mb)?
    };
    // On cgroup v1 the program moves itself in through these (see
    // `Cgroup::self_join_files`).
    let cgroup_tasks = match &cgroup {
        Some(group) => group
            .self_join_files()
            .map_err(io_err("open the run's cgroup tasks files"))?,
        None => None,
    };
    let self_joined = cgroup_tasks.is_some();
    mark("cgroup");
    let mut rlimits = plan.rlimits.clone();
    if zygote.is_some() {
        // The server lives long: no CPU or size limit of a run applies to
        // it (each sandbox it makes sets the run's own).
        use sandbox_core::plan::Resource;
        rlimits.retain(|l| matches!(l.resource, Resource::OpenFiles | Resource::Core));
    } else if cgroup.is_none() {
        rlimits.extend(plan.fallback_rlimits());
    }
    let rlimits = rlimits
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
        .collect();

    let program = cstring(plan.program.as_os_str().as_bytes())?;
    let loader = |arg: &String| match zygote {
        Some(_) if arg == sandbox_core::plan::BOOTSTRAP_LOADER => {
            sandbox_core::plan::ZYGOTE_LOADER.to_owned()
        }
        _ => arg.clone(),
    };
    let argv_c: Vec<CString> = std::iter::once(Ok(program.clone()))
        .chain(plan.args.iter().map(|a| cstring(loader(a).as_bytes())))
        .collect::<Result<_, _>>()?;
    let envp_c: Vec<CString> = plan
        .env
        .iter()
        .map(|(k, v)| cstring(format!("{k}={v}").as_bytes()))
        .collect::<Result<_, _>>()?;
    let nul_terminated = |v: &[CString]| {
        v.iter()
            .map(|c| c.as_ptr())
            .chain(std::iter::once(std::ptr::null()))
            .collect::<Vec<_>>()
    };

    let (stdin_r, stdin_w) = pipe_pair()?;
    let (stdout_r, stdout_w) = pipe_pair()?;
    let (stderr_r, stderr_w) = pipe_pair()?;
    let (go_r, go_w) = pipe_pair()?;
    let (ready_r, ready_w) = pipe_pair()?;
    let (status_r, status_w) = pipe_pair()?;
    let (release_r, release_w) = pipe_pair()?;
    let (error_r, error_w) = pipe_pair()?;
    let (report_r, report_w) = pipe_pair()?;

    // A network namespace of its own, network or not: with the network
    // allowed, the helper reaches out for it (see `network`).
    let clone_flags = libc::CLONE_NEWUSER
        | libc::CLONE_NEWPID
        | libc::CLONE_NEWNS
        | libc::CLONE_NEWIPC
        | libc::CLONE_NEWUTS
        | libc::CLONE_NEWCGROUP
        | libc::CLONE_NEWNET;
    // A fork server's own sandbox never reaches out; its sandboxes do.
    let routes = match (&plan.network, &zygote) {
        (Some(network), None) => {
            super::network::require_helper()?;
            Some(super::network::route_messages(&network.refused))
        }
        _ => None,
    };

    // Stage 2: clone into the namespaces.
    let pid = {
        let spec = ChildSpec {
            clone_flags,
            root: cstring(root.as_os_str().as_bytes())?,
            old_root: cstring(root.join(rootfs::OLD_ROOT).as_os_str().as_bytes())?,
            old_root_inside: cstring(format!("/{}", rootfs::OLD_ROOT).as_bytes())?,
            root_data: cstring(
                format!("size=1m,nr_inodes=4096,mode=0755,uid={SANDBOX_ID},gid={SANDBOX_ID}")
                    .as_bytes(),
            )?,
            tree,
            fs_id: SANDBOX_ID,
            scrub: own_arguments_and_environment(),
            sysctls: match zygote {
                Some(_) => sandbox_core::secure::fork_server_sysctls(),
                None => plan.sysctls.clone(),
            }
            .iter()
            .map(|s| Ok((cstring(s.path.as_bytes())?, s.value.as_bytes().to_vec())))
            .collect::<Result<_, SandboxError>>()?,
            mounts,
            scratch: rootfs::scratch(&plan)
                .iter()
                .map(|path| cstring(path.as_os_str().as_bytes()))
                .collect::<Result<_, SandboxError>>()?,
            hostname: plan.hostname.as_bytes().to_vec(),
            loopback: Some(loopback_up()),
            routes: routes.clone(),
            cwd: cstring(plan.cwd.as_os_str().as_bytes())?,
            program,
            argv: nul_terminated(&argv_c),
            envp: nul_terminated(&envp_c),
            rlimits,
            switch_to: nix::unistd::geteuid().is_root().then_some(SANDBOX_ID),
            seccomp,
            exec_gate: super::exec_gate::program(),
            landlock_rules,
            fds: ChildFds {
                stdin: stdin_r.as_raw_fd(),
                stdout: stdout_w.as_raw_fd(),
                stderr: stderr_w.as_raw_fd(),
                go: go_r.as_raw_fd(),
                ready: ready_w.as_raw_fd(),
                status: status_w.as_raw_fd(),
                release: release_r.as_raw_fd(),
                error: error_w.as_raw_fd(),
                report: zygote
                    .as_ref()
                    .map_or(report_w.as_raw_fd(), |z| z.control.as_raw_fd()),
                landlock: landlock_fd.as_ref().map(std::os::fd::AsRawFd::as_raw_fd),
                cgroups: cgroup_tasks
                    .as_ref()
                    .map(|fds| fds.each_ref().map(std::os::fd::AsRawFd::as_raw_fd)),
            },
            parent_fds: vec![
                stdin_w.as_raw_fd(),
                stdout_r.as_raw_fd(),
                stderr_r.as_raw_fd(),
                go_w.as_raw_fd(),
                ready_r.as_raw_fd(),
                status_r.as_raw_fd(),
                release_w.as_raw_fd(),
                error_r.as_raw_fd(),
                report_r.as_raw_fd(),
            ],
        };
        sys::sandbox::spawn(&spec).map_err(io_err(CLONE_STEP))?
    };
    mark("cloned");
    // The child's ends live on in the child only.
    drop((
        stdin_r,
        stdout_w,
        stderr_w,
        go_r,
        ready_w,
        status_w,
        release_r,
        error_w,
        report_w,
        landlock_fd,
        cgroup_tasks,
        zygote.as_ref().map(|z| z.control.as_raw_fd()),
    ));
    let is_zygote = zygote.is_some();
    drop(zygote);
    // A sandbox of its own host id under a root runner; a fork server
    // stays `nobody`.
    let host = if !is_zygote && nix::unistd::geteuid().is_root() {
        Some(super::uid::lease()?)
    } else {
        None
    };
    let init = Arc::new(Init {
        pid: Pid::from_raw(pid),
        reaped: Mutex::new(false),
        pidfd: None,
    });
    // From here on, a failure (or a dropped future) kills the sandbox and
    // removes what it left.
    let mut sandbox = Sandbox {
        init: Some(init),
        cgroup,
        run_dir: Some(run_dir),
        network: None,
        host,
    };

    let to_async = |fd: OwnedFd| {
        pipe::Receiver::from_owned_fd(fd).map_err(io_err("watch the sandbox's pipes"))
    };
    let to_async_w =
        |fd: OwnedFd| pipe::Sender::from_owned_fd(fd).map_err(io_err("watch the sandbox's pipes"));
    let mut go = to_async_w(go_w)?;
    let mut ready = to_async(ready_r)?;
    let error_pipe = to_async(error_r)?;

    // Map the sandbox user, then go.
    let map = |file: &str, contents: String| {
        std::fs::write(format!("/proc/{pid}/{file}"), contents)
            .map_err(|e| SandboxError::io(format!("write /proc/{pid}/{file}"), e))
    };
    // The sandbox user is uid/gid 1000 inside, and the only id mapped.
    // Outside it is this process's own ids, or, when this process is root,
    // a host id of the sandbox's own (see `uid`): a root runner must not
    // lend root's file ownership to the code (init stays unmapped root; the
    // program switches to 1000). A fork server (under root) runs as
    // `nobody` and also maps the whole reserved range, one id of which each
    // of its sandboxes maps for itself.
    let (host_uid, host_gid) = sandbox.host_ids();
    let range = match (is_zygote, nix::unistd::geteuid().is_root()) {
        (true, true) => format!(
            "{} {} {}\n",
            super::uid::INNER_FIRST,
            super::uid::FIRST,
            super::uid::COUNT
        ),
        _ => String::new(),
    };
    map("uid_map", format!("{SANDBOX_ID} {host_uid} 1\n{range}"))?;
    if !nix::unistd::geteuid().is_root() {
        // An unprivileged mapping requires giving up setgroups.
        map("setgroups", "deny".into())?;
    }
    map("gid_map", format!("{SANDBOX_ID} {host_gid} 1\n{range}"))?;
    go.write_all(b"g")
        .await
        .map_err(io_err("start the sandbox"))?;
    let mut error_pipe = error_pipe;
    // The helper attaches to the namespaces while init sets up (init is
    // our child: its pid cannot be reused before we reap it), once init
    // says its persistent interface is made and released.
    let helper = match routes {
        Some(_) => {
            await_init(
                &mut ready,
                &mut error_pipe,
                "make the network interface",
                &plan,
            )
            .await?;
            Some(super::network::Helper::start(pid, || true)?)
        }
        None => None,
    };

    // Stage 3 runs in the child; it forks the program and says ready.
    await_init(&mut ready, &mut error_pipe, "get ready", &plan).await?;
    mark("ready");
    // While init is still dumpable: hold the work dir by a descriptor (so
    // even an unprivileged runner reaches it once init is not dumpable) and
    // find the program's pid. Then init hides itself and acknowledges.
    let work_dir = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_DIRECTORY)
        .open(format!("/proc/{pid}/root{WORK_DIR}"))
        .map_err(io_err("open the sandbox's work dir"))?;
    let program = program_pid(pid);
    let dns = match helper {
        Some(_) => Some(
            crate::sys::pidfd_open(Pid::from_raw(pid))
                .and_then(|pidfd| crate::sys::pidfd_getfd(&pidfd, sys::sandbox::FD_DNS))
                .map_err(io_err("take the sandbox's DNS socket"))?,
        ),
        None => None,
    };
    go.write_all(b"g")
        .await
        .map_err(io_err("start the program"))?;
    drop(go);
    await_init(&mut ready, &mut error_pipe, "hide itself", &plan).await?;
    // While the interpreter starts (it waits for its code on stdin), on
    // cgroup v2, move the program into its cgroup (the move's RCU grace
    // period then overlaps the start-up). Init itself stays out: it only
    // reaps.
    let moving = sandbox
        .cgroup
        .as_ref()
        .filter(|_| !self_joined)
        .map(|group| {
            let dirs = group.dirs();
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                let program = program.ok_or_else(|| std::io::Error::other("init has no child"))?;
                Cgroup::add_to(&dirs, program)
            })
        });
    if let Some(task) = moving {
        let moved = task
            .await
            .map_err(std::io::Error::other)
            .and_then(|moved| moved);
        if let Err(err) = moved {
            // A program that died before it could be moved left its own
            // error record saying why.
            let child =
                tokio::time::timeout(SETUP_TIMEOUT, child_error(&mut error_pipe, &plan)).await;
            return Err(child
                .ok()
                .flatten()
                .unwrap_or_else(|| SandboxError::io("move the program into its cgroup", err)));
        }
    }
    // Stages 4-6 ran in the child; the error pipe closes on a successful exec.
    match tokio::time::timeout(SETUP_TIMEOUT, child_error(&mut error_pipe, &plan)).await {
        Ok(None) => {}
        Ok(Some(err)) => return Err(err),
        Err(_) => {
            return Err(SandboxError::io(
                "set up the sandbox",
                std::io::Error::other("the program did not start within 10 s"),
            ));
        }
    }

    mark("exec");
    if let (Some(helper), Some(dns)) = (helper, dns) {
        let deadline = Instant::now() + SETUP_TIMEOUT;
        sandbox.network = Some(super::network::Link::establish(helper, dns, deadline).await?);
        mark("network");
    }
    if is_zygote {
        return Ok(Prepared {
            recipe,
            sandbox,
            requests: stdin_w,
            reports: report_r,
            stdout: stdout_r,
            stderr: stderr_r,
            status: status_r,
            release: release_w,
            work_dir,
        });
    }
    // The interpreter says hello once the bootstrap runs; then it waits for
    // its request.
    let mut channel = Channel::new(stdin_w, report_r)?;
    channel.start(Some(&bootstrap), SETUP_TIMEOUT).await?;
    mark("hello");
    let (requests, reports) = channel.into_fds()?;
    Ok(Prepared {
        recipe,
        sandbox,
        requests,
        reports,
        stdout: stdout_r,
        stderr: stderr_r,
        status: status_r,
        release: release_w,
        work_dir,
    })
}

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
    } = job;
    let limits = limits.clone();
    // What the sandbox was set up with: a pool's are the most allowed.
    let planned = prepared.recipe.plan.limits.clone();
    let isolation = prepared.recipe.isolation;
    let unused = prepared.recipe.unused.clone();
    let t0 = Instant::now();
    let mark = |stage: &str| {
        tracing::debug!(
            stage,
            elapsed_ms = t0.elapsed().as_secs_f64() * 1e3,
            "secure run"
        );
    };
    let init = prepared
        .sandbox
        .init
        .take()
        .ok_or_else(|| SandboxError::io("run the sandbox", std::io::Error::other("no init")))?;
    let cgroup = prepared.sandbox.cgroup.take();
    let run_dir = prepared.sandbox.run_dir.take();
    let (uid, gid) = prepared.sandbox.host_ids();
    // Freed once init is reaped, never while a process of the sandbox may
    // still run as its id.
    let host = prepared.sandbox.host.take();
    let mut guard = KillOnDrop(Some(init.clone()));
    let waiter = {
        let init = init.clone();
        tokio::task::spawn_blocking(move || init.wait())
    };
    let Prepared {
        requests,
        reports,
        stdout,
        stderr,
        status,
        release: release_w,
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

    // This request's limits: the cgroup's memory limit, and rlimits the
    // interpreter sets on itself before the code runs (lowering is all a
    // process may do; a prepared sandbox starts at the most allowed).
    let memory = limits.memory_mb.saturating_mul(1 << 20);
    if let Some(group) = &cgroup {
        group
            .set_memory_limit(memory)
            .map_err(io_err("set the run's memory limit"))?;
    }
    mark("limited");
    let mut rlimits = Vec::new();
    let cpu = limits.cpu_seconds();
    if planned.cpu_seconds() != cpu {
        rlimits.push(protocol::Rlimit {
            resource: "cpu",
            soft: cpu,
            hard: cpu,
        });
    }
    if cgroup.is_none() && planned.memory_mb != limits.memory_mb {
        rlimits.push(protocol::Rlimit {
            resource: "as",
            soft: memory,
            hard: memory,
        });
    }
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
    let (stop_tx, stop_rx) = watch::channel(false);
    let output_limited = Arc::new(AtomicBool::new(false));
    let cap = limits.max_output_bytes;
    let budget = ResultBudget::new(limits.max_result_bytes);
    let reader = |pipe| {
        let init = init.clone();
        let flag = output_limited.clone();
        tokio::spawn(capture(
            pipe,
            cap,
            budget.clone(),
            stop_rx.clone(),
            move || {
                flag.store(true, Ordering::SeqCst);
                init.signal(Signal::SIGUSR1);
            },
        ))
    };
    let stdout_task = reader(stdout);
    let stderr_task = reader(stderr);
    let started = Instant::now();
    let run = Request::Run {
        v: protocol::VERSION,
        file: request.file_name().to_owned(),
        guard: guard_spec.clone(),
        rlimits,
        no_exec: true,
        payload: request.code.len(),
    };
    let mut reports = match channel.run(&run, request.code.as_bytes()).await {
        Ok(reports) => reports,
        // The interpreter is gone before it read a byte: it died while it
        // waited. Nothing ran; the job goes back (the guard kills the rest).
        Err(SandboxError::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            request.input_files =
                Arc::try_unwrap(inputs).unwrap_or_else(|shared| (*shared).clone());
            return Err(Failure::Stale(Box::new(Job {
                request,
                guard_spec,
            })));
        }
        Err(err) => return Err(err.into()),
    };
    mark("sent");
    let request_name = request.file_name().to_owned();
    let request_code = request.code;
    let compiled = tokio::spawn(async move { worker::compile(&mut reports).await });

    let mut record = [0u8; ProgramStatus::SIZE];
    let mut timed_out = false;
    let reported = tokio::select! {
        read = status_pipe.read_exact(&mut record) => read.is_ok(),
        () = tokio::time::sleep(limits.timeout) => {
            timed_out = true;
            init.signal(Signal::SIGUSR1);
            matches!(tokio::time::timeout(STOP_GRACE, status_pipe.read_exact(&mut record)).await, Ok(Ok(_)))
        }
    };
    mark("exited");
    let duration = started.elapsed();
    let status = reported.then(|| ProgramStatus::decode(&record));

    // Stage 7: collect through init's root while it waits for release.
    let (max_files, max_bytes) = (limits.max_output_files, limits.max_output_files_bytes);
    let collected = if reported {
        let inputs = inputs.clone();
        let dir = work_inside.clone();
        let budget = budget.clone();
        Some(blocking(move || Ok(collect(&dir, &inputs, max_files, max_bytes, &budget))).await?)
    } else {
        None
    };
    mark("collected");
    drop(work_dir);
    drop(release_w);
    init.signal(Signal::SIGKILL); // no-op when init already left
    // Once init reported, every other process of the sandbox is dead and
    // reaped: the cgroups and the run dir can go while init exits.
    // Otherwise they wait for init (and with it the namespace) to be gone.
    let leftovers = Leftovers { cgroup, run_dir };
    let (init_exit, Removed { oom, peak_kb }) = if reported && waited {
        // A pooled run answers once its counters are read: init's exit and
        // the removals (about a millisecond) finish in the background,
        // counted by `Tail` so closing the pool or the process waits.
        let (counters, leftovers) = blocking(move || Ok((leftovers.counters(), leftovers))).await?;
        let tail = Tail::start();
        tokio::spawn(async move {
            let _ = waiter.await;
            drop(host);
            drop(guard);
            let _ = leftovers.remove_in_background().await;
            drop(tail);
        });
        (None, counters)
    } else {
        let early = if reported {
            Ok(leftovers.remove_in_background())
        } else {
            Err(leftovers)
        };
        let init_exit = waiter
            .await
            .map_err(|err| SandboxError::io("wait for the sandbox", std::io::Error::other(err)))?
            .map_err(io_err("wait for the sandbox"))?;
        mark("reaped");
        drop(host);
        guard.0 = None;
        let removal = early.unwrap_or_else(Leftovers::remove_in_background);
        let removed = removal.await.map_err(|err| {
            SandboxError::io("clean up the sandbox", std::io::Error::other(err))
        })??;
        (Some(init_exit.exit), removed)
    };
    tokio::spawn(async move {
        tokio::time::sleep(DRAIN_GRACE).await;
        let _ = stop_tx.send(true);
    });
    let stdout = stdout_task.await.unwrap_or_default();
    let stderr = stderr_task.await.unwrap_or_default();
    mark("cleaned");
    let compiled = compiled.await;
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
        && !output_limited.load(Ordering::SeqCst);
    if killed_waiting && waited {
        request.code = request_code;
        request.input_files = Arc::try_unwrap(inputs).unwrap_or_else(|shared| (*shared).clone());
        return Err(Failure::Stale(Box::new(Job {
            request,
            guard_spec,
        })));
    }
    if let Ok(Compile::Refused {
        line,
        column,
        message,
        text,
    }) = compiled
    {
        let mut result = crate::compile_refused(
            limits.mode,
            &request_name,
            &request_code,
            (line, column),
            &message,
            text.as_deref(),
        );
        result.isolation = Some(isolation);
        return Ok(result);
    }
    let verdict = classify(Observed {
        exit,
        timed_out,
        output_limited: output_limited.load(Ordering::SeqCst),
        result_limited: budget.stream_cut(),
        oom_killed: oom,
        stderr: &stderr.bytes,
        limits: &limits,
    });
    let mut result = ExecutionResult::new(verdict.status, limits.mode);
    result.return_code = Some(verdict.return_code);
    result.stdout = String::from_utf8_lossy(&stdout.bytes).into_owned();
    result.stderr = String::from_utf8_lossy(&stderr.bytes).into_owned();
    result.stdout_truncated = stdout.truncated;
    result.stderr_truncated = stderr.truncated;
    result.duration_ms = crate::millis(duration);
    result.usage = Usage {
        cpu_ms: status.map_or(0.0, |s| crate::millis(Duration::from_micros(s.cpu_us))),
        peak_memory_kb: peak_kb.or(status.map(|s| s.max_rss_kb)).unwrap_or(0),
    };
    result.isolation = Some(isolation);
    let mut notes: Vec<String> = verdict.message.into_iter().collect();
    if !unused.is_empty() {
        notes.push(format!(
            "isolation {isolation} ran without: {}",
            unused.join(", ")
        ));
    }
    if let Some(collected) = collected {
        result.output_files_truncated = !collected.left_out.is_empty();
        notes.extend(collected.note());
        result.output_files = collected.files;
    } else {
        result.output_files_truncated = true;
        notes.push("the sandbox did not stop in time; output files were not collected".into());
    }
    result.message = (!notes.is_empty()).then(|| notes.join(". "));
    Ok(result)
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

/// What is left of a run on the host once its processes are gone.
struct Leftovers {
    cgroup: Option<Cgroup>,
    run_dir: Option<tempfile::TempDir>,
}

/// What the cgroups said before they were removed.
struct Removed {
    oom: bool,
    peak_kb: Option<u64>,
}

impl Leftovers {
    /// The memory counters, read before the cgroups go.
    fn counters(&self) -> Removed {
        Removed {
            oom: self.cgroup.as_ref().is_some_and(Cgroup::oom_killed),
            peak_kb: self.cgroup.as_ref().and_then(Cgroup::peak_memory_kb),
        }
    }

    /// Reads the memory counters, then removes the cgroups and the run dir,
    /// on a blocking thread.
    fn remove_in_background(self) -> tokio::task::JoinHandle<Result<Removed, SandboxError>> {
        tokio::task::spawn_blocking(move || {
            let Removed { oom, peak_kb } = self.counters();
            if let Some(group) = self.cgroup {
                group.remove();
            }
            if let Some(dir) = self.run_dir {
                dir.close().map_err(io_err("remove the run dir"))?;
            }
            Ok(Removed { oom, peak_kb })
        })
    }
}

/// Ends of pooled runs (and network helpers) still finishing in the
/// background.
static TAILS: AtomicUsize = AtomicUsize::new(0);

/// One run's background end, counted while it lasts (also when its task
/// is dropped with its runtime).
pub(super) struct Tail;

impl Tail {
    pub(super) fn start() -> Self {
        TAILS.fetch_add(1, Ordering::SeqCst);
        Self
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        TAILS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits up to `limit` for the background ends of pooled runs (blocking:
/// their tasks must be able to run meanwhile).
pub(crate) fn wait_for_tails(limit: Duration) {
    crate::wait_for_zero(&TAILS, limit);
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

pub(super) fn resource_number(resource: sandbox_core::plan::Resource) -> libc::c_int {
    use sandbox_core::plan::Resource;
    (match resource {
        Resource::Cpu => libc::RLIMIT_CPU,
        Resource::AddressSpace => libc::RLIMIT_AS,
        Resource::FileSize => libc::RLIMIT_FSIZE,
        Resource::OpenFiles => libc::RLIMIT_NOFILE,
        Resource::Core => libc::RLIMIT_CORE,
        Resource::Processes => libc::RLIMIT_NPROC,
    }) as libc::c_int
}

fn empty_ifreq() -> libc::ifreq {
    libc::ifreq {
        ifr_name: [0; libc::IFNAMSIZ],
        ifr_ifru: libc::__c_anonymous_ifr_ifru { ifru_flags: 0 },
    }
}
