"""The exceptions the client raises.

Every failure to run a request raises a :class:`SandboxException` (or one of
its subclasses) carrying a stable ``code``, a human ``message`` and, for a
remote server's answers, the HTTP ``status_code``. Code that *ran* and
failed does not raise: its result says so (``result.success`` is false,
``result.status`` tells why, ``result.stderr`` holds the traceback).
"""

from __future__ import annotations

from typing import Optional

__all__ = [
    "SandboxException",
    "ConfigurationError",
    "InvalidRequestError",
    "InterpreterError",
    "UnsupportedError",
    "ServerError",
    "AuthenticationError",
    "SandboxConnectionError",
    "SandboxTimeoutError",
]


class SandboxException(Exception):
    """The sandbox could not run a request.

    Attributes:
        message: What went wrong, for a person.
        code: A stable code to branch on, e.g. ``"invalid_request"``,
            ``"unsupported"``, ``"rate_limited"`` (a remote server's own code).
        status_code: The HTTP status a remote server answered with, else
            ``None``.
        retry_after: Seconds a remote server asked the caller to wait
            (``Retry-After``), else ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "sandbox_error",
        status_code: Optional[int] = None,
        retry_after: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status_code = status_code
        self.retry_after = retry_after

    def __repr__(self) -> str:
        status = f", status_code={self.status_code}" if self.status_code is not None else ""
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}{status})"


class ConfigurationError(SandboxException, ValueError):
    """A client setting is invalid (a negative timeout, an unknown mode, a
    malformed ``SANDBOX_*`` variable or server URL)."""


class InvalidRequestError(SandboxException, ValueError):
    """The request itself is invalid (a hostile file name, a limit out of
    range, code too long); nothing ran. Raised alike locally and when a
    remote server refuses the request."""


class InterpreterError(SandboxException):
    """No usable Python interpreter was found to run the code."""


class UnsupportedError(SandboxException):
    """This machine cannot give what the request needs (for example secure
    mode where the kernel lacks a protection): the client refuses rather
    than run weaker. The message says what is missing and what to do."""


class ServerError(SandboxException):
    """A remote server answered with an error instead of a result (load,
    rate limits, an internal failure); ``status_code`` and ``code`` are the
    server's."""


class AuthenticationError(ServerError):
    """A remote server refused the API key (HTTP 401 or 403)."""


class SandboxConnectionError(SandboxException, ConnectionError):
    """A remote server could not be reached, or its answer not read."""


class SandboxTimeoutError(SandboxException, TimeoutError):
    """A remote server did not answer within ``api_timeout`` (the HTTP
    timeout, separate from the execution timeout: code that runs too long
    gives a result with ``status == "timeout"`` instead)."""
