"""Client configuration: the original's ``ClientConfig`` and
``ExecutionMode``."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Dict, Optional, Union

from . import _native

__all__ = ["ExecutionMode", "ClientConfig"]

_DEFAULTS: Dict[str, Any] = _native.DEFAULTS


class ExecutionMode(str, enum.Enum):
    """How code is isolated.

    ``SECURE`` (the default): fresh Linux namespaces, landlock, seccomp and
    cgroup limits, enforced by the kernel; a machine that lacks one of them
    makes the client refuse rather than run weaker. ``SIMPLE``: a plain child
    process with resource limits, for trusted code only.
    """

    SECURE = "secure"
    SIMPLE = "simple"

    def __str__(self) -> str:
        return self.value


@dataclass
class ClientConfig:
    """Settings for :class:`SandboxClient`; pass to
    :meth:`SandboxClient.from_config`.

    Attributes:
        server_url: Base URL of a ``sandbox-server`` (``http://`` or
            ``https://``); ``None`` runs code on this machine.
        mode: Default isolation, :class:`ExecutionMode` or its name.
        timeout: Default wall-clock limit of a run, in seconds.
        allow_network: Default network access of a run.
        max_memory_mb: Default memory limit of a run, in MiB.
        api_timeout: HTTP timeout of a remote call, in seconds (separate
            from the execution timeout).
        api_key: Bearer key for a remote server.
        python: The interpreter to run code with (path or name on PATH);
            discovered when ``None``.
        max_output_bytes: Cap on captured bytes per output stream; the
            engine's default when ``None``.
        policy: ``"default"``, ``"none"`` or the path of a policy file; by
            mode when ``None`` (the default policy in secure mode).
        pool_size: Secure sandboxes kept prepared ahead of requests (0
            prepares none); the engine's default when ``None``.
    """

    server_url: Optional[str] = None
    mode: Union[ExecutionMode, str] = ExecutionMode.SECURE
    timeout: float = _DEFAULTS["timeout"]
    allow_network: bool = False
    max_memory_mb: int = _DEFAULTS["max_memory_mb"]
    api_timeout: float = _DEFAULTS["api_timeout"]
    api_key: Optional[str] = None
    python: Optional[str] = None
    max_output_bytes: Optional[int] = None
    policy: Optional[str] = None
    pool_size: Optional[int] = None

    def _settings(self) -> Dict[str, Any]:
        settings = {
            "server_url": self.server_url,
            "mode": self.mode.value if isinstance(self.mode, ExecutionMode) else self.mode,
            "timeout": self.timeout,
            "allow_network": self.allow_network,
            "max_memory_mb": self.max_memory_mb,
            "api_timeout": self.api_timeout,
            "api_key": self.api_key,
            "python": self.python,
            "max_output_bytes": self.max_output_bytes,
            "policy": self.policy,
            "pool_size": self.pool_size,
        }
        return settings

    def __repr__(self) -> str:
        # The API key never reaches a log.
        key = "'***'" if self.api_key else "None"
        return (
            f"ClientConfig(server_url={self.server_url!r}, mode={str(self.mode)!r}, "
            f"timeout={self.timeout!r}, allow_network={self.allow_network!r}, "
            f"max_memory_mb={self.max_memory_mb!r}, api_timeout={self.api_timeout!r}, "
            f"api_key={key})"
        )
