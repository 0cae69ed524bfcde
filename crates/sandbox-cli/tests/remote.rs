//! `sandbox run --remote`: the real binary against a real server on a
//! loopback port (run in this test process with `sandbox_server::serve`).

// Test helpers may panic on broken preconditions; that is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/server.rs"]
mod server;

use server::Server;

use std::io::Write as _;
use std::process::{Command, Stdio};

/// `sandbox` with a clean `SANDBOX_*` environment in `dir`.
fn sandbox(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = common::clean_command(env!("CARGO_BIN_EXE_sandbox"));
    cmd.current_dir(dir).args(args).envs(env.iter().copied());
    cmd
}

/// Runs `cmd` with `code` on stdin: (exit code, stdout, stderr).
fn run(cmd: &mut Command, code: &str) -> (i32, String, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(code.as_bytes());
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn run_remote_passes_output_and_exit_code_through() {
    let server = Server::start("k1");
    let dir = tempfile::tempdir().unwrap();
    let args = ["run", "--remote", &server.url, "--api-key", "k1", "-"];
    let (code, stdout, stderr) = run(
        &mut sandbox(dir.path(), &args, &[]),
        "print('out')\nraise ValueError('err')",
    );
    assert_eq!(
        (code, stdout.as_str(), stderr.lines().last()),
        (1, "out\n", Some("ValueError: err"))
    );
}

#[test]
fn the_server_url_and_key_come_from_the_environment_and_files_round_trip() {
    let server = Server::start("k2");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("data.csv"),
        "id,value\n1,100\n2,200\n3,300\n",
    )
    .unwrap();
    let env = [
        ("SANDBOX_SERVER_URL", server.url.as_str()),
        ("SANDBOX_API_KEY", "k2"),
    ];
    let code = include_str!("../../../examples/python/csv_total.py");
    let args = ["run", "--input", "data.csv", "--output-dir", "out", "-"];
    let (exit, stdout, stderr) = run(&mut sandbox(dir.path(), &args, &env), code);
    assert_eq!((exit, stdout.as_str()), (0, "Total: 600\n"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/result.txt")).unwrap(),
        "Sum: 600\n"
    );
}

#[test]
fn server_refusals_map_to_exit_codes_with_the_servers_message() {
    let server = Server::start("right");
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(
        &mut sandbox(
            dir.path(),
            &["run", "--remote", &server.url, "--api-key", "wrong", "-"],
            &[],
        ),
        "print(1)",
    );
    assert_eq!((code, stdout.as_str()), (120, ""), "{stderr}");
    assert!(stderr.contains("401 `unauthorized`"), "{stderr}");
    // Said for a command line, not in HTTP headers.
    assert!(
        stderr.contains("sandbox: hint: give the server's API key with --api-key KEY"),
        "{stderr}"
    );

    let args = [
        "run",
        "--remote",
        &server.url,
        "--api-key",
        "right",
        "--memory-mb",
        "4096",
        "-",
    ];
    let (code, _, stderr) = run(&mut sandbox(dir.path(), &args, &[]), "print(1)");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`memory_mb` must be a whole number of MiB from 16 to 1024 (this server's limits), got a number (4096)"),
        "{stderr}"
    );

    let args = ["run", "--remote", &server.url, "--python", "python3", "-"];
    let (code, _, stderr) = run(&mut sandbox(dir.path(), &args, &[]), "print(1)");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--python applies to local runs only"),
        "{stderr}"
    );
}

/// Three lines, a second apart.
const THREE_LINES: &str =
    "import time\nfor i in range(3):\n    print('line', i)\n    time.sleep(1)\n";

/// Runs `cmd` with `code` on stdin and reads its stdout line by line as it
/// comes: each line with how long before the process ended it arrived.
fn lines_as_they_come(cmd: &mut Command, code: &str) -> Vec<(String, std::time::Duration)> {
    use std::io::BufRead as _;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(code.as_bytes())
        .unwrap();
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
        lines.push((line.unwrap(), std::time::Instant::now()));
    }
    assert!(child.wait().unwrap().success());
    let ended = std::time::Instant::now();
    lines
        .into_iter()
        .map(|(line, at)| (line, ended.duration_since(at)))
        .collect()
}

#[test]
fn run_passes_output_through_as_it_is_written_locally_and_remotely() {
    let server = Server::start("");
    let dir = tempfile::tempdir().unwrap();
    let env: Vec<(&str, &str)> = common::isolation()
        .map(|level| vec![("SANDBOX_ISOLATION", level)])
        .unwrap_or_default();
    for args in [vec!["run", "-"], vec!["run", "--remote", &server.url, "-"]] {
        let lines = lines_as_they_come(&mut sandbox(dir.path(), &args, &env), THREE_LINES);
        let texts: Vec<&str> = lines.iter().map(|(line, _)| line.as_str()).collect();
        assert_eq!(texts, ["line 0", "line 1", "line 2"], "{args:?}");
        assert!(
            lines[0].1 >= std::time::Duration::from_millis(1500),
            "{args:?}: the first line came only {:?} before the end",
            lines[0].1
        );

        // --stream-json: one event a line as it comes, the result last.
        let mut args = args.clone();
        args.insert(1, "--stream-json");
        let lines = lines_as_they_come(&mut sandbox(dir.path(), &args, &env), THREE_LINES);
        let events: Vec<serde_json::Value> = lines
            .iter()
            .map(|(line, _)| serde_json::from_str(line).unwrap())
            .collect();
        let (result, output) = events.split_last().unwrap();
        assert_eq!(result["event"], "result", "{args:?}");
        assert_eq!(result["status"], "ok");
        let streamed: String = output
            .iter()
            .map(|event| {
                assert_eq!(event["event"], "stdout");
                event["text"].as_str().unwrap()
            })
            .collect();
        assert_eq!(streamed, result["stdout"].as_str().unwrap());
        assert!(
            lines[0].1 >= std::time::Duration::from_millis(1500),
            "{args:?}"
        );
    }
}
