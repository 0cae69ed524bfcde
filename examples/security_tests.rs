//! Security feature demonstrations: real attacks against secure mode, and
//! what each one gets back.
//!
//! Each attempt runs twice. First with the default policy, which refuses
//! most of them before anything runs (with the rule and what to do
//! instead). Then with the policy switched off, so the code really runs and
//! the kernel layers contain it: no host files in the sandbox's root,
//! execution of the interpreter only, no network, a pids and a memory
//! limit, and a timeout that kills the whole process tree.
//!
//! Run with `cargo run --example security_tests`.

use std::time::Duration;

use sandbox_client::{
    ClientConfig, ExecutionRequest, ExecutionResult, SandboxClient, SandboxError,
};

/// The attempts: a name, and the Python that tries it.
const ATTEMPTS: &[(&str, &str)] = &[
    (
        "host file read",
        include_str!("python/attacks/host_file_read.py"),
    ),
    (
        "subprocess",
        include_str!("python/attacks/subprocess_shell.py"),
    ),
    ("network", include_str!("python/attacks/network.py")),
    ("fork bomb", include_str!("python/attacks/fork_bomb.py")),
    ("memory bomb", include_str!("python/attacks/memory_bomb.py")),
    ("timeout", include_str!("python/attacks/infinite_loop.py")),
];

#[tokio::main]
async fn main() -> Result<(), SandboxError> {
    let config = ClientConfig {
        timeout: Duration::from_secs(3),
        max_memory_mb: 64,
        ..ClientConfig::default()
    };
    let with_policy = SandboxClient::from_config(config.clone())?;
    let kernel_only = SandboxClient::from_config(config.without_policy())?;

    for (name, code) in ATTEMPTS {
        println!("== {name}");
        let result = with_policy
            .execute_request(ExecutionRequest::new(*code))
            .await?;
        println!("  default policy: {}", summary(&result));
        let result = kernel_only
            .execute_request(ExecutionRequest::new(*code))
            .await?;
        println!("  policy off:     {}", summary(&result));
    }
    Ok(())
}

/// The status and the one line that says why.
fn summary(result: &ExecutionResult) -> String {
    let why = if let Some(violation) = result.violations.first() {
        format!("{} (line {})", violation.rule, violation.line)
    } else if let Some(message) = &result.message {
        message.clone()
    } else {
        // The program's own last word: the exception it died of.
        result.stderr.lines().last().unwrap_or("").to_owned()
    };
    format!("{} - {why}", result.status)
}
