//! `sandbox repl` driven through a pseudo-terminal, as a person types:
//! an expression is echoed, a multi-line `def` runs once its block ends,
//! Ctrl-C interrupts a loop and the state survives, Ctrl-D ends the
//! session and exits 0; the same against a server with `--remote`.

#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/server.rs"]
mod server;

use rexpect::session::{PtySession, spawn_command};

/// `sandbox repl args` on a fresh pseudo-terminal (10 s per expectation).
fn repl(args: &[&str]) -> (tempfile::TempDir, PtySession) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = common::clean_command(env!("CARGO_BIN_EXE_sandbox"));
    command
        .arg("repl")
        .args(args)
        .current_dir(dir.path())
        .env("TMPDIR", dir.path())
        .env("TERM", "dumb");
    let session = spawn_command(command, Some(10_000)).expect("start sandbox repl");
    (dir, session)
}

/// Types a line and waits for the output that follows.
fn line(session: &mut PtySession, input: &str, expected: &str) {
    session.send_line(input).unwrap();
    session
        .exp_string(expected)
        .unwrap_or_else(|err| panic!("after {input:?}, no {expected:?}: {err}"));
}

fn a_session_at_the_terminal(args: &[&str]) {
    let (_dir, mut session) = repl(args);
    session.exp_string("Ctrl-D ends the session").unwrap();
    session.exp_string(">>> ").unwrap();
    // An expression is echoed, as Python's REPL does.
    line(&mut session, "6 * 7", "42");
    // A block goes on until an empty line.
    session.send_line("def square(n):").unwrap();
    session.exp_string("... ").unwrap();
    session.send_line("    return n * n").unwrap();
    session.exp_string("... ").unwrap();
    session.send_line("").unwrap();
    line(&mut session, "square(12)", "144");
    // Ctrl-C interrupts a loop; what it did is kept.
    line(&mut session, "count = 0", ">>> ");
    session
        .send_line("import time\nwhile True: count += 1; time.sleep(0.01)")
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    session.send_control('c').unwrap();
    session.exp_string("KeyboardInterrupt").unwrap();
    line(&mut session, "count > 0, square(3)", "(True, 9)");
    // Output passes through; an error is shown and the session goes on.
    line(&mut session, "print('hello')", "hello");
    line(&mut session, "1 / 0", "ZeroDivisionError");
    line(&mut session, "square(5)", "25");
    // Ctrl-D ends it.
    session.send_control('d').unwrap();
    session.exp_eof().unwrap();
    let status = session.process_mut().wait().unwrap();
    assert!(
        matches!(status, rexpect::process::wait::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );
}

#[test]
fn a_local_session_at_the_terminal() {
    a_session_at_the_terminal(&[]);
}

#[test]
fn a_server_session_at_the_terminal() {
    let server = server::Server::start("k1");
    a_session_at_the_terminal(&["--remote", &server.url, "--api-key", "k1"]);
}
