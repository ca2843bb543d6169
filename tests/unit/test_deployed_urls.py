"""The URLs a user is told to configure are the URLs the stack serves.

The deployed side is read from the template as SAM transforms it (the REST API's definition, its
stage and the ApiUrl output, tests.support.cloudformation); the documented side from README.md and
docs/*.md: the route table, GitLab's settings and every `<ApiUrl>/...` they mention.
"""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import REPO_ROOT
from tests.support.cloudformation import deployed_template

DEPLOYED = deployed_template()
API_ID = "<api-id>"
REGION = "<region>"
README = REPO_ROOT / "README.md"
DOCUMENTS = [README, *sorted((REPO_ROOT / "docs").glob("*.md"))]
OPENAPI_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


def _substitute(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{([^}]+)\}", lambda match: values[match.group(1)], text)


def stage() -> str:
    [(_, resource)] = [(i, r) for i, r in DEPLOYED["Resources"].items() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert resource["Properties"]["RestApiId"] == {"Ref": "AdminTokenApi"}
    name = resource["Properties"]["StageName"]
    return DEPLOYED["__parameters__"][name["Ref"]] if isinstance(name, dict) else str(name)


def api_url() -> str:
    """The ApiUrl output as a deployed stack reports it, the API's id and region left as placeholders."""
    value = DEPLOYED["Outputs"]["ApiUrl"]["Value"]["Fn::Sub"]
    return _substitute(
        value,
        {
            "AdminTokenApi": API_ID,
            "AWS::Region": REGION,
            "AWS::URLSuffix": "amazonaws.com",
            **DEPLOYED["__parameters__"],
        },
    )


def deployed_routes() -> dict[str, set[str]]:
    """Invoke URL -> methods API Gateway sends to a function (ANY included as such)."""
    paths: dict[str, dict[str, Any]] = DEPLOYED["Resources"]["AdminTokenApi"]["Properties"]["Body"]["paths"]
    routes: dict[str, set[str]] = {}
    for path, operations in paths.items():
        methods = {"ANY" if key == "x-amazon-apigateway-any-method" else key.upper() for key in operations}
        routes[f"https://{API_ID}.execute-api.{REGION}.amazonaws.com/{stage()}{path}"] = methods
    return routes


def documented_paths(text: str) -> list[str]:
    """Every path a document appends to the stack's base URL: `<ApiUrl>/...`, or `#{API}/...` in
    GitLab's settings (API being ApiUrl)."""
    return re.findall(r"(?:<ApiUrl>|#\{API\})(/[^\s`\"|]*)", text)


def table_rows(text: str, heading: str) -> list[list[str]]:
    section = text.split(heading, 1)[1]
    rows = []
    for line in section.splitlines()[1:]:
        if line.startswith("#"):
            break
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def codes(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def test_api_url_is_the_base_of_every_route_and_the_stage_is_not_a_route_version() -> None:
    assert api_url() == f"https://{API_ID}.execute-api.{REGION}.amazonaws.com/{stage()}"
    # A stage named like the routes' own prefix (v1) would make GitLab's URL .../v1/v1/revoke_tokens.
    first_segments = {url.split(f"/{stage()}/", 1)[1].split("/")[0] for url in deployed_routes()}
    assert stage() not in first_segments
    assert all("/v1/v1/" not in url for url in deployed_routes())


def test_every_url_the_documents_tell_a_user_to_configure_is_a_deployed_route() -> None:
    found = 0
    for document in DOCUMENTS:
        for path in documented_paths(document.read_text(encoding="utf-8")):
            found += 1
            assert api_url() + path in deployed_routes(), f"{document.name}: <ApiUrl>{path} is not served"
    assert found >= 8


def test_the_documents_state_the_base_url_as_the_output_gives_it() -> None:
    stated = {
        url
        for document in DOCUMENTS
        for url in re.findall(r"https://<api-id>\.execute-api\.<region>\.amazonaws\.com[^\s`)]*", document.read_text())
    }
    assert stated == {api_url()}


def test_the_readme_route_table_is_every_route_with_its_methods() -> None:
    rows = table_rows(README.read_text(encoding="utf-8"), "| Caller | Method | URL |")
    documented: dict[str, set[str]] = {}
    for _, methods, url in rows:
        [path] = documented_paths(url)
        documented.setdefault(api_url() + path, set()).update(codes(methods))
    served = {url: methods - {"ANY"} for url, methods in deployed_routes().items()}
    assert documented == served


def test_the_contract_endpoints_table_is_every_route_with_its_methods() -> None:
    rows = table_rows((REPO_ROOT / "docs" / "contract.md").read_text(encoding="utf-8"), "## Endpoints")
    documented: dict[str, set[str]] = {}
    for method, paths, *_ in rows[1:]:  # the first row is the header
        for path in codes(paths):
            documented.setdefault(api_url() + path, set()).update(codes(method))
    served = {url: methods - {"ANY"} for url, methods in deployed_routes().items()}
    assert documented == served


def test_gitlab_is_told_the_urls_of_its_two_routes() -> None:
    readme = README.read_text(encoding="utf-8")
    settings = dict(re.findall(r'(secret_detection_\w+_url): "#\{API\}(/[^"]+)"', readme))
    assert settings == {
        "secret_detection_token_revocation_url": "/v1/revoke_tokens",
        "secret_detection_revocation_token_types_url": "/v1/revocable_token_types",
    }
    assert "with `API` the stack's `ApiUrl`" in " ".join(readme.split())
    routes = deployed_routes()
    assert "POST" in routes[api_url() + "/v1/revoke_tokens"]
    assert "GET" in routes[api_url() + "/v1/revocable_token_types"]


def test_the_documents_path_and_the_openapi_document_agree() -> None:
    import json

    openapi = json.loads((REPO_ROOT / "openapi.json").read_text(encoding="utf-8"))
    described = {
        api_url() + path: {method.upper() for method in operations if method in OPENAPI_METHODS}
        for path, operations in openapi["paths"].items()
    }
    # The console's page and files (and the document itself) are not API operations to describe.
    files = {api_url() + path for path in ("/", "/api/v4/admin/openapi.json", "/console", "/console/{asset}")}
    assert described == {url: methods - {"ANY"} for url, methods in deployed_routes().items() if url not in files}


def test_documents_are_read() -> None:
    # The extraction itself: a doubled stage or an unknown path would be reported.
    sample = "GitLab: `<ApiUrl>/v1/v1/revoke_tokens` and `#{API}/v1/revoke_tokens`"
    assert documented_paths(sample) == ["/v1/v1/revoke_tokens", "/v1/revoke_tokens"]
    assert api_url() + "/v1/v1/revoke_tokens" not in deployed_routes()
