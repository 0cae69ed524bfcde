//! Sessions: one secure sandbox kept for its owner. State (variables,
//! imports, functions, files) persists from run to run, never between two
//! sessions or into one-shot runs; a run past its timeout is interrupted and
//! the state survives; one that will not stop ends the session, as does the
//! memory limit; files go in and out beneath the work dir only.

use std::time::{Duration, Instant};

use sandbox_client::{
    ExecutionEvent, ExecutionMode, ExecutionRequest, SandboxClient, SandboxError, SessionOptions,
    Status,
};

use crate::support::{client, isolated_client};
use crate::tier::{Tier, require};

/// Waits (5 s at most) for the sandboxes' leftovers under `root` to go.
fn nothing_left_in(root: &std::path::Path) {
    assert!(
        crate::serving::wait_until(Duration::from_secs(5), || crate::support::leftovers(root)
            .is_empty()),
        "{:?}",
        crate::support::leftovers(root)
    );
}

/// A run in progress when its session was closed: its result says so, or
/// (when the close came first) the call is refused as `refused` says.
fn closed_during(
    outcome: Result<sandbox_client::ExecutionResult, SandboxError>,
    refused: impl Fn(&SandboxError) -> bool,
) {
    match outcome {
        Ok(result) => {
            let message = result.message.unwrap_or_default();
            assert!(message.contains("it was closed"), "{message}");
        }
        Err(err) => assert!(refused(&err), "{err}"),
    }
}

/// The names of the files in a session's work dir.
async fn names_in(session: &sandbox_client::Session) -> Vec<String> {
    let files = session.files().await.unwrap();
    files.into_iter().map(|(name, _)| name).collect()
}

fn ok(result: &sandbox_client::ExecutionResult) {
    assert_eq!(
        result.status,
        Status::Ok,
        "{}\n{:?}",
        result.stderr,
        result.message
    );
}

#[tokio::test]
async fn state_persists_from_run_to_run_and_nowhere_else() {
    let client = client(ExecutionMode::Secure);
    let one = client.create_session(SessionOptions::new()).await.unwrap();
    let two = client.create_session(SessionOptions::new()).await.unwrap();

    let result = one
        .run("import math\nx = 40\ndef double(n):\n    return 2 * n\nopen('notes.txt', 'w').write('kept')")
        .await
        .unwrap();
    ok(&result);
    assert_eq!(
        result.output_files.keys().collect::<Vec<_>>(),
        ["notes.txt"]
    );
    let result = one
        .run("print(double(x) + 2, math.floor(math.pi), open('notes.txt').read())\nx + 2")
        .await
        .unwrap();
    ok(&result);
    assert_eq!(result.stdout, "82 3 kept\n");
    assert_eq!(result.display[0].plain(), Some("42"));
    // A file that did not change in this run is not one of its outputs.
    assert!(
        result.output_files.is_empty(),
        "{:?}",
        result.output_files.keys()
    );

    // Another session and a one-shot run see none of it.
    let result = two
        .run("print('x' in globals())\nimport os\nprint(os.path.exists('notes.txt'))")
        .await
        .unwrap();
    ok(&result);
    assert_eq!(result.stdout, "False\nFalse\n");
    let result = client.execute("print('x' in globals())").await.unwrap();
    assert_eq!(result.stdout, "False\n");

    // An exception ends the run, not the session.
    let result = one.run("raise ValueError('bad')").await.unwrap();
    assert_eq!(result.status, Status::Error);
    assert!(
        result.stderr.contains("ValueError: bad"),
        "{}",
        result.stderr
    );
    let result = one.run("x").await.unwrap();
    assert_eq!(result.display[0].plain(), Some("40"));
    // So does a syntax error, found before anything ran.
    let result = one.run("x +").await.unwrap();
    assert_eq!(result.status, Status::SyntaxError);
    let result = one.run("x = x + 1\nx").await.unwrap();
    assert_eq!(result.display[0].plain(), Some("41"));
    one.close().await.unwrap();
    two.close().await.unwrap();
}

#[tokio::test]
async fn tracebacks_name_the_run_that_defined_the_code() {
    let client = client(ExecutionMode::Secure);
    let session = client.create_session(SessionOptions::new()).await.unwrap();
    ok(&session
        .run("def f(n):\n    return 10 // n\n")
        .await
        .unwrap());
    let result = session.run("f(2)\nf(0)").await.unwrap();
    assert_eq!(result.status, Status::Error);
    assert!(
        result.stderr.contains("File \"cell2.py\", line 2"),
        "{}",
        result.stderr
    );
    assert!(
        result.stderr.contains("File \"cell1.py\", line 2, in f"),
        "{}",
        result.stderr
    );
    assert!(
        result.stderr.contains("return 10 // n"),
        "{}",
        result.stderr
    );
    assert!(
        !result.stderr.contains("_sandbox_main"),
        "{}",
        result.stderr
    );
    session.close().await.unwrap();
}

#[tokio::test]
async fn a_run_past_its_timeout_is_interrupted_and_the_state_survives() {
    let client = client(ExecutionMode::Secure);
    let session = client.create_session(SessionOptions::new()).await.unwrap();
    ok(&session.run("total = 0").await.unwrap());
    let started = Instant::now();
    let result = session
        .run_request(
            ExecutionRequest::new(
                "import time\nfor i in range(1000):\n    total += 1\n    time.sleep(0.01)",
            )
            .with_timeout(Duration::from_secs(1)),
        )
        .await
        .unwrap();
    assert_eq!(result.status, Status::Timeout, "{}", result.stderr);
    assert!(
        result.stderr.contains("KeyboardInterrupt"),
        "{}",
        result.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(
        result.message.as_deref(),
        Some(
            "execution timed out after 1 s and was interrupted (KeyboardInterrupt); the session \
             and its state are kept"
        )
    );
    // The loop ran until the interrupt; what it did is kept.
    let result = session.run("print(0 < total < 1000)").await.unwrap();
    ok(&result);
    assert_eq!(result.stdout, "True\n");

    // A run that swallows the interrupt is killed, and the session with it.
    let result = session
        .run_request(
            ExecutionRequest::new(
                "while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        pass",
            )
            .with_timeout(Duration::from_secs(1)),
        )
        .await
        .unwrap();
    assert_eq!(result.status, Status::Timeout);
    let message = result.message.unwrap_or_default();
    assert!(
        message.starts_with("execution timed out after 1 s. the run did not stop within"),
        "{message}"
    );
    assert!(message.contains("the session was ended"), "{message}");
    let err = session.run("print(1)").await.unwrap_err();
    assert!(matches!(err, SandboxError::SessionEnded { .. }), "{err}");
    assert!(err.to_string().contains("did not stop"), "{err}");
    session.close().await.unwrap();
}

#[tokio::test]
async fn the_memory_limit_ends_the_session_plainly() {
    require!(Tier::Cgroups);
    let client = client(ExecutionMode::Secure);
    let session = client
        .create_session(SessionOptions::new().with_memory_mb(64))
        .await
        .unwrap();
    ok(&session.run("x = 1").await.unwrap());
    let result = session
        .run("blob = bytearray(512 * 1024 * 1024)")
        .await
        .unwrap();
    assert_eq!(result.status, Status::MemoryLimit, "{}", result.stderr);
    let message = result.message.unwrap_or_default();
    assert!(message.contains("session"), "{message}");
    assert!(matches!(
        session.run("x").await,
        Err(SandboxError::SessionEnded { .. })
    ));
}

#[tokio::test]
async fn files_go_in_and_out_and_never_outside_the_work_dir() {
    // Under the default policy: the session's own modules may be imported,
    // whenever they arrive.
    let root = tempfile::tempdir().unwrap();
    let client = SandboxClient::from_config(sandbox_client::ClientConfig {
        work_root: Some(root.path().to_owned()),
        ..crate::support::config()
    })
    .unwrap();
    let session = client
        .create_session(
            SessionOptions::new()
                .with_file("helper.py", "def greet(name):\n    return 'hi ' + name\n"),
        )
        .await
        .unwrap();
    let result = session
        .run("import helper\nhelper.greet('ann')")
        .await
        .unwrap();
    ok(&result);
    assert_eq!(result.display[0].plain(), Some("'hi ann'"));
    // A module uploaded later is the program's own too.
    session.upload("tools/more.py", "X = 7\n").await.unwrap();
    session.upload("tools/__init__.py", "").await.unwrap();
    let result = session.run("from tools.more import X\nX").await.unwrap();
    ok(&result);
    assert_eq!(result.display[0].plain(), Some("7"));

    // Out through download; listing shows what is there.
    ok(&session
        .run("open('out.csv', 'w').write('a,b\\n1,2\\n')")
        .await
        .unwrap());
    assert_eq!(
        session.download("out.csv").await.unwrap().unwrap(),
        b"a,b\n1,2\n"
    );
    assert_eq!(session.download("missing.txt").await.unwrap(), None);
    let names = names_in(&session).await;
    assert_eq!(
        names,
        ["helper.py", "out.csv", "tools/__init__.py", "tools/more.py"]
    );

    // The program's symlinks lead nowhere from the runner's side.
    let code = "import pathlib\nfor link, to in [('etc', '/etc'), ('passwd', '/etc/passwd'), ('root', '/')]:\n    pathlib.Path(link).symlink_to(to)";
    let result = session.run(code).await.unwrap();
    ok(&result);
    assert!(session.download("passwd").await.is_err());
    assert!(session.download("etc/passwd").await.is_err());
    assert!(session.upload("root/tmp/escaped.txt", "x").await.is_err());
    assert!(!std::path::Path::new("/tmp/escaped.txt").exists());
    // Hostile names are refused before anything is touched.
    for name in ["../x", "/etc/passwd", "a/../../b", ""] {
        assert!(session.upload(name, "x").await.is_err(), "{name}");
        assert!(session.download(name).await.is_err(), "{name}");
    }
    session.close().await.unwrap();
}

#[tokio::test]
async fn a_session_run_streams_its_output_and_displays() {
    let client = client(ExecutionMode::Secure);
    let session = client.create_session(SessionOptions::new()).await.unwrap();
    ok(&session.run("n = 3").await.unwrap());
    let mut stream = session.run_stream(ExecutionRequest::new(
        "import time\nfor i in range(n):\n    print('line', i)\n    time.sleep(0.6)\nn * 2",
    ));
    let mut first = None;
    let (mut text, mut shown) = (String::new(), Vec::new());
    let result = loop {
        match stream.next().await.unwrap().unwrap() {
            ExecutionEvent::Stdout { text: piece } => {
                first.get_or_insert_with(Instant::now);
                text.push_str(&piece);
            }
            ExecutionEvent::Display { data } => shown.push(data),
            ExecutionEvent::Result(result) => break *result,
            _ => {}
        }
    };
    let ended = Instant::now();
    ok(&result);
    assert_eq!(text, result.stdout);
    assert_eq!(text, "line 0\nline 1\nline 2\n");
    assert!(
        ended - first.unwrap() >= Duration::from_secs(1),
        "the first line came late"
    );
    assert_eq!(shown, result.display);
    assert_eq!(shown[0].plain(), Some("6"));
    session.close().await.unwrap();
}

#[tokio::test]
async fn runs_must_keep_the_sessions_memory_network_and_mode() {
    let client = crate::support::default_client();
    let session = client.create_session(SessionOptions::new()).await.unwrap();
    for request in [
        ExecutionRequest::new("1").with_memory_mb(512),
        ExecutionRequest::new("1").with_network(true),
        ExecutionRequest::new("1").with_mode(ExecutionMode::Simple),
    ] {
        let err = session.run_request(request).await.unwrap_err();
        assert!(
            err.to_string().contains("fixed when it is created"),
            "{err}"
        );
    }
    // The policy holds in a session as in a one-shot run.
    let result = session.run("import subprocess").await.unwrap();
    assert_eq!(result.status, Status::PolicyViolation);
    ok(&session.run("1").await.unwrap());
    session.close().await.unwrap();
}

/// Nothing of a closed (or dropped) session is left: no process, no run dir.
#[tokio::test]
async fn closing_or_dropping_a_session_leaves_nothing() {
    let (root, client) = isolated_client(ExecutionMode::Secure);
    let session = client.create_session(SessionOptions::new()).await.unwrap();
    ok(&session.run("import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()").await.unwrap());
    session.close().await.unwrap();
    assert!(crate::support::leftovers(root.path()).is_empty());

    let session = client.create_session(SessionOptions::new()).await.unwrap();
    ok(&session.run("x = 1").await.unwrap());
    drop(session);
    nothing_left_in(root.path());
    let _: &SandboxClient = &client;
}

/// The same session API against a real server: state persists, files go
/// both ways, a stream comes as Server-Sent Events.
#[tokio::test]
async fn a_servers_session_keeps_its_state_and_files() {
    let server = crate::serving::TestServer::start(&[], &[]);
    let client = crate::remote::remote(&server, None);
    let session = client
        .create_session(SessionOptions::new().with_file("data.csv", "a,b\n1,2\n3,4\n"))
        .await
        .unwrap();
    let id = session.id().unwrap().to_owned();
    assert_eq!(id.len(), 32, "{id}");
    ok(&session
        .run("import csv\nrows = list(csv.reader(open('data.csv')))")
        .await
        .unwrap());
    let result = session.run("len(rows)").await.unwrap();
    ok(&result);
    assert_eq!(result.display[0].plain(), Some("3"));
    session.upload("more/notes.txt", "hello").await.unwrap();
    let result = session
        .run("open('more/notes.txt').read().upper()")
        .await
        .unwrap();
    assert_eq!(result.display[0].plain(), Some("'HELLO'"));
    ok(&session
        .run("open('out.txt', 'w').write('written')")
        .await
        .unwrap());
    assert_eq!(
        session.download("out.txt").await.unwrap().unwrap(),
        b"written"
    );
    assert_eq!(session.download("nothing.txt").await.unwrap(), None);
    let names = names_in(&session).await;
    assert_eq!(names, ["data.csv", "more/notes.txt", "out.txt"]);

    let mut stream = session.run_stream(ExecutionRequest::new("print('live')\nlen(rows) * 2"));
    let mut events = Vec::new();
    let result = loop {
        match stream.next().await.unwrap().unwrap() {
            ExecutionEvent::Result(result) => break *result,
            event => events.push(event),
        }
    };
    ok(&result);
    assert!(
        events.contains(&ExecutionEvent::Stdout {
            text: "live\n".into()
        }),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ExecutionEvent::Display { data } if data.plain() == Some("6")))
    );

    // Listed while open; gone once closed.
    let listed = crate::serving::get_json(&server.at("/sessions")).await;
    assert_eq!(listed["sessions"][0]["session_id"], id.as_str());
    let health = crate::serving::get_json(&server.at("/")).await;
    assert_eq!(health["sessions"]["open"], 1);
    session.clone().close().await.unwrap();
    let err = session.run("1").await.unwrap_err();
    assert!(
        matches!(&err, SandboxError::Server { status: 404, message, .. } if message.contains("has ended: it was closed")),
        "{err}"
    );
    let metrics = crate::serving::metrics(&server).await;
    assert_eq!(
        crate::serving::metric(&metrics, "sandbox_sessions_created_total", ""),
        1.0
    );
    assert_eq!(
        crate::serving::metric(&metrics, "sandbox_sessions_closed_total", ""),
        1.0
    );
    assert_eq!(
        crate::serving::metric(&metrics, "sandbox_sessions_open", ""),
        0.0
    );
    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());
}

/// A session belongs to the key that made it; the server's limits hold,
/// each with the status and `Retry-After` a client can act on.
#[tokio::test]
async fn sessions_are_their_owners_and_bounded() {
    let server = crate::serving::TestServer::start(
        &[
            "--api-keys",
            "k1,k2",
            "--max-sessions",
            "3",
            "--max-sessions-per-key",
            "2",
        ],
        &[],
    );
    let (one, two) = (
        crate::remote::remote(&server, Some("k1")),
        crate::remote::remote(&server, Some("k2")),
    );
    let a = one.create_session(SessionOptions::new()).await.unwrap();
    let b = one.create_session(SessionOptions::new()).await.unwrap();
    ok(&a.run("secret = 42").await.unwrap());
    // Another key sees nothing of it, by any path.
    let http = crate::serving::http();
    let id = a.id().unwrap();
    for (method, path) in [
        ("POST", format!("/sessions/{id}/execute")),
        ("GET", format!("/sessions/{id}/files/x.txt")),
        ("GET", format!("/sessions/{id}/files")),
        ("DELETE", format!("/sessions/{id}")),
    ] {
        let response = http
            .request(method.parse().unwrap(), server.at(&path))
            .bearer_auth("k2")
            .header("content-type", "application/json")
            .body(r#"{"code": "print(secret)"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{method} {path}");
    }
    let listed: serde_json::Value = http
        .get(server.at("/sessions"))
        .bearer_auth("k2")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["sessions"], serde_json::json!([]));
    // Per key: 429; per server: 503; both with Retry-After.
    let err = one.create_session(SessionOptions::new()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            SandboxError::Server {
                status: 429,
                retry_after: Some(_),
                ..
            }
        ),
        "{err}"
    );
    let c = two.create_session(SessionOptions::new()).await.unwrap();
    let err = two.create_session(SessionOptions::new()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            SandboxError::Server {
                status: 503,
                retry_after: Some(_),
                ..
            }
        ),
        "{err}"
    );
    // Unknown ids and hostile ones are plain 404s.
    for id in ["0123456789abcdef0123456789abcdef", "..%2F..%2Fetc", "x%00y"] {
        let response = http
            .delete(server.at(&format!("/sessions/{id}")))
            .bearer_auth("k1")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{id}");
    }
    // Options past the server's limits are named.
    let err = one
        .create_session(SessionOptions::new().with_memory_mb(1 << 20))
        .await;
    assert!(err.is_err());
    for session in [a, b, c] {
        session.close().await.unwrap();
    }
    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());
}

/// A client may propose the id (the header a proxy hashes on); the server
/// takes only a well-formed, unused one.
#[tokio::test]
async fn a_proposed_session_id_is_taken_only_well_formed_and_new() {
    let server = crate::serving::TestServer::start(&[], &[]);
    let http = crate::serving::http();
    let create = |id: &'static str| {
        http.post(server.at("/sessions"))
            .header("x-sandbox-session", id)
            .send()
    };
    let id = "00112233445566778899aabbccddeeff";
    let answer: serde_json::Value = create(id).await.unwrap().json().await.unwrap();
    assert_eq!(answer["session_id"], id);
    for bad in [id, "ABC", "../../x", "00112233445566778899aabbccddeeff00"] {
        let response = create(bad).await.unwrap();
        assert_eq!(response.status(), 422, "{bad}");
    }
    let response = http
        .delete(server.at(&format!("/sessions/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

/// An idle session ends at its idle timeout; the server's shutdown ends
/// the rest; nothing is left of either.
#[tokio::test]
async fn idle_sessions_expire_and_shutdown_ends_the_rest() {
    let mut server = crate::serving::TestServer::start(&["--session-idle-timeout", "1"], &[]);
    let client = crate::remote::remote(&server, None);
    let idle = client.create_session(SessionOptions::new()).await.unwrap();
    let busy = client.create_session(SessionOptions::new()).await.unwrap();
    ok(&idle.run("x = 1").await.unwrap());
    // A run longer than the idle timeout does not count as idle.
    ok(&busy
        .run_request(
            ExecutionRequest::new("import time\ntime.sleep(2.5)")
                .with_timeout(Duration::from_secs(10)),
        )
        .await
        .unwrap());
    let err = idle.run("x").await.unwrap_err();
    assert!(
        matches!(&err, SandboxError::Server { status: 404, message, .. } if message.contains("idle")),
        "{err}"
    );
    let metrics = crate::serving::metrics(&server).await;
    assert!(crate::serving::metric(&metrics, "sandbox_sessions_expired_total", "") >= 1.0);
    // An idle_timeout longer than the server's is refused.
    let mut options = SessionOptions::new();
    options.idle_timeout = Some(Duration::from_secs(60));
    let err = client.create_session(options).await.unwrap_err();
    assert!(err.to_string().contains("idle_timeout"), "{err}");

    let last = client.create_session(SessionOptions::new()).await.unwrap();
    ok(&last.run("y = 2").await.unwrap());
    server.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(server.wait_exit(Duration::from_secs(20)).is_some());
    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());
    assert!(server.descendants().is_empty());
}

/// The blocking client's sessions, locally and against a server: state and
/// files persist, output arrives through the callback, closing leaves
/// nothing behind.
#[test]
fn the_blocking_client_keeps_a_sessions_state_locally_and_remotely() {
    use sandbox_client::{ClientConfig, blocking};

    let server = crate::serving::TestServer::start(&[], &[]);
    let root = tempfile::tempdir().unwrap();
    let local = ClientConfig {
        mode: ExecutionMode::Secure,
        work_root: Some(root.path().to_owned()),
        ..crate::support::config()
    };
    let remote = ClientConfig {
        server_url: Some(server.url.clone()),
        ..crate::support::config()
    };
    for (place, config) in [("local", local), ("remote", remote)] {
        let client = blocking::SandboxClient::from_config(config).unwrap();
        let session = client
            .create_session(SessionOptions::new().with_file("n.txt", "20"))
            .unwrap();
        assert_eq!(session.id().is_some(), place == "remote");
        ok(&session.run("n = int(open('n.txt').read())").unwrap());
        session.upload("m.txt", "1").unwrap();
        let mut printed = String::new();
        let result = session
            .run_with_output(
                ExecutionRequest::new("print('adding')\nn * 2 + int(open('m.txt').read())"),
                |event| {
                    if let ExecutionEvent::Stdout { text } = event {
                        printed.push_str(&text);
                    }
                },
            )
            .unwrap();
        ok(&result);
        assert_eq!(printed, "adding\n", "{place}");
        assert_eq!(result.display[0].plain(), Some("41"), "{place}");
        ok(&session.run("open('out.txt', 'w').write(str(n))").unwrap());
        assert_eq!(session.download("out.txt").unwrap().unwrap(), b"20");
        let names: Vec<String> = session
            .files()
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["m.txt", "n.txt", "out.txt"], "{place}");
        session.close().unwrap();
    }
    assert!(crate::support::leftovers(root.path()).is_empty());
    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());
    // A dropped local session ends too.
    let client = blocking::SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Secure,
        work_root: Some(root.path().to_owned()),
        ..crate::support::config()
    })
    .unwrap();
    let session = client.create_session(SessionOptions::new()).unwrap();
    ok(&session.run("x = 1").unwrap());
    drop(session);
    nothing_left_in(root.path());
}

/// A caller that stops waiting for a run (its future dropped) interrupts
/// it: the session and its state stay, in step for the next run. Closing a
/// session from another handle ends a run in progress at once.
#[tokio::test]
async fn abandoned_and_closed_runs_leave_the_session_in_step() {
    let (root, client) = isolated_client(ExecutionMode::Secure);
    let session = client.create_session(SessionOptions::new()).await.unwrap();
    ok(&session.run("n = 0").await.unwrap());
    let slow = session.run_request(
        ExecutionRequest::new("import time\nwhile True:\n    n += 1\n    time.sleep(0.01)")
            .with_timeout(Duration::from_secs(60)),
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(800), slow)
            .await
            .is_err()
    );
    let started = Instant::now();
    let result = session.run("print('after', n > 0)").await.unwrap();
    ok(&result);
    assert_eq!(result.stdout, "after True\n");
    assert!(started.elapsed() < Duration::from_secs(5));

    let other = session.clone();
    let running = tokio::spawn(async move {
        session
            .run_request(
                ExecutionRequest::new("while True: pass").with_timeout(Duration::from_secs(60)),
            )
            .await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    other.clone().close().await.unwrap();
    let ended = running.await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    closed_during(ended, |err| {
        matches!(err, SandboxError::SessionEnded { .. })
    });
    let err = other.run("1").await.unwrap_err();
    assert!(matches!(err, SandboxError::SessionEnded { .. }), "{err}");
    drop(other);
    nothing_left_in(root.path());
}

/// A FIFO the code makes in the work dir is refused by name, never waited
/// on (a write to it would block until a reader came), locally and through
/// a server.
#[tokio::test]
async fn a_fifo_in_the_work_dir_is_refused_not_waited_on() {
    let client = client(ExecutionMode::Secure);
    let session = client.create_session(SessionOptions::new()).await.unwrap();
    ok(&session.run("import os\nos.mkfifo('pipe')").await.unwrap());
    let started = Instant::now();
    let err = session.upload("pipe", "x").await.unwrap_err();
    assert!(matches!(err, SandboxError::InvalidRequest(_)), "{err}");
    assert!(err.to_string().contains("regular file"), "{err}");
    let err = session.download("pipe").await.unwrap_err();
    let why = std::error::Error::source(&err).map(ToString::to_string);
    assert!(
        why.as_deref()
            .unwrap_or_default()
            .contains("not a regular file"),
        "{err}: {why:?}"
    );
    let err = session
        .run_request(ExecutionRequest::new("1").with_file("pipe", "x"))
        .await
        .unwrap_err();
    assert!(matches!(err, SandboxError::InvalidRequest(_)), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    ok(&session.run("print('still here')").await.unwrap());
    session.close().await.unwrap();

    // The code makes the FIFO with `os`, which the default policy refuses.
    let server = crate::serving::TestServer::start(&[], &[("SANDBOX_POLICY", "none")]);
    let remote = crate::remote::remote(&server, None);
    let session = remote.create_session(SessionOptions::new()).await.unwrap();
    ok(&session.run("import os\nos.mkfifo('pipe')").await.unwrap());
    let id = session.id().unwrap().to_owned();
    let http = crate::serving::http();
    let put = http
        .put(server.at(&format!("/sessions/{id}/files/pipe")))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 422);
    let get = http
        .get(server.at(&format!("/sessions/{id}/files/pipe")))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 422);
    let err = session
        .run_request(ExecutionRequest::new("1").with_file("pipe", "x"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SandboxError::Server { status: 422, .. }),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    ok(&session.run("print('still here')").await.unwrap());
    session.close().await.unwrap();
}

/// On a server: a live stream dropped mid-run interrupts the run and keeps
/// the session; `DELETE` of a session with a run in progress ends it at
/// once; nothing is left.
#[tokio::test]
async fn a_servers_busy_session_can_be_dropped_from_or_deleted() {
    let server = crate::serving::TestServer::start(&[], &[]);
    let client = crate::remote::remote(&server, None);
    let session = client.create_session(SessionOptions::new()).await.unwrap();
    ok(&session.run("n = 0").await.unwrap());
    let mut stream = session.run_stream(
        ExecutionRequest::new(
            "import time\nwhile True:\n    n += 1\n    print(n, flush=True)\n    time.sleep(0.05)",
        )
        .with_timeout(Duration::from_secs(60)),
    );
    match stream.next().await.unwrap().unwrap() {
        ExecutionEvent::Stdout { .. } => {}
        event => panic!("{event:?}"),
    }
    drop(stream);
    let started = Instant::now();
    let result = session.run("print('after', n > 0)").await.unwrap();
    ok(&result);
    assert_eq!(result.stdout, "after True\n");
    assert!(started.elapsed() < Duration::from_secs(10));

    let busy = session.clone();
    let running = tokio::spawn(async move {
        busy.run_request(
            ExecutionRequest::new("while True: pass").with_timeout(Duration::from_secs(60)),
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(800)).await;
    let started = Instant::now();
    session.clone().close().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    let ended = running.await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    closed_during(ended, |err| {
        matches!(err, SandboxError::Server { status: 404, .. })
    });
    assert!(
        crate::serving::wait_until(Duration::from_secs(5), || server.leftovers().is_empty()),
        "{:?}",
        server.leftovers()
    );
}

/// Runs queued on one busy session wait for their turn before they ask
/// for an execution slot: with one slot and one queue place, a second run
/// sent to the busy session leaves the queue place to a one-shot run.
#[tokio::test]
async fn runs_queued_on_a_busy_session_hold_no_slot() {
    let server =
        crate::serving::TestServer::start(&["--max-concurrency", "1", "--max-queue", "1"], &[]);
    let client = crate::remote::remote(&server, None);
    let session = client.create_session(SessionOptions::new()).await.unwrap();
    let sleep = || {
        ExecutionRequest::new("import time\ntime.sleep(1.5)").with_timeout(Duration::from_secs(10))
    };
    let first = tokio::spawn({
        let session = session.clone();
        async move { session.run_request(sleep()).await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let second = tokio::spawn({
        let session = session.clone();
        async move { session.run_request(sleep()).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The queue's one place is free for it: it waits, then runs.
    let one_shot = client.execute("print('served')").await.unwrap();
    assert_eq!(one_shot.stdout, "served\n", "{:?}", one_shot.message);
    ok(&first.await.unwrap().unwrap());
    ok(&second.await.unwrap().unwrap());
    session.close().await.unwrap();
}
