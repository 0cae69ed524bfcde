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

impl Limits {
    /// Merges `request` over `config` and checks every bound, including the
    /// input file names and sizes.
    pub fn resolve(
        request: &ExecutionRequest,
        config: &ClientConfig,
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
        if timeout.is_zero() || timeout > MAX_TIMEOUT {
            return Err(out_of_range(
                "timeout",
                format!("{} s", timeout.as_secs_f64()),
                format!("more than 0 and at most {} seconds", MAX_TIMEOUT.as_secs()),
            ));
        }
        let memory_mb = request.memory_mb.unwrap_or(config.max_memory_mb);
        if !(MIN_MEMORY_MB..=MAX_MEMORY_MB).contains(&memory_mb) {
            return Err(out_of_range(
                "memory_mb",
                memory_mb.to_string(),
                format!("{MIN_MEMORY_MB} to {MAX_MEMORY_MB} MiB"),
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
        if request.input_files.len() > MAX_INPUT_FILES {
            return Err(RequestError::too_many_files(request.input_files.len()));
        }
        let total: u64 = request.input_files.values().map(|c| c.len() as u64).sum();
        if total > MAX_INPUT_BYTES {
            return Err(RequestError::too_many_bytes(total));
        }
        validate_file_set(request.input_files.keys().map(String::as_str))?;
        Ok(Self {
            mode: request.mode.unwrap_or(config.mode),
            timeout,
            memory_mb,
            allow_network: request.allow_network.unwrap_or(config.allow_network),
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
}
