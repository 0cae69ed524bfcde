//! `sandbox mcp`: the real binary started by the official SDK's MCP client
//! (rmcp) over stdio, as a desktop agent or IDE starts it: initialize, the
//! tools, the original's examples, files both ways, an error, a timeout,
//! the policy check; and the refusal to serve a remote configuration.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Stdio;

use rmcp::ServiceExt as _;
use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock, ResourceContents};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};
use tempfile::TempDir;

type Client = RunningService<RoleClient, ()>;

/// `sandbox mcp args` in a fresh directory, without `SANDBOX_*` variables.
fn command(dir: &TempDir, args: &[&str]) -> tokio::process::Command {
    let mut cmd =
        tokio::process::Command::from(common::clean_command(env!("CARGO_BIN_EXE_sandbox")));
    cmd.arg("mcp").args(args).current_dir(dir.path());
    cmd
}

async fn connect(dir: &TempDir, args: &[&str]) -> Client {
    let (transport, _stderr) = TokioChildProcess::builder(command(dir, args))
        .stderr(Stdio::null())
        .spawn()
        .expect("start sandbox mcp");
    ().serve(transport).await.expect("initialize")
}

async fn call(client: &Client, tool: &'static str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object");
    };
    client
        .call_tool(CallToolRequestParams::new(tool).with_arguments(arguments))
        .await
        .expect("a tool result, not a protocol error")
}

fn text(result: &CallToolResult) -> &str {
    result.content[0]
        .as_text()
        .expect("text first")
        .text
        .as_str()
}

#[tokio::test]
async fn an_mcp_client_runs_code_through_sandbox_mcp() {
    let dir = tempfile::tempdir().unwrap();
    let client = connect(&dir, &["--timeout", "5"]).await;
    let info = client.peer_info().unwrap();
    assert_eq!(info.server_info.as_ref().unwrap().name, "sandbox");

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
    let description = tools[0].description.as_deref().unwrap();
    assert!(description.contains("- time: 5 s per run"), "{description}");
    assert!(description.contains("- network: none"), "{description}");
    assert!(description.contains("statistics"), "{description}");
    // Local sessions last while the connection does.
    assert!(
        description.contains(
            "A session ends when closed, when this connection ends, or at its memory limit; at \
             most 8 sessions are open at once;"
        ),
        "{description}"
    );

    // The original's local example.
    let fibonacci = "def fibonacci(n):\n    if n <= 1:\n        return n\n    return fibonacci(n-1) + fibonacci(n-2)\n\nresult = [fibonacci(i) for i in range(10)]\nprint(\"Fibonacci:\", result)\n";
    let result = call(&client, "run_python", json!({"code": fibonacci})).await;
    assert_eq!(result.is_error, Some(false));
    assert_eq!(
        text(&result),
        "Fibonacci: [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]\n"
    );
    assert_eq!(
        result.structured_content.as_ref().unwrap()["mode"],
        "secure"
    );

    // A file in, a file out.
    let result = call(
        &client,
        "run_python",
        json!({
            "code": "rows = open('in.txt').read().split()\nopen('out.txt', 'w').write('|'.join(rows))\nprint(len(rows))",
            "input_files": {"in.txt": "a b c"},
        }),
    )
    .await;
    assert_eq!(text(&result), "3\n\n[files written: out.txt (5 bytes)]\n");
    let ContentBlock::Resource(embedded) = &result.content[1] else {
        panic!("a resource: {:?}", result.content);
    };
    let ResourceContents::TextResourceContents {
        uri,
        text: contents,
        ..
    } = &embedded.resource
    else {
        panic!("a text resource");
    };
    assert_eq!(
        (uri.as_str(), contents.as_str()),
        ("sandbox://output/out.txt", "a|b|c")
    );

    // An error and a timeout are tool errors with what happened.
    let result = call(&client, "run_python", json!({"code": "print(1/0)"})).await;
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result).contains("ZeroDivisionError: division by zero"),
        "{}",
        text(&result)
    );
    let result = call(
        &client,
        "run_python",
        json!({"code": "while True: pass", "timeout": 0.5}),
    )
    .await;
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result).starts_with("Error: timeout: execution timed out after 0.5 s"),
        "{}",
        text(&result)
    );

    // The policy check.
    let result = call(&client, "check_python", json!({"code": "import os\n"})).await;
    assert_eq!(result.structured_content.as_ref().unwrap()["ok"], false);
    assert!(
        text(&result).contains("blocked-import"),
        "{}",
        text(&result)
    );

    client.cancel().await.unwrap();
}

/// `--session`: calls without a `session_id` share one session; explicit
/// sessions still work beside it.
#[tokio::test]
async fn with_session_state_persists_from_call_to_call() {
    let dir = tempfile::tempdir().unwrap();
    let client = connect(&dir, &["--session"]).await;
    let tools = client.list_all_tools().await.unwrap();
    let run = tools.iter().find(|t| t.name == "run_python").unwrap();
    assert!(
        run.description
            .as_deref()
            .unwrap_or_default()
            .contains("every call runs in this server's own session")
    );
    let first = call(&client, "run_python", json!({"code": "total = 40"})).await;
    assert_eq!(first.is_error, Some(false), "{}", text(&first));
    let second = call(&client, "run_python", json!({"code": "total + 2"})).await;
    assert!(
        text(&second).contains("[display 1]\n42\n"),
        "{}",
        text(&second)
    );
    let made = call(&client, "create_session", json!({})).await;
    let id = made.structured_content.as_ref().unwrap()["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = call(
        &client,
        "run_python",
        json!({"code": "print(total)", "session_id": id}),
    )
    .await;
    assert_eq!(other.is_error, Some(true));
    assert!(text(&other).contains("NameError"), "{}", text(&other));
    let closed = call(&client, "close_session", json!({"session_id": id})).await;
    assert_eq!(closed.is_error, Some(false));
    let gone = call(&client, "close_session", json!({"session_id": id})).await;
    assert_eq!(gone.is_error, Some(true));
    assert!(text(&gone).contains("no session"), "{}", text(&gone));

    // The server's own session ends (code that will not stop at its
    // timeout): the next call runs in a new one and says the state is gone.
    let stubborn = "while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        pass";
    let ended = call(
        &client,
        "run_python",
        json!({"code": stubborn, "timeout": 1}),
    )
    .await;
    assert!(
        text(&ended).contains("the session was ended"),
        "{}",
        text(&ended)
    );
    let fresh = call(
        &client,
        "run_python",
        json!({"code": "try:\n    total\nexcept NameError:\n    print('fresh')"}),
    )
    .await;
    assert_eq!(fresh.is_error, Some(false), "{}", text(&fresh));
    assert!(
        text(&fresh).contains("this call ran in a new session"),
        "{}",
        text(&fresh)
    );
    let second = fresh.content[1]
        .as_text()
        .expect("the run's text")
        .text
        .as_str();
    assert!(second.contains("fresh"), "{second}");
    let kept = call(&client, "run_python", json!({"code": "x = 1"})).await;
    assert!(!text(&kept).contains("new session"), "{}", text(&kept));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_policy_option_reaches_the_tools() {
    let dir = tempfile::tempdir().unwrap();
    let client = connect(&dir, &["--policy", "none"]).await;
    let tools = client.list_all_tools().await.unwrap();
    let description = tools[0].description.as_deref().unwrap();
    assert!(description.contains("Imports: any module"), "{description}");
    let result = call(&client, "check_python", json!({"code": "import os\n"})).await;
    assert_eq!(text(&result), "OK: the code parses (no policy applies).\n");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_remote_configuration_is_refused_with_where_to_go() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(&dir, &[])
        .env("SANDBOX_SERVER_URL", "http://sandbox.internal:8000/")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("connect the MCP client to `http://sandbox.internal:8000/mcp`"),
        "{stderr}"
    );
}

/// With a pool (`SANDBOX_POOL_SIZE`), the sandboxes it keeps ready and the
/// ends of pooled runs are finished before `sandbox mcp` exits: nothing is
/// left in its work root and no sandbox process outlives it.
#[tokio::test]
async fn a_pooled_mcp_server_leaves_nothing_when_its_client_goes() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut child = command(&dir, &[])
        .env("SANDBOX_POOL_SIZE", "2")
        .env("TMPDIR", work.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start sandbox mcp");
    let pid = child.id().expect("pid");
    let io = (
        child.stdout.take().expect("stdout"),
        child.stdin.take().expect("stdin"),
    );
    let client = ().serve(io).await.expect("initialize");
    for n in 0..3 {
        let result = call(
            &client,
            "run_python",
            json!({"code": format!("print({n})")}),
        )
        .await;
        assert_eq!(result.is_error, Some(false), "{result:?}");
        assert_eq!(text(&result).trim(), n.to_string());
    }
    // Closing stdin ends the server; it must finish its clean-up and exit 0.
    client.cancel().await.unwrap();
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait())
        .await
        .expect("sandbox mcp exits once its client is gone")
        .unwrap();
    assert!(status.success(), "{status}");
    let left: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left in the work root: {left:?}");
    // Run cgroups are named after their runner's pid.
    let orphans: Vec<String> = ["/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified"]
        .iter()
        .filter_map(|root| std::fs::read_dir(root).ok())
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(&format!("sandbox-{pid}-")))
        .collect();
    assert!(
        orphans.is_empty(),
        "cgroups of sandbox mcp left: {orphans:?}"
    );
}

/// A client that keeps the progress notifications it gets, with their
/// arrival times.
#[derive(Clone, Default)]
struct Progress(
    std::sync::Arc<
        std::sync::Mutex<Vec<(std::time::Instant, rmcp::model::ProgressNotificationParam)>>,
    >,
);

impl rmcp::ClientHandler for Progress {
    async fn on_progress(
        &self,
        params: rmcp::model::ProgressNotificationParam,
        _context: rmcp::service::NotificationContext<RoleClient>,
    ) {
        self.0
            .lock()
            .unwrap()
            .push((std::time::Instant::now(), params));
    }
}

#[tokio::test]
async fn a_long_run_reports_its_output_as_progress_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (transport, _stderr) = TokioChildProcess::builder(command(&dir, &[]))
        .stderr(Stdio::null())
        .spawn()
        .expect("start sandbox mcp");
    let progress = Progress::default();
    let client = progress.clone().serve(transport).await.expect("initialize");
    let code = "import time\nfor i in range(3):\n    print('line', i)\n    time.sleep(1)\n";
    let Value::Object(arguments) = json!({ "code": code }) else {
        unreachable!()
    };

    // rmcp's client puts a progress token on every request (its own, over
    // any given), so every call here asks for progress.
    let params = CallToolRequestParams::new("run_python").with_arguments(arguments);
    let result = client.call_tool(params).await.unwrap();
    let ended = std::time::Instant::now();
    assert_eq!(text(&result), "line 0\nline 1\nline 2\n");
    let seen = progress.0.lock().unwrap().clone();
    let (first, _) = seen.first().expect("progress notifications");
    assert!(
        ended.duration_since(*first) >= std::time::Duration::from_millis(1500),
        "the first notification came only {:?} before the result",
        ended.duration_since(*first)
    );
    let messages: String = seen
        .iter()
        .map(|(_, p)| p.message.clone().unwrap_or_default())
        .collect();
    assert_eq!(messages, "line 0\nline 1\nline 2\n");
    assert!(seen.windows(2).all(|w| w[0].1.progress < w[1].1.progress));
    let token = &seen[0].1.progress_token;
    assert!(seen.iter().all(|(_, p)| &p.progress_token == token));
    client.cancel().await.unwrap();
}
