"""Rich results: ``result.display`` holds what the run showed as a notebook
cell would (its last expression's value, ``display(obj)``), locally and from
a server, and ``to_dict()`` carries it as the HTTP API does."""

from __future__ import annotations

import base64

from conftest import Server
from sandbox_executor import SandboxClient

CODE = """
class Page:
    def _repr_html_(self):
        return '<h1>hi</h1>'
    def _repr_png_(self):
        return b'\\x89PNG\\r\\n\\x1a\\n'
display(Page())
rows = [1, 2, 3]
sum(rows)
"""


def test_the_last_value_and_displays_come_back(server: Server) -> None:
    for name, client in (("local", SandboxClient()), ("remote", SandboxClient(server_url=server.url))):
        result = client.execute(CODE)
        assert result.status == "ok", (name, result.stderr)
        shown = result.display
        assert [bundle["text/plain"] for bundle in shown][1] == "6", name
        assert shown[0]["text/html"] == "<h1>hi</h1>"
        assert base64.b64decode(shown[0]["image/png"]) == b"\x89PNG\r\n\x1a\n"
        assert result.to_dict()["display"] == shown
        assert result.stdout == ""


def test_nothing_is_shown_for_a_statement_or_none() -> None:
    client = SandboxClient()
    assert client.execute("x = 1\n").display == []
    assert client.execute("print('a')\n").display == []
    assert client.execute("1 + 1;\n").display == []
