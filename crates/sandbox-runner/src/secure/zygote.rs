//! The fork server: sandboxes made by forking a waiting interpreter
//! instead of starting a new one.
//!
//! A cold sandbox spends most of its cost starting the interpreter. The
//! server (`sandbox_core::plan::ZYGOTE`) is an interpreter started once in
//! a base sandbox (the same namespaces and root as any run, see
//! [`session::prepare_as`]), with the bootstrap already loaded. For each
//! sandbox the runner sends it one message with the sandbox's descriptors;
//! it clones init straight into fresh namespaces of its own (user, mount,
//! pid, ipc, uts, cgroup, net: one process fewer than fork-then-unshare),
//! and init mounts fresh tmpfs and forks the program. The program restricts itself exactly as a cold one (cgroups,
//! rlimits, capabilities, no_new_privs, landlock, seccomp) and says hello
//! through the worker protocol. From there on the sandbox is a
//! [`Prepared`] like any other: `session::execute` runs it. See
//! docs/workers.md for the design and its security trade-offs.

use std::io::IoSlice;
use std::os::fd::{AsFd as _, AsRawFd as _, OwnedFd};
use std::os::unix::fs::OpenOptionsExt as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::socket::{
    AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag, SockType, recvmsg,
    sendmsg, setsockopt, socketpair, sockopt,
};
use nix::unistd::Pid;
use sandbox_core::SandboxError;
use sandbox_core::plan::ZYGOTE;
use sandbox_core::secure::{Mount, WORK_DIR};
use serde_json::json;

use super::cgroup::Cgroup;
use super::session::{
    self, Init, Prepared, Recipe, SETUP_TIMEOUT, Sandbox, ZygoteStart, io_err, pipe_pair,
};
use super::{landlock, network, rootfs};
use crate::worker::Channel;

/// A running fork server, one per shape. Dropping it kills the server and
/// every sandbox it made that is not yet finished (they live in its
/// namespaces).
#[derive(Debug)]
pub(crate) struct Zygote {
    /// The server's own sandbox (always there until dropped).
    base: Option<Prepared>,
    /// The runner's end of the server's socket.
    control: Mutex<OwnedFd>,
    recipe: Arc<Recipe>,
    /// Under a root runner: the server's user namespace, from which each
    /// sandbox's id maps are written (see `uid`).
    userns: Option<std::fs::File>,
}

fn failed(step: &str, why: impl Into<String>) -> SandboxError {
    SandboxError::io(
        format!("set up the sandbox: {step}"),
        std::io::Error::other(why.into()),
    )
}

fn seqpacket_pair() -> Result<(OwnedFd, OwnedFd), SandboxError> {
    socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| SandboxError::io("create a socket pair", e.into()))
}

impl Zygote {
    /// Starts a fork server for `recipe`'s shape and waits for its hello.
    pub(crate) async fn start(recipe: Arc<Recipe>) -> Result<Self, SandboxError> {
        let config = config(&recipe)?;
        let (control, child) = seqpacket_pair()?;
        let base =
            session::prepare_as(recipe.clone(), Some(ZygoteStart { control: child })).await?;
        let mut payload = Vec::with_capacity(ZYGOTE.len() + recipe.bootstrap.len() + (1 << 16));
        for part in [ZYGOTE.as_bytes(), &recipe.bootstrap, config.as_bytes()] {
            payload.extend_from_slice(format!("{}\n", part.len()).as_bytes());
            payload.extend_from_slice(part);
        }
        let stdin = base
            .requests
            .try_clone()
            .map_err(io_err("start the fork server"))?;
        let control = crate::blocking(move || {
            use std::io::Write as _;
            std::fs::File::from(stdin)
                .write_all(&payload)
                .map_err(io_err("start the fork server"))?;
            let message = receive(&control, Instant::now() + SETUP_TIMEOUT)?.message;
            if message != br#"{"type":"hello","v":1}"# {
                return Err(failed(
                    "start the fork server",
                    format!("it said {:?}", String::from_utf8_lossy(&message)),
                ));
            }
            Ok(control)
        })
        .await?;
        // The server writes nothing unless something is wrong: say it.
        if let Ok(stderr) = base.stderr.try_clone() {
            let _ = std::thread::Builder::new()
                .name("fork-server-log".into())
                .spawn(move || {
                    use std::io::BufRead as _;
                    let lines = std::io::BufReader::new(std::fs::File::from(stderr)).lines();
                    for line in lines.map_while(Result::ok).take(1000) {
                        tracing::warn!("fork server: {}", &line[..line.len().min(500)]);
                    }
                });
        }
        let userns = match (&base.sandbox.init, nix::unistd::geteuid().is_root()) {
            (Some(init), true) => Some(
                std::fs::File::open(format!("/proc/{}/ns/user", init.pid()))
                    .map_err(io_err("open the fork server's user namespace"))?,
            ),
            _ => None,
        };
        Ok(Self {
            base: Some(base),
            control: Mutex::new(control),
            recipe,
            userns,
        })
    }

    /// Whether the server still runs.
    pub(crate) fn is_alive(&self) -> bool {
        self.base.as_ref().is_some_and(Prepared::is_alive)
    }

    /// Makes one sandbox, up to its program's hello.
    pub(crate) async fn fork(&self) -> Result<Prepared, SandboxError> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let recipe = self.recipe.clone();
        let plan = &recipe.plan;
        let caps = super::probe::for_isolation(recipe.isolation);
        let name = format!(
            "{}f{}",
            crate::stale::run_prefix(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let cgroup = session::run_cgroup(caps, recipe.isolation, &name, plan.limits.memory_mb)?;
        let tasks = match &cgroup {
            Some(group) => group
                .self_join_files()
                .map_err(io_err("open the run's cgroup tasks files"))?,
            None => None,
        };
        let rlimits: Vec<[u64; 3]> = session::program_rlimits(plan, cgroup.is_some())
            .into_iter()
            .map(|(resource, limit)| [u64::from(resource), limit.rlim_cur, limit.rlim_max])
            .collect();
        let (stdin_r, stdin_w) = pipe_pair()?;
        let (stdout_r, stdout_w) = pipe_pair()?;
        let (stderr_r, stderr_w) = pipe_pair()?;
        let (report_r, report_w) = pipe_pair()?;
        let (status_r, status_w) = pipe_pair()?;
        let (release_r, release_w) = pipe_pair()?;
        let (hello, hello_child) = seqpacket_pair()?;
        setsockopt(&hello, sockopt::PassCred, &true)
            .map_err(|e| SandboxError::io("ask for the sandbox's credentials", e.into()))?;
        // Routes from the host's addresses as they are now.
        let routes = plan.network.as_ref().map(|_| {
            let network = sandbox_core::network::NetworkPlan::new(
                &network::host_addresses(),
                &plan.limits.allowed_networks,
            );
            let mut hex = String::new();
            for byte in network::route_messages(&network.refused) {
                hex.push_str(&format!("{byte:02x}"));
            }
            hex
        });
        if routes.is_some() {
            network::require_helper()?;
        }
        // Under a root runner, a host id of its own, which the runner maps
        // once the sandbox's user namespace exists.
        let host = match &self.userns {
            Some(_) => Some(super::uid::lease()?),
            None => None,
        };
        let map = host.as_ref().map(super::uid::Lease::inner);
        let header = json!({
            "type": "sandbox",
            "rlimits": rlimits,
            "routes": routes,
            "map": map,
        })
        .to_string();
        let mut fds = vec![
            stdin_r.as_raw_fd(),
            stdout_w.as_raw_fd(),
            stderr_w.as_raw_fd(),
            report_w.as_raw_fd(),
            status_w.as_raw_fd(),
            release_r.as_raw_fd(),
            hello_child.as_raw_fd(),
        ];
        if let Some(tasks) = &tasks {
            fds.extend(tasks.iter().map(std::os::fd::AsRawFd::as_raw_fd));
        }
        {
            let control = self
                .control
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            sendmsg::<()>(
                control.as_raw_fd(),
                &[IoSlice::new(header.as_bytes())],
                &[ControlMessage::ScmRights(&fds)],
                MsgFlags::MSG_NOSIGNAL,
                None,
            )
            .map_err(|e| SandboxError::io("ask the fork server for a sandbox", e.into()))?;
        }
        // The sandbox's ends live on in the sandbox only.
        drop((
            stdin_r,
            stdout_w,
            stderr_w,
            report_w,
            status_w,
            release_r,
            hello_child,
            tasks,
        ));
        // With a host id of its own, init first asks for its maps ("m",
        // with its pid); then init says ready ("r", with its pid, and with
        // the network its DNS socket) and the program says it is
        // restricted ("p"), in either order.
        let deadline = Instant::now() + SETUP_TIMEOUT;
        let userns = match (&self.userns, map) {
            (Some(file), Some(_)) => Some(
                file.try_clone()
                    .map_err(io_err("open the fork server's user namespace"))?,
            ),
            _ => None,
        };
        let (hello, pid, mut fds, restricted) = crate::blocking(move || {
            let mut restricted = false;
            let mut mapped = userns.is_none();
            loop {
                let received = receive(&hello, deadline)?;
                match (received.message.as_slice(), received.pid) {
                    (b"m", Some(pid)) if !mapped => {
                        let (Some(userns), Some(inner)) = (&userns, map) else {
                            return Err(failed("map the sandbox's user", "nothing to map"));
                        };
                        let ids = format!("{} {inner} 1\n", sandbox_core::secure::SANDBOX_ID);
                        crate::sys::idmap::write_maps_in(userns.as_fd(), pid, &ids, &ids)
                            .map_err(io_err("map the sandbox's user to its host id"))?;
                        nix::unistd::write(&hello, b"g")
                            .map_err(|e| SandboxError::io("map the sandbox's user", e.into()))?;
                        mapped = true;
                    }
                    (b"r", Some(pid)) if mapped => {
                        return Ok((hello, pid, received.fds, restricted));
                    }
                    (b"p", _) if mapped && !restricted => restricted = true,
                    (message, _) => return Err(setup_error(message)),
                }
            }
        })
        .await?;
        let pid = Pid::from_raw(pid);
        let pidfd = crate::sys::pidfd_open(pid).map_err(io_err("watch the sandbox's init"))?;
        let helper = match routes {
            Some(_) => {
                let alive = || {
                    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
                    let mut polled = [PollFd::new(pidfd.as_fd(), PollFlags::POLLIN)];
                    matches!(poll(&mut polled, PollTimeout::ZERO), Ok(0))
                };
                Some(network::Helper::start(pid.as_raw(), alive)?)
            }
            None => None,
        };
        // From here on, a failure (or a dropped future) kills the sandbox.
        let mut sandbox = Sandbox {
            init: Some(Arc::new(Init::forked(pid, pidfd))),
            cgroup,
            run_dir: None,
            network: None,
            host,
        };
        if let Some(helper) = helper {
            let dns = fds
                .pop()
                .ok_or_else(|| failed("give the sandbox its network", "init sent no DNS socket"))?;
            sandbox.network = Some(network::Link::establish(helper, dns, deadline).await?);
        }
        let work_dir = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_PATH | libc::O_DIRECTORY)
            .open(format!("/proc/{pid}/root{WORK_DIR}"))
            .map_err(io_err("open the sandbox's work dir"))?;
        if !restricted {
            crate::blocking(move || {
                let message = receive(&hello, deadline)?.message;
                match message.as_slice() {
                    b"p" => Ok(()),
                    _ => Err(setup_error(&message)),
                }
            })
            .await?;
        }
        if let Some(group) = sandbox.cgroup.as_ref().filter(|_| tasks_missing(caps)) {
            // cgroup v2: a thread cannot move itself, so the runner moves
            // the program by pid.
            let program = session::program_pid(pid.as_raw())
                .ok_or_else(|| failed("move the program into its cgroup", "init has no child"))?;
            Cgroup::add_to(&group.dirs(), program)
                .map_err(io_err("move the program into its cgroup"))?;
        }
        let mut channel = Channel::new(stdin_w, report_r)?;
        channel.start(None, SETUP_TIMEOUT).await?;
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
}

impl Drop for Zygote {
    /// Ends the server and its base sandbox before returning, so nothing
    /// of it is left once its pool is closed.
    fn drop(&mut self) {
        if let Some(base) = self.base.take() {
            base.discard();
        }
    }
}

/// Whether the hierarchy has no `tasks` file a thread may join through
/// (cgroup v2).
fn tasks_missing(caps: &super::Capabilities) -> bool {
    matches!(caps.cgroups, Some(super::cgroup::Hierarchy::V2 { .. }))
}

/// The error a sandbox's set-up reported (`error <what>`), or that it ended
/// without a word.
fn setup_error(message: &[u8]) -> SandboxError {
    match message.strip_prefix(b"error ") {
        Some(why) => SandboxError::io(
            "set up the sandbox",
            std::io::Error::other(format!(
                "could not {}",
                String::from_utf8_lossy(&why[..why.len().min(1024)])
            )),
        ),
        None if message.is_empty() => failed(
            "fork a sandbox",
            "the fork server's child ended before the sandbox was ready",
        ),
        None => failed("fork a sandbox", "an unexpected message from the sandbox"),
    }
}

/// One message from `socket` (empty at end of file); an error past
/// `deadline`.
fn receive(socket: &OwnedFd, deadline: Instant) -> Result<Received, SandboxError> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(failed(
                "wait for the sandbox",
                format!("no answer within {} s", SETUP_TIMEOUT.as_secs()),
            ));
        }
        let mut fds = [PollFd::new(socket.as_fd(), PollFlags::POLLIN)];
        let timeout =
            PollTimeout::try_from(left.min(Duration::from_secs(1))).unwrap_or(PollTimeout::MAX);
        match poll(&mut fds, timeout) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            Ok(_) => break,
            Err(err) => return Err(SandboxError::io("wait for the sandbox", err.into())),
        }
    }
    let mut buffer = vec![0u8; 4096];
    let mut space = nix::cmsg_space!(libc::ucred, [std::os::fd::RawFd; 2]);
    let mut iov = [std::io::IoSliceMut::new(&mut buffer)];
    let message = recvmsg::<()>(
        socket.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .map_err(|e| SandboxError::io("wait for the sandbox", e.into()))?;
    let mut received = Received {
        message: Vec::new(),
        pid: None,
        fds: Vec::new(),
    };
    for cmsg in message
        .cmsgs()
        .map_err(|e| SandboxError::io("wait for the sandbox", e.into()))?
    {
        match cmsg {
            ControlMessageOwned::ScmCredentials(creds) => {
                received.pid = Some(creds.pid()).filter(|pid| *pid > 0);
            }
            ControlMessageOwned::ScmRights(fds) => {
                received.fds.extend(crate::sys::adopt_received(fds));
            }
            _ => {}
        }
    }
    let length = message.bytes;
    buffer.truncate(length);
    received.message = buffer;
    Ok(received)
}

/// A message from a sandbox or the server: its bytes, the sender's pid
/// (as this process sees it) and any descriptors it carried.
struct Received {
    message: Vec<u8>,
    pid: Option<i32>,
    fds: Vec<OwnedFd>,
}

/// The server's configuration: what each of its sandboxes sets up, from
/// the same plan a cold sandbox of this shape is made from.
fn config(recipe: &Recipe) -> Result<String, SandboxError> {
    let plan = &recipe.plan;
    let caps = super::probe::for_isolation(recipe.isolation);
    // The plan's namespaces, as a cold sandbox's (the server adds the user
    // namespace itself, and init unshares the time namespace).
    let unshare = session::clone_flags(&plan.namespaces) & !libc::CLONE_NEWUSER;
    let time_namespace = plan
        .namespaces
        .contains(&sandbox_core::secure::Namespace::Time);
    let tmpfs: Vec<_> = plan
        .mounts
        .iter()
        .filter_map(|mount| match mount {
            Mount::Tmpfs {
                path,
                bytes,
                inodes,
            } => Some(json!([
                path.to_string_lossy(),
                rootfs::tmpfs_options(path, *bytes, *inodes)
            ])),
            _ => None,
        })
        .collect();
    let sysctls: Vec<_> = plan
        .sysctls
        .iter()
        .map(|s| json!([s.path, s.value]))
        .collect();
    let landlock = caps.landlock.then(|| {
        let masks = landlock::Masks::for_kernel(caps.landlock_abi);
        let flat = landlock::flat(&plan.landlock, &masks, caps.landlock_abi);
        json!({
            "handled": flat.handled,
            "scope": flat.scope,
            "attr_size": flat.attr_size,
            "file_access": flat.file_access,
            "rules": flat.rules.iter().map(|(path, access)| json!([path.to_string_lossy(), access])).collect::<Vec<_>>(),
        })
    });
    let seccomp: Vec<String> = session::seccomp_programs(plan.allow_network)?
        .iter()
        .map(|program| {
            let mut hex = String::with_capacity(program.len() * 16);
            for insn in program {
                let mut bytes = Vec::with_capacity(8);
                bytes.extend_from_slice(&insn.code.to_ne_bytes());
                bytes.push(insn.jt);
                bytes.push(insn.jf);
                bytes.extend_from_slice(&insn.k.to_ne_bytes());
                for byte in bytes {
                    hex.push_str(&format!("{byte:02x}"));
                }
            }
            hex
        })
        .collect();
    let views: Vec<_> = plan
        .proc_views
        .iter()
        .map(|view| json!([view.path.to_string_lossy(), view.contents]))
        .collect();
    Ok(json!({
        "unshare": unshare,
        "time_namespace": time_namespace,
        "tmpfs": tmpfs,
        "views": views,
        "view_marks": [sandbox_core::proc_view::BOOT_ID, sandbox_core::proc_view::BOOT_TIME],
        "sysctls": sysctls,
        "route_bytes": network::ROUTE_MESSAGE_BYTES,
        "routes_per_batch": network::ROUTES_PER_BATCH,
        "relay": sandbox_core::network::RELAY_ADDRESS.to_string(),
        "landlock": landlock,
        "seccomp": seccomp,
        "cwd": plan.cwd.to_string_lossy(),
        "sandbox_id": sandbox_core::secure::SANDBOX_ID,
        "syscalls": {
            "landlock_create_ruleset": libc::SYS_landlock_create_ruleset,
            "landlock_add_rule": libc::SYS_landlock_add_rule,
            "landlock_restrict_self": libc::SYS_landlock_restrict_self,
            "seccomp": libc::SYS_seccomp,
            "capset": libc::SYS_capset,
            "close_range": libc::SYS_close_range,
            "clone": libc::SYS_clone,
        },
    })
    .to_string())
}
