//! `sandbox_client::tool::PythonTool` for Python agents: the same
//! definition (name, description, JSON Schema) and the same text answers
//! as the Rust tool and the MCP server give.

use pyo3::prelude::*;
use sandbox_client::tool::PythonTool;

use crate::client::NativeClient;
use crate::{errors, runtime};

/// The native half of `sandbox_executor.tool.PythonTool`; use that class.
#[pyclass(frozen, module = "sandbox_executor._native")]
#[derive(Debug)]
pub(crate) struct NativeTool {
    tool: PythonTool,
}

fn to_python<'py>(py: Python<'py>, value: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?
        .call_method1("loads", (value.to_string(),))
}

#[pymethods]
impl NativeTool {
    /// A tool running code through `client`, named `name`. Locally the
    /// interpreter is asked which modules it has (the GIL is released).
    #[new]
    #[pyo3(signature = (client, name = None))]
    fn new(py: Python<'_>, client: &NativeClient, name: Option<String>) -> PyResult<Self> {
        let client = client.client.clone();
        let tool = py.detach(|| PythonTool::new(client));
        let tool = match name {
            Some(name) => {
                if name.is_empty()
                    || name.len() > 64
                    || !name
                        .bytes()
                        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
                {
                    return Err(errors::invalid_config(format!(
                        "the tool name `{name}` is not 1 to 64 letters, digits, `_` or `-` \
                         (what function calling accepts)"
                    )));
                }
                tool.with_name(name)
            }
            None => tool,
        };
        Ok(Self { tool })
    }

    /// The tool's name.
    #[getter]
    fn name(&self) -> &str {
        self.tool.name()
    }

    /// What the tool does and its limits, for the model.
    #[getter]
    fn description(&self) -> String {
        self.tool.description()
    }

    /// The JSON Schema of the arguments, as a dict.
    #[getter]
    fn parameters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.tool.parameters())
    }

    /// `{"name", "description", "parameters"}`: the plain declaration.
    fn to_json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.tool.definition().to_json())
    }

    /// The entry of OpenAI's `tools` list.
    fn to_openai<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.tool.definition().to_openai())
    }

    /// The entry of Anthropic's `tools` list.
    fn to_anthropic<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.tool.definition().to_anthropic())
    }

    /// Runs one call from its JSON arguments and answers in text for the
    /// model; never raises for bad arguments or failed code.
    fn run(&self, py: Python<'_>, arguments: String) -> PyResult<String> {
        let tool = self.tool.clone();
        runtime::wait(py, async move { tool.run(&arguments).await })
    }
}
