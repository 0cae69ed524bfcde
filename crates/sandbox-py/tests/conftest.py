"""Fixtures of the Python package's tests: a clean environment per test, a
real ``sandbox-server`` on a loopback port, and process-tree helpers that
prove nothing is left running."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Set

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ``SANDBOX_*`` variable or ``.env`` of the caller's leaks in: each
    test starts in an empty directory of its own."""
    for name in list(os.environ):
        if name.startswith("SANDBOX_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def server_program() -> str:
    """The ``sandbox-server`` binary: ``SANDBOX_SERVER_BIN`` (set by
    ``cargo xtask test``), else the workspace's own build."""
    given = os.environ.get("SANDBOX_SERVER_BIN")
    if given:
        return given
    for profile in ("debug", "release"):
        candidate = ROOT / "target" / profile / "sandbox-server"
        if candidate.is_file():
            return str(candidate)
    raise RuntimeError(
        "no sandbox-server binary: build it (cargo build -p sandbox-server) or set SANDBOX_SERVER_BIN"
    )


class Server:
    """A running ``sandbox-server`` and its log."""

    def __init__(self, process: subprocess.Popen[str], url: str, log: List[str], work_root: Path) -> None:
        self.process = process
        self.url = url
        self.log = log
        self.work_root = work_root

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.work_root, ignore_errors=True)


def start_server(env: Optional[Dict[str, str]] = None, args: Sequence[str] = ()) -> Server:
    """Starts a server on a free loopback port and waits until it listens.
    Its work dirs go to a fresh directory right under the system temp dir,
    as a deployment's would (pytest's own directories are private to their
    owner, which a sandbox's host user is not)."""
    tmp = Path(tempfile.mkdtemp(prefix="sandbox-py-server-"))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    environment.update({"RUST_LOG": "info", "TMPDIR": str(tmp), "NO_COLOR": "1"})
    environment.update(env or {})
    process = subprocess.Popen(
        [server_program(), "--host", "127.0.0.1", "--port", "0", "--pool-size", "0", *args],
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    log: List[str] = []
    found: List[str] = []
    listening = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            log.append(line.rstrip("\n"))
            match = re.search(r"listening on (http://\S+)", line)
            if match and not found:
                found.append(match.group(1))
                listening.set()

    threading.Thread(target=read, daemon=True).start()
    if not listening.wait(30):
        process.kill()
        process.wait()
        raise RuntimeError("sandbox-server did not start listening:\n" + "\n".join(log))
    return Server(process, found[0], log, tmp)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """A server without API keys, shared by a module's tests."""
    running = start_server()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[Server]:
    """A server that wants the API key ``right-key`` and allows runs of at
    most 5 s."""
    running = start_server({"SANDBOX_API_KEYS": "right-key"}, ["--timeout-limit", "5", "--timeout", "5"])
    yield running
    running.stop()


def _parents() -> Dict[int, int]:
    parents: Dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
    return parents


def descendants(pid: int) -> Set[int]:
    """Every process below ``pid`` now (a sandbox's init and its program are
    children of the process that runs the client)."""
    parents = _parents()
    found: Set[int] = set()
    frontier = {pid}
    while frontier:
        children = {child for child, parent in parents.items() if parent in frontier}
        children -= found
        found |= children
        frontier = children
    return found


def alive(pids: Set[int]) -> Set[int]:
    """The processes of ``pids`` that still exist (zombies count as gone)."""
    living = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                state = stat.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            living.add(pid)
    return living


def wait_until_gone(pids: Set[int], limit: float = 10.0) -> Set[int]:
    """Waits up to ``limit`` seconds for ``pids`` to end; returns those left."""
    deadline = time.monotonic() + limit
    left = alive(pids)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = alive(left)
    return left
