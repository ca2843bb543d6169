"""The incident console as `serve` answers it: every answer's headers against the contract, an
HTML page with no inline script or style, and the URL `serve` prints (docs/console.md)."""

from __future__ import annotations

import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.e2e.conftest import ServeProcess, Server

pytestmark = pytest.mark.e2e

STATIC = Path(__file__).resolve().parents[2] / "functions" / "console" / "static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def fetch(server: Server, path: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(server.url + path, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def console_paths() -> list[tuple[str, int, str]]:
    """(path, status, media type) of every answer the console gives."""
    assets = [
        (f"/console/{path.name}", 200, TYPES[path.suffix]) for path in sorted(STATIC.iterdir()) if path.suffix in TYPES
    ]
    return [
        ("/console", 200, "text/html"),
        *assets,
        ("/console/missing.js", 404, "application/json"),
        ("/console/index.html", 404, "application/json"),
        ("/", 200, "application/json"),
        ("/api/v4/admin/openapi.json", 200, "application/json"),
    ]


@pytest.mark.parametrize(("path", "status", "media_type"), console_paths())
def test_every_console_answer_carries_the_contracts_headers(
    server: Server, path: str, status: int, media_type: str
) -> None:
    got, headers, _ = fetch(server, path)
    assert got == status
    assert headers["content-type"] == f"{media_type}; charset=utf-8"
    assert headers["content-security-policy"] == CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    assert "access-control-allow-origin" not in headers  # same origin as the API: no CORS at all
    assert "set-cookie" not in headers


class _Inline(HTMLParser):
    """What in a page would run or style without a file of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.scripts: list[str] = []
        self.open_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "style":
            self.found.append("<style>")
        if tag == "script":
            self.scripts.append(names.get("src") or "")
            self.open_script = True
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}=javascript:")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.open_script = False

    def handle_data(self, data: str) -> None:
        if self.open_script and data.strip():
            self.found.append("inline script")


def test_the_page_has_no_inline_script_or_style_and_loads_only_its_own_files(server: Server) -> None:
    _, _, body = fetch(server, "/console")
    parser = _Inline()
    parser.feed(body.decode("utf-8"))
    assert parser.found == []
    assert parser.scripts == ["console/app.js"]
    assert "http://" not in body.decode()
    assert "https://" not in body.decode()


def test_serve_prints_the_consoles_url(serve_process: ServeProcess) -> None:
    assert f"incident console: {serve_process.server.url}/console" in serve_process.stdout
