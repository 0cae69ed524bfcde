# Stubs of the native half of the package (crates/sandbox-py/src); the
# public API is in the Python modules beside this file.
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

__version__: str
DEFAULTS: Dict[str, Any]

class ExecutionResult:
    """What one run did. Immutable."""

    @property
    def success(self) -> bool:
        """``True`` exactly when ``status`` is ``"ok"``."""
    @property
    def status(self) -> str:
        """``ok``, ``error``, ``timeout``, ``memory_limit``, ``output_limit``,
        ``policy_violation``, ``syntax_error`` or ``sandbox_error``."""
    @property
    def return_code(self) -> Optional[int]:
        """The exit code; minus the signal number when killed by a signal;
        ``None`` when the program never started."""
    @property
    def stdout(self) -> str:
        """What the program printed."""
    @property
    def stderr(self) -> str:
        """What the program wrote to standard error, tracebacks included."""
    @property
    def stdout_truncated(self) -> bool: ...
    @property
    def stderr_truncated(self) -> bool: ...
    @property
    def duration(self) -> float:
        """Wall-clock time of the run, in seconds."""
    @property
    def duration_ms(self) -> float:
        """Wall-clock time of the run, in milliseconds."""
    @property
    def output_files(self) -> Dict[str, bytes]:
        """Files the program created or changed: name to contents."""
    @property
    def output_files_truncated(self) -> bool: ...
    @property
    def violations(self) -> List[Dict[str, Any]]:
        """The policy's findings when ``status`` is ``policy_violation``."""
    @property
    def display(self) -> List[Dict[str, Any]]:
        """What the run showed as a notebook cell would (its last expression's
        value, ``display(obj)``, matplotlib figures): MIME type to
        representation, images as base64 text."""
    @property
    def usage(self) -> Dict[str, Any]:
        """Resources used."""
    @property
    def mode(self) -> str:
        """``"secure"`` or ``"simple"``."""
    @property
    def isolation(self) -> Optional[str]: ...
    @property
    def message(self) -> Optional[str]:
        """Why the run did not simply succeed or fail, else ``None``."""
    def get_file_content(self, name: str) -> Optional[bytes]:
        """The contents of output file ``name``, or ``None``."""
    def to_dict(self) -> Dict[str, Any]:
        """The result as the HTTP API's JSON object."""

class RunHandle:
    def cancel(self) -> None: ...
    def done(self) -> bool: ...

_Files = Optional[Mapping[str, Union[bytes, bytearray, str]]]

class Request:
    def __init__(
        self,
        code: str,
        input_files: _Files = ...,
        *,
        timeout: Optional[float] = ...,
        mode: Optional[str] = ...,
        allow_network: Optional[bool] = ...,
        memory_mb: Optional[int] = ...,
        filename: Optional[str] = ...,
    ) -> None: ...

class NativeClient:
    def __init__(
        self,
        *,
        from_env: bool = ...,
        server_url: Optional[str] = ...,
        mode: Optional[str] = ...,
        timeout: Optional[float] = ...,
        allow_network: Optional[bool] = ...,
        max_memory_mb: Optional[int] = ...,
        api_timeout: Optional[float] = ...,
        api_key: Optional[str] = ...,
        python: Optional[str] = ...,
        max_output_bytes: Optional[int] = ...,
        policy: Optional[str] = ...,
        pool_size: Optional[int] = ...,
    ) -> None: ...
    @property
    def is_remote(self) -> bool: ...
    def settings(self) -> Dict[str, Any]: ...
    def close(self) -> None: ...
    def execute(
        self,
        request: Request,
        on_stdout: Optional[Callable[[str], object]] = ...,
        on_stderr: Optional[Callable[[str], object]] = ...,
    ) -> ExecutionResult: ...
    def submit(
        self,
        done: Callable[[Optional[ExecutionResult], Optional[BaseException]], None],
        request: Request,
    ) -> RunHandle: ...

class NativeTool:
    def __init__(self, client: NativeClient, name: Optional[str] = ...) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def parameters(self) -> Dict[str, Any]: ...
    def to_json(self) -> Dict[str, Any]: ...
    def to_openai(self) -> Dict[str, Any]: ...
    def to_anthropic(self) -> Dict[str, Any]: ...
    def run(self, arguments: str) -> str: ...
