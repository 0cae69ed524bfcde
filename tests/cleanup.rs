//! Nothing is left behind: no work dir after any outcome, including a
//! caller that gives up half-way.

use std::time::Duration;

use sandbox_client::{ExecutionMode, ExecutionRequest, Status};

use crate::serving::{TestServer, execute, wait_until};

use crate::support::{
    MODES, gone_within, isolated_client, leftovers, processes_in_cgroup, run_cgroups_of,
};
use crate::tier::{Tier, require};

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
        // Long enough that a program raising at once cannot time out on a
        // busy machine.
        let request = ExecutionRequest::new(code)
            .with_timeout(Duration::from_secs(2))
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
    require!(Tier::Cgroups);
    let (root, client) = isolated_client(ExecutionMode::Secure);
    let code = "import os, time\nif os.fork() == 0:\n    time.sleep(300)\n    os._exit(0)\ntime.sleep(300)";
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

/// A server killed outright (SIGKILL) cannot clean up: its run dir and
/// cgroups stay (its sandboxes die with it). The next server on the same
/// work root removes them at start-up, and never another live runner's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_removes_what_a_killed_one_left() {
    require!(Tier::Cgroups);
    let server = TestServer::start(&[], &[]);
    let url = server.at("/execute");
    let _in_flight = tokio::spawn(async move {
        let _ = crate::serving::http()
            .post(url)
            .header("content-type", "application/json")
            .body(serde_json::json!({"code": "import time\ntime.sleep(60)"}).to_string())
            .send()
            .await;
    });
    assert!(server.wait_sandboxed_program(Duration::from_secs(10)));
    // A live runner's runs are left alone by another's sweep.
    let bystander = TestServer::start(&[], &[]);
    assert!(!server.leftovers().is_empty());
    let pid = server.pid();
    assert!(!run_cgroups_of(pid).is_empty(), "the run has cgroups");
    let root = server.kill_hard();
    let left = leftovers(root.path());
    assert!(!left.is_empty(), "SIGKILL leaves the run dir");
    assert!(
        !run_cgroups_of(pid).is_empty(),
        "SIGKILL leaves the cgroups"
    );

    let restarted = TestServer::start_in(root, &[], &[]);
    assert!(
        wait_until(Duration::from_secs(10), || restarted.leftovers().is_empty()
            && run_cgroups_of(pid).is_empty()),
        "left: {:?} {:?}\n{}",
        restarted.leftovers(),
        run_cgroups_of(pid),
        restarted.log()
    );
    assert!(
        restarted
            .log()
            .contains("removed what runners that no longer run left behind")
    );
    drop(bystander);
}

/// A sandbox that cannot be set up is a `sandbox_error` result saying
/// which step failed, and the server says it is not ready (the start-up
/// probe runs a real sandbox) instead of answering 500 for every run.
#[tokio::test]
async fn a_sandbox_that_cannot_be_set_up_is_a_result_and_not_ready() {
    // Run dirs cannot be created under /proc.
    let server = TestServer::start(&[], &[("TMPDIR", "/proc/self")]);
    let ready = crate::serving::http()
        .get(server.at("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("could not create the run dir"),
        "{body}"
    );
    let health = crate::serving::get_json(&server.at("/")).await;
    assert_eq!(health["status"], "unhealthy", "{health}");

    let response = execute(&server, &serde_json::json!({"code": "print(1)"}), None).await;
    assert_eq!(response.status(), 200);
    let result: serde_json::Value = response.json().await.unwrap();
    assert_eq!(result["status"], "sandbox_error", "{result}");
    assert_eq!(result["return_code"], serde_json::Value::Null);
    assert!(
        result["message"]
            .as_str()
            .unwrap()
            .contains("could not create the run dir"),
        "{result}"
    );
}
