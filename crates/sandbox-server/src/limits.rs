//! The server's maxima: what a request may ask for at most. Checked before
//! anything runs; an answer names the field and the limit (422).

use sandbox_client::{ExecutionMode, ExecutionRequest};

use crate::config::ServerConfig;
use crate::error::ApiFailure;

/// Checks `request` against the server's limits and the most permissive
/// mode and network setting it allows.
pub fn check(request: &ExecutionRequest, config: &ServerConfig) -> Result<(), ApiFailure> {
    let limits = &config.limits;
    if let Some(timeout) = request.timeout
        && timeout > limits.timeout
    {
        return Err(ApiFailure::invalid(format!(
            "`timeout` is {} s, this server allows at most {} s",
            timeout.as_secs_f64(),
            limits.timeout.as_secs_f64()
        )));
    }
    if let Some(memory_mb) = request.memory_mb
        && memory_mb > limits.memory_mb
    {
        return Err(ApiFailure::invalid(format!(
            "`memory_mb` is {memory_mb}, this server allows at most {} MiB",
            limits.memory_mb
        )));
    }
    if request.mode == Some(ExecutionMode::Simple) && config.execution.mode == ExecutionMode::Secure
    {
        return Err(ApiFailure::invalid(
            "`mode` is `simple`, this server allows at most `secure` mode \
             (simple mode does not isolate the host)",
        ));
    }
    if request.allow_network == Some(true) && !config.execution.allow_network {
        return Err(ApiFailure::invalid(
            "`allow_network` is true, this server allows at most false (no network access)",
        ));
    }
    let files = request.input_files.len();
    if files > limits.input_files {
        return Err(ApiFailure::invalid(format!(
            "`input_files` has {files} files, this server allows at most {}",
            limits.input_files
        )));
    }
    let bytes: u64 = request.input_files.values().map(|c| c.len() as u64).sum();
    if bytes > limits.input_bytes {
        return Err(ApiFailure::invalid(format!(
            "`input_files` holds {bytes} bytes, this server allows at most {} bytes",
            limits.input_bytes
        )));
    }
    Ok(())
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
