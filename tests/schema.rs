//! The OpenAPI document is the server: Schemathesis (from PyPI, installed
//! by the test set-up) generates requests from a real server's
//! `/openapi.json` with every check on (status codes, content types,
//! response schemas and headers, schema-valid data accepted and invalid
//! data refused, authentication), with and without API keys: no failure,
//! no 5xx. The one rule JSON Schema cannot state (no input file name may
//! be another's directory) is kept out of the generated bodies by
//! `resources/schemathesis_hooks.py`.

use std::path::Path;
use std::process::Command;

use crate::serving::TestServer;
use crate::tier::{Tier, require};

/// The fuzzer, from the venv `.ci/deploy-tools` makes.
const SCHEMATHESIS: &str = "target/deploy-tools/venv/bin/st";

/// Runs Schemathesis against `server` with `extra` arguments; its report.
fn schemathesis(server: &TestServer, extra: &[&str]) -> String {
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCHEMATHESIS);
    assert!(
        program.exists(),
        "{} is missing: run .ci/setup (or .ci/deploy-tools) to install the test tools",
        program.display()
    );
    // Its example database goes to the working directory.
    let scratch = tempfile::tempdir().unwrap();
    let hooks = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/resources/schemathesis_hooks.py");
    let output = Command::new(&program)
        .current_dir(scratch.path())
        .env("SCHEMATHESIS_HOOKS", hooks)
        .args(["run", &server.at("/openapi.json")])
        .args(["--checks", "all", "--workers", "2", "--max-examples", "100"])
        // A session made by one call may be gone at the next, as documented
        // (its idle timeout passed, or the code it ran ended it): 404 says
        // so. `tests/sessions.rs` checks when sessions end.
        .args(["--exclude-checks", "ensure_resource_availability"])
        .args(["--request-timeout", "60", "--no-color"])
        .args(extra)
        .output()
        .expect("run schemathesis");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{report}\n--- server log ---\n{}",
        server.log()
    );
    // One warning is the API working as documented: a session's file that
    // was never written is a 404, most generated paths name none, and a
    // generated session id names no session.
    let warnings: Vec<&str> = report
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("⚠️"))
        .collect();
    assert!(
        report.contains("No issues found")
            || (!report.contains("Failures:")
                && warnings.iter().all(|w| w.contains("Missing test data:"))),
        "{report}"
    );
    let log = server.log();
    assert!(
        !log.lines()
            .any(|line| line.contains("status=5") && !line.contains("status=503")),
        "a request got a server error:\n{log}"
    );
    report
}

/// Sessions are fuzzed too: enough of them per key that `POST /sessions`
/// is mostly made rather than refused, fewer than the server's so the
/// refusal is the caller's 429 (a full server's 503 is a 5xx, which the
/// fuzzer counts as a server error), and a short idle timeout so the
/// fuzzer's abandoned sessions make room for the next.
const SESSION_ARGS: [&str; 3] = [
    "--max-sessions=32",
    "--max-sessions-per-key=16",
    "--session-idle-timeout=2",
];

#[test]
fn the_document_is_the_server_without_api_keys() {
    require!(Tier::DeployTools);
    let server = TestServer::start(&[&["--timeout", "2"][..], &SESSION_ARGS].concat(), &[]);
    schemathesis(&server, &[]);
}

#[test]
fn the_document_is_the_server_with_api_keys() {
    require!(Tier::DeployTools);
    let server = TestServer::start(
        &[&["--timeout", "2"][..], &SESSION_ARGS].concat(),
        &[("SANDBOX_API_KEYS", "fuzz-key")],
    );
    schemathesis(&server, &["--header", "Authorization: Bearer fuzz-key"]);
}
