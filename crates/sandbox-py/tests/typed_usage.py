"""A typed program using the package: `mypy --strict` must accept it
(test_api.py runs it), so the stubs describe what users write."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

from sandbox_executor import (
    AsyncSandboxClient,
    ClientConfig,
    ExecutionMode,
    ExecutionResult,
    SandboxClient,
    SandboxException,
    ServerError,
)
from sandbox_executor.tool import PythonTool


def run_local() -> str:
    client = SandboxClient(timeout=10, mode=ExecutionMode.SECURE)
    result: ExecutionResult = client.execute("print(1)", input_files={"a.txt": b"x", "b.txt": "y"})
    content: Optional[bytes] = result.get_file_content("out.txt")
    files: Dict[str, bytes] = result.output_files
    code: Optional[int] = result.return_code
    seconds: float = result.duration
    shown: List[Dict[str, Any]] = result.display
    return f"{result.stdout}{result.stderr}{content!r}{len(files)}{code}{seconds}{result.success}{shown}"


def run_live() -> List[str]:
    pieces: List[str] = []
    result = SandboxClient().execute("print(1)", on_stdout=pieces.append, on_stderr=print)
    return pieces + [result.stdout]


def run_configured() -> bool:
    config = ClientConfig(server_url=None, mode=ExecutionMode.SIMPLE, timeout=60, max_memory_mb=256)
    client = SandboxClient.from_config(config)
    try:
        return client.execute("print(2)").success
    except ServerError as error:
        status: Optional[int] = error.status_code
        return status == 429
    except SandboxException as error:
        message: str = error.message
        return message == ""


async def run_async() -> List[str]:
    client = AsyncSandboxClient()
    results = await asyncio.gather(client.execute("print(1)"), client.execute("print(2)"))
    return [result.stdout for result in results]


def agent_turn(arguments: str) -> str:
    tool = PythonTool(SandboxClient.from_env())
    declared: Dict[str, object] = tool.to_openai()
    return tool.run(arguments) + str(declared)
