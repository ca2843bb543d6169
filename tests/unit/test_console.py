"""ConsoleFunction: the files it serves, the headers on every answer, the root document, its role,
and the page's scripts kept to text-only DOM writes and in-memory state (docs/console.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from admin_token.audit import ENTITY_CLASS_NAMES
from admin_token.console import CONTENT_SECURITY_POLICY
from admin_token.token_types import PREFIXES, REGISTRY
from admin_token_local.lambda_runtime import FakeLambdaContext
from admin_token_local.template import api_routes
from functions.console.app import lambda_handler
from tests.conftest import REPO_ROOT, TEMPLATE
from tests.support.events import proxy_event

STATIC = REPO_ROOT / "functions" / "console" / "static"
SCRIPTS = sorted(STATIC.glob("*.js"))
CONSOLE_ROUTES = {("GET", "/"), ("GET", "/api/v4/admin/openapi.json"), ("GET", "/console"), ("GET", "/console/{asset}")}


def get(path: str) -> dict[str, Any]:
    event = proxy_event("GET")
    event["path"] = path
    event["resource"] = path
    context: Any = FakeLambdaContext("ConsoleFunction", 256, 10)
    result: dict[str, Any] = lambda_handler(event, context)
    return result


def headers_of(result: dict[str, Any]) -> dict[str, str]:
    headers = {name.lower(): value for name, value in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = ", ".join(values)
    return headers


def js_array(module: str, name: str) -> list[str]:
    match = re.search(rf"export const {name} = \[(.*?)\];", module, re.DOTALL)
    assert match, f"the module has no {name}"
    return re.findall(r'"([^"]*)"', match.group(1))


def test_the_page_reads_the_registrys_prefixes_types_and_entity_classes_from_the_function() -> None:
    served = get("/console/token-types.js")
    assert served["statusCode"] == 200
    assert headers_of(served)["content-type"] == "text/javascript; charset=utf-8"
    module = served["body"]
    assert js_array(module, "PREFIXES") == list(PREFIXES)
    assert js_array(module, "TOKEN_TYPES") == [token_type.name for token_type in REGISTRY]
    assert sorted(js_array(module, "ENTITY_TYPES")) == sorted(ENTITY_CLASS_NAMES)
    # One place: no file of the page keeps a list of its own.
    for script in SCRIPTS:
        text = script.read_text(encoding="utf-8")
        assert not re.search(r"export const (PREFIXES|TOKEN_TYPES|ENTITY_TYPES) =", text), script.name
        assert '"glpat-"' not in text, script.name


def test_the_console_function_holds_no_permission_and_serves_only_its_get_routes() -> None:
    properties = TEMPLATE["Resources"]["ConsoleFunction"]["Properties"]
    # No data permission: SAM's basic execution role (logs) and tracing, and the stack's KMS key
    # only when one is given (the function's environment is encrypted with it).
    assert properties["Policies"] == [
        {"Fn::If": ["UseCustomerManagedKey", {"Ref": "UseCustomerManagedKeyPolicy"}, {"Ref": "AWS::NoValue"}]}
    ]
    assert "Role" not in properties
    assert properties["CodeUri"] == "functions/console/"
    routes = {(route.method, route.path) for route in api_routes(TEMPLATE) if route.function_id == "ConsoleFunction"}
    assert routes == CONSOLE_ROUTES


@pytest.mark.parametrize("name", [path.name for path in sorted(STATIC.iterdir()) if path.name != "index.html"])
def test_every_asset_is_served_as_written_with_the_consoles_headers(name: str) -> None:
    result = get(f"/console/{name}")
    assert result["statusCode"] == 200
    assert result["body"] == (STATIC / name).read_text(encoding="utf-8")
    headers = headers_of(result)
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-type"].endswith("; charset=utf-8")


@pytest.mark.parametrize(
    "name", ["index.html", "missing.js", "..", "%2e%2e%2fapp.py", "app.py", "openapi.json", "APP.JS"]
)
def test_anything_else_under_console_is_404_with_the_same_headers(name: str) -> None:
    result = get(f"/console/{name}")
    assert result["statusCode"] == 404
    assert headers_of(result)["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_the_root_document_names_every_route_of_the_template_and_the_documents() -> None:
    result = get("/")
    assert result["statusCode"] == 200
    document = json.loads(result["body"])
    assert document["documents"] == {"openapi": "/api/v4/admin/openapi.json", "console": "/console"}
    named = {(route["method"], route["path"]) for route in document["routes"]}
    deployed = {(route.method, route.path) for route in api_routes(TEMPLATE) if route.method != "ANY"}
    assert named == deployed
    assert all(route["summary"] for route in document["routes"])


def test_the_openapi_document_is_the_repositorys_as_generated() -> None:
    result = get("/api/v4/admin/openapi.json")
    assert result["statusCode"] == 200
    assert result["body"] == (REPO_ROOT / "openapi.json").read_text(encoding="utf-8")
    assert headers_of(result)["content-type"] == "application/json; charset=utf-8"


# What would parse text as HTML, run a string as code, style an element inline, or keep or print
# something beyond the page's memory (the token lives there only).
FORBIDDEN = re.compile(
    r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\(\s*[\"']style"
    r"|\.style\b|localStorage|sessionStorage|indexedDB|document\.cookie|\bconsole\.(log|info|warn|error|debug|trace|dir|table)\b|history\.(push|replace)State"
    r"|location\.(hash|search|href)\s*="
)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_the_scripts_insert_text_only_and_keep_nothing_beyond_memory(script: Path) -> None:
    text = script.read_text(encoding="utf-8")
    assert [match.group(0) for match in FORBIDDEN.finditer(text)] == []
    # Requests only to this origin, by relative URL.
    assert re.findall(r"https?://", text.replace("http://www.w3.org/2000/svg", "")) == []
