//! Live output: what a program writes arrives while it runs, through the
//! Rust client (locally and remotely), Server-Sent Events over real HTTP and
//! the CLI; the events' text is the result's; caps hold; a client that goes
//! away kills the run.

use std::time::{Duration, Instant};

use sandbox_client::{ExecutionEvent, ExecutionMode, ExecutionRequest, SandboxClient, Status};

use crate::remote::remote;
use crate::serving::{TestServer, http, metric, metrics, wait_until};
use crate::support::client;

/// Three lines, a second apart.
pub(crate) const THREE_LINES: &str =
    "import time\nfor i in range(3):\n    print('line', i)\n    time.sleep(1)\n";

/// Runs `request` through `client`'s stream: each output event with the
/// time it arrived, and the result's arrival.
async fn timed_events(
    client: &SandboxClient,
    request: ExecutionRequest,
) -> (
    Vec<(Instant, ExecutionEvent)>,
    sandbox_client::ExecutionResult,
    Instant,
) {
    let mut stream = client.execute_stream(request);
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        match event.expect("the run") {
            ExecutionEvent::Result(result) => return (events, *result, Instant::now()),
            output => events.push((Instant::now(), output)),
        }
    }
    panic!("the stream ended without a result");
}

fn text_of(events: &[(Instant, ExecutionEvent)], stdout: bool) -> String {
    events
        .iter()
        .filter_map(|(_, event)| match event {
            ExecutionEvent::Stdout { text } if stdout => Some(text.as_str()),
            ExecutionEvent::Stderr { text } if !stdout => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_first_line_arrives_long_before_the_end_locally_and_remotely() {
    let server = TestServer::start(&[], &[]);
    let clients = [
        ("secure", client(ExecutionMode::Secure)),
        ("simple", client(ExecutionMode::Simple)),
        ("remote", remote(&server, None)),
    ];
    for (name, client) in clients {
        let (events, result, ended) =
            timed_events(&client, ExecutionRequest::new(THREE_LINES)).await;
        assert_eq!(result.status, Status::Ok, "{name}: {result:?}");
        let (first, _) = events.first().expect("output events");
        let early = ended.duration_since(*first);
        assert!(
            early >= Duration::from_millis(1500),
            "{name}: the first line came only {early:?} before the end"
        );
        assert_eq!(text_of(&events, true), result.stdout, "{name}");
        assert_eq!(result.stdout, "line 0\nline 1\nline 2\n", "{name}");
    }
}

#[tokio::test]
async fn split_characters_partial_lines_and_each_streams_order_survive() {
    // A character written in two halves, an invalid byte, a line without
    // its end, stderr between stdout writes.
    let code = "import time\n\
        out = open(1, 'wb', buffering=0, closefd=False)\n\
        err = open(2, 'wb', buffering=0, closefd=False)\n\
        out.write(b'\\xc3'); time.sleep(0.2)\n\
        out.write(b'\\xa9 \\xff!\\n'); time.sleep(0.2)\n\
        err.write(b'e1\\n'); time.sleep(0.2)\n\
        out.write(b'partial'); time.sleep(0.2)\n\
        err.write(b'e2 \\xe2\\x82'); time.sleep(0.2)\n\
        err.write(b'\\xac\\n')\n";
    let server = TestServer::start(&[], &[]);
    for (name, client) in [
        ("secure", client(ExecutionMode::Secure)),
        ("simple", client(ExecutionMode::Simple)),
        ("remote", remote(&server, None)),
    ] {
        let (events, result, _) = timed_events(&client, ExecutionRequest::new(code)).await;
        assert_eq!(result.status, Status::Ok, "{name}: {result:?}");
        assert_eq!(result.stdout, "é \u{fffd}!\npartial", "{name}");
        assert_eq!(result.stderr, "e1\ne2 €\n", "{name}");
        assert_eq!(text_of(&events, true), result.stdout, "{name}");
        assert_eq!(text_of(&events, false), result.stderr, "{name}");
        // The partial line came before the run ended, as its own event.
        assert!(
            events
                .iter()
                .any(|(_, e)| matches!(e, ExecutionEvent::Stdout { text } if text == "partial")),
            "{name}: {events:?}"
        );
    }
}

#[tokio::test]
async fn refusals_arrive_as_one_stderr_event_then_the_result() {
    let (events, result, _) = timed_events(
        &client(ExecutionMode::Secure),
        ExecutionRequest::new("print('unclosed'\n"),
    )
    .await;
    assert_eq!(result.status, Status::SyntaxError);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(text_of(&events, false), result.stderr);
}

/// Reads an SSE answer: each event's name and data, with arrival times.
async fn read_sse(mut response: reqwest::Response) -> Vec<(Instant, String, serde_json::Value)> {
    let mut events = Vec::new();
    let mut buffer = String::new();
    while let Some(chunk) = response.chunk().await.expect("the stream") {
        buffer.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let mut name = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event: ") {
                    name = Some(value.to_owned());
                } else if let Some(value) = line.strip_prefix("data: ") {
                    data.push_str(value);
                }
            }
            if let Some(name) = name {
                events.push((
                    Instant::now(),
                    name,
                    serde_json::from_str(&data).expect("JSON data"),
                ));
            }
        }
    }
    events
}

fn post_events(server: &TestServer, code: &str) -> reqwest::RequestBuilder {
    http()
        .post(server.at("/execute"))
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(serde_json::json!({ "code": code }).to_string())
}

#[tokio::test]
async fn server_sent_events_carry_output_as_it_is_written() {
    let server = TestServer::start(&[], &[]);
    let response = post_events(&server, THREE_LINES).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let events = read_sse(response).await;
    let names: Vec<&str> = events.iter().map(|(_, n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["stdout", "stdout", "stdout", "result"],
        "{events:?}"
    );
    let (first, _, data) = &events[0];
    assert_eq!(data["text"], "line 0\n");
    let (last, _, result) = events.last().unwrap();
    assert_eq!(result["status"], "ok");
    assert_eq!(result["stdout"], "line 0\nline 1\nline 2\n");
    assert!(last.duration_since(*first) >= Duration::from_millis(1500));

    // Without the header the answer is the plain result.
    let plain =
        crate::serving::execute(&server, &serde_json::json!({"code": "print(1)"}), None).await;
    assert!(
        plain.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    // A refusal before anything runs keeps its HTTP status.
    let refused = http()
        .post(server.at("/execute"))
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(r#"{"code": "1", "timeout": 100000}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
}

#[tokio::test]
async fn a_flood_through_server_sent_events_ends_at_the_cap_in_bounded_memory() {
    let server = TestServer::start(&[], &[("SANDBOX_MAX_OUTPUT_BYTES", "200000")]);
    let response = post_events(&server, "while True:\n    print('x' * 999)\n")
        .send()
        .await
        .unwrap();
    let events = read_sse(response).await;
    let (_, name, result) = events.last().unwrap();
    assert_eq!(name, "result");
    assert_eq!(result["status"], "output_limit", "{result}");
    assert_eq!(result["stdout_truncated"], true);
    let streamed: String = events
        .iter()
        .filter(|(_, n, _)| n == "stdout")
        .map(|(_, _, d)| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(streamed, result["stdout"].as_str().unwrap());
    assert!(streamed.len() <= 200_000);
    // The server held at most the cap's worth: its peak resident memory
    // stays small.
    let peak_kb = crate::support::peak_rss_kb_of(&server.pid().to_string());
    assert!(peak_kb < 64 * 1024, "server peak RSS {peak_kb} kB");
}

#[tokio::test]
async fn dropping_the_stream_kills_the_sandbox() {
    let server = TestServer::start(&["--pool-size", "0"], &[]);
    let body = serde_json::json!({
        "code": "import time\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.1)\n"
    })
    .to_string();
    let (stream, seen) = crate::serving::post_raw_until(
        &server,
        "/execute",
        &["Accept: text/event-stream"],
        &body,
        "tick",
    );
    assert!(seen.contains("text/event-stream"));
    assert!(server.wait_sandboxed_program(Duration::from_secs(5)));
    drop(stream);
    let gone = wait_until(Duration::from_secs(10), || server.descendants().is_empty());
    assert!(gone, "left running: {:?}", server.descendants());
    assert!(
        wait_until(Duration::from_secs(5), || server.leftovers().is_empty()),
        "{:?}",
        server.leftovers()
    );
    let text = metrics(&server).await;
    assert_eq!(
        metric(&text, "sandbox_executions_total", r#"{status="cancelled"}"#),
        1.0
    );
}

#[test]
fn the_blocking_client_calls_back_with_output_as_it_comes() {
    let server = TestServer::start(&[], &[]);
    for (name, config) in [
        ("local", crate::support::config()),
        (
            "remote",
            sandbox_client::ClientConfig {
                server_url: Some(server.url.clone()),
                ..crate::support::config()
            },
        ),
    ] {
        let client = sandbox_client::blocking::SandboxClient::from_config(config).unwrap();
        let mut seen = Vec::new();
        let result = client
            .execute_with_output(ExecutionRequest::new(THREE_LINES), |event| {
                seen.push((Instant::now(), event));
            })
            .unwrap();
        let ended = Instant::now();
        assert_eq!(text_of(&seen, true), result.stdout, "{name}");
        let early = ended.duration_since(seen[0].0);
        assert!(early >= Duration::from_millis(1500), "{name}: {early:?}");
    }
}

#[tokio::test]
async fn a_quiet_stream_gets_heartbeats() {
    let server = TestServer::start(&[], &[]);
    let response = post_events(&server, "import time\ntime.sleep(11)\nprint('done')\n")
        .send()
        .await
        .unwrap();
    let mut raw = String::new();
    let mut response = response;
    while let Some(chunk) = response.chunk().await.unwrap() {
        raw.push_str(&String::from_utf8_lossy(&chunk));
    }
    let beat = raw.find(": keep-alive").expect("a heartbeat comment");
    let output = raw.find("event: stdout").expect("the output");
    assert!(beat < output, "{raw}");
    assert!(raw.contains("event: result"));
}
