//! The client's configuration paths, its blocking twin and concurrency.

use sandbox_client::{ClientConfig, ExecutionMode, SandboxClient, SandboxError, Status};

#[test]
fn a_server_url_selects_the_remote_backend() {
    let config = ClientConfig {
        server_url: Some("http://localhost:8000".into()),
        ..crate::support::config()
    };
    let client = SandboxClient::from_config(config).unwrap();
    assert!(client.is_remote());
    assert!(!SandboxClient::new().is_remote());
    let err = SandboxClient::from_config(ClientConfig {
        server_url: Some("localhost:8000".into()),
        ..crate::support::config()
    })
    .unwrap_err();
    assert!(matches!(err, SandboxError::Config(_)), "{err}");
    assert!(err.to_string().contains("`localhost:8000`"), "{err}");
}

#[test]
fn the_default_mode_is_secure() {
    assert_eq!(SandboxClient::new().config().mode, ExecutionMode::Secure);
    assert_eq!(
        ClientConfig::default().isolation,
        sandbox_client::Isolation::Full
    );
}

#[test]
fn the_blocking_client_runs_code() {
    let client =
        sandbox_client::blocking::SandboxClient::from_config(crate::support::config()).unwrap();
    let result = client.execute("print(6 * 7)").unwrap();
    assert_eq!(result.stdout, "42\n");
    let result = client
        .execute_with_files("print(open('n.txt').read())", [("n.txt", "hi")])
        .unwrap();
    assert_eq!(result.stdout, "hi\n");
}

#[tokio::test]
async fn the_blocking_client_refuses_to_run_inside_a_runtime() {
    let client = tokio::task::spawn_blocking(|| {
        sandbox_client::blocking::SandboxClient::from_config(crate::support::config()).unwrap()
    })
    .await
    .unwrap();
    let err = client.execute("print(1)").unwrap_err();
    assert!(err.to_string().contains("inside an async runtime"), "{err}");
    tokio::task::spawn_blocking(move || drop(client))
        .await
        .unwrap();
}

/// Many executions run at once on one client: all eight are running at the
/// same moment (every start precedes every end).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_run_concurrently() {
    let client = crate::support::default_client();
    let code = "import time\nstart = time.time()\ntime.sleep(2)\nprint(start, time.time())";
    let runs: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.execute(code).await.unwrap() })
        })
        .collect();
    let (mut latest_start, mut earliest_end) = (f64::MIN, f64::MAX);
    for run in runs {
        let result = run.await.unwrap();
        assert_eq!(result.status, Status::Ok, "{}", result.stderr);
        let times: Vec<f64> = result
            .stdout
            .split_whitespace()
            .map(|t| t.parse().unwrap())
            .collect();
        latest_start = latest_start.max(times[0]);
        earliest_end = earliest_end.min(times[1]);
    }
    assert!(
        latest_start < earliest_end,
        "runs did not overlap: {latest_start} >= {earliest_end}"
    );
}

/// The program sees a fixed, minimal environment: no host variable enters.
#[tokio::test]
async fn the_simple_environment_is_minimal() {
    let code =
        "import os\nprint(' '.join(sorted(os.environ)))\nprint(os.environ['HOME'] == os.getcwd())";
    let result = crate::support::simple().execute(code).await.unwrap();
    assert_eq!(
        result.stdout,
        "HOME LANG LC_ALL MKL_NUM_THREADS MPLBACKEND OMP_NUM_THREADS OPENBLAS_NUM_THREADS \
         PATH PYTHONDONTWRITEBYTECODE PYTHONIOENCODING PYTHONUNBUFFERED TMPDIR\nTrue\n"
    );
}

#[tokio::test]
async fn stdin_is_closed() {
    // `input()` is refused by the default policy; without one, it meets a
    // closed stdin.
    let result = crate::support::client(ExecutionMode::Secure)
        .execute("input('name? ')")
        .await
        .unwrap();
    assert_eq!(result.status, Status::Error);
    assert!(result.stderr.contains("EOFError"), "{}", result.stderr);
}

/// Syntax errors are found by parsing, before any process starts, and
/// point at the line and column.
#[tokio::test]
async fn syntax_errors_are_found_before_running() {
    let (root, client) = crate::support::isolated_client(ExecutionMode::Secure);
    let result = client.execute("x = 1\nprint(x +)\n").await.unwrap();
    assert_eq!(result.status, Status::SyntaxError);
    assert!(!result.success);
    assert_eq!(result.return_code, None, "nothing ran");
    assert_eq!(result.violations.len(), 1);
    let violation = &result.violations[0];
    assert_eq!(
        (violation.rule.as_str(), violation.line, violation.column),
        ("syntax-error", 2, 10)
    );
    assert!(
        result
            .stderr
            .ends_with("SyntaxError: Expected an expression\n"),
        "{}",
        result.stderr
    );
    assert_eq!(
        crate::support::leftovers(root.path()),
        Vec::<String>::new(),
        "no run dir was made"
    );
}

#[tokio::test]
async fn a_missing_interpreter_is_a_clear_error() {
    let client = SandboxClient::from_config(ClientConfig {
        python: Some("/no/such/python3".into()),
        ..crate::support::config()
    })
    .unwrap();
    let err = client.execute("print(1)").await.unwrap_err();
    assert!(matches!(err, SandboxError::Interpreter { .. }), "{err}");
    assert!(
        err.to_string().contains("`/no/such/python3` was not found"),
        "{err}"
    );
}
