//! The limits of one execution: a request's overrides merged with the
//! configuration's defaults and checked against absolute bounds.

use std::time::Duration;

use serde::Serialize;

use crate::config::ClientConfig;
use crate::contract::{ExecutionMode, ExecutionRequest};
use crate::error::RequestError;
use crate::files::{is_code_name, validate_file_set};

// The absolute bounds live in a leaf module (configuration checks them
// too, and limits read the configuration); they are re-exported here,
// where callers look for them.
pub use crate::bounds::{
    MAX_CODE_BYTES, MAX_INPUT_BYTES, MAX_INPUT_FILES, MAX_MEMORY_MB, MAX_OUTPUT_BYTES, MAX_TIMEOUT,
    MIN_MEMORY_MB, OPEN_FILES,
};

/// Everything one execution is allowed, fully resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Limits {
    /// Isolation mode.
    pub mode: ExecutionMode,
    /// Wall-clock limit.
    pub timeout: Duration,
    /// Memory limit in MiB.
    pub memory_mb: u64,
    /// Whether the network is reachable.
    pub allow_network: bool,
    /// Networks reachable with the network allowed although refused by
    /// default (the operator's [`ClientConfig::allowed_networks`]).
    pub allowed_networks: Vec<ipnet::Ipv4Net>,
    /// Cap per output stream, bytes.
    pub max_output_bytes: usize,
    /// Cap on output files returned.
    pub max_output_files: usize,
    /// Cap on total output file bytes returned.
    pub max_output_files_bytes: u64,
    /// Largest file the program may write.
    pub max_file_bytes: u64,
    /// Cap on the result as JSON: streams and files are charged to it as
    /// encoded (see [`encoded`](crate::encoded)) while they are collected.
    pub max_result_bytes: u64,
}

/// The most a request may ask for: the absolute bounds below, or an
/// operator's tighter ones (a server's `--timeout-limit` and so on), so one
/// function checks both and an answer names whose limit was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Longest `timeout`.
    pub timeout: Duration,
    /// Largest `memory_mb`.
    pub memory_mb: u64,
    /// Most input files.
    pub input_files: usize,
    /// Largest total of input files, bytes.
    pub input_bytes: u64,
    /// Whether a request may ask for simple mode (no isolation).
    pub simple_mode: bool,
    /// Whether a request may ask for the network.
    pub network: bool,
    /// Who set these bounds, as an answer names it (`"this server"`);
    /// `None` for the absolute bounds.
    pub set_by: Option<&'static str>,
}

impl Bounds {
    /// What any request is held to, whatever the configuration says.
    pub const ABSOLUTE: Self = Self {
        timeout: MAX_TIMEOUT,
        memory_mb: MAX_MEMORY_MB,
        input_files: MAX_INPUT_FILES,
        input_bytes: MAX_INPUT_BYTES,
        simple_mode: true,
        network: true,
        set_by: None,
    };

    /// The error for `field` past an operator's bound, or `absolute` when
    /// these are the absolute bounds.
    fn exceeded(
        &self,
        field: &'static str,
        given: String,
        allowed: String,
        absolute: impl FnOnce() -> RequestError,
    ) -> RequestError {
        match self.set_by {
            Some(set_by) => RequestError::NotAllowed {
                field,
                given,
                set_by,
                allowed,
            },
            None => absolute(),
        }
    }
}

impl Limits {
    /// Merges `request` over `config` and checks every absolute bound,
    /// including the input file names and sizes.
    ///
    /// # Errors
    ///
    /// [`RequestError`] naming the first field out of bounds.
    pub fn resolve(
        request: &ExecutionRequest,
        config: &ClientConfig,
    ) -> Result<Self, RequestError> {
        Self::resolve_within(request, config, &Bounds::ABSOLUTE)
    }

    /// [`resolve`](Self::resolve) held to `bounds`, which must lie within
    /// [`Bounds::ABSOLUTE`] (a server's configuration checks that its own do).
    ///
    /// # Errors
    ///
    /// [`RequestError`] naming the first field out of bounds, and who set
    /// the bound when it was not an absolute one.
    pub fn resolve_within(
        request: &ExecutionRequest,
        config: &ClientConfig,
        bounds: &Bounds,
    ) -> Result<Self, RequestError> {
        let out_of_range = |field, value: String, expected: String| RequestError::OutOfRange {
            field,
            value,
            expected,
        };
        if request.code.len() > MAX_CODE_BYTES {
            return Err(out_of_range(
                "code",
                format!("{} bytes", request.code.len()),
                format!("at most {MAX_CODE_BYTES} bytes"),
            ));
        }
        let timeout = request.timeout.unwrap_or(config.timeout);
        let shown = |d: Duration| format!("{} s", d.as_secs_f64());
        let timeout_range = || {
            out_of_range(
                "timeout",
                shown(timeout),
                format!("more than 0 and at most {} seconds", MAX_TIMEOUT.as_secs()),
            )
        };
        if timeout.is_zero() {
            return Err(timeout_range());
        }
        if timeout > bounds.timeout {
            return Err(bounds.exceeded(
                "timeout",
                format!("is {}", shown(timeout)),
                shown(bounds.timeout),
                timeout_range,
            ));
        }
        let memory_mb = request.memory_mb.unwrap_or(config.max_memory_mb);
        let memory_range = || {
            out_of_range(
                "memory_mb",
                memory_mb.to_string(),
                format!("{MIN_MEMORY_MB} to {MAX_MEMORY_MB} MiB"),
            )
        };
        if memory_mb < MIN_MEMORY_MB {
            return Err(memory_range());
        }
        if memory_mb > bounds.memory_mb {
            return Err(bounds.exceeded(
                "memory_mb",
                format!("is {memory_mb}"),
                format!("{} MiB", bounds.memory_mb),
                memory_range,
            ));
        }
        let mode = request.mode.unwrap_or(config.mode);
        if request.mode == Some(ExecutionMode::Simple) && !bounds.simple_mode {
            return Err(bounds.exceeded(
                "mode",
                "is `simple`".into(),
                "`secure` mode (simple mode does not isolate the host)".into(),
                || out_of_range("mode", "`simple`".into(), "`secure`".into()),
            ));
        }
        let allow_network = request.allow_network.unwrap_or(config.allow_network);
        if request.allow_network == Some(true) && !bounds.network {
            return Err(bounds.exceeded(
                "allow_network",
                "is true".into(),
                "false (no network access)".into(),
                || out_of_range("allow_network", "true".into(), "false".into()),
            ));
        }
        if let Some(name) = &request.filename
            && !is_code_name(name)
        {
            return Err(out_of_range(
                "filename",
                format!(
                    "`{}`",
                    name.chars().take(80).collect::<String>().escape_debug()
                ),
                "a plain file name such as `agent.py`: letters, digits and `_ - . + @`, not \
                 starting with `.` or `-`, at most 255 bytes"
                    .into(),
            ));
        }
        let files = request.input_files.len();
        if files > bounds.input_files {
            return Err(bounds.exceeded(
                "input_files",
                format!("has {files} files"),
                bounds.input_files.to_string(),
                || RequestError::too_many_files(files),
            ));
        }
        let total: u64 = request.input_files.values().map(|c| c.len() as u64).sum();
        if total > bounds.input_bytes {
            return Err(bounds.exceeded(
                "input_files",
                format!("holds {total} bytes"),
                format!("{} bytes", bounds.input_bytes),
                || RequestError::too_many_bytes(total),
            ));
        }
        validate_file_set(request.input_files.keys().map(String::as_str))?;
        Ok(Self {
            mode,
            timeout,
            memory_mb,
            allow_network,
            allowed_networks: config.allowed_networks.clone(),
            max_output_bytes: config.max_output_bytes,
            max_output_files: config.max_output_files,
            max_output_files_bytes: config.max_output_files_bytes,
            max_file_bytes: config.max_file_bytes,
            max_result_bytes: config.result_cap(),
        })
    }

    /// The CPU-time limit in whole seconds: one second past the wall-clock
    /// timeout, so the parent's timer normally fires first and the rlimit only
    /// catches programs burning several cores at once.
    pub fn cpu_seconds(&self) -> u64 {
        self.timeout.as_secs_f64().ceil() as u64 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_overrides_config_defaults() {
        let config = ClientConfig::default();
        let request = ExecutionRequest::new("pass")
            .with_timeout(Duration::from_millis(1500))
            .with_memory_mb(256)
            .with_network(true);
        let limits = Limits::resolve(&request, &config).unwrap();
        assert_eq!(limits.timeout, Duration::from_millis(1500));
        assert_eq!(limits.memory_mb, 256);
        assert!(limits.allow_network);
        assert_eq!(limits.cpu_seconds(), 3);

        let limits = Limits::resolve(&ExecutionRequest::new("pass"), &config).unwrap();
        assert_eq!(limits.timeout, config.timeout);
        assert_eq!(limits.memory_mb, config.max_memory_mb);
        assert_eq!(limits.mode, config.mode);
    }

    #[test]
    fn absurd_values_are_rejected_with_the_field_name() {
        let config = ClientConfig::default();
        let cases = [
            (
                ExecutionRequest::new("").with_memory_mb(0),
                "`memory_mb` is 0",
            ),
            (
                ExecutionRequest::new("").with_memory_mb(u64::MAX),
                "`memory_mb`",
            ),
            (
                ExecutionRequest::new("").with_timeout(Duration::ZERO),
                "`timeout`",
            ),
            (
                ExecutionRequest::new("").with_timeout(Duration::from_secs(1 << 40)),
                "`timeout`",
            ),
            (ExecutionRequest::new("").with_file("../x", "y"), "`../x`"),
        ];
        for (request, expected) in cases {
            let err = Limits::resolve(&request, &config).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn an_operators_bounds_are_named_as_theirs_and_the_absolute_ones_still_hold() {
        let config = ClientConfig {
            timeout: Duration::from_secs(1),
            max_memory_mb: 32,
            ..ClientConfig::default()
        };
        let bounds = Bounds {
            timeout: Duration::from_secs(5),
            memory_mb: 64,
            input_files: 1,
            input_bytes: 10,
            simple_mode: false,
            network: false,
            set_by: Some("this server"),
        };
        let cases = [
            (
                ExecutionRequest::new("").with_timeout(Duration::from_secs(6)),
                "`timeout` is 6 s, this server allows at most 5 s",
            ),
            (
                ExecutionRequest::new("").with_memory_mb(65),
                "`memory_mb` is 65, this server allows at most 64 MiB",
            ),
            (
                ExecutionRequest::new("").with_mode(ExecutionMode::Simple),
                "`mode` is `simple`, this server allows at most `secure` mode",
            ),
            (
                ExecutionRequest::new("").with_network(true),
                "`allow_network` is true, this server allows at most false",
            ),
            (
                ExecutionRequest::new("").with_files([("a", ""), ("b", "")]),
                "`input_files` has 2 files, this server allows at most 1",
            ),
            (
                ExecutionRequest::new("").with_file("a", "12345678901"),
                "`input_files` holds 11 bytes, this server allows at most 10 bytes",
            ),
            // Below the minima, the absolute bounds answer.
            (
                ExecutionRequest::new("").with_memory_mb(1),
                "`memory_mb` is 1, expected 16 to",
            ),
            (
                ExecutionRequest::new("").with_timeout(Duration::ZERO),
                "`timeout` is 0 s, expected more than 0",
            ),
        ];
        for (request, expected) in cases {
            let err = Limits::resolve_within(&request, &config, &bounds)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err}");
        }
        let within = ExecutionRequest::new("")
            .with_timeout(Duration::from_secs(5))
            .with_memory_mb(64)
            .with_network(false)
            .with_file("a", "1234567890");
        let limits = Limits::resolve_within(&within, &config, &bounds).unwrap();
        assert_eq!(limits.timeout, Duration::from_secs(5));
        // The absolute bounds are what `resolve` holds to.
        assert_eq!(
            Limits::resolve(&within, &config),
            Limits::resolve_within(&within, &config, &Bounds::ABSOLUTE)
        );
    }
}
