//! `sandbox-server` as a real process on a loopback port: the original's
//! curl example, files, auth, limits, overload, disconnects, shutdown,
//! metrics, the OpenAPI document and the docs pages in a real browser.

use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::{Value, json};

use crate::serving::{
    TestServer, artifact, b64, execute, get_json, http, metric, metrics, unb64, wait_until,
};
use crate::tier::{Tier, require};

/// The original README's example body, byte for byte.
const CURL_BODY: &str =
    r#"{"code": "print(\"Hello, World!\")", "timeout": 30, "allow_network": false}"#;

async fn error_of(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("a JSON error body");
    let code = body["error"]["code"]
        .as_str()
        .expect("error.code")
        .to_owned();
    let message = body["error"]["message"]
        .as_str()
        .expect("error.message")
        .to_owned();
    (status, code, message)
}

#[tokio::test]
async fn the_original_curl_example_and_health_check_work() {
    let server = TestServer::start(&[], &[]);
    let response = http()
        .post(server.at("/execute"))
        .header("Content-Type", "application/json")
        .body(CURL_BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["stdout"], "Hello, World!\n", "{result}");
    assert_eq!(result["success"], true);
    assert_eq!(result["status"], "ok");
    assert_eq!(result["return_code"], 0);
    assert_eq!(result["mode"], "secure");

    let health = get_json(&server.at("/")).await;
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(health["mode"], "secure");
    assert_eq!(
        health["isolation"],
        crate::tier::isolation().to_string().as_str()
    );
    assert_eq!(health["secure_mode_available"], true, "{health}");
    let layers = health["layers"].as_array().unwrap();
    assert!(
        layers
            .iter()
            .any(|l| l["name"] == "landlock" && l["available"] == true),
        "{health}"
    );
    for path in ["/healthz", "/readyz"] {
        let response = http().get(server.at(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    assert!(
        server.log().contains("no API keys configured"),
        "{}",
        server.log()
    );
}

#[tokio::test]
async fn files_go_in_and_come_out() {
    let server = TestServer::start(&[], &[]);
    let body = json!({
        "code": include_str!("../examples/python/csv_total.py"),
        "input_files": { "data.csv": b64(b"id,value\n1,100\n2,200\n3,300\n") },
    });
    let response = execute(&server, &body, None).await;
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["stdout"], "Total: 600\n", "{result}");
    let files = result["output_files"].as_object().unwrap();
    assert_eq!(files.len(), 1, "{result}");
    assert_eq!(
        unb64(files["result.txt"].as_str().unwrap()),
        b"Sum: 600\n".to_vec()
    );
    assert!(
        wait_until(Duration::from_secs(5), || server.leftovers().is_empty()),
        "work dirs left: {:?}",
        server.leftovers()
    );
}

#[tokio::test]
async fn api_keys_guard_execute_and_health_stays_open() {
    let key_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(key_file.path(), "# team keys\nfile-key\n\n").unwrap();
    let server = TestServer::start(
        &[],
        &[
            ("SANDBOX_API_KEYS", "first-key, second-key"),
            ("SANDBOX_API_KEYS_FILE", key_file.path().to_str().unwrap()),
        ],
    );
    let body = json!({ "code": "print('in')" });

    let response = execute(&server, &body, None).await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let (status, code, message) = error_of(response).await;
    assert_eq!((status, code.as_str()), (401, "unauthorized"));
    assert!(message.contains("Authorization: Bearer"), "{message}");

    let (status, code, _) = error_of(execute(&server, &body, Some("wrong-key")).await).await;
    assert_eq!((status, code.as_str()), (401, "unauthorized"));

    // A key under another scheme, or with none, is named as such.
    for (header, needle) in [
        ("Basic Zmlyc3Qta2V5Og==", "`Basic` scheme"),
        ("first-key", "no scheme"),
    ] {
        let response = http()
            .post(server.at("/execute"))
            .header("content-type", "application/json")
            .header("authorization", header)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let (status, _, message) = error_of(response).await;
        assert_eq!(status, 401);
        assert!(message.contains(needle), "{message}");
    }

    for key in ["first-key", "second-key", "file-key"] {
        let response = execute(&server, &body, Some(key)).await;
        assert_eq!(response.status(), 200, "{key}");
        let result: Value = response.json().await.unwrap();
        assert_eq!(result["stdout"], "in\n");
    }
    let response = http()
        .post(server.at("/execute"))
        .header("content-type", "application/json")
        .header("X-API-Key", "file-key")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    for path in [
        "/",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/redoc",
    ] {
        let response = http().get(server.at(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path} must stay open");
    }
    assert!(!server.log().contains("no API keys configured"));
    assert!(!server.log().contains("first-key"), "a key reached the log");
}

#[tokio::test]
async fn limits_answer_422_per_field_413_for_a_big_body_and_400_for_bad_json() {
    let server = TestServer::start(
        &[
            "--timeout-limit",
            "10",
            "--memory-limit-mb",
            "256",
            "--max-input-files",
            "2",
            "--max-input-bytes",
            "1000",
            "--max-body-bytes",
            "65536",
            "--timeout",
            "5",
        ],
        &[],
    );
    let cases = [
        (
            json!({"code": "", "timeout": 11}),
            "`timeout` must be a number of seconds from 0.001 to 10 (this server's limit), got a number (11)",
        ),
        (
            json!({"code": "", "memory_mb": 512}),
            "`memory_mb` must be a whole number of MiB from 16 to 256 (this server's limits), got a number (512)",
        ),
        (json!({"code": "", "mode": "simple"}), "`mode` is `simple`"),
        (
            json!({"code": "", "allow_network": true}),
            "`allow_network` is true",
        ),
        (
            json!({"code": "", "input_files": {"a": "", "b": "", "c": ""}}),
            "`input_files` has 3 files, this server allows at most 2",
        ),
        (
            json!({"code": "", "input_files": {"a": b64(&[b'x'; 1001])}}),
            "`input_files` holds 1001 bytes, this server allows at most 1000 bytes",
        ),
        (json!({"code": "", "input_files": {"../up": ""}}), "`../up`"),
        (json!({"code": "", "memory_mb": 1}), "`memory_mb` must be"),
        (json!({"code": "", "timeout": -1}), "`timeout` must be"),
        (
            json!({"code": "", "timeout": 1e20}),
            "to 10 (this server's limit), got a number (1e+20)",
        ),
        (
            json!({"code": "", "mode": true}),
            "`mode` must be `\"secure\"` or `\"simple\"`, got a boolean",
        ),
        (json!(["print(1)"]), "must be a JSON object"),
        (
            json!({"code": "", "colour": "red"}),
            "unknown field `colour`",
        ),
        (json!({"timeout": 3}), "`code` is missing"),
    ];
    for (body, expected) in cases {
        let (status, code, message) = error_of(execute(&server, &body, None).await).await;
        assert_eq!(
            (status, code.as_str()),
            (422, "invalid_request"),
            "{body}: {message}"
        );
        assert!(message.contains(expected), "{body}: {message}");
    }

    let big = json!({ "code": format!("# {}", "x".repeat(70_000)) });
    let (status, code, message) = error_of(execute(&server, &big, None).await).await;
    assert_eq!(
        (status, code.as_str()),
        (413, "payload_too_large"),
        "{message}"
    );
    assert!(message.contains("65536"), "{message}");

    let response = http()
        .post(server.at("/execute"))
        .header("content-type", "application/json")
        .body(r#"{"code": "print(1)""#)
        .send()
        .await
        .unwrap();
    let (status, code, message) = error_of(response).await;
    assert_eq!((status, code.as_str()), (400, "malformed_json"));
    assert!(
        message.contains("not valid JSON") && message.contains("line 1"),
        "{message}"
    );

    let response = http()
        .post(server.at("/execute"))
        .header("content-type", "text/plain")
        .body(CURL_BODY)
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(response).await;
    assert_eq!((status, code.as_str()), (415, "unsupported_media_type"));
    // An untyped body is refused too: browsers send one cross-site without
    // asking first.
    let response = http()
        .post(server.at("/execute"))
        .body(CURL_BODY)
        .send()
        .await
        .unwrap();
    let (status, code, message) = error_of(response).await;
    assert_eq!((status, code.as_str()), (415, "unsupported_media_type"));
    assert!(
        message.contains("Content-Type: application/json"),
        "{message}"
    );

    let (status, code, _) = error_of(http().get(server.at("/execute")).send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (405, "method_not_allowed"));
    let (status, code, _) = error_of(http().get(server.at("/nope")).send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));

    // Within the limits all is well.
    let ok = json!({"code": "print(2)", "timeout": 10, "memory_mb": 256});
    assert_eq!(execute(&server, &ok, None).await.status(), 200);
}

/// One slot and one queue place, six requests at once: two run (one after
/// the other), four are turned away with 503 and `Retry-After`, and both
/// accepted ones complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_is_refused_and_every_accepted_request_completes() {
    let server = TestServer::start(&["--max-concurrency", "1", "--max-queue", "1"], &[]);
    // Long enough that all six arrive while the first runs, even on a
    // loaded machine.
    let body = json!({ "code": "import time\ntime.sleep(3)\nprint('done')" });
    let requests: Vec<_> = (0..6)
        .map(|_| {
            let body = body.clone();
            let url = server.at("/execute");
            tokio::spawn(async move {
                http()
                    .post(url)
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap()
            })
        })
        .collect();
    let (mut accepted, mut refused) = (0, 0);
    for request in requests {
        let response = request.await.unwrap();
        match response.status().as_u16() {
            200 => {
                let result: Value = response.json().await.unwrap();
                assert_eq!(result["stdout"], "done\n", "{result}");
                accepted += 1;
            }
            503 => {
                assert_eq!(response.headers()["retry-after"], "1");
                // The client should reconnect rather than reuse the
                // connection (its next request may go to another replica).
                assert_eq!(response.headers()["connection"], "close");
                let (_, code, _) = error_of(response).await;
                assert_eq!(code, "overloaded");
                refused += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((accepted, refused), (2, 4));
    // An expected refusal is not an error of the server.
    let log = server.log();
    assert!(
        !log.lines().any(|l| l.contains(" ERROR ")),
        "refusals logged as errors:\n{log}"
    );
    let text = metrics(&server).await;
    assert_eq!(
        metric(&text, "sandbox_executions_total", r#"{status="ok"}"#),
        2.0
    );
    assert_eq!(
        metric(
            &text,
            "sandbox_requests_rejected_total",
            r#"{reason="overloaded"}"#
        ),
        4.0
    );
    assert_eq!(metric(&text, "sandbox_executions_in_flight", ""), 0.0);
    assert_eq!(metric(&text, "sandbox_executions_queued", ""), 0.0);
}

#[tokio::test]
async fn a_per_key_rate_limit_answers_429_with_retry_after() {
    let server = TestServer::start(
        &["--rate-limit", "2"],
        &[("SANDBOX_API_KEYS", "alpha,beta")],
    );
    let body = json!({ "code": "pass" });
    for _ in 0..2 {
        assert_eq!(execute(&server, &body, Some("alpha")).await.status(), 200);
    }
    let response = execute(&server, &body, Some("alpha")).await;
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    let (status, code, _) = error_of(response).await;
    assert_eq!((status, code.as_str()), (429, "rate_limited"));
    // Another key has its own allowance.
    assert_eq!(execute(&server, &body, Some("beta")).await.status(), 200);
    let text = metrics(&server).await;
    assert_eq!(
        metric(
            &text,
            "sandbox_requests_rejected_total",
            r#"{reason="rate_limited"}"#
        ),
        1.0
    );
}

/// A client that hangs up mid-run: the sandbox is killed (no process is
/// left below the server), its work dir removed, and the run counted as
/// cancelled.
#[tokio::test]
async fn a_client_that_disconnects_cancels_its_execution() {
    let server = TestServer::start(&[], &[]);
    let body = json!({ "code": "import time\ntime.sleep(60)\nprint('never')" }).to_string();
    let address = server.url.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "POST /execute HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    assert!(
        server.wait_sandboxed_program(Duration::from_secs(10)),
        "the sandbox never started: {:?}",
        server.descendants()
    );
    assert!(!server.leftovers().is_empty(), "the run has a work dir");
    let started = Instant::now();
    drop(stream);
    assert!(
        wait_until(Duration::from_secs(10), || server.descendants().is_empty()),
        "processes left after the disconnect: {:?}",
        server.descendants()
    );
    assert!(
        wait_until(Duration::from_secs(5), || server.leftovers().is_empty()),
        "work dirs left: {:?}",
        server.leftovers()
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    let text = metrics(&server).await;
    assert_eq!(
        metric(&text, "sandbox_executions_total", r#"{status="cancelled"}"#),
        1.0,
        "{text}"
    );
    assert_eq!(metric(&text, "sandbox_executions_in_flight", ""), 0.0);
}

/// SIGTERM with a request in flight: readiness turns 503 and new
/// executions are refused (the server still answers, closing each
/// connection), the request completes normally, the process exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_requests_finish_then_exits_zero() {
    let mut server = TestServer::start(&["--shutdown-timeout", "20"], &[]);
    let body = json!({ "code": "import time\ntime.sleep(2)\nprint('finished')" });
    let url = server.at("/execute");
    let in_flight = tokio::spawn(async move {
        http()
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    });
    assert!(server.wait_sandboxed_program(Duration::from_secs(10)));
    server.signal(Signal::SIGTERM);
    // While the run goes on, the server still answers: not ready, and no
    // new executions, each answer closing its connection.
    let mut draining = false;
    for _ in 0..100 {
        let response = http().get(server.at("/readyz")).send().await.unwrap();
        if response.status() == 503 {
            assert_eq!(response.headers()["connection"], "close");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["draining"], true, "{body}");
            draining = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(draining, "/readyz never answered 503 while draining");
    let refused = execute(&server, &json!({"code": "print(1)"}), None).await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["connection"], "close");
    let (_, code, _) = error_of(refused).await;
    assert_eq!(code, "shutting_down");
    let response = in_flight.await.unwrap();
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["stdout"], "finished\n", "{result}");
    let status = server
        .wait_exit(Duration::from_secs(10))
        .expect("the server exits after draining");
    assert_eq!(status.code(), Some(0), "{}", server.log());
    assert!(
        server.log().contains("shut down cleanly"),
        "{}",
        server.log()
    );
    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());
}

/// SIGTERM with a run that outlasts the deadline: it is killed, answered
/// 503, its sandbox and work dir are gone, and the server exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shutdown_deadline_kills_what_is_left_and_exits_zero() {
    let mut server = TestServer::start(&["--shutdown-timeout", "1"], &[]);
    let body = json!({ "code": "import time\ntime.sleep(60)" });
    let url = server.at("/execute");
    let in_flight = tokio::spawn(async move {
        http()
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    });
    assert!(server.wait_sandboxed_program(Duration::from_secs(10)));
    let pid = server.pid();
    let started = Instant::now();
    server.signal(Signal::SIGTERM);
    let (status, code, message) = error_of(in_flight.await.unwrap()).await;
    assert_eq!((status, code.as_str()), (503, "shutting_down"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let exit = server
        .wait_exit(Duration::from_secs(10))
        .expect("the server exits after the deadline");
    assert_eq!(exit.code(), Some(0), "{}", server.log());
    assert!(crate::serving::descendants(pid).is_empty());
    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());
    assert_eq!(
        crate::support::run_cgroups_of(pid),
        Vec::<std::path::PathBuf>::new(),
        "the killed run's cgroups were left behind"
    );
}

#[tokio::test]
async fn metrics_count_executions_by_status() {
    let server = TestServer::start(&[], &[]);
    let runs = [
        json!({"code": "print(1)"}),
        json!({"code": "print(2)"}),
        json!({"code": "1/0"}),
        json!({"code": "while True: pass", "timeout": 1}),
        json!({"code": "print("}),
    ];
    for body in &runs {
        assert_eq!(execute(&server, body, None).await.status(), 200, "{body}");
    }
    let text = metrics(&server).await;
    for (status, count) in [
        ("ok", 2.0),
        ("error", 1.0),
        ("timeout", 1.0),
        ("syntax_error", 1.0),
    ] {
        assert_eq!(
            metric(
                &text,
                "sandbox_executions_total",
                &format!(r#"{{status="{status}"}}"#)
            ),
            count,
            "{status}: {text}"
        );
    }
    assert_eq!(
        metric(&text, "sandbox_execution_duration_seconds_count", ""),
        5.0
    );
    assert!(metric(&text, "sandbox_execution_duration_seconds_sum", "") >= 1.0);
    assert_eq!(metric(&text, "sandbox_executions_in_flight", ""), 0.0);
    assert_eq!(metric(&text, "sandbox_executions_queued", ""), 0.0);
    assert!(
        text.contains("# TYPE sandbox_requests_rejected counter"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("# EOF"));
}

/// The OpenAPI document validates against the official OpenAPI 3.1 schema
/// (tests/resources/openapi-3.1.schema.json, from the OpenAPI Initiative),
/// every `$ref` in it resolves, and it lists every endpoint the server has,
/// each of which answers.
#[tokio::test]
async fn the_openapi_document_is_valid_and_lists_every_endpoint() {
    let server = TestServer::start(&[], &[]);
    let document: Value = http()
        .get(server.at("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schema: Value =
        serde_json::from_str(include_str!("resources/openapi-3.1.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the OpenAPI schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid OpenAPI document: {errors:#?}");
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));

    let mut refs = Vec::new();
    collect_refs(&document, &mut refs);
    assert!(!refs.is_empty());
    for reference in refs {
        let pointer = reference.strip_prefix('#').expect("local ref");
        assert!(document.pointer(pointer).is_some(), "dangling {reference}");
    }

    let paths = document["paths"].as_object().unwrap();
    let mut listed: Vec<&str> = paths.keys().map(String::as_str).collect();
    listed.sort_unstable();
    assert_eq!(
        listed,
        [
            "/",
            "/docs",
            "/execute",
            "/healthz",
            "/mcp",
            "/metrics",
            "/openapi.json",
            "/readyz",
            "/redoc",
            "/sessions",
            "/sessions/{id}",
            "/sessions/{id}/execute",
            "/sessions/{id}/files",
            "/sessions/{id}/files/{path}",
            "/sessions/{id}/interrupt",
        ]
    );
    // A session's run takes no memory, network or mode of its own.
    let run = &document["components"]["schemas"]["SessionRunRequest"]["properties"];
    assert!(run.get("code").is_some() && run.get("memory_mb").is_none());
    assert_eq!(
        paths["/sessions/{id}/execute"]["post"]["security"],
        json!([{}])
    );
    let execute = &paths["/execute"]["post"];
    for status in [
        "200", "400", "403", "408", "413", "415", "422", "429", "503",
    ] {
        assert!(execute["responses"].get(status).is_some(), "{status}");
    }
    // No keys here: no 401 and no key needed.
    assert!(execute["responses"].get("401").is_none());
    assert_eq!(execute["security"], json!([{}]));
    // The request schema is this server's: its limits, its modes, valid
    // file names and base64 contents.
    let request = &document["components"]["schemas"]["ExecutionRequest"];
    assert_eq!(request["required"], json!(["code"]), "{request}");
    let properties = &request["properties"];
    assert_eq!(properties["timeout"]["maximum"], json!(300.0));
    assert_eq!(properties["memory_mb"]["maximum"], json!(1024));
    assert_eq!(properties["memory_mb"]["minimum"], json!(16));
    assert_eq!(properties["mode"]["enum"], json!(["secure", null]));
    assert_eq!(properties["allow_network"]["enum"], json!([false, null]));
    assert_eq!(
        properties["input_files"]["propertyNames"]["minLength"],
        json!(1)
    );
    assert_eq!(
        properties["input_files"]["additionalProperties"]["contentEncoding"],
        "base64"
    );
    assert!(
        properties["code"]["description"]
            .as_str()
            .unwrap()
            .contains("16777216 bytes")
    );
    assert!(paths["/mcp"]["post"]["responses"].get("400").is_some());
    for (path, item) in paths {
        // Paths with parameters are tried where they are tested.
        if item.get("get").is_some() && !path.contains('{') {
            let response = http().get(server.at(path)).send().await.unwrap();
            assert_eq!(response.status(), 200, "GET {path}");
        }
    }
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                match (key.as_str(), item) {
                    ("$ref", Value::String(r)) => refs.push(r.clone()),
                    _ => collect_refs(item, refs),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_refs(i, refs)),
        _ => {}
    }
}

/// `/docs` (Swagger UI) and `/redoc` (ReDoc) render in headless Chromium
/// with every host but the server unresolvable, so nothing can come from
/// the internet, and both show the `/execute` operation. Screenshots are
/// kept under `target/test-artifacts/`.
#[test]
fn the_docs_pages_render_offline_in_chromium() {
    require!(Tier::Browser);
    let server = TestServer::start(&[], &[]);
    let swagger = chromium_dom(&server.at("/docs/"), "swagger-ui");
    assert!(
        swagger.contains(r#"data-path="/execute""#),
        "Swagger UI shows no /execute operation:\n{}",
        &swagger[..swagger.len().min(3000)]
    );
    assert!(
        swagger.contains("opblock-post"),
        "no POST operation rendered"
    );
    assert!(swagger.contains("sandbox-server"), "no API title rendered");

    let redoc = chromium_dom(&server.at("/redoc"), "redoc");
    assert!(
        redoc.contains("Runs Python code and returns its result"),
        "ReDoc shows no /execute operation:\n{}",
        &redoc[..redoc.len().min(3000)]
    );
    assert!(redoc.contains("/execute"), "no /execute path rendered");
    assert!(redoc.contains("ExecutionRequest") || redoc.contains("input_files"));
    for name in ["swagger-ui", "redoc"] {
        let png = std::fs::read(artifact(&format!("{name}.png"))).expect("a screenshot");
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{name}.png"
        );
    }
}

/// The DOM of `url` after its scripts ran, and a screenshot as
/// `target/test-artifacts/{name}.png`. Fails (never skips) without Chromium.
fn chromium_dom(url: &str, name: &str) -> String {
    let browser = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("Chromium is required for this test: apt-get install chromium");
    let run = |extra: &[String]| {
        let profile = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                // Only the server's address resolves: an asset fetched from
                // the internet would fail to load.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--virtual-time-budget=15000",
                "--window-size=1280,1600",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(url)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start chromium");
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut out = String::new();
            stdout.read_to_string(&mut out).map(|_| out)
        });
        // Bounded: a browser that hangs fails the test instead of stalling it.
        let exited = wait_until(Duration::from_secs(120), || {
            child.try_wait().unwrap().is_some()
        });
        if !exited {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish rendering {url} within 120 s");
        }
        let status = child.wait().unwrap();
        assert!(status.success(), "chromium failed on {url}: {status}");
        reader.join().unwrap().unwrap()
    };
    let dom = run(&["--dump-dom".to_owned()]);
    let shot = artifact(&format!("{name}.png"));
    let _ = std::fs::remove_file(&shot);
    run(&[format!("--screenshot={}", shot.display())]);
    dom
}

/// Six concurrent 21 MB requests: every one is answered, and the server's
/// memory stays within its budget for buffered requests plus its own
/// working set, instead of growing with each request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_large_requests_at_once_stay_within_the_memory_budget() {
    const BUDGET_MIB: u64 = 128;
    let budget = (BUDGET_MIB << 20).to_string();
    let server = TestServer::start(&["--max-buffered-bytes", &budget], &[]);
    let contents: Vec<u8> = (0..16_000_000u64).map(|i| (i * 7919 % 251) as u8).collect();
    let body = json!({
        "code": "print(len(open('big.bin', 'rb').read()))",
        "input_files": {"big.bin": b64(&contents)},
    })
    .to_string();
    assert!(body.len() > 21_000_000);
    let requests: Vec<_> = (0..6)
        .map(|_| {
            let (url, body) = (server.at("/execute"), body.clone());
            tokio::spawn(async move {
                http()
                    .post(url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap()
            })
        })
        .collect();
    drop(body);
    for request in requests {
        let response = request.await.unwrap();
        assert_eq!(response.status(), 200);
        let result: Value = response.json().await.unwrap();
        assert_eq!(result["stdout"], "16000000\n", "{result}");
    }
    let peak_kib = crate::support::peak_rss_kb_of(&server.pid().to_string());
    // The budget, plus the server's own working set and two executions'
    // results (measured here: about 40 MiB over the budget).
    let bound_kib = (BUDGET_MIB + 96) * 1024;
    assert!(
        peak_kib <= bound_kib,
        "peak {peak_kib} KiB over {bound_kib} KiB"
    );
}

/// The NUL flood (`resources/nul_flood.py`): output that escapes worst.
const NUL_FLOOD: &str = include_str!("resources/nul_flood.py");

/// The response to the NUL flood stays within the result cap: the default
/// one (derived from the other caps) and a smaller one set by the operator,
/// and the result says what was cut and which setting to raise. Without
/// the cap (set to its largest) the same run answers about 35 MB.
#[tokio::test]
async fn a_nul_flood_result_stays_within_the_result_cap() {
    let body = json!({"code": NUL_FLOOD, "timeout": 60});
    let derived = sandbox_client::ClientConfig::default().result_cap();
    assert_eq!(derived, 26_607_512);
    let cases: [(&[&str], u64); 3] = [
        (&[], derived),
        (&["--max-result-bytes", "2000000"], 2_000_000),
        (&["--max-result-bytes", "17179869184"], 17_179_869_184),
    ];
    for (args, cap) in cases {
        let server = TestServer::start(args, &[]);
        let response = execute(&server, &body, None).await;
        assert_eq!(response.status(), 200);
        let sent = response.bytes().await.expect("the body");
        let result: Value = serde_json::from_slice(&sent).expect("a JSON result");
        let message = result["message"].as_str().unwrap_or_default();
        eprintln!("--max-result-bytes {cap}: {} bytes sent", sent.len());
        assert!(
            (sent.len() as u64) <= cap,
            "{} bytes sent over the cap of {cap}",
            sent.len()
        );
        if cap == 17_179_869_184 {
            // Nothing cut: the encoded size the cap exists for.
            assert!(sent.len() > 34_000_000, "{} bytes", sent.len());
            assert_eq!(result["status"], "ok", "{message}");
            assert_eq!(result["output_files"].as_object().unwrap().len(), 4);
            continue;
        }
        assert!(message.contains("SANDBOX_MAX_RESULT_BYTES"), "{message}");
        assert!(message.contains(&cap.to_string()), "{message}");
        if cap == derived {
            // The streams fit (12 MiB as JSON); two of the four files do not.
            assert_eq!(result["status"], "ok", "{message}");
            assert_eq!(result["stdout"].as_str().unwrap().len(), 1 << 20);
            assert_eq!(result["stderr"].as_str().unwrap().len(), 1 << 20);
            assert_eq!(result["output_files_truncated"], true);
            assert_eq!(result["output_files"].as_object().unwrap().len(), 2);
            assert!(sent.len() > 20_000_000, "{} bytes", sent.len());
        } else {
            assert_eq!(result["status"], "output_limit", "{message}");
            assert_eq!(result["stdout_truncated"], true);
            assert!(sent.len() > 1_900_000, "{} bytes", sent.len());
        }
    }
}
