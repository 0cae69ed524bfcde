//! Making a sandbox, in the stages of `docs/secure-mode.md`: prepare on the
//! host ([`HostParts`]), clone init ([`clone_init`]), the handshake with init
//! and the program ([`handshake`]), then the interpreter's hello.

use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use nix::unistd::Pid;
use sandbox_core::SecurePlan;
use sandbox_core::secure::{Namespace, SANDBOX_ID, WORK_DIR};
use sandbox_core::{SandboxError, plan::Resource};
use tokio::io::AsyncWriteExt as _;
use tokio::net::unix::pipe;

use super::super::cgroup::Cgroup;
use super::super::{landlock, rootfs};
use super::{
    CLONE_STEP, Init, Prepared, Recipe, SETUP_TIMEOUT, Sandbox, Trace, await_init, child_error,
    cstring, io_err, own_arguments_and_environment, pipe_pair, program_pid, program_rlimits,
    run_cgroup, seccomp_programs,
};
use crate::sys::sandbox::{CStringArray, ChildFds, ChildSpec, GO, Ready, TreeEntry};
use crate::sys::{self};
use crate::worker::Channel;

/// Makes a sandbox from `recipe` and starts its interpreter, up to the
/// hello that says it waits for a request.
pub(crate) async fn prepare(recipe: Arc<Recipe>) -> Result<Prepared, SandboxError> {
    prepare_as(recipe, None).await
}

/// A fork server's base sandbox (see `zygote`): its program is the server,
/// with `control` (its end of the runner's socket) as descriptor 3.
pub(in crate::secure) struct ZygoteStart {
    pub(in crate::secure) control: OwnedFd,
}

/// [`prepare`], or with `zygote` the base sandbox of a fork server: the
/// same namespaces and root, but its program keeps what it needs to make
/// sandboxes of its own (no landlock, no seccomp, no run cgroup, no CPU
/// limit, room for nested namespaces) and is returned as soon as it runs,
/// its stdin still waiting for the server's payload.
pub(in crate::secure) async fn prepare_as(
    recipe: Arc<Recipe>,
    zygote: Option<ZygoteStart>,
) -> Result<Prepared, SandboxError> {
    let plan = plan_for(&recipe, zygote.is_some());
    let trace = Trace::start();
    // Stage 1: prepare everything in the parent.
    let host = HostParts::make(&recipe, &plan, zygote.is_some(), &trace)?;
    let pipes = Pipes::new()?;
    // A fork server's own sandbox never reaches out; its sandboxes do.
    let routes = match (&plan.network, &zygote) {
        (Some(network), None) => {
            super::super::network::require_helper()?;
            Some(super::super::network::route_messages(&network.refused))
        }
        _ => None,
    };
    // Stage 2: clone into the namespaces.
    let report = zygote.as_ref().map(|z| z.control.as_raw_fd());
    let mut host = host;
    let pid = {
        let spec = child_spec(&plan, &mut host, &pipes, routes.clone(), report)?;
        sys::sandbox::spawn(&spec).map_err(io_err(CLONE_STEP))?
    };
    let self_joined = host.cgroup_tasks.is_some();
    trace.mark("cloned");
    // The child's ends live on in the child only.
    let parent = pipes.into_parent_ends();
    let HostParts {
        run_dir,
        cgroup,
        landlock,
        cgroup_tasks,
        ..
    } = host;
    drop((landlock, cgroup_tasks));
    let is_zygote = zygote.is_some();
    drop(zygote);
    // A sandbox of its own host id under a root runner; a fork server
    // stays `nobody`.
    let host_id = if !is_zygote && nix::unistd::geteuid().is_root() {
        Some(super::super::uid::lease()?)
    } else {
        None
    };
    // From here on, a failure (or a dropped future) kills the sandbox and
    // removes what it left.
    let mut sandbox = Sandbox {
        init: Some(Arc::new(Init {
            pid: Pid::from_raw(pid),
            reaped: Mutex::new(false),
            pidfd: None,
        })),
        cgroup,
        run_dir: Some(run_dir),
        network: None,
        host: host_id,
    };
    let ParentEnds {
        requests,
        reports,
        stdout,
        stderr,
        go,
        ready,
        status,
        release,
        error,
    } = parent;
    let opened = handshake(
        &mut sandbox,
        pid,
        Talk { go, ready, error },
        &plan,
        Joining {
            network: routes.is_some(),
            zygote: is_zygote,
            cgroup_by_itself: self_joined,
        },
        &trace,
    )
    .await?;
    // The interpreter says hello once the bootstrap runs; then it waits for
    // its request. A fork server's program waits for its payload instead.
    let (requests, reports) = if is_zygote {
        (requests, reports)
    } else {
        let mut channel = Channel::new(requests, reports)?;
        channel
            .start(Some(&recipe.bootstrap), SETUP_TIMEOUT)
            .await?;
        trace.mark("hello");
        channel.into_fds()?
    };
    Ok(Prepared {
        recipe,
        sandbox,
        requests,
        reports,
        stdout,
        stderr,
        status,
        release,
        work_dir: opened,
    })
}

/// The plan a sandbox is made from. A fork server's sandboxes mount a
/// fresh /proc of their own and cover it with their views; the kernel
/// refuses that mount where the /proc it would stack on has files covered,
/// so the server's own sandbox goes without views.
fn plan_for(recipe: &Recipe, zygote: bool) -> Arc<SecurePlan> {
    if zygote && !recipe.plan.proc_views.is_empty() {
        let mut base = (*recipe.plan).clone();
        base.proc_views.clear();
        Arc::new(base)
    } else {
        recipe.plan.clone()
    }
}

/// What stage 1 makes on the host: the run dir (only the mount point of the
/// new root; its name also names the run's cgroups), the root's mounts and
/// entries, the landlock ruleset, the seccomp programs, the cgroups and the
/// rlimits.
struct HostParts {
    run_dir: tempfile::TempDir,
    mounts: Vec<sys::sandbox::PreparedMount>,
    tree: Vec<TreeEntry>,
    landlock: Option<OwnedFd>,
    /// Landlock rules for what init mounts itself: path inside and mask.
    landlock_rules: Vec<(CString, u64)>,
    seccomp: Vec<Vec<libc::sock_filter>>,
    cgroup: Option<Cgroup>,
    /// On cgroup v1, the program moves itself in through these (see
    /// `Cgroup::self_join_files`).
    cgroup_tasks: Option<[OwnedFd; 2]>,
    rlimits: Vec<(libc::__rlimit_resource_t, libc::rlimit)>,
}

impl HostParts {
    fn make(
        recipe: &Recipe,
        plan: &SecurePlan,
        zygote: bool,
        trace: &Trace,
    ) -> Result<Self, SandboxError> {
        let caps = super::super::probe::for_isolation(recipe.isolation);
        let run_dir = tempfile::Builder::new()
            .prefix(crate::stale::run_prefix())
            .tempdir_in(&recipe.work_root)
            .map_err(io_err("create the run dir"))?;
        trace.mark("run dir");
        let root = run_dir.path();
        let mounts = rootfs::prepare_mounts(root, plan).map_err(io_err("prepare the mounts"))?;
        let boot = rootfs::Boot::now().map_err(io_err("make a boot id"))?;
        let tree = rootfs::tree(plan, &boot).map_err(io_err("prepare the sandbox root"))?;
        let masks = landlock::Masks::for_kernel(caps.landlock_abi);
        // A fork server's own program goes without landlock: the sandboxes
        // it makes apply their own.
        let (landlock, landlock_rules) = if caps.landlock && !zygote {
            let ruleset = landlock::ruleset(&plan.landlock, &masks).map_err(|e| {
                SandboxError::io("build the landlock ruleset", std::io::Error::other(e))
            })?;
            let rules = landlock::inside(&plan.landlock, &masks)
                .into_iter()
                .map(|(path, mask)| Ok((cstring(path.as_os_str().as_bytes())?, mask)))
                .collect::<Result<Vec<_>, SandboxError>>()?;
            (Some(ruleset), rules)
        } else {
            (None, Vec::new())
        };
        trace.mark("landlock");
        let seccomp = if zygote {
            Vec::new()
        } else {
            seccomp_programs(plan.allow_network)?
        };
        let cgroup = if zygote {
            None
        } else {
            let name = run_dir
                .path()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "sandbox".into());
            run_cgroup(caps, recipe.isolation, &name, plan.limits.memory_mb)?
        };
        let cgroup_tasks = match &cgroup {
            Some(group) => group
                .self_join_files()
                .map_err(io_err("open the run's cgroup tasks files"))?,
            None => None,
        };
        trace.mark("cgroup");
        let rlimits = if zygote {
            // The server lives long: no CPU or size limit of a run applies
            // to it (each sandbox it makes sets the run's own).
            program_rlimits(plan, true)
                .into_iter()
                .filter(|(resource, _)| {
                    [Resource::OpenFiles, Resource::Core]
                        .map(super::resource_number)
                        .contains(resource)
                })
                .collect()
        } else {
            program_rlimits(plan, cgroup.is_some())
        };
        Ok(Self {
            run_dir,
            mounts,
            tree,
            landlock,
            landlock_rules,
            seccomp,
            cgroup,
            cgroup_tasks,
            rlimits,
        })
    }
}

/// The pipes between the parent and the sandbox, both ends, until the
/// clone; then the parent keeps its own ends ([`ParentEnds`]).
struct Pipes {
    /// (read, write) of each.
    stdin: (OwnedFd, OwnedFd),
    stdout: (OwnedFd, OwnedFd),
    stderr: (OwnedFd, OwnedFd),
    go: (OwnedFd, OwnedFd),
    ready: (OwnedFd, OwnedFd),
    status: (OwnedFd, OwnedFd),
    release: (OwnedFd, OwnedFd),
    error: (OwnedFd, OwnedFd),
    report: (OwnedFd, OwnedFd),
}

/// The parent's ends of [`Pipes`].
struct ParentEnds {
    requests: OwnedFd,
    reports: OwnedFd,
    stdout: OwnedFd,
    stderr: OwnedFd,
    go: OwnedFd,
    ready: OwnedFd,
    status: OwnedFd,
    release: OwnedFd,
    error: OwnedFd,
}

impl Pipes {
    fn new() -> Result<Self, SandboxError> {
        Ok(Self {
            stdin: pipe_pair()?,
            stdout: pipe_pair()?,
            stderr: pipe_pair()?,
            go: pipe_pair()?,
            ready: pipe_pair()?,
            status: pipe_pair()?,
            release: pipe_pair()?,
            error: pipe_pair()?,
            report: pipe_pair()?,
        })
    }

    /// The child's ends, as numbers it moves into place; `report` replaces
    /// the report pipe (a fork server's control socket).
    fn child_fds(&self, host: &HostParts, report: Option<RawFd>) -> ChildFds {
        ChildFds {
            stdin: self.stdin.0.as_raw_fd(),
            stdout: self.stdout.1.as_raw_fd(),
            stderr: self.stderr.1.as_raw_fd(),
            go: self.go.0.as_raw_fd(),
            ready: self.ready.1.as_raw_fd(),
            status: self.status.1.as_raw_fd(),
            release: self.release.0.as_raw_fd(),
            error: self.error.1.as_raw_fd(),
            report: report.unwrap_or(self.report.1.as_raw_fd()),
            landlock: host.landlock.as_ref().map(AsRawFd::as_raw_fd),
            cgroups: host
                .cgroup_tasks
                .as_ref()
                .map(|fds| fds.each_ref().map(AsRawFd::as_raw_fd)),
        }
    }

    /// The parent's ends, which the child closes first thing.
    fn parent_fds(&self) -> Vec<RawFd> {
        [
            &self.stdin.1,
            &self.stdout.0,
            &self.stderr.0,
            &self.go.1,
            &self.ready.0,
            &self.status.0,
            &self.release.1,
            &self.error.0,
            &self.report.0,
        ]
        .map(AsRawFd::as_raw_fd)
        .to_vec()
    }

    /// Closes the child's ends (they live on in the child only).
    fn into_parent_ends(self) -> ParentEnds {
        ParentEnds {
            requests: self.stdin.1,
            reports: self.report.0,
            stdout: self.stdout.0,
            stderr: self.stderr.0,
            go: self.go.1,
            ready: self.ready.0,
            status: self.status.0,
            release: self.release.1,
            error: self.error.0,
        }
    }
}

/// Everything the child does, as C strings and numbers (see
/// `sys::sandbox`).
fn child_spec(
    plan: &SecurePlan,
    host: &mut HostParts,
    pipes: &Pipes,
    routes: Option<Vec<u8>>,
    zygote_control: Option<RawFd>,
) -> Result<ChildSpec, SandboxError> {
    let zygote = zygote_control.is_some();
    let root = host.run_dir.path();
    let program = cstring(plan.program.as_os_str().as_bytes())?;
    let loader = |arg: &String| {
        if zygote && arg == sandbox_core::plan::BOOTSTRAP_LOADER {
            sandbox_core::plan::ZYGOTE_LOADER.to_owned()
        } else {
            arg.clone()
        }
    };
    let argv = std::iter::once(Ok(program.clone()))
        .chain(plan.args.iter().map(|a| cstring(loader(a).as_bytes())))
        .collect::<Result<_, _>>()?;
    let envp = plan
        .env
        .iter()
        .map(|(k, v)| cstring(format!("{k}={v}").as_bytes()))
        .collect::<Result<_, _>>()?;
    let sysctls = if zygote {
        sandbox_core::secure::fork_server_sysctls()
    } else {
        plan.sysctls.clone()
    };
    Ok(ChildSpec {
        clone_flags: super::clone_flags(&plan.namespaces),
        time_namespace: plan.namespaces.contains(&Namespace::Time),
        root: cstring(root.as_os_str().as_bytes())?,
        old_root: cstring(root.join(rootfs::OLD_ROOT).as_os_str().as_bytes())?,
        old_root_inside: cstring(format!("/{}", rootfs::OLD_ROOT).as_bytes())?,
        root_data: cstring(plan.root.options().as_bytes())?,
        fs_id: plan.root.owner,
        tree: std::mem::take(&mut host.tree),
        scrub: own_arguments_and_environment(),
        sysctls: sysctls
            .iter()
            .map(|s| Ok((cstring(s.path.as_bytes())?, s.value.as_bytes().to_vec())))
            .collect::<Result<_, SandboxError>>()?,
        mounts: std::mem::take(&mut host.mounts),
        scratch: rootfs::scratch(plan)
            .iter()
            .map(|path| cstring(path.as_os_str().as_bytes()))
            .collect::<Result<_, SandboxError>>()?,
        hostname: plan.hostname.as_bytes().to_vec(),
        routes,
        cwd: cstring(plan.cwd.as_os_str().as_bytes())?,
        program,
        argv: CStringArray::new(argv),
        envp: CStringArray::new(envp),
        rlimits: std::mem::take(&mut host.rlimits),
        switch_to: nix::unistd::geteuid().is_root().then_some(SANDBOX_ID),
        seccomp: std::mem::take(&mut host.seccomp),
        exec_gate: super::super::exec_gate::program(),
        landlock_rules: std::mem::take(&mut host.landlock_rules),
        fds: pipes.child_fds(host, zygote_control),
        parent_fds: pipes.parent_fds(),
    })
}

/// The parent's ends of the handshake pipes.
struct Talk {
    go: OwnedFd,
    ready: OwnedFd,
    error: OwnedFd,
}

/// How the handshake goes for this sandbox.
#[derive(Clone, Copy)]
struct Joining {
    /// The network is allowed: its helper attaches.
    network: bool,
    /// A fork server's base sandbox (see `zygote`).
    zygote: bool,
    /// The program joins its cgroups by itself (v1).
    cgroup_by_itself: bool,
}

/// Stages 3-6 from the parent's side: map the sandbox user and say go;
/// with the network, start the helper once init's interface is made; when
/// init is ready, open the work dir through its root and find the program
/// (while init is dumpable), then say go again; move the program into its
/// cgroup on v2; wait for the program's exec (the error pipe closes).
/// Returns the work dir, opened through init's root.
async fn handshake(
    sandbox: &mut Sandbox,
    pid: libc::pid_t,
    talk: Talk,
    plan: &SecurePlan,
    joining: Joining,
    trace: &Trace,
) -> Result<std::fs::File, SandboxError> {
    let Joining {
        network,
        zygote: is_zygote,
        cgroup_by_itself,
    } = joining;
    let to_async = |fd: OwnedFd| {
        pipe::Receiver::from_owned_fd(fd).map_err(io_err("watch the sandbox's pipes"))
    };
    let mut go =
        pipe::Sender::from_owned_fd(talk.go).map_err(io_err("watch the sandbox's pipes"))?;
    let mut ready = to_async(talk.ready)?;
    let mut error_pipe = to_async(talk.error)?;

    write_id_maps(sandbox, pid, is_zygote)?;
    go.write_all(&[GO])
        .await
        .map_err(io_err("start the sandbox"))?;
    // The helper attaches to the namespaces while init sets up (init is
    // our child: its pid cannot be reused before we reap it), once init
    // says its persistent interface is made and released.
    let helper = if network {
        let step = "make the network interface";
        await_init(&mut ready, &mut error_pipe, Ready::Tap, step, plan).await?;
        Some(super::super::network::Helper::start(pid, || true)?)
    } else {
        None
    };

    // Stage 3 runs in the child; it forks the program and says ready.
    await_init(
        &mut ready,
        &mut error_pipe,
        Ready::Forked,
        "get ready",
        plan,
    )
    .await?;
    trace.mark("ready");
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
            sys::pidfd_open(Pid::from_raw(pid))
                .and_then(|pidfd| sys::pidfd_getfd(&pidfd, sys::sandbox::FD_DNS))
                .map_err(io_err("take the sandbox's DNS socket"))?,
        ),
        None => None,
    };
    go.write_all(&[GO])
        .await
        .map_err(io_err("start the program"))?;
    drop(go);
    await_init(
        &mut ready,
        &mut error_pipe,
        Ready::Hidden,
        "hide itself",
        plan,
    )
    .await?;
    if !cgroup_by_itself {
        move_program_into_cgroup(sandbox, program, &mut error_pipe, plan).await?;
    }
    // Stages 4-6 ran in the child; the error pipe closes on a successful exec.
    match tokio::time::timeout(SETUP_TIMEOUT, child_error(&mut error_pipe, plan)).await {
        Ok(None) => {}
        Ok(Some(err)) => return Err(err),
        Err(_) => {
            return Err(SandboxError::io(
                "set up the sandbox",
                std::io::Error::other("the program did not start within 10 s"),
            ));
        }
    }
    trace.mark("exec");
    if let (Some(helper), Some(dns)) = (helper, dns) {
        let deadline = Instant::now() + SETUP_TIMEOUT;
        sandbox.network =
            Some(super::super::network::Link::establish(helper, dns, deadline).await?);
        trace.mark("network");
    }
    Ok(work_dir)
}

/// Maps the sandbox user. It is uid/gid 1000 inside, and the only id
/// mapped. Outside it is this process's own ids, or, when this process is
/// root, a host id of the sandbox's own (see `uid`): a root runner must not
/// lend root's file ownership to the code (init stays unmapped root; the
/// program switches to 1000). A fork server (under root) runs as `nobody`
/// and also maps the whole reserved range, one id of which each of its
/// sandboxes maps for itself.
fn write_id_maps(sandbox: &Sandbox, pid: libc::pid_t, is_zygote: bool) -> Result<(), SandboxError> {
    use super::super::uid;
    let map = |file: &str, contents: String| {
        std::fs::write(format!("/proc/{pid}/{file}"), contents)
            .map_err(|e| SandboxError::io(format!("write /proc/{pid}/{file}"), e))
    };
    let root = nix::unistd::geteuid().is_root();
    let (host_uid, host_gid) = sandbox.host_ids();
    let range = if is_zygote && root {
        format!("{} {} {}\n", uid::INNER_FIRST, uid::FIRST, uid::COUNT)
    } else {
        String::new()
    };
    map("uid_map", format!("{SANDBOX_ID} {host_uid} 1\n{range}"))?;
    if !root {
        // An unprivileged mapping requires giving up setgroups.
        map("setgroups", "deny".into())?;
    }
    map("gid_map", format!("{SANDBOX_ID} {host_gid} 1\n{range}"))
}

/// On cgroup v2, moves the program into its cgroup while the interpreter
/// starts (the move's RCU grace period then overlaps the start-up). Init
/// itself stays out: it only reaps.
async fn move_program_into_cgroup(
    sandbox: &Sandbox,
    program: Option<i32>,
    error_pipe: &mut pipe::Receiver,
    plan: &SecurePlan,
) -> Result<(), SandboxError> {
    let Some(group) = sandbox.cgroup.as_ref() else {
        return Ok(());
    };
    let dirs = group.dirs();
    let moved = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let program = program.ok_or_else(|| std::io::Error::other("init has no child"))?;
        Cgroup::add_to(&dirs, program)
    })
    .await
    .map_err(std::io::Error::other)
    .and_then(|moved| moved);
    if let Err(err) = moved {
        // A program that died before it could be moved left its own error
        // record saying why.
        let child = tokio::time::timeout(SETUP_TIMEOUT, child_error(error_pipe, plan)).await;
        return Err(child
            .ok()
            .flatten()
            .unwrap_or_else(|| SandboxError::io("move the program into its cgroup", err)));
    }
    Ok(())
}
