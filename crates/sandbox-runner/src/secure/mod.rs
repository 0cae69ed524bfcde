//! Secure mode: the Linux kernel between the code and the host.
//!
//! One execution, in stages (see also `docs/secure-mode.md`):
//! 1. **Prepare** in the parent: probe the layers (once) and refuse if the
//!    configured [`Isolation`] needs one that is missing; build the
//!    [`SecurePlan`]; compile the seccomp BPF; build the landlock ruleset
//!    for the bind mounts; create the cgroups (unless `no-cgroups`); turn
//!    every path, argument and root entry into C strings.
//! 2. **Namespaces**: `clone(2)` init into new user, pid, mount, ipc, uts
//!    and cgroup namespaces, and a net namespace unless the network is
//!    allowed. The parent maps the sandbox user (uid/gid 1000 inside; this
//!    process's ids outside, or `nobody` under a root runner), then says go.
//! 3. **Root**: init scrubs its copy of the parent's argv and environment,
//!    mounts a small tmpfs root on the empty run dir and has a helper fill
//!    it as the sandbox user, binds `/usr` and the interpreter's prefixes
//!    read-only, the device nodes, tmpfs for `/sandbox`, `/tmp`, `/dev/shm`
//!    (size and inode caps; `noexec`, like the root), a fresh `/proc`; `pivot_root`, detaches the old
//!    root, remounts `/` read-only; sets namespaced sysctls, the hostname,
//!    loopback; adds landlock rules for what it mounted; installs the exec
//!    gate on itself (see `exec_gate`) and forks the program.
//!    The parent opens `/sandbox` by descriptor and finds the program's pid
//!    while init is dumpable; then init makes itself non-dumpable.
//! 4. **Limits**: the program first moves itself into its cgroups (memory,
//!    pids) through descriptors the parent opened (on cgroup v2 the parent
//!    moves it while the interpreter starts), and sets its rlimits (CPU, file size, open files, core; address
//!    space and process count without cgroups). While the interpreter
//!    starts, the parent writes the input files. It enforces the
//!    wall-clock timeout.
//! 5. **Rules**: the program empties its capability sets, switches to the
//!    sandbox user under a root runner, sets no_new_privs, restricts itself
//!    with landlock (read the binds, write `/sandbox`, `/tmp`, `/dev/shm`,
//!    execute only the interpreter and its loader), closes every inherited
//!    descriptor, and installs seccomp last.
//! 6. **Exec** the interpreter (`-I -S -B -u -X utf8`, site-packages put on
//!    `sys.path` by the bootstrap) with a fixed environment. Init lets this
//!    one exec through the gate and closes it: every later exec in the
//!    sandbox fails with `ENOSYS`.
//! 7. **After**: when the program exits (or the timeout or output cap makes
//!    the parent ask init to), init kills every process left in the
//!    namespace and reports the exit; the parent collects the output files
//!    through its descriptor without following symlinks, releases init (the
//!    namespaces and tmpfs die with it), removes the cgroups and the run dir,
//!    and classifies the outcome (`memory_limit` from the OOM counter).
//!
//! The child side of stages 2–6 lives in `sys::sandbox`: after the clone
//! it makes only async-signal-safe raw syscalls on data prepared here,
//! because the runner usually lives in a multithreaded program.
//!
//! On other systems secure mode is not available: [`probe()`](probe()) reports every
//! layer missing and a run is refused with [`SandboxError::Unsupported`],
//! while simple mode works as on Linux.

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) mod cgroup;
#[cfg(target_os = "linux")]
mod exec_gate;
#[cfg(target_os = "linux")]
mod landlock;
#[cfg(target_os = "linux")]
pub(crate) mod network;
pub mod probe;
#[cfg(target_os = "linux")]
mod rootfs;
#[cfg(target_os = "linux")]
mod seccomp;
#[cfg(target_os = "linux")]
pub(crate) mod session;
#[cfg(target_os = "linux")]
pub(crate) mod uid;
#[cfg(target_os = "linux")]
pub(crate) mod zygote;

#[cfg(target_os = "linux")]
use std::sync::Arc;

#[cfg(target_os = "linux")]
use crate::pool::{Pool, Shape};

use sandbox_core::SandboxError;
#[cfg(target_os = "linux")]
use sandbox_core::{
    ClientConfig, ExecutionRequest, ExecutionResult, Isolation, Limits, SecurePlan,
};

pub use probe::{Capabilities, Layer, probe};

/// Runs one validated request in secure mode.
#[cfg(target_os = "linux")]
pub(crate) async fn run(
    request: ExecutionRequest,
    limits: Limits,
    config: &ClientConfig,
    guard: Option<String>,
    pool: Option<&Pool>,
    output: Option<crate::OutputSink>,
) -> Result<ExecutionResult, SandboxError> {
    let caps = probe::for_isolation(config.isolation);
    if let Some(missing) = missing_layers(caps, config.isolation) {
        return Err(missing);
    }
    let layout = crate::interpreter::layout(config.python.as_deref()).await?;
    let bootstrap = crate::interpreter::resolve(config.python.as_deref())
        .await?
        .bootstrap
        .clone();
    usable(&layout)?;
    let input_bytes: u64 = request.input_files.values().map(|c| c.len() as u64).sum();
    let unused = unused_layers(caps, config.isolation);
    let work_root = config.work_root.clone().unwrap_or_else(std::env::temp_dir);
    let mut job = session::Job {
        request,
        guard_spec: guard,
        output,
    };
    let recipe = |plan: SecurePlan| {
        Arc::new(session::Recipe {
            plan: Arc::new(plan),
            bootstrap: bootstrap.clone(),
            isolation: config.isolation,
            unused: unused.clone(),
            work_root: work_root.clone(),
        })
    };
    if let Some(pool) = pool.filter(|_| input_bytes <= POOL_INPUT_BYTES) {
        let shape = Shape {
            allow_network: limits.allow_network,
        };
        let pooled = pool
            .take(shape, || recipe(pool_plan(&layout, &limits)))
            .await;
        if let Some((prepared, lease)) = pooled {
            let outcome = session::execute(prepared, job, &limits, true).await;
            drop(lease);
            match outcome {
                Ok(result) => return Ok(result),
                Err(session::Failure::Failed(err)) => return Err(err),
                // It died while it waited: run the job cold.
                Err(session::Failure::Stale(returned)) => {
                    pool.died_idle();
                    job = *returned;
                }
            }
        }
    }
    let plan = SecurePlan::new(
        &layout,
        limits.clone(),
        input_bytes,
        &facts_for(&limits),
        host_entry,
        |p| std::fs::read_link(p).ok(),
    );
    match session::run(recipe(plan), job, &limits).await {
        Err(SandboxError::Io { action, source }) if action == session::CLONE_STEP => {
            Err(missing_layers(probe::cached(), config.isolation)
                .unwrap_or(SandboxError::Io { action, source }))
        }
        outcome => outcome,
    }
}

/// Refuses an interpreter the sandbox would hide.
#[cfg(target_os = "linux")]
fn usable(layout: &sandbox_core::secure::InterpreterLayout) -> Result<(), SandboxError> {
    match layout.hidden_by_sandbox() {
        Some((path, private)) => Err(SandboxError::Unsupported {
            feature: "secure mode with this interpreter".into(),
            reason: format!(
                "`{}` lies under `{private}`, which secure mode replaces with its own; \
                 install the interpreter or virtualenv elsewhere (e.g. under /opt or a \
                 project directory)",
                path.display()
            ),
        }),
        None => Ok(()),
    }
}

/// Prepares a secure sandbox kept for a session under `limits` (its memory,
/// network and output caps; its CPU limit is the session's lifetime's, as
/// each run's time is bounded by its own timeout), with `guard` installed
/// before its first run.
#[cfg(target_os = "linux")]
pub(crate) async fn open_session(
    limits: &Limits,
    lifetime: std::time::Duration,
    config: &ClientConfig,
    guard: Option<String>,
) -> Result<session::Kept, SandboxError> {
    let caps = probe::for_isolation(config.isolation);
    if let Some(missing) = missing_layers(caps, config.isolation) {
        return Err(missing);
    }
    let layout = crate::interpreter::layout(config.python.as_deref()).await?;
    usable(&layout)?;
    let bootstrap = crate::interpreter::resolve(config.python.as_deref())
        .await?
        .bootstrap
        .clone();
    let mut planned = limits.clone();
    planned.timeout = lifetime;
    let plan = SecurePlan::new(
        &layout,
        planned.clone(),
        POOL_INPUT_BYTES,
        &facts_for(&planned),
        host_entry,
        |p| std::fs::read_link(p).ok(),
    );
    let recipe = Arc::new(session::Recipe {
        plan: Arc::new(plan),
        bootstrap,
        isolation: config.isolation,
        unused: unused_layers(caps, config.isolation),
        work_root: config.work_root.clone().unwrap_or_else(std::env::temp_dir),
    });
    let prepared = match session::prepare(recipe).await {
        Err(SandboxError::Io { action, source }) if action == session::CLONE_STEP => {
            return Err(missing_layers(probe::cached(), config.isolation)
                .unwrap_or(SandboxError::Io { action, source }));
        }
        prepared => prepared?,
    };
    session::Kept::new(prepared, guard)
}

/// The error naming the layers `isolation` needs that `caps` lacks, if any.
#[cfg(target_os = "linux")]
fn missing_layers(caps: &Capabilities, isolation: Isolation) -> Option<SandboxError> {
    let missing = caps.missing_for(isolation);
    let first = missing.first()?;
    let names: Vec<&str> = missing.iter().map(|l| l.name).collect();
    Some(SandboxError::Unsupported {
        feature: "secure mode".into(),
        reason: format!(
            "the {} layer is missing ({}); missing here: {}. Run `sandbox doctor` for details; \
             a weaker isolation level (SANDBOX_ISOLATION=no-cgroups or best-effort) can be \
             chosen explicitly",
            first.name,
            first.status.clone().err().unwrap_or_default(),
            names.join(", ")
        ),
    })
}

/// Input bytes a prepared sandbox's work dir has room for beyond its own
/// free space; a request with more takes the cold path (whose work dir is
/// sized for its inputs).
#[cfg(target_os = "linux")]
pub(crate) const POOL_INPUT_BYTES: u64 = 16 << 20;

/// The plan of a prepared sandbox: rlimits and cgroup memory at the most a
/// request may ask (lowered to the request's at checkout), room for
/// [`POOL_INPUT_BYTES`] of input.
#[cfg(target_os = "linux")]
fn pool_plan(layout: &sandbox_core::secure::InterpreterLayout, limits: &Limits) -> SecurePlan {
    let most = Limits {
        timeout: sandbox_core::limits::MAX_TIMEOUT,
        memory_mb: sandbox_core::limits::MAX_MEMORY_MB,
        ..limits.clone()
    };
    let mut plan = SecurePlan::new(
        layout,
        most,
        POOL_INPUT_BYTES,
        &facts_for(limits),
        host_entry,
        |p| std::fs::read_link(p).ok(),
    );
    // Made before its request, a pooled sandbox shows the default limit.
    plan.proc_views = sandbox_core::proc_view::views(host_facts(), limits.memory_mb, |p| {
        host_entry(p) != sandbox_core::secure::HostEntry::Missing
    });
    plan
}

/// Stocks `pool` with sandboxes for `config`'s default shape, so the first
/// requests find them ready.
#[cfg(target_os = "linux")]
pub(crate) async fn warm(pool: &Pool, config: &ClientConfig) -> Result<(), SandboxError> {
    let caps = probe::cached();
    if !caps.missing_for(config.isolation).is_empty() {
        return Ok(()); // Runs say why; nothing to prepare.
    }
    let layout = crate::interpreter::layout(config.python.as_deref()).await?;
    if layout.hidden_by_sandbox().is_some() {
        return Ok(());
    }
    let bootstrap = crate::interpreter::resolve(config.python.as_deref())
        .await?
        .bootstrap
        .clone();
    let limits = Limits::resolve(&ExecutionRequest::new(""), config)?;
    let recipe = session::Recipe {
        plan: Arc::new(pool_plan(&layout, &limits)),
        bootstrap,
        isolation: config.isolation,
        unused: unused_layers(caps, config.isolation),
        work_root: config.work_root.clone().unwrap_or_else(std::env::temp_dir),
    };
    pool.warm(
        Shape {
            allow_network: limits.allow_network,
        },
        Arc::new(recipe),
    );
    Ok(())
}

/// Secure mode on a system without its kernel features: refused.
#[cfg(not(target_os = "linux"))]
pub(crate) async fn run(
    _request: sandbox_core::ExecutionRequest,
    _limits: sandbox_core::Limits,
    _config: &sandbox_core::ClientConfig,
    _guard: Option<String>,
    _pool: Option<&std::convert::Infallible>,
    _output: Option<crate::OutputSink>,
) -> Result<sandbox_core::ExecutionResult, SandboxError> {
    Err(SandboxError::Unsupported {
        feature: "secure mode".into(),
        reason: format!(
            "it is built on Linux kernel features (namespaces, landlock, seccomp, cgroups) and \
             this system is {}. Use simple mode for trusted code (SANDBOX_MODE=simple or \
             `--mode simple`), or run the code on a sandbox server on Linux \
             (SANDBOX_SERVER_URL or `--remote`)",
            std::env::consts::OS
        ),
    })
}

/// Layers a run goes without: none at `full`; the cgroup limits at
/// `no-cgroups` (rlimits stand in, by choice); whatever is missing here at
/// `best-effort`.
#[cfg(target_os = "linux")]
fn unused_layers(caps: &Capabilities, isolation: Isolation) -> Vec<&'static str> {
    match isolation {
        Isolation::Full => Vec::new(),
        Isolation::NoCgroups => vec!["cgroup memory", "cgroup pids"],
        Isolation::BestEffort => caps
            .layers
            .iter()
            .filter(|l| !l.available() && !probe::OPTIONAL_LAYERS.contains(&l.name))
            .map(|l| l.name)
            .collect(),
    }
}

/// What the `/proc` views keep of this machine, read once.
#[cfg(target_os = "linux")]
fn host_facts() -> &'static sandbox_core::proc_view::HostFacts {
    static FACTS: std::sync::LazyLock<sandbox_core::proc_view::HostFacts> =
        std::sync::LazyLock::new(|| {
            let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
            sandbox_core::proc_view::HostFacts::parse(&read("/proc/stat"), &read("/proc/meminfo"))
        });
    &FACTS
}

/// The host facts a plan for `limits` needs: with the network allowed,
/// the host's addresses as they are now (a sandbox must not reach them).
#[cfg(target_os = "linux")]
fn facts_for(limits: &Limits) -> std::borrow::Cow<'static, sandbox_core::proc_view::HostFacts> {
    if !limits.allow_network {
        return std::borrow::Cow::Borrowed(host_facts());
    }
    std::borrow::Cow::Owned(sandbox_core::proc_view::HostFacts {
        addresses: network::host_addresses(),
        ..host_facts().clone()
    })
}

#[cfg(target_os = "linux")]
fn host_entry(path: &std::path::Path) -> sandbox_core::secure::HostEntry {
    use sandbox_core::secure::HostEntry;
    match std::fs::symlink_metadata(path) {
        Err(_) => HostEntry::Missing,
        Ok(meta) if meta.file_type().is_symlink() => HostEntry::Symlink,
        Ok(_) => HostEntry::Present,
    }
}
