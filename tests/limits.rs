//! Each limit ends the run with its own status, promptly. Tests pinned to
//! simple mode check how it supervises a plain process (process groups,
//! rlimits); `secure` checks the same limits behind the kernel's walls.

use std::time::{Duration, Instant};

use sandbox_client::{ClientConfig, ExecutionMode, ExecutionRequest, SandboxClient, Status};

use crate::support::{gone_within, isolated_client, live_group_members, peak_rss_kb, simple};

/// A busy loop with a 1 s timeout ends as `timeout` within 2 s, and the
/// process it started, left sleeping, dies with it.
#[tokio::test]
async fn timeout_kills_the_program_and_its_children() {
    let (_root, client) = isolated_client(ExecutionMode::Simple);
    let code = r#"
import os, subprocess, sys
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
print(child.pid, os.getpgid(0), flush=True)
while True:
    pass
"#;
    let request = ExecutionRequest::new(code).with_timeout(Duration::from_secs(1));
    let start = Instant::now();
    let result = client.execute_request(request).await.unwrap();
    let elapsed = start.elapsed();

    assert_eq!(result.status, Status::Timeout, "{result:?}");
    assert!(!result.success);
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    assert_eq!(result.return_code, Some(-9));
    assert_eq!(
        result.message.as_deref(),
        Some("execution timed out after 1 s and was killed")
    );
    let mut ids = result
        .stdout
        .split_whitespace()
        .map(|s| s.parse::<i32>().unwrap());
    let (child, pgid) = (ids.next().unwrap(), ids.next().unwrap());
    assert!(
        gone_within(child, Duration::from_secs(1)),
        "child {child} survived"
    );
    assert_eq!(
        live_group_members(pgid),
        Vec::<i32>::new(),
        "process group {pgid} survived"
    );
}

/// A program that exits normally does not leave its children running.
#[tokio::test]
async fn children_left_behind_by_a_normal_exit_are_killed() {
    let (_root, client) = isolated_client(ExecutionMode::Simple);
    let code = r#"
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(child.pid)
"#;
    let result = client.execute(code).await.unwrap();
    assert_eq!(result.status, Status::Ok, "{result:?}");
    let child: i32 = result.stdout.trim().parse().unwrap();
    assert!(
        gone_within(child, Duration::from_secs(1)),
        "child {child} survived"
    );
}

#[tokio::test]
async fn a_2_gib_allocation_under_128_mib_is_a_memory_limit() {
    let result = simple()
        .execute_request(ExecutionRequest::new("x = bytearray(2 * 1024**3)").with_memory_mb(128))
        .await
        .unwrap();
    assert_eq!(result.status, Status::MemoryLimit, "{result:?}");
    assert_eq!(
        result.message.as_deref(),
        Some("memory limit of 128 MiB reached")
    );
    assert!(result.stderr.contains("MemoryError"), "{}", result.stderr);
}

#[tokio::test]
async fn memory_within_the_limit_is_fine() {
    let code = "x = bytearray(64 * 1024**2)\nprint(len(x))";
    let result = simple()
        .execute_request(ExecutionRequest::new(code).with_memory_mb(256))
        .await
        .unwrap();
    assert_eq!(result.status, Status::Ok, "{result:?}");
    assert!(
        result.usage.peak_memory_kb > 64 * 1024,
        "{:?}",
        result.usage
    );
}

/// A 50 MB print flood stops at the cap, flagged, and the runner's own
/// memory stays bounded.
#[tokio::test]
async fn a_print_flood_is_cut_at_the_cap_and_stopped() {
    let before = peak_rss_kb();
    let code =
        "import sys\nchunk = 'x' * 65536\nfor _ in range(800):\n    sys.stdout.write(chunk)\n";
    let result = simple().execute(code).await.unwrap();
    assert_eq!(result.status, Status::OutputLimit, "{:?}", result.message);
    assert!(result.stdout_truncated);
    assert!(!result.stderr_truncated);
    assert_eq!(
        result.stdout.len(),
        1 << 20,
        "exactly the default 1 MiB cap"
    );
    let grown_kb = peak_rss_kb().saturating_sub(before);
    assert!(
        grown_kb < 24 * 1024,
        "runner peak memory grew by {grown_kb} KiB"
    );
}

#[tokio::test]
async fn the_output_cap_is_configurable_and_applies_to_stderr() {
    let client = SandboxClient::from_config(ClientConfig {
        max_output_bytes: 1000,
        ..crate::support::config()
    })
    .unwrap();
    let result = client
        .execute("err = open(2, 'w', closefd=False)\nwhile True:\n    err.write('e' * 100)\n")
        .await
        .unwrap();
    assert_eq!(result.status, Status::OutputLimit);
    assert!(result.stderr_truncated);
    assert_eq!(result.stderr.len(), 1000);

    // Output exactly at the cap is complete, not truncated.
    let result = client.execute("print('y' * 999)").await.unwrap();
    assert_eq!(result.status, Status::Ok);
    assert!(!result.stdout_truncated);
    assert_eq!(result.stdout.len(), 1000);
}

#[tokio::test]
async fn a_signal_is_reported_as_killed() {
    let result = simple()
        .execute("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)")
        .await
        .unwrap();
    assert_eq!(result.status, Status::Killed);
    assert_eq!(result.return_code, Some(-11));
    assert_eq!(
        result.message.as_deref(),
        Some("the program was killed by signal SIGSEGV (11)")
    );
}

#[tokio::test]
async fn rlimits_are_in_force_inside_the_program() {
    let code = r#"
import resource
for name in ("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CORE"):
    print(name, *resource.getrlimit(getattr(resource, name)))
"#;
    let request = ExecutionRequest::new(code)
        .with_timeout(Duration::from_secs(5))
        .with_memory_mb(200);
    let result = simple().execute_request(request).await.unwrap();
    assert_eq!(
        result.stdout,
        "RLIMIT_CPU 6 7\nRLIMIT_AS 209715200 209715200\nRLIMIT_FSIZE 67108864 67108864\n\
         RLIMIT_NOFILE 256 256\nRLIMIT_CORE 0 0\n"
    );
}

#[tokio::test]
async fn writing_past_the_file_size_limit_fails_readably() {
    let client = SandboxClient::from_config(ClientConfig {
        max_file_bytes: 4096,
        ..crate::support::config()
    })
    .unwrap();
    let result = client
        .execute("with open('big.bin', 'wb') as f:\n    f.write(b'x' * 10000)\n")
        .await
        .unwrap();
    assert_eq!(result.status, Status::Error);
    assert!(
        result.stderr.contains("File too large"),
        "{}",
        result.stderr
    );
}
