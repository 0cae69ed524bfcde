"""The package's surface: names, docstrings, results and settings."""

from __future__ import annotations

import inspect
import pydoc
import subprocess
import sys
from pathlib import Path

import sandbox_executor
from sandbox_executor import (
    ClientConfig,
    ExecutionMode,
    ExecutionResult,
    SandboxClient,
    SandboxException,
)

HERE = Path(__file__).resolve().parent


def test_every_public_name_has_a_docstring() -> None:
    for name in sandbox_executor.__all__:
        value = getattr(sandbox_executor, name)
        if isinstance(value, str) or name == "InputFiles":
            continue
        assert inspect.getdoc(value), f"{name} has no docstring"
        if inspect.isclass(value):
            for member, attribute in vars(value).items():
                if member.startswith("_") or not callable(attribute) and not isinstance(attribute, property):
                    continue
                assert inspect.getdoc(attribute), f"{name}.{member} has no docstring"
    assert inspect.getdoc(sandbox_executor.tool.PythonTool.run)


def test_help_teaches() -> None:
    text = pydoc.render_doc(SandboxClient, renderer=pydoc.plaintext)
    for expected in ["server_url", "execute(", "input_files", "from_env", "secure", "Raises"]:
        assert expected in text, expected


def test_version_is_the_crates() -> None:
    cargo = (HERE.parent / "Cargo.toml").read_text()
    workspace = (HERE.parents[2] / "Cargo.toml").read_text()
    assert "version.workspace = true" in cargo
    assert f'version = "{sandbox_executor.__version__}"' in workspace


def test_a_result_has_the_originals_attributes_and_the_contracts() -> None:
    result = SandboxClient().execute(
        "import json\nprint(open('in.json').read())\nopen('out.bin', 'wb').write(bytes(range(256)))",
        {"in.json": '{"a": 1}'},
    )
    assert isinstance(result, ExecutionResult)
    assert (result.success, result.status, result.return_code) == (True, "ok", 0)
    assert result.stdout == '{"a": 1}\n'
    assert result.stderr == ""
    assert 0 < result.duration < 30
    assert abs(result.duration * 1000 - result.duration_ms) < 1e-6
    assert result.output_files == {"out.bin": bytes(range(256))}
    assert result.get_file_content("out.bin") == bytes(range(256))
    assert result.get_file_content("missing") is None
    assert result.mode == "secure"
    assert result.isolation == "full"
    assert result.usage["peak_memory_kb"] > 0
    assert not result.stdout_truncated and not result.output_files_truncated
    as_dict = result.to_dict()
    assert as_dict["status"] == "ok"
    assert as_dict["output_files"]["out.bin"]  # base64, as the HTTP API sends it
    assert "status=\"ok\"" in repr(result)


def test_a_policy_violation_is_explained() -> None:
    result = SandboxClient().execute("import subprocess\nsubprocess.run(['ls'])")
    assert result.status == "policy_violation"
    assert result.return_code is None
    assert result.violations and result.violations[0]["line"] == 1
    assert "subprocess" in result.violations[0]["message"]


def test_simple_mode_and_per_call_overrides() -> None:
    client = SandboxClient(mode=ExecutionMode.SIMPLE, timeout=10)
    assert client.config.mode == "simple"
    assert client.execute("print(1)").mode == "simple"
    assert client.execute("print(1)", mode="secure").mode == "secure"
    slow = client.execute("import time; time.sleep(5)", timeout=0.3)
    assert slow.status == "timeout"
    named = client.execute("raise ValueError('x')", filename="job.py")
    assert 'File "job.py"' in named.stderr or "job.py" in named.stderr


def test_memory_limit_per_call() -> None:
    result = SandboxClient().execute("x = bytearray(400 * 1024 * 1024)", memory_mb=64)
    assert result.status == "memory_limit", result


def test_execution_mode_is_the_original_enum() -> None:
    assert ExecutionMode.SECURE.value == "secure"
    assert ExecutionMode("simple") is ExecutionMode.SIMPLE
    assert ExecutionMode.SECURE == "secure"


def test_config_round_trips() -> None:
    config = ClientConfig(mode="simple", timeout=12.5, max_memory_mb=200, allow_network=False)
    client = SandboxClient.from_config(config)
    seen = client.config
    assert (seen.mode, seen.timeout, seen.max_memory_mb) == ("simple", 12.5, 200)
    assert ClientConfig().timeout == 30 and ClientConfig().max_memory_mb == 128


def test_from_env_overrides_win(monkeypatch: object, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SANDBOX_TIMEOUT=9\n")
    client = SandboxClient.from_env(max_memory_mb=300, mode=ExecutionMode.SIMPLE)
    config = client.config
    assert (config.timeout, config.max_memory_mb, config.mode) == (9.0, 300, "simple")


def test_exceptions_are_one_family() -> None:
    for name in sandbox_executor.__all__:
        value = getattr(sandbox_executor, name)
        if inspect.isclass(value) and issubclass(value, Exception):
            assert issubclass(value, SandboxException)


def test_mypy_strict_accepts_typed_usage() -> None:
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(HERE / "typed_usage.py")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_mypy_catches_a_misuse(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.py"
    wrong.write_text(
        "from sandbox_executor import SandboxClient\n"
        "result = SandboxClient().execute(42)\n"
        "count: int = result.stdout\n"
    )
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(wrong)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 1, checked.stdout
    assert "wrong.py:2" in checked.stdout and "wrong.py:3" in checked.stdout


def test_mypy_strict_accepts_the_package_itself() -> None:
    """The package's source, as the wheel holds it (stubs included)."""
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-p", "sandbox_executor"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=HERE.parent / "python",
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
