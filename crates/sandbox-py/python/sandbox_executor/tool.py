"""The sandbox as a function-calling tool for Python agents.

The same tool as the Rust ``sandbox_client::tool::PythonTool`` and the MCP
server's ``run_python``: one definition (name, description with the limits
the model must respect, JSON Schema of the arguments) in the shapes OpenAI
and Anthropic accept, and :meth:`PythonTool.run`, which takes the model's
arguments and answers in text the model reads (the output, or the error
with its traceback, cut to a sensible length). An agent loop is three
lines::

    tool = PythonTool()
    response = llm.chat(messages, tools=[tool.to_openai()])
    answer = tool.run(call.function.arguments)
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, Mapping, Optional, Union

from . import _native
from .client import SandboxClient

__all__ = ["PythonTool", "RUN_PYTHON"]

RUN_PYTHON = "run_python"
"""The tool's default name (the MCP tool's too)."""


class PythonTool:
    """Runs Python for a language model.

    Args:
        client: The client that runs the code (local or remote); a default
            local client in secure mode when ``None``.
        name: The tool's name as the model sees it (default
            ``"run_python"``); letters, digits, ``_`` and ``-``.

    Locally the interpreter is asked which modules it has, so the
    description names only allowed modules that can be imported.
    """

    def __init__(self, client: Optional[SandboxClient] = None, *, name: Optional[str] = None) -> None:
        self.client = client if client is not None else SandboxClient()
        self._native = _native.NativeTool(self.client._native, name)

    @property
    def name(self) -> str:
        """The tool's name."""
        return str(self._native.name)

    @property
    def description(self) -> str:
        """What the tool does and its limits, for the model."""
        return str(self._native.description)

    @property
    def parameters(self) -> Dict[str, Any]:
        """The JSON Schema of the arguments: ``code``, optional
        ``input_files`` and ``timeout``."""
        parameters: Dict[str, Any] = self._native.parameters
        return parameters

    def definition(self) -> Dict[str, Any]:
        """``{"name", "description", "parameters"}``: the plain function
        declaration (Gemini, LangChain's ``convert_to_openai_function``)."""
        definition: Dict[str, Any] = self._native.to_json()
        return definition

    def to_openai(self) -> Dict[str, Any]:
        """The entry of an OpenAI ``tools`` list
        (``{"type": "function", "function": {...}}``)."""
        definition: Dict[str, Any] = self._native.to_openai()
        return definition

    def to_anthropic(self) -> Dict[str, Any]:
        """The entry of an Anthropic ``tools`` list
        (``{"name", "description", "input_schema"}``)."""
        definition: Dict[str, Any] = self._native.to_anthropic()
        return definition

    def run(self, arguments: Union[str, Mapping[str, Any]]) -> str:
        """Runs one call and answers in text for the model.

        Args:
            arguments: The model's arguments: the JSON text of an object with
                ``code`` (and optional ``input_files``, ``timeout``), a dict
                of the same, or a bare JSON string taken as the code.

        Returns:
            The output, or what went wrong (traceback, limit hit, policy
            violation, invalid arguments) in words the model can act on.
            Never raises for the model's mistakes.
        """
        text = arguments if isinstance(arguments, str) else json.dumps(dict(arguments))
        return str(self._native.run(text))

    async def arun(self, arguments: Union[str, Mapping[str, Any]]) -> str:
        """:meth:`run` for asyncio (on a worker thread; the loop stays free)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.run, arguments)

    def __repr__(self) -> str:
        return f"PythonTool(name={self.name!r}, client={self.client!r})"
