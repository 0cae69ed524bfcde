//! AI agent integration: the original's `PythonExecutorTool`, a
//! function-calling tool driven by a scripted agent loop, and how to give
//! an MCP client the sandbox.
//!
//! No network and no real model: the "model" is a script of the replies a
//! model would give, so the loop around it is the real thing.
//!
//! Run with `cargo run --example agent_integration`.

use anyhow::Result;
use sandbox_client::tool::PythonTool;
use sandbox_client::{ClientConfig, SandboxClient};
use serde_json::{Value, json};

/// The original's `PythonExecutorTool`: local or remote by configuration,
/// `run(code) -> String`.
struct PythonExecutorTool {
    client: SandboxClient,
}

impl PythonExecutorTool {
    const NAME: &str = "python_executor";
    const DESCRIPTION: &str = "Execute Python code safely in a sandbox";

    /// Switches between local and remote: `server_url` `None` runs code on
    /// this machine (development), `Some` on a `sandbox-server`
    /// (production).
    fn new(server_url: Option<String>) -> Result<Self> {
        let config = ClientConfig {
            server_url,
            ..ClientConfig::default()
        };
        Ok(Self {
            client: SandboxClient::from_config(config)?,
        })
    }

    /// Executes code and returns its output, or the error.
    async fn run(&self, code: &str) -> String {
        match self.client.execute(code).await {
            Ok(result) if result.success => result.stdout,
            Ok(result) => format!("Error: {}", result.stderr),
            Err(err) => format!("Error: {err}"),
        }
    }
}

/// One turn of the scripted model: a tool call (OpenAI's shape: a name and
/// the arguments as a JSON string) or a final answer.
enum Reply {
    ToolCall {
        name: &'static str,
        arguments: Value,
    },
    Answer(&'static str),
}

/// What a model would reply, in order: a call the policy refuses, the
/// corrected call after reading why, then the answer.
fn scripted_model(turn: usize) -> Reply {
    match turn {
        0 => Reply::ToolCall {
            name: "run_python",
            arguments: json!({
                "code": "import os\nprint(os.listdir('.'))\nimport csv\nrows = list(csv.DictReader(open('sales.csv')))\nprint(sum(float(r['amount']) for r in rows))",
                "input_files": {"sales.csv": "region,amount\nnorth,120.5\nsouth,80\n"},
            }),
        },
        1 => Reply::ToolCall {
            name: "run_python",
            arguments: json!({
                "code": "import csv\nrows = list(csv.DictReader(open('sales.csv')))\nprint(sum(float(r['amount']) for r in rows))",
                "input_files": {"sales.csv": "region,amount\nnorth,120.5\nsouth,80\n"},
            }),
        },
        _ => Reply::Answer("Total sales: 200.5"),
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    // The original's pattern. For development (local):
    let tool = PythonExecutorTool::new(None)?;
    // For production (remote), from the environment:
    // let tool = PythonExecutorTool::new(std::env::var("SANDBOX_SERVER_URL").ok())?;
    println!(
        "== {}: {}",
        PythonExecutorTool::NAME,
        PythonExecutorTool::DESCRIPTION
    );
    print!("{}", tool.run("print(sum(range(10)))").await);
    println!(
        "{}",
        tool.run("print(1/0)").await.lines().last().unwrap_or("")
    );

    // A function-calling tool any framework takes: the same definition in
    // OpenAI's, Anthropic's (`to_anthropic()`) and plain (`to_json()`) shapes.
    let python = PythonTool::new(tool.client.clone());
    let definition = python.definition();
    let openai_tools = json!([definition.to_openai()]);
    println!(
        "\n== tools offered to the model: {} with parameters {}",
        openai_tools[0]["function"]["name"],
        serde_json::to_string(&definition.parameters["required"])?
    );

    // The agent loop: ask the model, run the tool calls it makes, feed the
    // results back, until it answers.
    let mut transcript: Vec<Value> =
        vec![json!({"role": "user", "content": "What are the total sales in sales.csv?"})];
    for turn in 0.. {
        match scripted_model(turn) {
            Reply::ToolCall { name, arguments } => {
                let arguments = arguments.to_string();
                let output = if name == python.name() {
                    python.run(&arguments).await
                } else {
                    format!("Error: no tool named `{name}`")
                };
                println!("\n-- model calls {name}; the tool answers:\n{output}");
                transcript.push(json!({"role": "tool", "name": name, "content": output}));
            }
            Reply::Answer(text) => {
                println!("\n-- model answers: {text}");
                transcript.push(json!({"role": "assistant", "content": text}));
                break;
            }
        }
    }
    println!("({} messages in the conversation)", transcript.len());

    // MCP: give Claude Desktop, an IDE or any MCP client the same tools by
    // registering `sandbox mcp` (stdio); or point it at a server's `/mcp`.
    let mcp = json!({
        "mcpServers": {
            "python-sandbox": { "command": "sandbox", "args": ["mcp"] }
        }
    });
    println!(
        "\n== MCP client configuration:\n{}",
        serde_json::to_string_pretty(&mcp)?
    );
    Ok(())
}
