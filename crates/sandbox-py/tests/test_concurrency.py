"""Threads run in parallel (the GIL is released while code runs), asyncio
callers await without blocking the loop, and cancelling a run, by
``Ctrl-C`` or by cancelling its task, leaves no process behind."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import alive, descendants, wait_until_gone
from sandbox_executor import AsyncSandboxClient, ExecutionMode, SandboxClient


def test_eight_threads_get_their_own_results() -> None:
    client = SandboxClient(mode=ExecutionMode.SECURE)

    def run(n: int):  # type: ignore[no-untyped-def]
        code = f"n = {n}\nopen('mine.txt', 'w').write(str(n * n))\nprint(sum(range(n)))"
        return n, client.execute(code, {"input.txt": str(n)})

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, range(24)))
    for n, result in results:
        assert result.status == "ok", result
        assert result.mode == "secure"
        assert result.stdout == f"{sum(range(n))}\n"
        # Only its own file: its input and what it wrote.
        assert result.output_files == {"mine.txt": str(n * n).encode()}


def test_threads_run_in_parallel_while_code_runs() -> None:
    client = SandboxClient()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: client.execute("import time; time.sleep(1)"), range(8)))
    took = time.monotonic() - started
    assert all(result.status == "ok" for result in results)
    # One after another would take 8 s; in parallel about 1 s plus start-up.
    assert took < 5, f"8 one-second runs from 8 threads took {took:.1f} s"


def test_asyncio_runs_concurrently_and_keeps_the_loop_free() -> None:
    async def main() -> tuple[list[str], int, float]:
        client = AsyncSandboxClient()
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        ticker = asyncio.ensure_future(tick())
        started = time.monotonic()
        results = await asyncio.gather(
            *(client.execute(f"import time; time.sleep(0.8); print({n})") for n in range(4))
        )
        took = time.monotonic() - started
        ticker.cancel()
        return [result.stdout for result in results], ticks, took

    outputs, ticks, took = asyncio.run(main())
    assert outputs == ["0\n", "1\n", "2\n", "3\n"]
    assert took < 4, took
    # The loop ran its other task all along (about 16 ticks in 0.8 s).
    assert ticks >= 5, ticks


def test_the_sync_client_has_an_async_method_too() -> None:
    async def main() -> str:
        result = await SandboxClient().aexecute("print('awaited')")
        return result.stdout

    assert asyncio.run(main()) == "awaited\n"


def test_async_errors_are_raised_at_the_await() -> None:
    from sandbox_executor import InvalidRequestError

    async def main() -> None:
        await AsyncSandboxClient().execute("print(1)", {"../x": b""})

    with pytest.raises(InvalidRequestError):
        asyncio.run(main())


def test_cancelling_the_task_kills_the_sandbox() -> None:
    me = os.getpid()
    before = descendants(me)

    async def main() -> set[int]:
        client = AsyncSandboxClient()
        task = asyncio.ensure_future(client.execute("import time; time.sleep(60)"))
        sandbox: set[int] = set()
        deadline = time.monotonic() + 10
        while len(sandbox) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            sandbox = alive(descendants(me) - before)
        assert len(sandbox) >= 2, "the sandbox (init and python) never appeared"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return sandbox

    sandbox = asyncio.run(main())
    assert wait_until_gone(sandbox) == set()


INTERRUPTED = """
import sys
from sandbox_executor import SandboxClient
client = SandboxClient()
print("running", flush=True)
try:
    client.execute("import time; time.sleep(60)")
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(42)
print("finished", flush=True)
"""


def test_ctrl_c_cancels_the_run_and_leaves_no_python(tmp_path: Path) -> None:
    host = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert host.stdout is not None
    assert host.stdout.readline() == "running\n"
    sandbox: set[int] = set()
    deadline = time.monotonic() + 10
    while len(sandbox) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        sandbox = alive(descendants(host.pid))
    assert len(sandbox) >= 2, "the sandbox (init and python) never appeared"
    started = time.monotonic()
    host.send_signal(signal.SIGINT)
    out, err = host.communicate(timeout=20)
    assert (host.returncode, out) == (42, "interrupted\n"), err
    assert time.monotonic() - started < 6
    # Killed when KeyboardInterrupt was raised: gone within moments (the
    # kernel tears a killed pid namespace down in its own time).
    assert wait_until_gone(sandbox, 5) == set()
