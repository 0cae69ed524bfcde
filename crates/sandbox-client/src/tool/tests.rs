//! Snapshots of what a model sees: the definitions in each provider's shape
//! and the rendering of each kind of result.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use sandbox_core::policy::validate_request;

use super::*;
use crate::{ClientConfig, ExecutionMode, ExecutionRequest, ExecutionResult, Status};

fn local_settings() -> ToolSettings {
    ToolSettings::from_config(&ClientConfig::default())
}

fn result(status: Status) -> ExecutionResult {
    ExecutionResult::new(status, ExecutionMode::Secure)
}

#[test]
fn definitions_in_every_providers_shape() {
    // Described from the configuration alone, so the snapshot does not
    // depend on what this machine's Python has installed.
    let tool = PythonTool::with_settings(crate::SandboxClient::new(), local_settings());
    let definition = tool.definition();
    insta::assert_json_snapshot!("openai", definition.to_openai());
    // The same name, description and schema in the other shapes.
    let anthropic = definition.to_anthropic();
    assert_eq!(anthropic["input_schema"], definition.parameters);
    assert_eq!(anthropic["name"], "run_python");
    assert_eq!(definition.to_json()["parameters"], definition.parameters);
    assert_eq!(tool.with_name("python_executor").name(), "python_executor");
}

#[test]
fn the_description_follows_the_configuration() {
    let settings = local_settings().with_max_timeout(Duration::from_secs(300));
    insta::assert_snapshot!("run_description_local", settings.run_description());
    insta::assert_snapshot!("check_description_local", settings.check_description());
    let params = settings.run_parameters();
    assert_eq!(params["properties"]["timeout"]["maximum"], 300.0);

    let config = ClientConfig {
        allow_network: true,
        timeout: Duration::from_millis(2500),
        server_url: Some("http://sandbox:8000".into()),
        ..ClientConfig::default()
    };
    let remote = ToolSettings::from_config(&config).run_description();
    assert!(remote.contains("- time: 2.5 s per run"), "{remote}");
    assert!(remote.contains("- network: allowed"), "{remote}");
    assert!(
        remote.contains("the sandbox server's policy decides"),
        "{remote}"
    );

    // Told what the interpreter has, it names only what can be imported.
    let installed: std::collections::BTreeSet<String> =
        ["math", "json", "csv", "xml", "__future__"]
            .map(String::from)
            .into();
    let probed = local_settings().with_installed(std::sync::Arc::new(installed));
    let text = probed.run_description();
    assert!(
        text.contains("may be imported: csv, json, math. Any other import"),
        "{text}"
    );
    assert!(
        text.contains("Allowed but not installed in this sandbox's Python: abc, array, base64, "),
        "{text}"
    );
    assert!(text.contains("numpy, operator, pandas"), "{text}");
    let refusal = match validate_request(&ExecutionRequest::new("import xml\n"), probed.policy()) {
        Err(rejection) => rejection.violations()[0].message.clone(),
        Ok(()) => panic!("xml is not allowed"),
    };
    assert!(
        refusal.contains("(allowed: __future__, csv, json, math)"),
        "{refusal}"
    );
    // The real interpreter: everything it has is named as such.
    let real = ToolSettings::probed(&ClientConfig::default());
    let policy = real.policy().unwrap();
    assert!(
        policy
            .installed
            .as_ref()
            .is_some_and(|m| m.contains("json"))
    );
    assert!(
        !real
            .run_description()
            .contains("not installed in this sandbox's Python: base64"),
        "the standard library is installed"
    );

    let off = ToolSettings::from_config(&ClientConfig::default().without_policy());
    assert_eq!(off.policy, PolicyView::Off);
    assert!(off.run_description().contains("Imports: any module"));
}

#[test]
fn arguments_are_read_leniently_and_refused_with_reasons() {
    let request = parse_arguments(
        r#"{"code": "print(1)", "timeout": "2.5",
            "input_files": {"a.txt": "hi", "b.bin": "base64:AAEC"}}"#,
    )
    .unwrap();
    assert_eq!(request.code, "print(1)");
    assert_eq!(request.timeout, Some(Duration::from_millis(2500)));
    assert_eq!(request.input_files["a.txt"], b"hi");
    assert_eq!(request.input_files["b.bin"], [0, 1, 2]);
    // A bare string is the code.
    assert_eq!(
        parse_arguments(r#""print(2)""#).unwrap(),
        ExecutionRequest::new("print(2)")
    );

    let errors: Vec<String> = [
        "print(1)",
        "[1]",
        "{}",
        r#"{"code": 5}"#,
        r#"{"code": "x", "timeout": -1}"#,
        r#"{"code": "x", "timeout": true}"#,
        r#"{"code": "x", "input_files": ["a"]}"#,
        r#"{"code": "x", "input_files": {"a": 1}}"#,
        r#"{"code": "x", "input_files": {"a": "base64:@@"}}"#,
        r#"{"code": "x", "memory_mb": 512}"#,
    ]
    .iter()
    .map(|args| format!("{args}\n  -> {}", parse_arguments(args).unwrap_err()))
    .collect();
    insta::assert_snapshot!("argument_errors", errors.join("\n"));
}

#[test]
fn successful_runs_show_stdout_stderr_and_files() {
    let mut ok = result(Status::Ok);
    ok.return_code = Some(0);
    ok.stdout = "Total: 600\n".into();
    ok.output_files
        .insert("result.txt".into(), b"Sum: 600\n".to_vec());
    ok.output_files.insert("plot.png".into(), vec![0; 3000]);
    insta::assert_snapshot!("ok_with_files", render_result(&ok));

    let mut quiet = result(Status::Ok);
    quiet.stderr = "warning: something\n".into();
    insta::assert_snapshot!("ok_quiet_with_stderr", render_result(&quiet));
}

#[test]
fn failures_say_what_happened_and_what_to_do() {
    let mut error = result(Status::Error);
    error.return_code = Some(1);
    error.stdout = "before\n".into();
    error.stderr = "Traceback (most recent call last):\n  File \"main.py\", line 1, in <module>\nZeroDivisionError: division by zero\n".into();
    let mut timeout = result(Status::Timeout);
    timeout.return_code = Some(-9);
    timeout.message = Some("execution timed out after 1 s and was killed".into());
    let mut memory = result(Status::MemoryLimit);
    memory.message = Some("the program ran out of its 128 MiB memory limit".into());

    // Refusals rendered from the real checker, as the runner does.
    let policy = crate::Policy::secure_default();
    let mut refused = result(Status::PolicyViolation);
    let Err(rejection) = validate_request(
        &ExecutionRequest::new("import os\nimport socket\n"),
        Some(policy),
    ) else {
        panic!("os is denied by default");
    };
    refused.stderr = render_check(&Err(rejection), true);
    let mut syntax = result(Status::SyntaxError);
    let Err(rejection) =
        validate_request(&ExecutionRequest::new("def f(:\n  pass\n"), Some(policy))
    else {
        panic!("not valid Python");
    };
    syntax.stderr = render_check(&Err(rejection), true);

    let rendered: Vec<String> = [error, timeout, memory, refused, syntax]
        .iter()
        .map(|r| format!("--- {}\n{}", r.status, render_result(r)))
        .collect();
    insta::assert_snapshot!("failures", rendered.join("\n"));
}

#[test]
fn long_output_keeps_its_start_and_its_end() {
    let long: String = (0..5000).map(|i| format!("line {i}\n")).collect();
    let cut = truncate_middle(&long, 300);
    assert!(cut.starts_with("line 0\n"), "{cut}");
    assert!(cut.ends_with("line 4999\n"), "{cut}");
    assert!(cut.contains("characters left out"), "{cut}");
    assert!(cut.chars().count() < 400);
    // Multi-byte characters are never split.
    let wide = "é".repeat(50);
    assert_eq!(
        truncate_middle(&wide, 9)
            .chars()
            .filter(|c| *c == 'é')
            .count(),
        9
    );

    let mut flood = result(Status::Ok);
    flood.stdout = long;
    flood.stdout_truncated = true;
    let text = render_result(&flood);
    assert!(text.chars().count() < MAX_STDOUT_CHARS + 200);
    assert!(
        text.ends_with("[output cut at the sandbox's output limit]\n"),
        "{text}"
    );
}

#[test]
fn checks_render_ok_or_the_diagnostics() {
    assert_eq!(
        render_check(&Ok(()), true),
        "OK: the code parses and the sandbox policy allows it.\n"
    );
    let outcome = validate_request(
        &ExecutionRequest::new("import subprocess\n"),
        Some(crate::Policy::secure_default()),
    );
    insta::assert_snapshot!("check_refused", render_check(&outcome, true));
}
