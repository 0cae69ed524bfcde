//! The unified-interface promise: one set of cases (the original's examples,
//! files in and out, an error, a timeout, a syntax error, a policy
//! violation) runs against a local client and a remote one (a real
//! `sandbox-server` process), and the results are identical apart from
//! timings. Then what only the remote
//! client can meet: keys, server limits, an unreachable or slow server.

use std::time::Duration;

use sandbox_client::{
    ClientConfig, ExecutionRequest, ExecutionResult, SandboxClient, SandboxError, Status,
};

use crate::serving::{TestServer, metric, metrics, wait_until};

/// One case: a request and what its result must show (beyond equality).
pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) request: ExecutionRequest,
    pub(crate) check: fn(&ExecutionResult),
}

/// The shared cases (also run through the sandbox pool, `pool.rs`).
pub(crate) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "fibonacci (the original's local example)",
            request: ExecutionRequest::new(include_str!("../examples/python/fibonacci.py")),
            check: |r| assert_eq!(r.stdout, "Fibonacci: [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]\n"),
        },
        Case {
            name: "circle area (the original's remote example)",
            request: ExecutionRequest::new(include_str!("../examples/python/circle_area.py")),
            check: |r| assert_eq!(r.stdout, "Circle area: 78.54\n"),
        },
        Case {
            name: "files in and out",
            request: ExecutionRequest::new(include_str!("../examples/python/csv_total.py"))
                .with_file("data.csv", b"id,value\n1,100\n2,200\n3,300\n".to_vec()),
            check: |r| {
                assert_eq!(r.stdout, "Total: 600\n");
                assert_eq!(r.file_text("result.txt"), Some("Sum: 600\n"));
            },
        },
        Case {
            name: "an error (the original's error handling example)",
            request: ExecutionRequest::new("print(1/0)"),
            check: |r| {
                assert_eq!(r.status, Status::Error);
                assert_eq!(r.return_code, Some(1));
                assert!(r.stderr.contains("ZeroDivisionError"), "{}", r.stderr);
            },
        },
        Case {
            name: "a timeout",
            request: ExecutionRequest::new("print('start', flush=True)\nwhile True: pass")
                .with_timeout(Duration::from_secs(1)),
            check: |r| {
                assert_eq!(r.status, Status::Timeout);
                assert_eq!(r.stdout, "start\n");
            },
        },
        Case {
            name: "code run under its own file name",
            request: ExecutionRequest::new(
                "print(__file__)\ndef f():\n    raise ValueError('x')\nf()\n",
            )
            .with_filename("job.py"),
            check: |r| {
                assert_eq!(r.status, Status::Error);
                assert_eq!(r.stdout, "job.py\n");
                assert!(
                    r.stderr.contains("File \"job.py\", line 4, in <module>"),
                    "{}",
                    r.stderr
                );
                assert!(
                    r.stderr.contains("File \"job.py\", line 3, in f"),
                    "{}",
                    r.stderr
                );
            },
        },
        Case {
            name: "a policy violation under the code's file name",
            request: ExecutionRequest::new("import subprocess\n").with_filename("job.py"),
            check: |r| {
                assert_eq!(r.status, Status::PolicyViolation);
                assert!(
                    r.stderr.starts_with("job.py:1:8: blocked-import"),
                    "{}",
                    r.stderr
                );
            },
        },
        Case {
            name: "a syntax error",
            request: ExecutionRequest::new("print('unclosed'\n"),
            check: |r| {
                assert_eq!(r.status, Status::SyntaxError);
                assert_eq!(r.violations.len(), 1);
                assert_eq!(r.return_code, None);
            },
        },
        Case {
            name: "a policy violation (the default policy of secure mode)",
            request: ExecutionRequest::new("import subprocess\nprint('ran')\n"),
            check: |r| {
                assert_eq!(r.status, Status::PolicyViolation);
                assert_eq!(r.violations.len(), 1, "{:?}", r.violations);
                assert_eq!(r.stdout, "");
                assert!(r.stderr.contains("blocked-import"), "{}", r.stderr);
            },
        },
        Case {
            name: "a larger memory limit",
            request: ExecutionRequest::new("print(sum(range(10)))").with_memory_mb(256),
            check: |r| {
                assert!(r.success);
                assert_eq!(r.stdout, "45\n");
            },
        },
    ]
}

/// The result without what legitimately differs between two runs.
pub(crate) fn without_timings(mut result: ExecutionResult) -> ExecutionResult {
    result.duration_ms = 0.0;
    result.usage = Default::default();
    result
}

pub(crate) fn remote(server: &TestServer, key: Option<&str>) -> SandboxClient {
    SandboxClient::from_config(ClientConfig {
        server_url: Some(server.url.clone()),
        api_key: key.map(str::to_owned),
        ..crate::support::config()
    })
    .unwrap()
}

#[tokio::test]
async fn local_and_remote_give_identical_results() {
    // The server serves from its pool of prepared sandboxes; the local
    // client starts each run cold.
    let server = TestServer::start(&["--pool-size", "2"], &[("SANDBOX_API_KEYS", "k")]);
    let local = crate::support::default_client();
    let remote = remote(&server, Some("k"));
    assert!(remote.is_remote() && !local.is_remote());
    for case in cases() {
        let here = local.execute_request(case.request.clone()).await.unwrap();
        let there = remote.execute_request(case.request.clone()).await.unwrap();
        (case.check)(&here);
        (case.check)(&there);
        assert_eq!(
            without_timings(here),
            without_timings(there),
            "{}: local and remote differ",
            case.name
        );
    }
    // A request that is invalid fails the same way, and nothing runs.
    let bad = ExecutionRequest::new("pass").with_file("../escape", "x");
    let here = local.execute_request(bad.clone()).await.unwrap_err();
    let there = remote.execute_request(bad).await.unwrap_err();
    assert!(matches!(there, SandboxError::InvalidRequest(_)), "{there}");
    assert_eq!(here.to_string(), there.to_string());
}

#[test]
fn the_blocking_client_runs_remotely_too() {
    let server = TestServer::start(&[], &[]);
    let client = sandbox_client::blocking::SandboxClient::from_config(ClientConfig {
        server_url: Some(server.url.clone()),
        ..crate::support::config()
    })
    .unwrap();
    let result = client
        .execute_with_files("print(open('n.txt').read())", [("n.txt", "remote")])
        .unwrap();
    assert_eq!(result.stdout, "remote\n");
}

#[tokio::test]
async fn server_refusals_keep_the_status_and_the_servers_message() {
    let server = TestServer::start(
        &["--memory-limit-mb", "256"],
        &[("SANDBOX_API_KEYS", "right")],
    );
    let err = remote(&server, None).execute("print(1)").await.unwrap_err();
    let SandboxError::Server {
        status,
        code,
        message,
        ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!((*status, code.as_str()), (401, "unauthorized"));
    assert!(message.contains("API key"), "{message}");

    let err = remote(&server, Some("wrong"))
        .execute("print(1)")
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(401), "{err}");

    let over = ExecutionRequest::new("print(1)").with_memory_mb(512);
    let err = remote(&server, Some("right"))
        .execute_request(over)
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(422), "{err}");
    assert!(
        err.to_string().contains(
            "`memory_mb` must be a whole number of MiB from 16 to 256 (this server's limits)"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn an_unreachable_server_is_a_connection_error() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let client = SandboxClient::from_config(ClientConfig {
        server_url: Some(url.clone()),
        ..crate::support::config()
    })
    .unwrap();
    let err = client.execute("print(1)").await.unwrap_err();
    assert!(matches!(err, SandboxError::Connection { .. }), "{err}");
    assert!(err.to_string().contains(&url), "{err}");

    let err = SandboxClient::from_config(ClientConfig {
        server_url: Some("ftp://example".into()),
        ..crate::support::config()
    })
    .unwrap_err();
    assert!(matches!(err, SandboxError::Config(_)), "{err}");
}

/// `api_timeout` bounds the HTTP call, apart from the execution timeout;
/// giving up closes the connection and the server kills the run. (Two
/// worker threads: the client's connection task must run while this test
/// polls the process table.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_timeout_gives_up_and_the_server_cancels_the_run() {
    let server = TestServer::start(&[], &[]);
    let client = SandboxClient::from_config(ClientConfig {
        server_url: Some(server.url.clone()),
        api_timeout: Duration::from_millis(1500),
        ..crate::support::config()
    })
    .unwrap();
    let err = client
        .execute("import time\ntime.sleep(30)")
        .await
        .unwrap_err();
    assert!(matches!(err, SandboxError::ApiTimeout { .. }), "{err}");
    assert!(err.to_string().contains("1.5 s"), "{err}");
    assert!(
        wait_until(Duration::from_secs(10), || server.descendants().is_empty()),
        "the run outlived its client: {:?}\n{}",
        server.descendants(),
        server.log()
    );
    let text = metrics(&server).await;
    assert_eq!(
        metric(&text, "sandbox_executions_total", r#"{status="cancelled"}"#),
        1.0
    );
}

/// A server that answers every connection with 200 and a JSON string of
/// `body_bytes` letters, `chunked` or with a length.
fn oversized_server(chunked: bool, body_bytes: usize) -> String {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = [0u8; 65536];
            let _ = stream.read(&mut request);
            let body = format!("\"{}\"", "x".repeat(body_bytes));
            let answer = if chunked {
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
                    body.len()
                )
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                )
            };
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    url
}

/// The client reads no more of a server's answer than it accepts
/// (`max_result_bytes`), with or without a declared length.
#[tokio::test]
async fn an_oversized_answer_is_refused_naming_the_cap() {
    for chunked in [false, true] {
        let url = oversized_server(chunked, 300_000);
        let client = SandboxClient::from_config(ClientConfig {
            server_url: Some(url),
            max_result_bytes: Some(65_536),
            ..crate::support::config()
        })
        .unwrap();
        let err = client.execute("print(1)").await.unwrap_err();
        assert!(matches!(err, SandboxError::Connection { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.contains("larger than 65536 bytes") && text.contains("SANDBOX_MAX_RESULT_BYTES"),
            "{text}"
        );
    }
    // Within the cap, the same answer is read (and is not a result).
    let client = SandboxClient::from_config(ClientConfig {
        server_url: Some(oversized_server(true, 1_000)),
        max_result_bytes: Some(65_536),
        ..crate::support::config()
    })
    .unwrap();
    let err = client.execute("print(1)").await.unwrap_err();
    assert!(
        err.to_string().contains("not the execution contract"),
        "{err}"
    );
}
