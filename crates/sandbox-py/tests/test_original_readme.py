"""Every Python snippet of the original tool's README, verbatim, run on this
engine: each prints what the original says it prints.

The snippets are kept as text exactly as the README has them; the one
that talks to ``http://localhost:8000`` gets the test server's URL
instead, its only change."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any, Dict

import pytest

from conftest import Server

LOCAL_EXECUTION = '''
from sandbox_executor import SandboxClient

# Create client without server_url = local execution
client = SandboxClient()

code = """
def fibonacci(n):
    if n <= 1:
        return n
    return fibonacci(n-1) + fibonacci(n-2)

result = [fibonacci(i) for i in range(10)]
print("Fibonacci:", result)
"""

result = client.execute(code)
print(result.stdout)
# Output: Fibonacci: [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
'''

REMOTE_EXECUTION = '''
from sandbox_executor import SandboxClient

# Create client with server_url = remote execution
client = SandboxClient(
    server_url="http://localhost:8000",
    timeout=30
)

code = """
import math

radius = 5
area = math.pi * radius ** 2
print(f"Circle area: {area:.2f}")
"""

result = client.execute(code)
print(result.stdout)
# Output: Circle area: 78.54
'''

LOCAL_CONFIGURATION = '''
from sandbox_executor import SandboxClient, ClientConfig, ExecutionMode

config = ClientConfig(
    server_url=None,  # None = local execution
    mode=ExecutionMode.SECURE,
    timeout=60,
    allow_network=False,
    max_memory_mb=256
)

client = SandboxClient.from_config(config)
'''

REMOTE_CONFIGURATION = '''
from sandbox_executor import SandboxClient, ClientConfig

config = ClientConfig(
    server_url="http://your-api-server.com",
    timeout=30,
    api_timeout=60,  # HTTP request timeout
    api_key="your-secret-key"  # Optional authentication
)

client = SandboxClient.from_config(config)
'''

DOTENV = """
SANDBOX_MODE=secure
SANDBOX_TIMEOUT=30
SANDBOX_ALLOW_NETWORK=false
SANDBOX_MAX_MEMORY_MB=128
"""

FROM_ENV = """
client = SandboxClient.from_env()
"""

WORKING_WITH_FILES = '''
from sandbox_executor import SandboxClient

client = SandboxClient()

# Provide input files
input_files = {
    "data.csv": b"id,value\\n1,100\\n2,200\\n3,300\\n"
}

code = """
import csv

# Read CSV
with open('data.csv', 'r') as f:
    reader = csv.DictReader(f)
    data = list(reader)

# Calculate total
total = sum(int(row['value']) for row in data)
print(f"Total: {total}")

# Write output
with open('result.txt', 'w') as f:
    f.write(f"Sum: {total}\\\\n")
"""

result = client.execute(code, input_files=input_files)
print(result.stdout)  # Total: 600

# Get output file
output = result.get_file_content('result.txt')
print(output.decode())  # Sum: 600
'''

AGENT_INTEGRATION = '''
from sandbox_executor import SandboxClient

class PythonExecutorTool:
    """Tool for AI agents to execute Python code"""

    name = "python_executor"
    description = "Execute Python code safely in a sandbox"

    def __init__(self, use_remote=False):
        # Switch between local and remote based on environment
        server_url = "http://api.example.com" if use_remote else None
        self.client = SandboxClient(server_url=server_url)

    def run(self, code: str) -> str:
        """Execute code and return output"""
        result = self.client.execute(code)
        return result.stdout if result.success else f"Error: {result.stderr}"

# For development (local)
tool = PythonExecutorTool(use_remote=False)

# For production (remote)
tool = PythonExecutorTool(use_remote=True)
'''

ERROR_HANDLING = '''
from sandbox_executor import SandboxClient, SandboxException

client = SandboxClient()

code = "print(1/0)"  # Will raise ZeroDivisionError

try:
    result = client.execute(code)
    if not result.success:
        print(f"Execution failed with code {result.return_code}")
        print(f"Error: {result.stderr}")
except SandboxException as e:
    print(f"Sandbox error: {e}")
'''


def run_snippet(snippet: str, namespace: Dict[str, Any] | None = None) -> Dict[str, Any]:
    scope: Dict[str, Any] = {} if namespace is None else namespace
    exec(compile(textwrap.dedent(snippet), "<README snippet>", "exec"), scope)
    return scope


def test_local_execution_prints_fibonacci(capsys: pytest.CaptureFixture[str]) -> None:
    scope = run_snippet(LOCAL_EXECUTION)
    assert capsys.readouterr().out == "Fibonacci: [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]\n\n"
    assert scope["result"].success
    assert scope["result"].mode == "secure"
    assert not scope["client"].is_remote


def test_remote_execution_prints_the_circle_area(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    snippet = REMOTE_EXECUTION.replace("http://localhost:8000", server.url)
    assert snippet != REMOTE_EXECUTION
    scope = run_snippet(snippet)
    assert capsys.readouterr().out == "Circle area: 78.54\n\n"
    assert scope["client"].is_remote
    assert scope["result"].status == "ok"


def test_local_configuration_takes_effect() -> None:
    scope = run_snippet(LOCAL_CONFIGURATION)
    config = scope["client"].config
    assert (config.server_url, config.mode, config.timeout, config.allow_network) == (
        None,
        "secure",
        60.0,
        False,
    )
    assert config.max_memory_mb == 256
    assert scope["client"].execute("print('configured')").stdout == "configured\n"


def test_remote_configuration_builds_a_remote_client_without_connecting() -> None:
    scope = run_snippet(REMOTE_CONFIGURATION)
    client = scope["client"]
    assert client.is_remote
    config = client.config
    assert (config.server_url, config.timeout, config.api_timeout, config.api_key) == (
        "http://your-api-server.com",
        30.0,
        60.0,
        "your-secret-key",
    )
    assert "your-secret-key" not in repr(config)


def test_from_env_reads_the_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(DOTENV)
    scope = run_snippet(FROM_ENV, {"SandboxClient": __import__("sandbox_executor").SandboxClient})
    config = scope["client"].config
    assert (config.mode, config.timeout, config.allow_network, config.max_memory_mb) == (
        "secure",
        30.0,
        False,
        128,
    )
    # Values that differ from the defaults prove the file is read.
    (tmp_path / ".env").write_text("SANDBOX_MODE=simple\nSANDBOX_TIMEOUT=7\nSANDBOX_MAX_MEMORY_MB=200\n")
    scope = run_snippet(FROM_ENV, {"SandboxClient": __import__("sandbox_executor").SandboxClient})
    config = scope["client"].config
    assert (config.mode, config.timeout, config.max_memory_mb) == ("simple", 7.0, 200)
    assert scope["client"].execute("print('from env')").mode == "simple"


def test_working_with_files_totals_and_writes(capsys: pytest.CaptureFixture[str]) -> None:
    scope = run_snippet(WORKING_WITH_FILES)
    assert capsys.readouterr().out == "Total: 600\n\nSum: 600\n\n"
    assert scope["result"].output_files == {"result.txt": b"Sum: 600\n"}


def test_agent_integration_tool_runs_code() -> None:
    scope = run_snippet(AGENT_INTEGRATION)
    remote = scope["tool"]
    assert remote.client.is_remote
    local = scope["PythonExecutorTool"](use_remote=False)
    assert local.run("print(2 + 2)") == "4\n"
    answer = local.run("raise ValueError('bad input')")
    assert answer.startswith("Error: Traceback")
    assert "ValueError: bad input" in answer


def test_error_handling_reports_the_failure(capsys: pytest.CaptureFixture[str]) -> None:
    run_snippet(ERROR_HANDLING)
    out = capsys.readouterr().out
    assert out.startswith("Execution failed with code 1\nError: Traceback (most recent call last):\n")
    assert "ZeroDivisionError: division by zero" in out
    assert "Sandbox error" not in out
