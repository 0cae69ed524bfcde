"""The client: one API to run Python in the sandbox, on this machine or on a
remote ``sandbox-server``."""

from __future__ import annotations

import asyncio
import os
from typing import Any, Callable, Dict, Mapping, Optional, Union

from . import _native
from .config import ClientConfig, ExecutionMode

__all__ = ["SandboxClient", "AsyncSandboxClient", "ExecutionResult", "InputFiles"]

ExecutionResult = _native.ExecutionResult
"""What one run did (see :class:`sandbox_executor.ExecutionResult`)."""

InputFiles = Mapping[str, Union[bytes, bytearray, str]]
"""Files placed in the run's work dir: relative name to contents (``str`` is
written as UTF-8)."""

_Mode = Union[ExecutionMode, str, None]


def _mode(mode: _Mode) -> Optional[str]:
    return mode.value if isinstance(mode, ExecutionMode) else mode


def _path(value: Union[str, "os.PathLike[str]", None]) -> Optional[str]:
    return None if value is None else os.fspath(value)


class SandboxClient:
    """Runs Python code in the sandbox, locally or on a remote server.

    With no ``server_url`` code runs on this machine, by default in **secure**
    mode: fresh Linux namespaces, landlock, seccomp and cgroup limits, the
    kernel enforcing the boundary. With ``server_url`` each request goes to
    that ``sandbox-server`` over HTTP. Both give the same
    :class:`ExecutionResult` for the same request.

    Arguments left ``None`` take the defaults: ``timeout`` 30 s,
    ``max_memory_mb`` 128, no network, ``api_timeout`` 60 s, secure mode.

    >>> client = SandboxClient()
    >>> client.execute("print(6 * 7)").stdout
    '42\\n'

    A client is cheap to share between threads; calls release the GIL, so
    runs from several threads proceed in parallel, and ``Ctrl-C`` during a
    call cancels the run and kills its sandbox.

    Raises:
        ConfigurationError: a setting is out of range or malformed.
    """

    def __init__(
        self,
        server_url: Optional[str] = None,
        timeout: Optional[float] = None,
        api_key: Optional[str] = None,
        api_timeout: Optional[float] = None,
        mode: _Mode = None,
        allow_network: Optional[bool] = None,
        max_memory_mb: Optional[int] = None,
        *,
        python: Union[str, "os.PathLike[str]", None] = None,
        max_output_bytes: Optional[int] = None,
        policy: Optional[str] = None,
        pool_size: Optional[int] = None,
    ) -> None:
        self._native = _native.NativeClient(
            server_url=server_url,
            timeout=timeout,
            api_key=api_key,
            api_timeout=api_timeout,
            mode=_mode(mode),
            allow_network=allow_network,
            max_memory_mb=max_memory_mb,
            python=_path(python),
            max_output_bytes=max_output_bytes,
            policy=policy,
            pool_size=pool_size,
        )

    @classmethod
    def from_config(cls, config: ClientConfig) -> "SandboxClient":
        """A client with the settings of ``config``."""
        client = cls.__new__(cls)
        client._native = _native.NativeClient(**config._settings())
        return client

    @classmethod
    def from_env(cls, **overrides: Any) -> "SandboxClient":
        """A client configured from ``SANDBOX_*`` environment variables and a
        ``.env`` file in the current directory (the variables win), as the
        Rust client and the CLI read them: ``SANDBOX_SERVER_URL``,
        ``SANDBOX_MODE``, ``SANDBOX_TIMEOUT``, ``SANDBOX_ALLOW_NETWORK``,
        ``SANDBOX_MAX_MEMORY_MB``, ``SANDBOX_API_KEY``, ... Keyword
        ``overrides`` (the constructor's names) take precedence.

        Raises:
            ConfigurationError: a variable does not parse; the message names it.
        """
        if "mode" in overrides:
            overrides["mode"] = _mode(overrides["mode"])
        if "python" in overrides:
            overrides["python"] = _path(overrides["python"])
        client = cls.__new__(cls)
        client._native = _native.NativeClient(from_env=True, **overrides)
        return client

    @property
    def is_remote(self) -> bool:
        """Whether code runs on a remote server."""
        return bool(self._native.is_remote)

    @property
    def config(self) -> ClientConfig:
        """The settings in use (defaults and environment resolved)."""
        settings: Dict[str, Any] = self._native.settings()
        return ClientConfig(**settings)

    def execute(
        self,
        code: str,
        input_files: Optional[InputFiles] = None,
        *,
        timeout: Optional[float] = None,
        mode: _Mode = None,
        allow_network: Optional[bool] = None,
        memory_mb: Optional[int] = None,
        filename: Optional[str] = None,
        on_stdout: Optional[Callable[[str], object]] = None,
        on_stderr: Optional[Callable[[str], object]] = None,
    ) -> ExecutionResult:
        """Runs ``code`` and returns what it did.

        Args:
            code: The Python source to run.
            input_files: Files to place in the work dir before the code runs:
                relative name to ``bytes`` (or ``str``, written as UTF-8).
            timeout: Wall-clock limit of this run in seconds (the client's
                default when ``None``).
            mode: Isolation of this run (the client's default when ``None``).
            allow_network: Network access of this run.
            memory_mb: Memory limit of this run, in MiB.
            filename: The script's name in tracebacks (default ``main.py``).
            on_stdout: Called with each piece of stdout text as the program
                writes it (whole lines, or what follows the last line end
                after a short pause), on the calling thread, while it runs.
                The pieces, joined, are the result's ``stdout``. An exception
                it raises cancels the run and propagates.
            on_stderr: The same for stderr.

        Returns:
            The :class:`ExecutionResult`: ``success``, ``status``, ``stdout``,
            ``stderr``, ``return_code``, ``duration``, ``output_files`` and
            ``get_file_content(name)``. Code that fails, times out or breaks
            a limit gives a result, not an exception.

        Raises:
            InvalidRequestError: an argument is invalid (a hostile file name,
                a limit out of range); nothing ran.
            UnsupportedError: this machine cannot isolate the code as asked.
            ServerError: a remote server refused the request.
            SandboxConnectionError: a remote server cannot be reached.
            SandboxTimeoutError: a remote server did not answer in
                ``api_timeout``.
            KeyboardInterrupt: ``Ctrl-C`` cancelled the run (its sandbox is
                killed when this is raised; its processes end within moments).
        """
        request = _native.Request(
            code,
            input_files,
            timeout=timeout,
            mode=_mode(mode),
            allow_network=allow_network,
            memory_mb=memory_mb,
            filename=filename,
        )
        if on_stdout is None and on_stderr is None:
            return self._native.execute(request)
        return self._native.execute(request, on_stdout, on_stderr)

    async def aexecute(
        self,
        code: str,
        input_files: Optional[InputFiles] = None,
        *,
        timeout: Optional[float] = None,
        mode: _Mode = None,
        allow_network: Optional[bool] = None,
        memory_mb: Optional[int] = None,
        filename: Optional[str] = None,
    ) -> ExecutionResult:
        """:meth:`execute` for asyncio: awaits the run without blocking the
        event loop. Cancelling the awaiting task kills the run's sandbox."""
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[ExecutionResult]" = loop.create_future()

        def settle(result: Optional[ExecutionResult], error: Optional[BaseException]) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)  # type: ignore[arg-type]

        def done(result: Optional[ExecutionResult], error: Optional[BaseException]) -> None:
            try:
                loop.call_soon_threadsafe(settle, result, error)
            except RuntimeError:
                pass  # The loop closed while the run went on: nobody waits.

        request = _native.Request(
            code,
            input_files,
            timeout=timeout,
            mode=_mode(mode),
            allow_network=allow_network,
            memory_mb=memory_mb,
            filename=filename,
        )
        handle = self._native.submit(done, request)
        try:
            return await future
        except asyncio.CancelledError:
            handle.cancel()
            raise

    def close(self) -> None:
        """Ends the sandboxes this client keeps prepared (``pool_size``);
        later runs start them afresh. Nothing else needs closing."""
        self._native.close()

    def __enter__(self) -> "SandboxClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        settings = self._native.settings()
        where = settings["server_url"] or "local"
        return f"SandboxClient({where}, mode={settings['mode']!r})"


class AsyncSandboxClient:
    """:class:`SandboxClient` for asyncio: the same constructor, with
    ``await client.execute(...)``.

    >>> async def main() -> None:
    ...     client = AsyncSandboxClient()
    ...     result = await client.execute("print(1 + 1)")
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sync = SandboxClient(*args, **kwargs)
        """The blocking client underneath, sharing its settings."""

    @classmethod
    def from_config(cls, config: ClientConfig) -> "AsyncSandboxClient":
        """An async client with the settings of ``config``."""
        client = cls.__new__(cls)
        client.sync = SandboxClient.from_config(config)
        return client

    @classmethod
    def from_env(cls, **overrides: Any) -> "AsyncSandboxClient":
        """An async client from the environment and ``.env`` (see
        :meth:`SandboxClient.from_env`)."""
        client = cls.__new__(cls)
        client.sync = SandboxClient.from_env(**overrides)
        return client

    @property
    def is_remote(self) -> bool:
        """Whether code runs on a remote server."""
        return self.sync.is_remote

    @property
    def config(self) -> ClientConfig:
        """The settings in use."""
        return self.sync.config

    async def execute(
        self,
        code: str,
        input_files: Optional[InputFiles] = None,
        *,
        timeout: Optional[float] = None,
        mode: _Mode = None,
        allow_network: Optional[bool] = None,
        memory_mb: Optional[int] = None,
        filename: Optional[str] = None,
    ) -> ExecutionResult:
        """Runs ``code`` (see :meth:`SandboxClient.execute`); cancelling the
        awaiting task kills the run's sandbox."""
        return await self.sync.aexecute(
            code,
            input_files,
            timeout=timeout,
            mode=mode,
            allow_network=allow_network,
            memory_mb=memory_mb,
            filename=filename,
        )

    async def close(self) -> None:
        """Ends the sandboxes kept prepared (see :meth:`SandboxClient.close`)."""
        self.sync.close()

    async def __aenter__(self) -> "AsyncSandboxClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"Async{self.sync!r}"
