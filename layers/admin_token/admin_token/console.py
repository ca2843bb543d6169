"""What ConsoleFunction serves: the incident console's files, the API's OpenAPI document and the
root document that names the routes. Files only: nothing here reads a table or a credential.

The files are read once, when the function starts, from the directory packaged with it: a name
that is not one of them is a 404 (no path is ever built from a request), and every answer carries
the console's security headers (docs/console.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from aws_lambda_powertools.event_handler import Response

from admin_token.models.frozen import Frozen

CONSOLE_PATH: Final = "/console"
CONSOLE_ASSET_PATH: Final = "/console/<asset>"
OPENAPI_PATH: Final = "/api/v4/admin/openapi.json"
ROOT_PATH: Final = "/"

# Every answer: the page may load scripts, styles and API answers from its own origin only, and
# nothing may frame it, change its base URL or submit a form.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
SECURITY_HEADERS: Final[Mapping[str, str]] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The files change with each deployment; a stale script against a newer API helps nobody.
    "Cache-Control": "no-store",
}
CONTENT_TYPES: Final[Mapping[str, str]] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
    ".json": "application/json; charset=utf-8",
}
JSON_TYPE: Final = CONTENT_TYPES[".json"]
PAGE: Final = "index.html"
_ASSET_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\.(js|css|svg)")
# Written from the registry when the function starts, not kept as a file: the page's lists of
# prefixes, token types and entity types are the API's own.
TOKEN_TYPES_MODULE: Final = "token-types.js"


class StaticFile(Frozen, kw_only=False):
    body: str
    content_type: str


class ConsoleSite:
    """The console's page and assets (`<root>/static/`) and the API's OpenAPI document (`<root>/openapi.json`)."""

    def __init__(self, root: Path) -> None:
        static = root / "static"
        self.page = StaticFile((static / PAGE).read_text(encoding="utf-8"), CONTENT_TYPES[".html"])
        self.assets = {
            path.name: StaticFile(path.read_text(encoding="utf-8"), CONTENT_TYPES[path.suffix])
            for path in sorted(static.iterdir())
            if _ASSET_NAME.fullmatch(path.name)
        }
        self.assets[TOKEN_TYPES_MODULE] = StaticFile(token_types_module(), CONTENT_TYPES[".js"])
        self.openapi_file = StaticFile((root / "openapi.json").read_text(encoding="utf-8"), JSON_TYPE)
        self.openapi: dict[str, Any] = json.loads(self.openapi_file.body)

    def asset(self, name: str) -> Response[Any]:
        found = self.assets.get(name)
        if found is None:
            return not_found()
        return answer(200, found)

    def root_document(self, own_routes: Mapping[str, list[str]]) -> dict[str, Any]:
        """The API's routes (from its OpenAPI document, then this function's own) and its documents."""
        routes = [
            {"method": method.upper(), "path": path, "summary": operation.get("summary", "")}
            for path, operations in self.openapi.get("paths", {}).items()
            for method, operation in operations.items()
        ]
        own = {
            ROOT_PATH: "This document",
            OPENAPI_PATH: "The API's OpenAPI 3 document",
            CONSOLE_PATH: "The incident console (a web page)",
            CONSOLE_ASSET_PATH: "The incident console's scripts and stylesheet",
        }
        routes += [
            {"method": method, "path": _openapi_path(rule), "summary": own.get(rule, "")}
            for rule, methods in own_routes.items()
            for method in methods
        ]
        info = self.openapi.get("info", {})
        return {
            "name": info.get("title", ""),
            "version": info.get("version", ""),
            "documents": {"openapi": OPENAPI_PATH, "console": CONSOLE_PATH},
            "routes": routes,
        }


def token_types_module() -> str:
    """The page's module of what the API knows of tokens: the prefixes in matching order, the
    token types and the audit events' entity types, as the API spells them."""
    from admin_token.audit import ENTITY_CLASS_NAMES
    from admin_token.token_types import PREFIXES, REGISTRY

    lists = {
        "PREFIXES": list(PREFIXES),
        "TOKEN_TYPES": [token_type.name for token_type in REGISTRY],
        "ENTITY_TYPES": sorted(ENTITY_CLASS_NAMES),
    }
    lines = ["// Written by the console function from the API's token type registry.\n"]
    lines += [f"export const {name} = {json.dumps(values)};\n" for name, values in lists.items()]
    return "".join(lines)


def _openapi_path(rule: str) -> str:
    # Powertools writes a path parameter `<name>`, API Gateway and OpenAPI `{name}`.
    return re.sub(r"<(\w+)>", r"{\1}", rule)


def answer(status: int, file: StaticFile) -> Response[Any]:
    return Response(status_code=status, content_type=file.content_type, body=file.body, headers=dict(SECURITY_HEADERS))


def json_answer(document: Any) -> Response[Any]:
    text = json.dumps(document, indent=1) + "\n"
    return answer(200, StaticFile(text, JSON_TYPE))


def not_found() -> Response[Any]:
    return answer(404, StaticFile(json.dumps({"error": "404 Not Found"}), JSON_TYPE))
