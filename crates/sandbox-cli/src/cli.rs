//! Command-line definitions. Every option says what it does and its default.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use sandbox_client::{ClientConfig, ExecutionRequest};
use sandbox_core::{ExecutionMode, Isolation};

/// Run Python code in a sandbox and get back its output and files.
#[derive(Debug, Parser)]
#[command(
    name = "sandbox",
    version,
    about,
    long_about = "Run Python code in a sandbox and get back its output and files.\n\n\
        Defaults come from SANDBOX_* environment variables and a .env file in the \
        current directory (SANDBOX_MODE, SANDBOX_TIMEOUT, SANDBOX_ALLOW_NETWORK, \
        SANDBOX_MAX_MEMORY_MB, SANDBOX_ISOLATION, SANDBOX_POLICY, SANDBOX_PYTHON, \
        SANDBOX_MAX_OUTPUT_BYTES, SANDBOX_MAX_RESULT_BYTES, SANDBOX_ALLOWED_NETWORKS, \
        SANDBOX_POOL_SIZE, and for a \
        remote server SANDBOX_SERVER_URL, SANDBOX_API_KEY, SANDBOX_API_TIMEOUT); \
        options given here override them.",
    after_help = "Run `sandbox run --help` for options and exit codes."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,

    /// Log what the sandbox does to stderr (repeat for more detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, display_order = 1000)]
    pub(crate) verbose: u8,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a Python file (or `-` for standard input) and pass its output through.
    #[command(after_long_help = crate::exit::HELP)]
    Run(RunArgs),
    /// Check a Python file (or `-` for standard input) against the syntax and
    /// the policy without running it. Exits 0 when it is clean, 1 with
    /// diagnostics (printed like a linter's), 2 on usage errors.
    Check(CheckArgs),
    /// Inspect policies: `sandbox policy show` prints the effective policy
    /// as a TOML file that `--policy` accepts.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Serve the sandbox to AI agents as MCP tools (`run_python`,
    /// `check_python`) over standard input and output: the command an MCP
    /// client (Claude Desktop, an IDE) is configured to start. Code runs on
    /// this machine with the options below; logs go to stderr.
    Mcp(McpArgs),
    /// An interactive Python session in the sandbox: variables, imports and
    /// files persist from one input to the next; an expression's value is
    /// echoed as Python's REPL does. Multi-line blocks end with an empty
    /// line. Ctrl-C interrupts the running code (the session and its state
    /// stay), Ctrl-D ends the session. Locally, or on a server with
    /// --remote.
    Repl(ReplArgs),
    /// Show which secure-mode isolation layers this machine offers, and
    /// whether secure mode can run at each isolation level. Exits 1 when the
    /// configured level ($SANDBOX_ISOLATION, else full) cannot run here.
    Doctor(DoctorArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The Python file to check, or `-` to read the code from standard input.
    #[arg(value_name = "FILE|-")]
    pub(crate) file: PathBuf,
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,
    /// An input file the code would get (its `.py` files are checked too,
    /// and importable by their names): `PATH` or `NAME=PATH`. Repeatable.
    #[arg(long = "input", short = 'i', value_name = "[NAME=]PATH")]
    pub(crate) inputs: Vec<String>,
}

/// Which policy applies: shared by `run`, `check` and `policy show`.
#[derive(Debug, Args)]
pub(crate) struct PolicyArgs {
    /// The policy code is checked against before it runs: a TOML policy
    /// file (see `sandbox policy show` for the format), `default` (the
    /// built-in policy in secure mode, none in simple mode) or `none` (only
    /// the syntax is checked). [default: $SANDBOX_POLICY, else default]
    #[arg(long, value_name = "FILE|default|none")]
    pub(crate) policy: Option<String>,
    /// The mode whose default policy applies (`secure` or `simple`).
    /// [default: $SANDBOX_MODE, else secure]
    #[arg(long, value_name = "MODE")]
    pub(crate) mode: Option<ExecutionMode>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Print the effective policy (from --policy, $SANDBOX_POLICY or the
    /// mode's default) as a complete TOML policy file.
    Show(PolicyArgs),
}

/// `sandbox mcp`: every run of the session takes these.
#[derive(Debug, Args)]
pub(crate) struct McpArgs {
    #[command(flatten)]
    pub(crate) exec: ExecFlags,

    /// Run every `run_python` call that names no `session_id` in one
    /// session kept for this connection, so variables, imports and files
    /// persist from call to call without the model managing sessions
    /// (`create_session` still makes more).
    #[arg(long)]
    pub(crate) session: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ReplArgs {
    /// Run the session on this sandbox-server (e.g. `http://localhost:8000`)
    /// instead of this machine. [default: $SANDBOX_SERVER_URL, else locally]
    #[arg(long, value_name = "URL")]
    pub(crate) remote: Option<String>,

    /// API key sent to the server. [default: $SANDBOX_API_KEY]
    #[arg(long, value_name = "KEY")]
    pub(crate) api_key: Option<String>,

    #[command(flatten)]
    pub(crate) exec: ExecFlags,
}

#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// The isolation level to check. [default: $SANDBOX_ISOLATION, else full]
    #[arg(long, value_name = "LEVEL")]
    pub(crate) isolation: Option<Isolation>,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The Python file to run, or `-` to read the code from standard input.
    #[arg(value_name = "FILE|-")]
    pub(crate) file: PathBuf,

    #[command(flatten)]
    pub(crate) exec: ExecFlags,

    /// Put a file in the program's work dir: `PATH` keeps the file's name,
    /// `NAME=PATH` chooses it (NAME may have subdirectories, e.g.
    /// `data/x.csv=./x.csv`). Repeatable.
    #[arg(long = "input", short = 'i', value_name = "[NAME=]PATH")]
    pub(crate) inputs: Vec<String>,

    /// Save the files the program creates or changes into DIR (created if
    /// missing; existing files of the same name are replaced), and the
    /// images it shows (matplotlib charts, `display()`) as display-N.png.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub(crate) output_dir: Option<PathBuf>,

    /// Print the full result as JSON (the execution contract) instead of
    /// passing the program's output through. When nothing could run (a bad
    /// option or file, an unreachable server) stdout gets the HTTP API's
    /// error object instead: `{"error": {"code": ..., "message": ...}}`.
    #[arg(long, conflicts_with = "stream_json")]
    pub(crate) json: bool,

    /// Print one JSON object per line as the run goes: `{"event": "stdout",
    /// "text": ...}` and `{"event": "stderr", "text": ...}` while the program
    /// writes, `{"event": "display", "data": {MIME type: ...}}` for each
    /// object it shows (its last expression's value, `display()`, a chart),
    /// then `{"event": "result", ...}` with the whole result (the
    /// execution contract's fields). For scripts that want live output and
    /// the result both. Errors before anything ran are printed as with
    /// --json.
    #[arg(long)]
    pub(crate) stream_json: bool,

    /// Most bytes kept of each of stdout and stderr; a program writing more
    /// is stopped. [default: $SANDBOX_MAX_OUTPUT_BYTES, else 1048576]
    #[arg(long, value_name = "BYTES")]
    pub(crate) max_output_bytes: Option<usize>,

    /// Most bytes the result may take as JSON (what --json prints): stdout
    /// and stderr as escaped (a NUL byte is six bytes), output files as
    /// base64. A program whose output reaches it is stopped; files past it
    /// are left out. [default: $SANDBOX_MAX_RESULT_BYTES, else derived from
    /// the other caps: 26607512 with theirs]
    #[arg(long, value_name = "BYTES")]
    pub(crate) max_result_bytes: Option<u64>,

    /// Run on this sandbox-server (e.g. `http://localhost:8000`) instead of
    /// this machine. The server's own isolation level, interpreter, output
    /// caps and policy then apply (--isolation, --python, --max-output-bytes,
    /// --max-result-bytes and --policy are refused). [default: $SANDBOX_SERVER_URL, else run
    /// locally]
    #[arg(long, value_name = "URL")]
    pub(crate) remote: Option<String>,

    /// API key sent to the server (with --remote or $SANDBOX_SERVER_URL).
    /// [default: $SANDBOX_API_KEY]
    #[arg(long, value_name = "KEY")]
    pub(crate) api_key: Option<String>,
}

/// How code runs: the options every command that runs code takes (`run`
/// and `mcp`), applied by [`ExecFlags::apply`].
#[derive(Debug, Args)]
pub(crate) struct ExecFlags {
    /// Isolation mode. `secure` runs the code in fresh Linux namespaces with
    /// landlock, seccomp and cgroup limits (see `sandbox doctor`). `simple`
    /// is a plain child process with limits, for trusted code only: it does
    /// not isolate files or the network. [default: $SANDBOX_MODE, else secure]
    #[arg(long, value_name = "MODE")]
    pub(crate) mode: Option<ExecutionMode>,

    /// Which secure-mode layers must be present: `full` (all), `no-cgroups`
    /// (all but cgroups; memory and process limits by rlimits), `best-effort`
    /// (namespaces and seccomp required, the rest when available). Secure
    /// mode refuses to run, naming the missing layer, rather than run weaker
    /// than this. [default: $SANDBOX_ISOLATION, else full]
    #[arg(long, value_name = "LEVEL")]
    pub(crate) isolation: Option<Isolation>,

    /// Wall-clock limit in seconds (fractions allowed); the program and
    /// everything it started are killed when it passes (under `mcp`, a
    /// call's `timeout` may change it). [default: $SANDBOX_TIMEOUT, else 30]
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub(crate) timeout: Option<f64>,

    /// Memory limit in MiB. [default: $SANDBOX_MAX_MEMORY_MB, else 128]
    #[arg(long, value_name = "MIB")]
    pub(crate) memory_mb: Option<u64>,

    /// Allow network access (`--allow-network` or `--allow-network=false`).
    /// Enforced in secure mode only. [default: $SANDBOX_ALLOW_NETWORK, else false]
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub(crate) allow_network: Option<bool>,

    /// The policy the code is checked against before it runs: a TOML policy
    /// file (see `sandbox policy show` for the format), `default` (the
    /// built-in policy in secure mode, none in simple mode) or `none`. A
    /// violation exits 122 and nothing runs.
    /// [default: $SANDBOX_POLICY, else default]
    #[arg(long, value_name = "FILE|default|none")]
    pub(crate) policy: Option<String>,

    /// Python interpreter to use (path or name on PATH).
    /// [default: $SANDBOX_PYTHON, else python3 on PATH]
    #[arg(long, value_name = "PYTHON")]
    pub(crate) python: Option<PathBuf>,
}

impl ExecFlags {
    /// Applies the flags given: the runner's settings (isolation, policy,
    /// interpreter) to `config`; the settings of a run (mode, timeout,
    /// memory, network) to `request` when there is one (`sandbox run`, whose
    /// errors then name the request's field), else to `config`'s defaults
    /// for every run (`sandbox mcp`).
    pub(crate) fn apply(
        &self,
        config: &mut ClientConfig,
        request: Option<&mut ExecutionRequest>,
    ) -> anyhow::Result<()> {
        if let Some(isolation) = self.isolation {
            config.isolation = isolation;
        }
        if let Some(policy) = &self.policy {
            config.policy = crate::run::parse_policy(policy)?;
        }
        if let Some(python) = &self.python {
            config.python = Some(python.clone());
        }
        let timeout = self.timeout.map(crate::run::parse_timeout).transpose()?;
        match request {
            Some(request) => {
                request.mode = self.mode.or(request.mode);
                request.timeout = timeout.or(request.timeout);
                request.memory_mb = self.memory_mb.or(request.memory_mb);
                request.allow_network = self.allow_network.or(request.allow_network);
            }
            None => {
                config.mode = self.mode.unwrap_or(config.mode);
                config.timeout = timeout.unwrap_or(config.timeout);
                config.max_memory_mb = self.memory_mb.unwrap_or(config.max_memory_mb);
                config.allow_network = self.allow_network.unwrap_or(config.allow_network);
            }
        }
        Ok(())
    }

    /// The flags that shape a local run only, as given: a remote server
    /// uses its own.
    pub(crate) fn local_only(&self) -> [(&'static str, bool); 3] {
        [
            ("--isolation", self.isolation.is_some()),
            ("--python", self.python.is_some()),
            ("--policy", self.policy.is_some()),
        ]
    }
}
