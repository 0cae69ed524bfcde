"""The function-calling tool: the same definition as the Rust
``PythonTool`` and the MCP server's, and text answers a model reads."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import ROOT
from sandbox_executor import ConfigurationError, SandboxClient
from sandbox_executor.tool import RUN_PYTHON, PythonTool


def test_the_definition_has_the_shapes_providers_accept() -> None:
    tool = PythonTool()
    assert tool.name == RUN_PYTHON == "run_python"
    parameters = tool.parameters
    assert parameters["type"] == "object"
    assert parameters["required"] == ["code"]
    assert "code" in parameters["properties"]
    assert "secure" in tool.description.lower() or "sandbox" in tool.description.lower()
    assert tool.definition() == {
        "name": "run_python",
        "description": tool.description,
        "parameters": parameters,
    }
    assert tool.to_openai() == {"type": "function", "function": tool.definition()}
    anthropic = tool.to_anthropic()
    assert anthropic["name"] == "run_python"
    assert anthropic["input_schema"] == parameters
    json.dumps([tool.to_openai(), tool.to_anthropic()])


def mcp_tools() -> list:
    """`tools/list` of the real MCP server (`sandbox mcp` over stdio)."""
    program = os.environ.get("SANDBOX_CLI_BIN") or str(ROOT / "target" / "debug" / "sandbox")
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "pytest", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    server = subprocess.Popen(
        [program, "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        for message in messages:
            server.stdin.write(json.dumps(message) + "\n")
            server.stdin.flush()
        while True:
            line = server.stdout.readline()
            assert line, "the MCP server closed its output"
            answer = json.loads(line)
            if answer.get("id") == 2:
                tools: list = answer["result"]["tools"]
                return tools
    finally:
        server.stdin.close()
        server.wait(timeout=20)


def test_the_definition_is_the_mcp_servers() -> None:
    """The MCP server's `run_python` is the Rust tool's definition plus
    sessions: a paragraph on them and an optional `session_id`."""
    listed = {tool["name"]: tool for tool in mcp_tools()}
    mine = PythonTool(SandboxClient())
    served = listed["run_python"]
    assert served["description"].startswith(mine.description + "\n\nSessions: ")
    schema = json.loads(json.dumps(served["inputSchema"]))
    assert schema["properties"].pop("session_id")["type"] == "string"
    assert "session_id" not in schema.get("required", [])
    assert schema == mine.parameters


def test_run_answers_in_text() -> None:
    tool = PythonTool()
    assert tool.run('{"code": "print(6 * 7)"}') == "42\n"
    assert tool.run({"code": "print(sum(range(5)))"}) == "10\n"
    files = tool.run(
        {"code": "print(open('data.txt').read().upper())", "input_files": {"data.txt": "shout"}}
    )
    assert files == "SHOUT\n"
    failed = tool.run({"code": "1/0"})
    assert "ZeroDivisionError" in failed
    assert "Traceback" in failed


@pytest.mark.parametrize(
    "arguments",
    ["not json", "{}", '{"code": 5}', '{"code": "print(1)", "timeout": -1}', "[1, 2]"],
)
def test_bad_arguments_come_back_as_text(arguments: str) -> None:
    answer = PythonTool().run(arguments)
    assert answer.startswith("Error: invalid arguments: "), answer


def test_the_tool_can_be_renamed_but_not_to_nonsense() -> None:
    tool = PythonTool(name="python_executor")
    assert tool.to_openai()["function"]["name"] == "python_executor"
    with pytest.raises(ConfigurationError, match="tool name"):
        PythonTool(name="has spaces")


def test_an_agent_loop_is_three_lines() -> None:
    # What a model would send back for the tool it was given.
    tool = PythonTool()
    call = {"name": tool.to_openai()["function"]["name"], "arguments": '{"code": "print(2 ** 10)"}'}
    assert tool.run(call["arguments"]) == "1024\n"


def test_arun_awaits() -> None:
    import asyncio

    assert asyncio.run(PythonTool().arun({"code": "print('async tool')"})) == "async tool\n"
