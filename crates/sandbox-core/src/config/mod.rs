//! Client configuration: defaults, the builder, and loading from the
//! environment and a `.env` file.
//!
//! Loading never mutates the process environment (that is unsound in a
//! multithreaded program): `.env` is read into a map and the real environment
//! takes precedence over it. Every value is checked; an invalid one is an
//! error naming the variable and the value, never a silent default.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::bounds;
use crate::contract::ExecutionMode;
use crate::contract::Isolation;
use crate::encoded;
use crate::error::ConfigError;
use crate::policy::Policy;
use crate::vars;

/// Default wall-clock timeout per execution (the original's 30 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default memory limit (the original's 128 MiB).
pub const DEFAULT_MEMORY_MB: u64 = 128;
/// Default HTTP timeout for remote calls.
pub const DEFAULT_API_TIMEOUT: Duration = Duration::from_secs(60);
/// Default cap per output stream: 1 MiB.
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 1 << 20;
/// Default cap on the number of output files returned.
pub const DEFAULT_MAX_OUTPUT_FILES: usize = 100;
/// Default cap on the total size of output files returned: 16 MiB.
pub const DEFAULT_MAX_OUTPUT_FILES_BYTES: u64 = 16 << 20;
/// Default size limit of any one file the program writes: 64 MiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 << 20;
/// Most sandboxes a pool keeps prepared per shape.
pub const MAX_POOL_SIZE: usize = 64;
/// The default mode: secure, the kernel-enforced sandbox. Simple mode is for
/// trusted code only and must be asked for.
pub const DEFAULT_MODE: ExecutionMode = ExecutionMode::Secure;

/// How a [`SandboxClient`](../sandbox_client/struct.SandboxClient.html) runs
/// code, and the defaults applied to each request.
#[derive(Clone, PartialEq)]
pub struct ClientConfig {
    /// Base URL of a remote `sandbox-server`; `None` runs code locally.
    pub server_url: Option<String>,
    /// Default isolation mode.
    pub mode: ExecutionMode,
    /// Default wall-clock timeout per execution.
    pub timeout: Duration,
    /// Default network access.
    pub allow_network: bool,
    /// Default memory limit, MiB.
    pub max_memory_mb: u64,
    /// The isolation secure mode requires (see [`Isolation`]).
    pub isolation: Isolation,
    /// HTTP timeout for remote calls (separate from the execution timeout).
    pub api_timeout: Duration,
    /// API key for a remote server.
    pub api_key: Option<String>,
    /// Interpreter to use (path or name on `PATH`); discovered when `None`.
    pub python: Option<PathBuf>,
    /// Cap on captured bytes per output stream.
    pub max_output_bytes: usize,
    /// Cap on the number of output files returned.
    pub max_output_files: usize,
    /// Cap on the total bytes of output files returned.
    pub max_output_files_bytes: u64,
    /// Largest file the program may write (`RLIMIT_FSIZE`).
    pub max_file_bytes: u64,
    /// Cap on a result's size as JSON, in bytes: what one run may cost in
    /// memory and in bytes sent, however its output escapes. `None` derives
    /// it from the other caps ([`encoded::default_max_result_bytes`]), so
    /// that they bind for ordinary output.
    pub max_result_bytes: Option<u64>,
    /// Directory under which per-run work dirs are created; the system temp
    /// dir when `None`.
    pub work_root: Option<PathBuf>,
    /// Which policy code is checked against before it runs.
    pub policy: PolicyChoice,
    /// Secure sandboxes kept prepared ahead of requests, per shape (network
    /// on or off): a run then costs only its code's time. 0 (the library's
    /// default) prepares none; `sandbox-server` defaults to its concurrency.
    pub pool_size: usize,
    /// Networks a secure sandbox with the network allowed may reach
    /// although [`network::REFUSED_RANGES`](crate::network::REFUSED_RANGES)
    /// or the host's own addresses hold them (an internal service).
    pub allowed_networks: Vec<ipnet::Ipv4Net>,
}

/// Which policy applies (see [`ClientConfig::policy_for`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum PolicyChoice {
    /// The built-in [`Policy::secure_default`] in secure mode; none in
    /// simple mode, which is for trusted code.
    #[default]
    ByMode,
    /// No policy in either mode: only the syntax is checked.
    Off,
    /// This policy, in both modes.
    Custom(Box<Policy>),
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            server_url: None,
            mode: DEFAULT_MODE,
            timeout: DEFAULT_TIMEOUT,
            allow_network: false,
            max_memory_mb: DEFAULT_MEMORY_MB,
            isolation: Isolation::Full,
            api_timeout: DEFAULT_API_TIMEOUT,
            api_key: None,
            python: None,
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
            max_output_files: DEFAULT_MAX_OUTPUT_FILES,
            max_output_files_bytes: DEFAULT_MAX_OUTPUT_FILES_BYTES,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_result_bytes: None,
            work_root: None,
            policy: PolicyChoice::ByMode,
            pool_size: 0,
            allowed_networks: Vec::new(),
        }
    }
}

impl fmt::Debug for ClientConfig {
    // Hand-written so the API key never reaches a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("server_url", &self.server_url)
            .field("mode", &self.mode)
            .field("timeout", &self.timeout)
            .field("allow_network", &self.allow_network)
            .field("max_memory_mb", &self.max_memory_mb)
            .field("isolation", &self.isolation)
            .field("api_timeout", &self.api_timeout)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("python", &self.python)
            .field("max_output_bytes", &self.max_output_bytes)
            .field("max_output_files", &self.max_output_files)
            .field("max_output_files_bytes", &self.max_output_files_bytes)
            .field("max_file_bytes", &self.max_file_bytes)
            .field("max_result_bytes", &self.max_result_bytes)
            .field("work_root", &self.work_root)
            .field("policy", &self.policy)
            .field("pool_size", &self.pool_size)
            .field("allowed_networks", &self.allowed_networks)
            .finish()
    }
}

impl ClientConfig {
    /// The policy that applies to code run in `mode`, if any.
    pub fn policy_for(&self, mode: ExecutionMode) -> Option<&Policy> {
        match (&self.policy, mode) {
            (PolicyChoice::Custom(policy), _) => Some(policy),
            (PolicyChoice::ByMode, ExecutionMode::Secure) => Some(Policy::secure_default()),
            (PolicyChoice::ByMode, ExecutionMode::Simple) | (PolicyChoice::Off, _) => None,
        }
    }

    /// Uses `policy` in both modes.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = PolicyChoice::Custom(Box::new(policy));
        self
    }

    /// Turns the policy check off (only the syntax is checked).
    pub fn without_policy(mut self) -> Self {
        self.policy = PolicyChoice::Off;
        self
    }

    /// Changes the policy in use (starting from the default policy when
    /// none is chosen yet), e.g.
    /// `config.edit_policy(|p| p.allow_modules(["requests"]))`.
    pub fn edit_policy(mut self, edit: impl FnOnce(Policy) -> Policy) -> Self {
        let base = match self.policy {
            PolicyChoice::Custom(policy) => *policy,
            PolicyChoice::ByMode | PolicyChoice::Off => Policy::secure_default().clone(),
        };
        self.policy = PolicyChoice::Custom(Box::new(edit(base)));
        self
    }

    /// The result cap in force: the one set, or the one the other caps
    /// imply.
    pub fn result_cap(&self) -> u64 {
        self.max_result_bytes.unwrap_or_else(|| {
            encoded::default_max_result_bytes(
                self.max_output_bytes,
                self.max_output_files,
                self.max_output_files_bytes,
            )
        })
    }

    /// Reads the configuration from the process environment and a `.env`
    /// file in the current directory (the real environment wins). Variables
    /// not set anywhere keep their defaults.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the variable that is malformed or out of range,
    /// or the `.env` file that cannot be read.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_sources(std::env::vars_os(), Some(Path::new(".env")))
    }

    /// [`from_env`](Self::from_env) with explicit sources, for tests and for
    /// programs that keep their own environment map. A missing `dotenv` file
    /// is not an error; an unreadable or malformed one is.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the variable that is malformed or out of range,
    /// or the `dotenv` file that cannot be read or parsed.
    pub fn from_sources(
        env: impl IntoIterator<Item = (OsString, OsString)>,
        dotenv: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        let mut values: HashMap<String, OsString> = HashMap::new();
        if let Some(path) = dotenv {
            for (name, value) in read_dotenv(path)? {
                values.insert(name, value.into());
            }
        }
        for (name, value) in env {
            if let Ok(name) = name.into_string() {
                values.insert(name, value);
            }
        }
        Self::from_lookup(|name| values.get(name).cloned())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Self, ConfigError> {
        let get = |name: &'static str| -> Result<Option<String>, ConfigError> {
            match lookup(name) {
                None => Ok(None),
                Some(value) => {
                    value
                        .into_string()
                        .map(Some)
                        .map_err(|raw| ConfigError::InvalidVar {
                            name,
                            value: raw.to_string_lossy().into_owned(),
                            expected: "valid UTF-8",
                        })
                }
            }
        };
        // Free-text variables: empty means unset, so `SANDBOX_SERVER_URL=`
        // selects local execution.
        let text = |name| get(name).map(|v| v.filter(|s| !s.trim().is_empty()));

        let mut config = Self::default();
        if let Some(v) = get(vars::MODE)? {
            config.mode = v.parse().map_err(|_| ConfigError::InvalidVar {
                name: vars::MODE,
                value: v,
                expected: "`secure` or `simple`",
            })?;
        }
        if let Some(v) = get(vars::TIMEOUT)? {
            config.timeout = parse_seconds(vars::TIMEOUT, &v, bounds::MAX_TIMEOUT)?;
        }
        if let Some(v) = get(vars::ALLOW_NETWORK)? {
            config.allow_network = parse_bool(vars::ALLOW_NETWORK, &v)?;
        }
        if let Some(v) = get(vars::MAX_MEMORY_MB)? {
            config.max_memory_mb = parse_memory(&v)?;
        }
        if let Some(v) = get(vars::ISOLATION)? {
            config.isolation = v.parse().map_err(|_| ConfigError::InvalidVar {
                name: vars::ISOLATION,
                value: v,
                expected: "`full`, `no-cgroups` or `best-effort`",
            })?;
        }
        if let Some(v) = text(vars::SERVER_URL)? {
            if !is_server_url(&v) {
                return Err(ConfigError::InvalidVar {
                    name: vars::SERVER_URL,
                    value: v,
                    expected: SERVER_URL_EXPECTED,
                });
            }
            config.server_url = Some(v.trim_end_matches('/').to_owned());
        }
        config.api_key = text(vars::API_KEY)?;
        if let Some(v) = get(vars::API_TIMEOUT)? {
            config.api_timeout = parse_seconds(vars::API_TIMEOUT, &v, bounds::MAX_TIMEOUT)?;
        }
        config.python = text(vars::PYTHON)?.map(PathBuf::from);
        if let Some(v) = text(vars::POLICY)? {
            config.policy = parse_policy(&v)?;
        }
        if let Some(v) = get(vars::MAX_OUTPUT_BYTES)? {
            config.max_output_bytes = v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=bounds::MAX_OUTPUT_BYTES).contains(n))
                .ok_or(ConfigError::InvalidVar {
                    name: vars::MAX_OUTPUT_BYTES,
                    value: v,
                    expected: "a whole number of bytes from 1 to 1073741824",
                })?;
        }
        if let Some(v) = get(vars::MAX_RESULT_BYTES)? {
            config.max_result_bytes = Some(parse_result_bytes(&v)?);
        }
        if let Some(v) = get(vars::ALLOWED_NETWORKS)? {
            config.allowed_networks =
                crate::network::parse_allowed(&v).map_err(|why| ConfigError::InvalidEntry {
                    name: vars::ALLOWED_NETWORKS,
                    why,
                })?;
        }
        if let Some(v) = get(vars::POOL_SIZE)? {
            config.pool_size = v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= MAX_POOL_SIZE)
                .ok_or(ConfigError::InvalidVar {
                    name: vars::POOL_SIZE,
                    value: v,
                    expected: "a whole number of sandboxes from 0 to 64",
                })?;
        }
        Ok(config)
    }

    /// Checks every field against its valid range (for configs built in
    /// code rather than loaded from the environment).
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the first field out of its range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let out_of_range = |field: &'static str, value: String, expected: String| {
            Err(ConfigError::OutOfRange {
                field,
                value,
                expected,
            })
        };
        if self.timeout.is_zero() || self.timeout > bounds::MAX_TIMEOUT {
            return out_of_range(
                "timeout",
                format!("{:?}", self.timeout),
                format!(
                    "more than 0 s and at most {} s",
                    bounds::MAX_TIMEOUT.as_secs()
                ),
            );
        }
        if !(bounds::MIN_MEMORY_MB..=bounds::MAX_MEMORY_MB).contains(&self.max_memory_mb) {
            return out_of_range(
                "max_memory_mb",
                self.max_memory_mb.to_string(),
                format!("{} to {}", bounds::MIN_MEMORY_MB, bounds::MAX_MEMORY_MB),
            );
        }
        if self.max_output_bytes == 0 || self.max_output_bytes > bounds::MAX_OUTPUT_BYTES {
            return out_of_range(
                "max_output_bytes",
                self.max_output_bytes.to_string(),
                format!("1 to {}", bounds::MAX_OUTPUT_BYTES),
            );
        }
        if let Some(bytes) = self.max_result_bytes
            && !(encoded::MIN_RESULT_BYTES..=encoded::MAX_RESULT_BYTES).contains(&bytes)
        {
            return out_of_range(
                "max_result_bytes",
                bytes.to_string(),
                RESULT_BYTES_EXPECTED.into(),
            );
        }
        if self.max_file_bytes == 0 {
            return out_of_range("max_file_bytes", "0".into(), "at least 1".into());
        }
        if self.pool_size > MAX_POOL_SIZE {
            return out_of_range(
                "pool_size",
                self.pool_size.to_string(),
                format!("0 to {MAX_POOL_SIZE}"),
            );
        }
        if let PolicyChoice::Custom(policy) = &self.policy
            && let Err(problem) = policy.validate()
        {
            return out_of_range("policy", problem, "dotted module names".into());
        }
        Ok(())
    }
}

fn read_dotenv(path: &Path) -> Result<Vec<(String, String)>, ConfigError> {
    let wrap = |source| ConfigError::DotEnv {
        path: path.to_owned(),
        source,
    };
    let iter = match dotenvy::from_path_iter(path) {
        Ok(iter) => iter,
        Err(dotenvy::Error::Io(err)) if err.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Vec::new());
        }
        Err(err) => return Err(wrap(err)),
    };
    iter.collect::<Result<Vec<_>, _>>().map_err(wrap)
}

/// What a server URL must look like (`server_url`, `SANDBOX_SERVER_URL`,
/// `--remote`).
pub const SERVER_URL_EXPECTED: &str = "an `http://` or `https://` URL";

/// Whether `url` can be a server's base URL: `http://` or `https://`.
pub fn is_server_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// A policy setting: `default`, `none`, or the path of a policy file.
///
/// # Errors
///
/// [`ConfigError::Policy`] when the policy file cannot be read or is not a
/// valid policy.
pub fn parse_policy(value: &str) -> Result<PolicyChoice, ConfigError> {
    match value.trim() {
        "default" => Ok(PolicyChoice::ByMode),
        "none" | "off" => Ok(PolicyChoice::Off),
        path => Ok(PolicyChoice::Custom(Box::new(Policy::from_file(
            Path::new(path),
        )?))),
    }
}

fn parse_bool(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::InvalidVar {
            name,
            value: value.to_owned(),
            expected: "`true` or `false` (also 1/0, yes/no, on/off)",
        }),
    }
}

fn parse_seconds(name: &'static str, value: &str, max: Duration) -> Result<Duration, ConfigError> {
    crate::seconds::parse(value, Some(max)).map_err(|_| ConfigError::InvalidVar {
        name,
        value: value.to_owned(),
        expected: "a number of seconds greater than 0 and at most 86400",
    })
}

/// The accepted range of the result cap, in words.
pub const RESULT_BYTES_EXPECTED: &str =
    "a whole number of bytes from 65536 (64 KiB) to 17179869184 (16 GiB)";

/// A result cap (`SANDBOX_MAX_RESULT_BYTES`, `--max-result-bytes`).
///
/// # Errors
///
/// [`ConfigError::InvalidVar`] when `value` is not a whole number in
/// [`RESULT_BYTES_EXPECTED`].
pub fn parse_result_bytes(value: &str) -> Result<u64, ConfigError> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (encoded::MIN_RESULT_BYTES..=encoded::MAX_RESULT_BYTES).contains(n))
        .ok_or(ConfigError::InvalidVar {
            name: vars::MAX_RESULT_BYTES,
            value: value.to_owned(),
            expected: RESULT_BYTES_EXPECTED,
        })
}

fn parse_memory(value: &str) -> Result<u64, ConfigError> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|mb| (bounds::MIN_MEMORY_MB..=bounds::MAX_MEMORY_MB).contains(mb))
        .ok_or(ConfigError::InvalidVar {
            name: vars::MAX_MEMORY_MB,
            value: value.to_owned(),
            expected: "a whole number of MiB from 16 to 1048576",
        })
}

#[cfg(test)]
mod tests;
