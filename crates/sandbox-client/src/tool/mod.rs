//! The sandbox as a tool a language model calls: one definition (name,
//! description, JSON Schema of the arguments) in the shapes OpenAI-,
//! Anthropic- and LangChain-style tool calling accept, and [`PythonTool::run`],
//! which takes the model's arguments as JSON and answers with text the model
//! reads (the output, or the error with its traceback, cut to a sensible
//! length).
//!
//! The same pieces back the MCP server (`sandbox-mcp`): [`ToolSettings`]
//! describes the limits a model must respect, [`parse_arguments`] reads a
//! call, [`render_result`] writes the answer, so every way an agent reaches
//! the sandbox says the same thing.
//!
//! ```no_run
//! # async fn demo() {
//! use sandbox_client::tool::PythonTool;
//!
//! let tool = PythonTool::new(sandbox_client::SandboxClient::new());
//! let openai_tools = serde_json::json!([tool.definition().to_openai()]);
//! // ... the model answers with a call to `run_python` ...
//! let answer = tool.run(r#"{"code": "print(6 * 7)"}"#).await;
//! assert_eq!(answer, "42\n");
//! # }
//! ```

mod arguments;
mod describe;
mod render;

use serde_json::{Value, json};

pub use arguments::{ArgumentError, parse_arguments, parse_check_arguments, parse_run_arguments};
pub use describe::{PolicyView, ToolSettings};
pub use render::{
    MAX_STDERR_CHARS, MAX_STDOUT_CHARS, render_check, render_result, truncate_middle,
};

use crate::SandboxClient;

/// The name of the tool that runs code (the MCP tool's name too).
pub const RUN_PYTHON: &str = "run_python";
/// The name of the tool that checks code without running it.
pub const CHECK_PYTHON: &str = "check_python";

/// A tool as function calling declares it: a name, what it does, and a JSON
/// Schema of its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDefinition {
    /// The tool's name, `[a-z_]+`.
    pub name: String,
    /// What the tool does and the limits it works under, for the model.
    pub description: String,
    /// JSON Schema (draft 2020-12 subset every provider accepts) of the
    /// arguments object.
    pub parameters: Value,
}

impl ToolDefinition {
    /// `{"name", "description", "parameters"}`: the plain function
    /// declaration (Gemini, LangChain's `convert_to_openai_function`).
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
        })
    }

    /// OpenAI's Chat Completions `tools` entry (also what LangChain's
    /// `bind_tools` takes as a dict).
    pub fn to_openai(&self) -> Value {
        json!({ "type": "function", "function": self.to_json() })
    }

    /// Anthropic's Messages API `tools` entry.
    pub fn to_anthropic(&self) -> Value {
        json!({
            "name": self.name,
            "description": self.description,
            "input_schema": self.parameters,
        })
    }
}

/// Python execution as a function-calling tool, local or remote as the
/// client is.
#[derive(Debug, Clone)]
pub struct PythonTool {
    client: SandboxClient,
    settings: ToolSettings,
    name: String,
}

impl PythonTool {
    /// A tool running code through `client`, described from its
    /// configuration.
    /// Locally, the interpreter is asked which modules it has, so the
    /// description names only allowed modules that can be imported.
    pub fn new(client: SandboxClient) -> Self {
        let settings = ToolSettings::probed(client.config());
        Self::with_settings(client, settings)
    }

    /// A tool running code through `client`, described by `settings`.
    pub fn with_settings(client: SandboxClient, settings: ToolSettings) -> Self {
        Self {
            client,
            settings,
            name: RUN_PYTHON.to_owned(),
        }
    }

    /// Renames the tool (for example to the original's `python_executor`).
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the tool does and its limits, for the model.
    pub fn description(&self) -> String {
        self.settings.run_description()
    }

    /// The JSON Schema of the arguments.
    pub fn parameters(&self) -> Value {
        self.settings.run_parameters()
    }

    /// The whole definition, ready for any provider's `tools` list.
    pub fn definition(&self) -> ToolDefinition {
        ToolDefinition {
            name: self.name.clone(),
            description: self.description(),
            parameters: self.parameters(),
        }
    }

    /// Runs one call: `arguments` is the JSON the model produced (an object
    /// with `code`, optional `input_files` and `timeout`; a bare JSON string
    /// is taken as the code). Never fails: bad arguments and sandbox
    /// failures come back as text the model can act on.
    pub async fn run(&self, arguments: &str) -> String {
        let request = match parse_arguments(arguments) {
            Ok(request) => request,
            Err(err) => return format!("Error: invalid arguments: {err}"),
        };
        match self.client.execute_request(request).await {
            Ok(result) => render_result(&result),
            Err(err) => format!("Error: the sandbox could not run the code: {err}"),
        }
    }
}

#[cfg(test)]
mod tests;
