"""Live output: ``on_stdout`` and ``on_stderr`` get the program's text while
it runs, locally and from a server; the pieces joined are the result's; an
exception from a callback cancels the run."""

from __future__ import annotations

import time
from typing import List, Tuple

import pytest

from conftest import Server
from sandbox_executor import SandboxClient

THREE_LINES = "import time\nfor i in range(3):\n    print('line', i)\n    time.sleep(1)\n"


def clients(server: Server) -> List[Tuple[str, SandboxClient]]:
    return [("local", SandboxClient()), ("remote", SandboxClient(server_url=server.url))]


def test_output_arrives_while_the_code_runs(server: Server) -> None:
    for name, client in clients(server):
        seen: List[Tuple[float, str]] = []
        result = client.execute(THREE_LINES, on_stdout=lambda text: seen.append((time.monotonic(), text)))
        ended = time.monotonic()
        assert result.status == "ok", (name, result)
        assert "".join(text for _, text in seen) == result.stdout == "line 0\nline 1\nline 2\n"
        assert ended - seen[0][0] >= 1.5, (name, seen)


def test_each_stream_goes_to_its_own_callback(server: Server) -> None:
    code = "print('out')\nraise ValueError('boom')\n"
    for name, client in clients(server):
        out: List[str] = []
        err: List[str] = []
        result = client.execute(code, on_stdout=out.append, on_stderr=err.append)
        assert result.status == "error", name
        assert "".join(out) == result.stdout == "out\n"
        assert "".join(err) == result.stderr
        assert "ValueError: boom" in result.stderr


def test_a_callback_that_raises_cancels_the_run() -> None:
    client = SandboxClient()

    def stop(text: str) -> None:
        raise RuntimeError(f"seen {text.strip()}")

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="seen tick"):
        client.execute(
            "import time\nwhile True:\n    print('tick')\n    time.sleep(0.2)\n",
            on_stdout=stop,
        )
    assert time.monotonic() - started < 10
    # The client still works.
    assert client.execute("print(2)").stdout == "2\n"
