//! Nothing is left behind: no work dir after any outcome, including a
//! caller that gives up half-way.

use std::time::Duration;

use sandbox_client::{ExecutionMode, ExecutionRequest, Status};

use crate::support::{MODES, gone_within, isolated_client, leftovers, processes_in_cgroup};

#[tokio::test]
async fn no_work_dir_remains_after_success_error_or_timeout() {
    for mode in MODES {
        no_work_dir_remains_in(mode).await;
    }
}

async fn no_work_dir_remains_in(mode: ExecutionMode) {
    let (root, client) = isolated_client(mode);
    let cases = [
        ("open('out.txt', 'w').write('x')", Status::Ok),
        ("raise ValueError('boom')", Status::Error),
        ("while True: pass", Status::Timeout),
        (
            "import os\nos.makedirs('locked/inner')\nopen('locked/inner/f', 'w').write('x')\nos.chmod('locked', 0)",
            Status::Ok,
        ),
    ];
    for (code, expected) in cases {
        let request = ExecutionRequest::new(code)
            .with_timeout(Duration::from_millis(500))
            .with_file("in.txt", "input");
        let result = client.execute_request(request).await.unwrap();
        assert_eq!(result.status, expected, "{code}: {}", result.stderr);
        assert_eq!(leftovers(root.path()), Vec::<String>::new(), "after {code}");
    }
}

/// Dropping the future mid-run (a disconnected caller) kills the program
/// and removes its work dir (simple mode: the program's pid is on the host).
#[tokio::test]
async fn abandoning_a_simple_run_kills_it_and_cleans_up() {
    let (root, client) = isolated_client(ExecutionMode::Simple);
    let pid_file = root.path().join("pid");
    let code = format!(
        "import os, time\nopen({:?}, 'w').write(str(os.getpid()))\ntime.sleep(300)",
        pid_file.display().to_string()
    );
    let run = client.execute_request(ExecutionRequest::new(code));
    let pid_file2 = pid_file.clone();
    let outcome = tokio::time::timeout(Duration::from_secs(10), async move {
        tokio::select! {
            _ = run => panic!("the run should not finish"),
            () = async {
                while !pid_file2.exists() {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            } => {}
        }
    })
    .await;
    assert!(outcome.is_ok(), "the program never started");
    let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().parse().unwrap();
    std::fs::remove_file(&pid_file).unwrap();
    assert!(
        gone_within(pid, Duration::from_secs(2)),
        "program {pid} survived"
    );
    // The kill and removal finish on a background thread.
    let mut left = leftovers(root.path());
    for _ in 0..100 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        left = leftovers(root.path());
    }
    assert_eq!(left, Vec::<String>::new());
}

#[tokio::test]
async fn no_work_dir_remains_after_a_rejected_request() {
    let (root, client) = isolated_client(ExecutionMode::Secure);
    let err = client
        .execute_request(ExecutionRequest::new("print(1)").with_memory_mb(1))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`memory_mb` is 1"), "{err}");
    assert_eq!(leftovers(root.path()), Vec::<String>::new());
}

/// The same for a secure run: every process of the sandbox (init, the
/// program, its child) dies, and the run dir goes.
#[tokio::test]
async fn abandoning_a_secure_run_kills_the_sandbox_and_cleans_up() {
    let (root, client) = isolated_client(ExecutionMode::Secure);
    let code = "import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\ntime.sleep(300)";
    let run = client.execute_request(ExecutionRequest::new(code));
    let work_root = root.path().to_owned();
    let started = tokio::time::timeout(Duration::from_secs(10), async move {
        tokio::select! {
            _ = run => panic!("the run should not finish"),
            name = async {
                loop {
                    if let Some(name) = leftovers(&work_root).pop() {
                        // The program and its child (init stays out).
                        if processes_in_cgroup(&name).len() >= 2 {
                            return name;
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            } => name,
        }
    })
    .await;
    let name = started.expect("the sandbox never had its two processes");
    let gone = || processes_in_cgroup(&name).is_empty() && leftovers(root.path()).is_empty();
    for _ in 0..100 {
        if gone() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        processes_in_cgroup(&name),
        Vec::<i32>::new(),
        "processes left behind"
    );
    assert_eq!(
        leftovers(root.path()),
        Vec::<String>::new(),
        "files left behind"
    );
}
