//! MCP over streamable HTTP at `/mcp` on a real `sandbox-server` process,
//! driven by the official SDK's client (rmcp): initialize, the tools and
//! their descriptions, the original's examples, files both ways, errors a
//! model can act on, a timeout, the policy check, and the API keys.
//! (`sandbox mcp` over stdio is tested beside the CLI, which owns that
//! binary.)

use std::collections::HashMap;

use base64::Engine as _;
use rmcp::ServiceExt as _;
use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock, ResourceContents};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

use crate::serving::{TestServer, http};

/// A one-pixel PNG, as the code under test writes it.
const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

pub(crate) type Client = RunningService<RoleClient, ()>;

/// An MCP client session with `server`'s `/mcp`, with `key` as a bearer
/// token.
pub(crate) async fn connect(server: &TestServer, key: Option<&str>) -> Result<Client, String> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(server.at("/mcp"));
    if let Some(key) = key {
        config = config.auth_header(key);
    }
    ().serve(StreamableHttpClientTransport::from_config(config))
        .await
        .map_err(|err| format!("{err:?}"))
}

/// Base64 of `bytes`.
fn b64_of(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Asserts that `result`'s structured content conforms to `tool`'s output
/// schema, as a client that validates would check.
fn conforms(tool: &rmcp::model::Tool, result: &CallToolResult) {
    let schema = Value::Object(
        tool.output_schema
            .as_ref()
            .expect("an output schema")
            .as_ref()
            .clone(),
    );
    assert_eq!(schema["type"], "object");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let structured = result
        .structured_content
        .as_ref()
        .expect("structured content");
    let errors: Vec<String> = validator
        .iter_errors(structured)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{structured}");
}

pub(crate) async fn call(client: &Client, tool: &'static str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object");
    };
    client
        .call_tool(CallToolRequestParams::new(tool).with_arguments(arguments))
        .await
        .expect("a tool result, not a protocol error")
}

/// The text content (the first block).
pub(crate) fn text(result: &CallToolResult) -> &str {
    result.content[0]
        .as_text()
        .expect("text first")
        .text
        .as_str()
}

#[tokio::test]
async fn tools_run_the_originals_examples_with_files_errors_and_a_timeout() {
    let server = TestServer::start(
        &["--timeout", "3", "--timeout-limit", "5"],
        &[("SANDBOX_SESSION_IDLE_TIMEOUT", "90")],
    );
    let client = connect(&server, None).await.expect("initialize");
    let info = client.peer_info().expect("the server's initialize result");
    assert_eq!(info.server_info.as_ref().unwrap().name, "sandbox");
    assert!(info.capabilities.tools.is_some());

    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "run_python",
            "check_python",
            "create_session",
            "close_session"
        ]
    );
    let run = &tools[0];
    let description = run.description.as_deref().unwrap();
    // The limits this server applies, not generic ones.
    for needle in [
        "3 s per run",
        "up to 5 s",
        "128 MiB",
        "network: none",
        "math, ",
        // The server's session limits, in numbers.
        "A session ends when closed, after 90 s unused, 1 hour after it was made, or at its \
         memory limit; at most 8 sessions are open at once;",
    ] {
        assert!(description.contains(needle), "{needle:?} in {description}");
    }
    let create = tools[2].description.as_deref().unwrap();
    assert!(create.contains("after 90 s unused"), "{create}");
    assert_eq!(run.input_schema["required"], json!(["code"]));
    assert_eq!(
        run.input_schema["properties"]["timeout"]["maximum"],
        json!(5.0)
    );

    // The original's examples.
    let result = call(
        &client,
        "run_python",
        json!({"code": include_str!("../examples/python/fibonacci.py")}),
    )
    .await;
    assert_eq!(result.is_error, Some(false));
    assert_eq!(
        text(&result),
        "Fibonacci: [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]\n"
    );
    let structured = result.structured_content.as_ref().unwrap();
    assert_eq!(structured["status"], "ok");
    assert_eq!(structured["return_code"], 0);
    assert_eq!(
        structured["stdout"],
        "Fibonacci: [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]\n"
    );

    let result = call(
        &client,
        "run_python",
        json!({"code": include_str!("../examples/python/circle_area.py")}),
    )
    .await;
    assert_eq!(text(&result), "Circle area: 78.54\n");

    // Files both ways: text and base64 in; text, binary and an image out.
    let code = format!(
        "{}\nimport base64\nraw = open('raw.bin', 'rb').read()\nprint(list(raw))\n\
         open('dot.png', 'wb').write(base64.b64decode('{PNG_B64}'))\n\
         open('blob.bin', 'wb').write(bytes([0, 255, 1]))\n",
        include_str!("../examples/python/csv_total.py")
    );
    let result = call(
        &client,
        "run_python",
        json!({"code": code, "input_files": {
            "data.csv": "id,value\n1,100\n2,200\n3,300\n",
            "raw.bin": "base64:AP8B",
        }}),
    )
    .await;
    assert_eq!(result.is_error, Some(false), "{}", text(&result));
    let body = text(&result);
    assert!(body.starts_with("Total: 600\n[0, 255, 1]\n"), "{body}");
    assert!(
        body.contains(
            "[files written: blob.bin (3 bytes), dot.png (70 bytes), result.txt (9 bytes)]"
        ),
        "{body}"
    );
    let mut resources = HashMap::new();
    let mut images = Vec::new();
    for block in &result.content[1..] {
        match block {
            ContentBlock::Resource(embedded) => match &embedded.resource {
                ResourceContents::TextResourceContents {
                    uri,
                    text,
                    mime_type,
                    ..
                } => {
                    resources.insert(uri.clone(), (mime_type.clone(), text.clone()));
                }
                ResourceContents::BlobResourceContents {
                    uri,
                    blob,
                    mime_type,
                    ..
                } => {
                    resources.insert(uri.clone(), (mime_type.clone(), format!("blob:{blob}")));
                }
                _ => panic!("unexpected resource {embedded:?}"),
            },
            ContentBlock::Image(image) => {
                images.push((image.mime_type.clone(), image.data.clone()));
            }
            other => panic!("unexpected content {other:?}"),
        }
    }
    assert_eq!(
        resources["sandbox://output/result.txt"],
        (Some("text/plain".to_owned()), "Sum: 600\n".to_owned())
    );
    assert_eq!(
        resources["sandbox://output/blob.bin"],
        (
            Some("application/octet-stream".to_owned()),
            "blob:AP8B".to_owned()
        )
    );
    assert_eq!(images, [("image/png".to_owned(), PNG_B64.to_owned())]);
    // The structured result is the execution contract's result.
    let files = &result.structured_content.as_ref().unwrap()["output_files"];
    assert_eq!(files["dot.png"], PNG_B64);
    assert_eq!(files["result.txt"], b64_of(b"Sum: 600\n"));
    conforms(run, &result);

    // The original's error example: a tool error with the traceback.
    let result = call(&client, "run_python", json!({"code": "print(1/0)"})).await;
    assert_eq!(result.is_error, Some(true));
    conforms(run, &result);
    let body = text(&result);
    assert!(
        body.starts_with("Error: the program failed (exit code 1).\nTraceback"),
        "{body}"
    );
    assert!(
        body.contains("ZeroDivisionError: division by zero"),
        "{body}"
    );

    // A syntax error names the line; a policy violation the rule and fix.
    let result = call(&client, "run_python", json!({"code": "x = 1\ndef f(:\n"})).await;
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result).contains("File \"main.py\", line 2\n"),
        "{}",
        text(&result)
    );
    let result = call(
        &client,
        "run_python",
        json!({"code": "import subprocess\n"}),
    )
    .await;
    assert_eq!(result.is_error, Some(true));
    let body = text(&result);
    assert!(body.contains("blocked-import"), "{body}");
    assert!(body.contains("do the work in Python"), "{body}");
    assert_eq!(
        result.structured_content.as_ref().unwrap()["violations"][0]["rule"],
        "blocked-import"
    );

    // A timeout says which limit; over the server's maximum is refused.
    let result = call(
        &client,
        "run_python",
        json!({"code": "while True:\n    pass\n", "timeout": 1}),
    )
    .await;
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result).starts_with("Error: timeout: execution timed out after 1 s"),
        "{}",
        text(&result)
    );
    assert_eq!(
        result.structured_content.as_ref().unwrap()["status"],
        "timeout"
    );
    conforms(run, &result);

    // A flood: the structured result is bounded like the text.
    let result = call(
        &client,
        "run_python",
        json!({"code": "while True:\n    print('x' * 65536)\n"}),
    )
    .await;
    conforms(run, &result);
    let structured = result.structured_content.as_ref().unwrap();
    assert_eq!(structured["status"], "output_limit");
    assert_eq!(structured["stdout_truncated"], true);
    let stdout = structured["stdout"].as_str().unwrap();
    assert!(
        stdout.chars().count() < 8_200,
        "{} characters",
        stdout.len()
    );
    assert!(stdout.contains("characters left out"));
    let result = call(
        &client,
        "run_python",
        json!({"code": "print(1)", "timeout": 60}),
    )
    .await;
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result).contains("this server allows at most 5 s"),
        "{}",
        text(&result)
    );

    // Bad arguments are tool errors the model can fix.
    let result = call(&client, "run_python", json!({"source": "print(1)"})).await;
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result).contains("unknown argument `source`"),
        "{}",
        text(&result)
    );

    // check_python: nothing runs, the verdict comes back.
    let result = call(
        &client,
        "check_python",
        json!({"code": "import math\nprint(math.pi)\n"}),
    )
    .await;
    assert_eq!(result.is_error, Some(false));
    assert_eq!(
        text(&result),
        "OK: the code parses and the sandbox policy allows it.\n"
    );
    conforms(&tools[1], &result);
    let result = call(&client, "check_python", json!({"code": "import socket\n"})).await;
    assert_eq!(result.structured_content.as_ref().unwrap()["ok"], false);
    conforms(&tools[1], &result);
    assert!(
        text(&result).contains("main.py:1:8: blocked-import"),
        "{}",
        text(&result)
    );

    client.cancel().await.unwrap();
    // Every tool run went through the server's accounting.
    let metrics = crate::serving::metrics(&server).await;
    assert!(metrics.contains("status=\"timeout\""), "{metrics}");
}

/// An agent keeps state through a session: made by `create_session`, named
/// in `run_python`, ended by `close_session`; another key cannot use it.
#[tokio::test]
async fn an_agent_keeps_state_in_a_session_over_mcp() {
    let server = TestServer::start(&["--api-keys", "k1,k2"], &[]);
    let client = connect(&server, Some("k1")).await.unwrap();
    let made = call(&client, "create_session", json!({})).await;
    assert_eq!(made.is_error, Some(false), "{}", text(&made));
    let id = made.structured_content.as_ref().unwrap()["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text(&made).contains(&id));
    let first = call(
        &client,
        "run_python",
        json!({"code": "import statistics\nrows = [3, 1, 2]", "session_id": id}),
    )
    .await;
    assert_eq!(first.is_error, Some(false), "{}", text(&first));
    let second = call(
        &client,
        "run_python",
        json!({"code": "statistics.median(rows)", "session_id": id}),
    )
    .await;
    assert_eq!(second.is_error, Some(false), "{}", text(&second));
    assert!(
        text(&second).contains("[display 1]\n2\n"),
        "{}",
        text(&second)
    );
    // Without the session, the state is not there.
    let fresh = call(&client, "run_python", json!({"code": "print(rows)"})).await;
    assert_eq!(fresh.is_error, Some(true));
    // Another key cannot reach it.
    let other = connect(&server, Some("k2")).await.unwrap();
    let stolen = call(
        &other,
        "run_python",
        json!({"code": "print(rows)", "session_id": id}),
    )
    .await;
    assert_eq!(stolen.is_error, Some(true));
    assert!(text(&stolen).contains("no session"), "{}", text(&stolen));
    let closed = call(&client, "close_session", json!({"session_id": id})).await;
    assert_eq!(closed.is_error, Some(false), "{}", text(&closed));
    let after = call(
        &client,
        "run_python",
        json!({"code": "rows", "session_id": id}),
    )
    .await;
    assert_eq!(after.is_error, Some(true));
    assert!(
        text(&after).contains("has ended: it was closed"),
        "{}",
        text(&after)
    );
    client.cancel().await.unwrap();
    other.cancel().await.unwrap();
}

#[tokio::test]
async fn mcp_needs_the_api_key_when_keys_are_set() {
    let server = TestServer::start(&[], &[("SANDBOX_API_KEYS", "mcp-key")]);
    // Without a key the endpoint answers 401, as /execute does.
    let response = http()
        .post(server.at("/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    // The SDK's client cannot start a session without it, nor with a wrong one.
    assert!(connect(&server, None).await.is_err());
    assert!(connect(&server, Some("wrong")).await.is_err());

    let client = connect(&server, Some("mcp-key"))
        .await
        .expect("initialize with the key");
    let result = call(
        &client,
        "run_python",
        json!({"code": "print('authorised')"}),
    )
    .await;
    assert_eq!(text(&result), "authorised\n");
    client.cancel().await.unwrap();
}

/// Posts `body` to `/mcp` as an MCP client would, with extra `headers`.
async fn post_mcp(server: &TestServer, body: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut request = http()
        .post(server.at("/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"))
    };
    (status, value)
}

#[tokio::test]
async fn malformed_messages_get_json_rpc_errors_and_batches_follow_the_revision() {
    let server = TestServer::start(&[], &[]);
    for (body, code) in [
        ("{not json", -32700),
        ("", -32700),
        ("42", -32600),
        (r#"{"id": 1, "method": "tools/list"}"#, -32600),
        (r#"{"jsonrpc": "2.0", "id": 1}"#, -32600),
        (
            r#"{"jsonrpc": "2.0", "id": {"a": 1}, "method": "tools/list"}"#,
            -32600,
        ),
        ("[]", -32600),
    ] {
        let (status, answer) = post_mcp(&server, body, &[]).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["jsonrpc"], "2.0", "{body}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{body}: {answer}");
    }
    // The SDK's own refusals are JSON-RPC errors too.
    let response = http()
        .post(server.at("/mcp"))
        .header("content-type", "text/plain")
        .header("accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["error"]["code"], -32600, "{answer}");

    // A batch, in the one revision that has them (the default when the
    // client names none): every request answered, notifications not.
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": "two", "method": "tools/call", "params": {"name": "run_python", "arguments": {"code": "print(6 * 7)"}}},
        {"jsonrpc": "2.0", "id": 3},
    ])
    .to_string();
    let (status, answers) = post_mcp(&server, &batch, &[]).await;
    assert_eq!(status, 200, "{answers}");
    let answers = answers.as_array().expect("an array of answers");
    assert_eq!(answers.len(), 3, "{answers:?}");
    assert_eq!(answers[0]["id"], 1);
    assert!(
        answers[0]["result"]["serverInfo"].is_object(),
        "{answers:?}"
    );
    assert_eq!(answers[1]["id"], "two");
    assert_eq!(answers[1]["result"]["content"][0]["text"], "42\n");
    assert_eq!(answers[2]["error"]["code"], -32600);

    let (status, answer) =
        post_mcp(&server, &batch, &[("mcp-protocol-version", "2025-06-18")]).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["code"], -32600);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no JSON-RPC batches"),
        "{answer}"
    );
}

/// A tool call that asks for progress (a `progressToken`) is answered as a
/// stream: progress notifications carrying the output as it is written,
/// then the result; the same call without a token gets plain JSON.
#[tokio::test]
async fn a_tool_call_that_asks_for_progress_gets_the_output_as_it_comes() {
    let server = TestServer::start(&[], &[]);
    let code = crate::live::THREE_LINES;
    let call = |meta: Value| {
        json!({
            "jsonrpc": "2.0", "id": 5, "method": "tools/call",
            "params": {"name": "run_python", "arguments": {"code": code}, "_meta": meta}
        })
        .to_string()
    };
    let mut response = http()
        .post(server.at("/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .body(call(json!({"progressToken": "p1"})))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut buffer = String::new();
    let mut messages: Vec<(std::time::Instant, Value)> = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let data: String = block
                .lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .map(str::trim_start)
                .collect();
            if let Ok(message) = serde_json::from_str::<Value>(&data) {
                messages.push((std::time::Instant::now(), message));
            }
        }
    }
    let (last_at, answer) = messages.last().expect("messages");
    assert_eq!(answer["id"], 5, "{messages:?}");
    assert_eq!(
        answer["result"]["content"][0]["text"], "line 0\nline 1\nline 2\n",
        "{answer}"
    );
    let progress: Vec<&(std::time::Instant, Value)> = messages
        .iter()
        .filter(|(_, m)| m["method"] == "notifications/progress")
        .collect();
    let (first_at, _) = progress.first().expect("progress notifications");
    assert!(last_at.duration_since(*first_at) >= std::time::Duration::from_millis(1500));
    let text: String = progress
        .iter()
        .map(|(_, m)| {
            assert_eq!(m["params"]["progressToken"], "p1");
            m["params"]["message"].as_str().unwrap_or_default()
        })
        .collect();
    assert_eq!(text, "line 0\nline 1\nline 2\n");

    // Without a token: one JSON answer.
    let (status, answer) = post_mcp(
        &server,
        &call(json!({})),
        &[("mcp-protocol-version", "2025-06-18")],
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["result"]["content"][0]["text"],
        "line 0\nline 1\nline 2\n"
    );
}

/// A client that goes away in the middle of a streamed tool call cancels
/// it: nothing of its sandbox is left.
#[tokio::test]
async fn a_streamed_tool_call_ends_with_its_connection() {
    let server = TestServer::start(&["--pool-size", "0"], &[]);
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {
            "name": "run_python",
            "arguments": {"code": "import time\nwhile True:\n    print('tick')\n    time.sleep(0.1)\n"},
            "_meta": {"progressToken": 1}
        }
    })
    .to_string();
    let (stream, _) = crate::serving::post_raw_until(
        &server,
        "/mcp",
        &[
            "Accept: application/json, text/event-stream",
            "MCP-Protocol-Version: 2025-06-18",
        ],
        &body,
        "tick",
    );
    drop(stream);
    let gone = crate::serving::wait_until(std::time::Duration::from_secs(10), || {
        server.descendants().is_empty()
    });
    assert!(gone, "left running: {:?}", server.descendants());
}
