//! Deeply nested code of every expression and statement form, and mixed
//! ones, through the library, a real `sandbox-server` (`POST /execute` and
//! MCP's `check_python` and `run_python`): refused as a `syntax_error`
//! naming the line and the limit, never a crashed process; the server
//! answers `/healthz` throughout. (`sandbox check`, `sandbox run` and
//! `sandbox mcp` are tested beside the CLI.)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use proptest::strategy::{Strategy as _, ValueTree as _};
use proptest::test_runner::{Config, TestRunner};
use sandbox_client::{ExecutionMode, ExecutionResult, Status};
use sandbox_core::syntax;
use serde_json::{Value, json};

use crate::mcp;
use crate::serving::{TestServer, execute, http};

#[path = "../crates/sandbox-core/src/syntax/forms.rs"]
mod forms;

/// Programs far past every limit: each form 30,000 levels deep (the
/// outside campaign's 33 KB bodies), and blocks past the indentation limit.
fn far_too_deep() -> Vec<(String, String)> {
    let mut programs: Vec<(String, String)> = forms::EXPRESSIONS
        .iter()
        .map(|&form| (form.name.to_owned(), forms::repeated(form, 30_000)))
        .collect();
    programs.extend(forms::STATEMENTS.iter().map(|&statement| {
        (
            statement.name.to_owned(),
            forms::blocks(&vec![statement; 150], "pass"),
        )
    }));
    programs.push((
        "mixed".to_owned(),
        forms::expression(&forms::EXPRESSIONS.repeat(800)),
    ));
    programs
}

/// `count` generated programs (deterministic seed): forms alone and mixed,
/// from shallow to far past the limits.
fn generated(count: usize) -> Vec<String> {
    let mut runner = TestRunner::new(Config {
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        ..Config::default()
    });
    let strategy = forms::deep_program(8_000);
    (0..count)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

/// What the checker says of `code` past a limit (`None` within them).
fn limit_issue(code: &str) -> Option<syntax::SyntaxIssue> {
    syntax::check(code)
        .err()
        .filter(|issue| issue.message.contains("the limit is"))
}

/// The result of deep `code`: refused with the checker's issue when past a
/// limit; otherwise anything but a failure of the sandbox itself.
fn assert_handled(code: &str, status: &str, violations: &Value, context: &str) {
    match limit_issue(code) {
        Some(issue) => {
            assert_eq!(status, "syntax_error", "{context}");
            assert_eq!(violations[0]["rule"], "syntax-error", "{context}");
            assert_eq!(violations[0]["line"], issue.line, "{context}");
            assert_eq!(
                violations[0]["message"],
                issue.message.as_str(),
                "{context}"
            );
        }
        None => assert_ne!(status, "sandbox_error", "{context}"),
    }
}

fn assert_result_handled(code: &str, result: &ExecutionResult, context: &str) {
    let status = serde_json::to_value(result.status).unwrap();
    let violations = serde_json::to_value(&result.violations).unwrap();
    assert_handled(code, status.as_str().unwrap(), &violations, context);
}

#[tokio::test]
async fn the_library_refuses_deep_code_by_line_and_limit() {
    let client = crate::support::default_client();
    for (name, code) in far_too_deep() {
        let result = client.execute(code.as_str()).await.unwrap();
        assert_eq!(result.status, Status::SyntaxError, "{name}");
        let violation = &result.violations[0];
        assert!(
            violation.message.contains("the limit is"),
            "{name}: {violation:?}"
        );
        assert!(result.stderr.len() < 2_000, "{name}: a bounded excerpt");
        assert_result_handled(&code, &result, &name);
    }
    let simple = sandbox_client::SandboxClient::from_config(sandbox_client::ClientConfig {
        mode: ExecutionMode::Simple,
        ..crate::support::config()
    })
    .unwrap();
    for code in generated(24) {
        for client in [&client, &simple] {
            let result = client.execute(code.as_str()).await.unwrap();
            assert_result_handled(&code, &result, &code[..code.len().min(200)]);
        }
    }
}

/// Polls `/healthz` every 20 ms until stopped; counts answers and failures.
struct HealthWatch {
    stop: Arc<AtomicBool>,
    healthy: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl HealthWatch {
    fn start(server: &TestServer) -> Self {
        let (stop, healthy, failed) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
        );
        let url = server.at("/healthz");
        let (s, h, f) = (stop.clone(), healthy.clone(), failed.clone());
        let task = tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(2))
                .build()
                .unwrap();
            while !s.load(Ordering::Relaxed) {
                match client.get(&url).send().await {
                    Ok(response) if response.status() == 200 => h.fetch_add(1, Ordering::Relaxed),
                    _ => f.fetch_add(1, Ordering::Relaxed),
                };
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        Self {
            stop,
            healthy,
            failed,
            task,
        }
    }

    async fn finish(self) -> (usize, usize) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap();
        (
            self.healthy.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

#[tokio::test]
async fn the_server_refuses_deep_code_and_keeps_serving() {
    let mut server = TestServer::start(&[], &[]);
    let watch = HealthWatch::start(&server);

    // Several at once, as the outside campaign sent them.
    let programs = far_too_deep();
    for chunk in programs.chunks(8) {
        let mut tasks = tokio::task::JoinSet::new();
        for (name, code) in chunk.iter().cloned() {
            let url = server.at("/execute");
            tasks.spawn(async move {
                let response = http()
                    .post(url)
                    .header("content-type", "application/json")
                    .body(json!({"code": code}).to_string())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200, "{name}");
                let result: Value = response.json().await.unwrap();
                (name, code, result)
            });
        }
        while let Some(answer) = tasks.join_next().await {
            let (name, code, result) = answer.unwrap();
            assert_eq!(result["status"], "syntax_error", "{name}");
            assert_handled(
                &code,
                result["status"].as_str().unwrap(),
                &result["violations"],
                &name,
            );
        }
    }
    for code in generated(24) {
        let response = execute(&server, &json!({"code": code}), None).await;
        assert_eq!(response.status(), 200);
        let result: Value = response.json().await.unwrap();
        assert_handled(
            &code,
            result["status"].as_str().unwrap(),
            &result["violations"],
            "generated",
        );
    }

    // MCP: both tools, with deep code of every form.
    let client = mcp::connect(&server, None).await.expect("initialize");
    for (name, code) in programs.iter().step_by(3) {
        let checked = mcp::call(&client, "check_python", json!({"code": code})).await;
        let report = checked
            .structured_content
            .as_ref()
            .expect("structured report");
        assert_eq!(report["ok"], false, "{name}");
        assert_eq!(report["status"], "syntax_error", "{name}");
        assert!(
            mcp::text(&checked).contains("the limit is"),
            "{name}: {}",
            mcp::text(&checked)
        );
        let ran = mcp::call(&client, "run_python", json!({"code": code})).await;
        let structured = ran.structured_content.as_ref().expect("structured result");
        assert_eq!(structured["status"], "syntax_error", "{name}");
    }
    // The same session still runs ordinary code.
    let ran = mcp::call(&client, "run_python", json!({"code": "print(6 * 7)"})).await;
    assert_eq!(mcp::text(&ran), "42\n");
    client.cancel().await.unwrap();

    let (healthy, failed) = watch.finish().await;
    assert_eq!(failed, 0, "/healthz failed while deep code was checked");
    assert!(healthy > 0);
    assert!(
        server.wait_exit(Duration::ZERO).is_none(),
        "the server exited:\n{}",
        server.log()
    );
    let response = http().get(server.at("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
}
