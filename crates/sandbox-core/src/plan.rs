//! The run plan: a request turned into plain data (argv, environment,
//! rlimits) that a runner executes. Keeping it data means the exact command
//! and limits are snapshot-tested without spawning anything.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::limits::{self, Limits};

/// The Python that runs before the user's code: reads the code from stdin,
/// closes stdin, runs the code as `__main__` from `main.py` and keeps its own
/// frames out of tracebacks.
pub const BOOTSTRAP: &str = include_str!("bootstrap.py");

/// The `-c` program of both modes: loads [`BOOTSTRAP`], compiled ahead of
/// time, from the head of stdin and runs it in `__main__`. Compiling the
/// bootstrap's source at every start costs more than a millisecond; the
/// runner compiles it once per interpreter (the `marshal` format is
/// specific to the interpreter's version) and sends it with
/// [`stdin_payload`]. No name is left behind in `__main__`.
pub const BOOTSTRAP_LOADER: &str = "(lambda b: exec(__import__('marshal').loads(b.read(int(b.readline()))), globals()))(__import__('sys').stdin.buffer)";

/// The fork server (see `docs/workers.md`): an interpreter that makes one
/// sandbox per request by forking, with the bootstrap already loaded.
pub const ZYGOTE: &str = include_str!("zygote.py");

/// The fork server's `-c` program: reads [`ZYGOTE`]'s source from the head
/// of stdin (its length on a line) and runs it in `__main__`. It starts
/// once per server, so its source is compiled where it runs.
pub const ZYGOTE_LOADER: &str = "(lambda b: exec(b.read(int(b.readline())).decode(), globals()))(__import__('sys').stdin.buffer)";

/// What the interpreter reads on stdin: the length of the compiled
/// bootstrap on a line, the compiled bootstrap (`marshal` data), then the
/// user's code.
pub fn stdin_payload(compiled_bootstrap: &[u8], code: &[u8]) -> Vec<u8> {
    let header = format!("{}\n", compiled_bootstrap.len());
    let mut payload = Vec::with_capacity(header.len() + compiled_bootstrap.len() + code.len());
    payload.extend_from_slice(header.as_bytes());
    payload.extend_from_slice(compiled_bootstrap);
    payload.extend_from_slice(code);
    payload
}

/// A process resource limit, applied with `setrlimit` before `execve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// `RLIMIT_CPU`, seconds.
    Cpu,
    /// `RLIMIT_AS`, bytes of address space.
    AddressSpace,
    /// `RLIMIT_FSIZE`, bytes per written file.
    FileSize,
    /// `RLIMIT_NOFILE`, open descriptors.
    OpenFiles,
    /// `RLIMIT_CORE`, bytes of core dump.
    Core,
    /// `RLIMIT_NPROC`, processes of the user.
    Processes,
}

/// One rlimit with its soft and hard values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rlimit {
    /// Which resource.
    pub resource: Resource,
    /// Soft limit (the one that signals or fails).
    pub soft: u64,
    /// Hard limit (the ceiling the program cannot raise the soft one above).
    pub hard: u64,
}

impl Rlimit {
    /// A limit whose soft and hard values are equal.
    pub fn fixed(resource: Resource, value: u64) -> Self {
        Self {
            resource,
            soft: value,
            hard: value,
        }
    }
}

/// Everything a runner needs to start one execution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionPlan {
    /// The interpreter to execute (already resolved to a real file).
    pub program: PathBuf,
    /// Arguments after the program name.
    pub args: Vec<String>,
    /// The complete environment; nothing else is inherited.
    pub env: Vec<(String, String)>,
    /// Directory the program starts in (the work dir).
    pub cwd: PathBuf,
    /// rlimits applied to the program.
    pub rlimits: Vec<Rlimit>,
    /// The resolved limits.
    pub limits: Limits,
}

impl ExecutionPlan {
    /// The plan for simple mode: `python -I -B -u -X utf8 -c LOADER` in
    /// `work_dir`, with `tmp_dir` as `TMPDIR`, a fixed minimal environment and
    /// rlimits derived from `limits`.
    pub fn simple(python: &Path, work_dir: &Path, tmp_dir: &Path, limits: Limits) -> Self {
        let memory = limits.memory_mb.saturating_mul(1 << 20);
        let mut rlimits = process_rlimits(&limits);
        rlimits.insert(1, Rlimit::fixed(Resource::AddressSpace, memory));
        Self {
            program: python.to_owned(),
            args: interpreter_args(),
            env: base_env(
                python,
                &work_dir.to_string_lossy(),
                &tmp_dir.to_string_lossy(),
            ),
            cwd: work_dir.to_owned(),
            rlimits,
            limits,
        }
    }
}

/// Interpreter flags: isolated (`-I`: no `PYTHON*` variables, no user site,
/// no script dir on `sys.path`), no bytecode files in the work dir (`-B`),
/// unbuffered so output written before a kill is kept (`-u`), UTF-8 I/O
/// whatever the locale (`-X utf8`).
fn interpreter_args() -> Vec<String> {
    ["-I", "-B", "-u", "-X", "utf8", "-c", BOOTSTRAP_LOADER]
        .map(String::from)
        .to_vec()
}

/// The fixed environment, shared by both modes. `PATH` starts with the
/// interpreter's own directory. Thread counts of numeric libraries are
/// pinned to 1 so a memory-capped run does not fail allocating per-core
/// buffers.
pub(crate) fn base_env(python: &Path, home: &str, tmp: &str) -> Vec<(String, String)> {
    let mut path = String::new();
    if let Some(bin) = python.parent() {
        path.push_str(&bin.to_string_lossy());
        path.push(':');
    }
    path.push_str("/usr/local/bin:/usr/bin:/bin");
    [
        ("PATH", path),
        ("HOME", home.to_owned()),
        ("TMPDIR", tmp.to_owned()),
        ("LANG", "C.UTF-8".into()),
        ("LC_ALL", "C.UTF-8".into()),
        ("PYTHONIOENCODING", "utf-8".into()),
        ("PYTHONDONTWRITEBYTECODE", "1".into()),
        ("PYTHONUNBUFFERED", "1".into()),
        ("MPLBACKEND", "Agg".into()),
        ("OMP_NUM_THREADS", "1".into()),
        ("OPENBLAS_NUM_THREADS", "1".into()),
        ("MKL_NUM_THREADS", "1".into()),
    ]
    .map(|(k, v)| (k.to_owned(), v))
    .to_vec()
}

/// The rlimits of both modes: CPU time one second past the timeout (see
/// [`Limits::cpu_seconds`]), file size, open files, no core dumps.
pub(crate) fn process_rlimits(limits: &Limits) -> Vec<Rlimit> {
    let cpu = limits.cpu_seconds();
    vec![
        Rlimit {
            resource: Resource::Cpu,
            soft: cpu,
            hard: cpu + 1,
        },
        Rlimit::fixed(Resource::FileSize, limits.max_file_bytes),
        Rlimit::fixed(Resource::OpenFiles, limits::OPEN_FILES),
        Rlimit::fixed(Resource::Core, 0),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientConfig, ExecutionRequest};

    #[test]
    fn simple_plan_snapshot() {
        let limits = Limits::resolve(
            &ExecutionRequest::new("print(1)").with_mode(crate::ExecutionMode::Simple),
            &ClientConfig::default(),
        )
        .unwrap();
        let plan = ExecutionPlan::simple(
            Path::new("/opt/python/bin/python3.11"),
            Path::new("/tmp/sandbox-run/work"),
            Path::new("/tmp/sandbox-run/tmp"),
            limits,
        );
        insta::assert_json_snapshot!(plan);
    }
}
