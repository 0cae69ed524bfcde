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
    assert!(report.contains("No issues found"), "{report}");
    let log = server.log();
    assert!(
        !log.lines()
            .any(|line| line.contains("status=5") && !line.contains("status=503")),
        "a request got a server error:\n{log}"
    );
    report
}

#[test]
fn the_document_is_the_server_without_api_keys() {
    require!(Tier::DeployTools);
    let server = TestServer::start(&["--timeout", "2"], &[]);
    schemathesis(&server, &[]);
}

#[test]
fn the_document_is_the_server_with_api_keys() {
    require!(Tier::DeployTools);
    let server = TestServer::start(&["--timeout", "2"], &[("SANDBOX_API_KEYS", "fuzz-key")]);
    schemathesis(&server, &["--header", "Authorization: Bearer fuzz-key"]);
}
