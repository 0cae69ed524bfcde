//! Deeply nested code of every form, and generated mixes, through `sandbox
//! check`, `sandbox run` and `sandbox mcp`: refused by line and limit,
//! never a process killed by a signal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write as _;
use std::process::{Output, Stdio};

use proptest::strategy::{Strategy as _, ValueTree as _};
use proptest::test_runner::TestRunner;
use rmcp::ServiceExt as _;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::json;

#[path = "../../sandbox-core/src/syntax/forms.rs"]
mod forms;

/// Every form, 100,000 levels deep, and blocks past the indentation limit.
fn far_too_deep() -> Vec<(&'static str, String)> {
    let mut programs: Vec<_> = forms::EXPRESSIONS
        .iter()
        .map(|&form| (form.name, forms::repeated(form, 100_000)))
        .collect();
    programs.extend(
        forms::STATEMENTS
            .iter()
            .map(|&statement| (statement.name, forms::blocks(&vec![statement; 300], "pass"))),
    );
    programs
}

/// `sandbox args` with `stdin`, in a fresh directory.
fn sandbox(args: &[&str], stdin: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut child = common::clean_command(env!("CARGO_BIN_EXE_sandbox"))
        .args(args)
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    // It may refuse before reading everything.
    let _ = pipe.write_all(stdin.as_bytes());
    drop(pipe);
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.code().is_some(),
        "sandbox {args:?} died by a signal: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn check_and_run_refuse_deep_code_by_line_and_limit() {
    for (name, code) in far_too_deep() {
        let checked = sandbox(&["check", "-"], &code);
        assert_eq!(checked.status.code(), Some(1), "{name}");
        let report = String::from_utf8_lossy(&checked.stdout);
        assert!(report.contains("the limit is"), "{name}: {report}");
        assert!(report.len() < 2_000, "{name}: the excerpt is bounded");

        for mode in ["secure", "simple"] {
            let ran = sandbox(&["run", "--mode", mode, "-"], &code);
            assert_eq!(ran.status.code(), Some(121), "{name} ({mode})");
            let stderr = String::from_utf8_lossy(&ran.stderr);
            assert!(stderr.contains("sandbox: syntax_error"), "{name}: {stderr}");
            assert!(stderr.contains("the limit is"), "{name}: {stderr}");
        }
    }
}

#[test]
fn check_handles_generated_deep_code() {
    let mut runner = TestRunner::deterministic();
    let strategy = forms::deep_program(20_000);
    for _ in 0..16 {
        let code = strategy.new_tree(&mut runner).unwrap().current();
        let checked = sandbox(&["check", "--mode", "secure", "-"], &code);
        // Clean, a syntax error or a policy violation: never a crash.
        assert!(
            matches!(checked.status.code(), Some(0 | 1)),
            "{:?}: {}",
            checked.status,
            String::from_utf8_lossy(&checked.stderr)
        );
    }
}

#[tokio::test]
async fn sandbox_mcp_refuses_deep_code_and_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let mut command =
        tokio::process::Command::from(common::clean_command(env!("CARGO_BIN_EXE_sandbox")));
    command.arg("mcp").current_dir(dir.path());
    let (transport, _stderr) = TokioChildProcess::builder(command)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = ().serve(transport).await.expect("initialize");
    let call = |tool: &'static str, code: &str| {
        let arguments = json!({"code": code}).as_object().unwrap().clone();
        let client = &client;
        async move {
            client
                .call_tool(CallToolRequestParams::new(tool).with_arguments(arguments))
                .await
                .expect("a tool result, not a protocol error")
        }
    };
    for (name, code) in far_too_deep().into_iter().step_by(2) {
        let checked = call("check_python", &code).await;
        let report = checked.structured_content.unwrap();
        assert_eq!(report["status"], "syntax_error", "{name}");
        let ran = call("run_python", &code).await;
        assert_eq!(
            ran.structured_content.unwrap()["status"],
            "syntax_error",
            "{name}"
        );
    }
    let ran = call("run_python", "print(6 * 7)").await;
    assert_eq!(ran.content[0].as_text().unwrap().text, "42\n");
    client.cancel().await.unwrap();
}
