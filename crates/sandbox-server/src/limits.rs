//! The server's maxima: what a request may ask for at most. Checked before
//! anything runs, by the same function that checks the absolute bounds
//! ([`Limits::resolve_within`]); an answer names the field and the limit
//! (422).

use sandbox_client::{ExecutionMode, ExecutionRequest};
use sandbox_core::{Bounds, Limits};

use crate::config::ServerConfig;
use crate::error::ApiFailure;

/// The server's maxima as bounds: its request limits, and the most
/// permissive mode and network setting it allows.
pub fn bounds(config: &ServerConfig) -> Bounds {
    let limits = &config.limits;
    Bounds {
        timeout: limits.timeout,
        memory_mb: limits.memory_mb,
        input_files: limits.input_files,
        input_bytes: limits.input_bytes,
        simple_mode: config.execution.mode == ExecutionMode::Simple,
        network: config.execution.allow_network,
        set_by: Some("this server"),
    }
}

/// Checks `request` against the server's maxima and the absolute bounds.
///
/// # Errors
///
/// A 422 [`ApiFailure`] naming the first field out of bounds.
pub fn check(request: &ExecutionRequest, config: &ServerConfig) -> Result<(), ApiFailure> {
    Limits::resolve_within(request, &config.execution, &bounds(config))
        .map(drop)
        .map_err(|err| ApiFailure::invalid(err.to_string()))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn each_limit_is_named_with_its_maximum() {
        let config = ServerConfig::default();
        let cases = [
            (
                ExecutionRequest::new("").with_timeout(Duration::from_secs(301)),
                "`timeout` is 301 s, this server allows at most 300 s",
            ),
            (
                ExecutionRequest::new("").with_memory_mb(4096),
                "`memory_mb` is 4096, this server allows at most 1024 MiB",
            ),
            (
                ExecutionRequest::new("").with_mode(ExecutionMode::Simple),
                "`mode` is `simple`",
            ),
            (
                ExecutionRequest::new("").with_network(true),
                "`allow_network` is true",
            ),
            (
                ExecutionRequest::new("").with_files((0..101).map(|i| (format!("f{i}"), ""))),
                "`input_files` has 101 files, this server allows at most 100",
            ),
            (
                ExecutionRequest::new("").with_file("big", vec![0u8; (16 << 20) + 1]),
                "this server allows at most 16777216 bytes",
            ),
        ];
        for (request, expected) in cases {
            let err = check(&request, &config).unwrap_err();
            assert!(err.message.contains(expected), "{}", err.message);
        }
        assert!(check(&ExecutionRequest::new("print(1)"), &config).is_ok());
    }
}
