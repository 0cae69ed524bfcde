"""Run untrusted Python in a sandbox the Linux kernel enforces, on this
machine or on a remote ``sandbox-server``, with the original
``sandbox_executor`` API.

>>> from sandbox_executor import SandboxClient
>>> client = SandboxClient()                   # local; server_url=... for remote
>>> result = client.execute("print(sum(range(10)))")
>>> result.stdout
'45\\n'

Main names:

- :class:`SandboxClient` (and :class:`AsyncSandboxClient`): run code,
  ``execute(code, input_files=None, ...)``.
- :class:`ClientConfig`, :class:`ExecutionMode`: settings, for
  ``SandboxClient.from_config``; ``SandboxClient.from_env()`` reads
  ``SANDBOX_*`` variables and ``.env``.
- :class:`ExecutionResult`: ``success``, ``status``, ``stdout``, ``stderr``,
  ``return_code``, ``duration``, ``output_files``, ``get_file_content(name)``.
- :class:`SandboxException` and its subclasses: a request that could not run.
- :mod:`sandbox_executor.tool`: the function-calling tool for agents.
"""

from . import tool
from ._native import __version__
from .client import AsyncSandboxClient, ExecutionResult, InputFiles, SandboxClient
from .config import ClientConfig, ExecutionMode
from .exceptions import (
    AuthenticationError,
    ConfigurationError,
    InterpreterError,
    InvalidRequestError,
    SandboxConnectionError,
    SandboxException,
    SandboxTimeoutError,
    ServerError,
    UnsupportedError,
)

__all__ = [
    "__version__",
    "SandboxClient",
    "AsyncSandboxClient",
    "ClientConfig",
    "ExecutionMode",
    "ExecutionResult",
    "InputFiles",
    "SandboxException",
    "ConfigurationError",
    "InvalidRequestError",
    "InterpreterError",
    "UnsupportedError",
    "ServerError",
    "AuthenticationError",
    "SandboxConnectionError",
    "SandboxTimeoutError",
    "tool",
]
