"""Bad arguments and failing servers raise the right exception, with a
clear message, before anything runs; a remote server's code, message and
HTTP status are kept."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Iterator

import pytest

from conftest import Server
from sandbox_executor import (
    AuthenticationError,
    ClientConfig,
    ConfigurationError,
    InvalidRequestError,
    SandboxClient,
    SandboxConnectionError,
    SandboxException,
    SandboxTimeoutError,
)


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"timeout": -1}, "`timeout` is -1"),
        ({"timeout": 0}, "`timeout` is 0"),
        ({"timeout": float("nan")}, "`timeout` is NaN"),
        ({"timeout": 10**9}, "timeout"),
        ({"max_memory_mb": -5}, "`max_memory_mb` is -5"),
        ({"max_memory_mb": 10**12}, "max_memory_mb"),
        ({"mode": "fast"}, "`mode` is `fast`, expected `secure` or `simple`"),
        ({"server_url": "ftp://example.com"}, "server_url"),
        ({"api_timeout": -2.5}, "`api_timeout` is -2.5"),
        ({"pool_size": 10**6}, "pool_size"),
        ({"policy": "/no/such/policy.toml"}, "/no/such/policy.toml"),
    ],
)
def test_a_bad_setting_is_named(settings: dict, named: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        SandboxClient(**settings)
    assert named in str(raised.value)
    assert raised.value.code == "invalid_config"
    assert isinstance(raised.value, ValueError)


def test_a_bad_config_object_is_named_too() -> None:
    with pytest.raises(ConfigurationError, match="`timeout` is -3"):
        SandboxClient.from_config(ClientConfig(timeout=-3))


@pytest.mark.parametrize(
    "name",
    ["../escape.txt", "/etc/passwd", "a/../../b", "", "nul\x00byte", ".", "dir/", "a" * 5000],
)
def test_a_hostile_file_name_is_refused_locally(name: str) -> None:
    client = SandboxClient()
    with pytest.raises(InvalidRequestError) as raised:
        client.execute("print('never runs')", {name: b"x"})
    assert raised.value.code == "invalid_request"
    assert raised.value.status_code is None
    assert "input file" in str(raised.value) or "file name" in str(raised.value)


def test_a_hostile_file_name_is_refused_before_it_is_sent(server: Server) -> None:
    client = SandboxClient(server_url=server.url)
    with pytest.raises(InvalidRequestError) as raised:
        client.execute("print('never runs')", {"../escape.txt": b"x"})
    assert "`..`" in raised.value.message


def test_a_servers_refusal_keeps_its_status_code_and_message(keyed_server: Server) -> None:
    client = SandboxClient(server_url=keyed_server.url, api_key="right-key")
    with pytest.raises(InvalidRequestError) as raised:
        client.execute("print('never runs')", timeout=10)
    assert raised.value.status_code == 422
    assert raised.value.code == "invalid_request"
    assert "5" in raised.value.message
    assert "422" in str(raised.value)


@pytest.mark.parametrize(
    ("call", "named"),
    [
        ({"code": b"print(1)"}, "`code` must be a str, got bytes"),
        ({"code": "print(1)", "input_files": ["a.txt"]}, "`input_files` must be a dict"),
        ({"code": "print(1)", "input_files": {"a.txt": 5}}, "input file `a.txt` must be bytes"),
        ({"code": "print(1)", "input_files": {7: b""}}, "names must be str, got int"),
        ({"code": "print(1)", "timeout": -1}, "`timeout` is -1"),
        ({"code": "print(1)", "timeout": 10**7}, "timeout"),
        ({"code": "print(1)", "memory_mb": -1}, "`memory_mb` is -1"),
        ({"code": "print(1)", "mode": "turbo"}, "`mode` is `turbo`"),
    ],
)
def test_a_bad_call_argument_is_named(call: dict, named: str) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        SandboxClient().execute(**call)
    assert named in str(raised.value)


def test_an_unreachable_server_is_a_connection_error() -> None:
    # A port nobody listens on: bind one, note it, close it.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = SandboxClient(server_url=f"http://127.0.0.1:{port}", api_timeout=5)
    with pytest.raises(SandboxConnectionError) as raised:
        client.execute("print(1)")
    assert f"127.0.0.1:{port}" in str(raised.value)
    assert isinstance(raised.value, ConnectionError)
    assert isinstance(raised.value, SandboxException)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server that accepts and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_a_server_that_never_answers_is_a_timeout(silent_server: str) -> None:
    client = SandboxClient(server_url=silent_server, api_timeout=1)
    with pytest.raises(SandboxTimeoutError) as raised:
        client.execute("print(1)")
    assert "api_timeout" in str(raised.value)
    assert isinstance(raised.value, TimeoutError)


def test_a_wrong_api_key_is_an_authentication_error(keyed_server: Server) -> None:
    with pytest.raises(AuthenticationError) as raised:
        SandboxClient(server_url=keyed_server.url, api_key="wrong-key").execute("print(1)")
    assert raised.value.status_code == 401
    assert raised.value.code == "unauthorized"
    right = SandboxClient(server_url=keyed_server.url, api_key="right-key", timeout=5).execute(
        "print(3)"
    )
    assert right.stdout == "3\n"


def test_failing_code_is_a_result_not_an_exception() -> None:
    client = SandboxClient()
    result = client.execute("print('partial')\nraise SystemExit(3)")
    assert (result.success, result.status, result.return_code, result.stdout) == (
        False,
        "error",
        3,
        "partial\n",
    )
    slow = client.execute("while True: pass", timeout=0.5)
    assert slow.status == "timeout"
    assert slow.message


def test_a_malformed_dotenv_names_the_variable(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SANDBOX_TIMEOUT=soon\n")
    with pytest.raises(ConfigurationError) as raised:
        SandboxClient.from_env()
    assert "SANDBOX_TIMEOUT" in str(raised.value)
    assert "soon" in str(raised.value)


@pytest.mark.parametrize(
    "call",
    [
        {"code": "print('\udcff')"},
        {"code": "print(1)", "input_files": {"bad\udcffname.txt": b""}},
        {"code": "print(1)", "input_files": {"a.txt": "bad \udcff text"}},
    ],
)
def test_text_that_is_not_unicode_is_an_invalid_request(call: dict) -> None:
    with pytest.raises(InvalidRequestError, match="lone surrogate"):
        SandboxClient().execute(**call)


def test_limits_of_a_request_are_named() -> None:
    client = SandboxClient()
    with pytest.raises(InvalidRequestError, match="`code` is"):
        client.execute("x" * (40 * 1024 * 1024))
    with pytest.raises(InvalidRequestError, match="at most"):
        client.execute("print(1)", {f"f{i}.txt": b"" for i in range(5000)})


def test_input_files_past_the_limits_are_refused_before_they_are_copied() -> None:
    class Endless(dict):  # type: ignore[type-arg]
        """Claims a million files and yields them for ever."""

        def __len__(self) -> int:
            return 1_000_000

        def items(self):  # type: ignore[no-untyped-def]
            n = 0
            while True:
                n += 1
                yield f"f{n}.txt", b""

    with pytest.raises(InvalidRequestError, match="1000000 files given, at most 1000"):
        SandboxClient().execute("print(1)", Endless())
    with pytest.raises(InvalidRequestError, match="bytes given, at most"):
        SandboxClient().execute("print(1)", {f"f{i}": b"\0" * (100 << 20) for i in range(3)})
