"""Generate the API's OpenAPI document from the functions' Powertools resolvers.

The functions are those with an `Api` event in template.yaml, imported as `<CodeUri>.<module>`
(e.g. `functions.lookup.app`) from the template's directory, which must be on `sys.path` (the
current directory under `python -m`). Each resolver's `get_openapi_schema()` describes its own
routes; Powertools' `OpenAPIMerge` makes them one document, as all functions sit behind one REST API.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pydantic.json_schema import models_json_schema

from admin_token.route_docs import (
    BEARER_SCHEME,
    GITHUB_KEY_SCHEME,
    GITHUB_SIGNATURE_SCHEME,
    PRIVATE_TOKEN_SCHEME,
    REVOCATION_SCHEME,
)
from admin_token_local.template import api_routes, function_handler, load_template
from admin_token_openapi.bodies import REQUEST_BODIES
from admin_token_openapi.routes import ROUTE_SCHEMAS, SCHEMAS

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from aws_lambda_powertools.event_handler.openapi.models import SecurityScheme

TITLE: Final = "Admin Token API"
DESCRIPTION: Final = (
    "Identify a leaked GitLab-style token and revoke it with the semantics of its type. "
    "Follows GitLab's token information API (`POST` / `DELETE /api/v4/admin/token`, GitLab 17.9+), and adds "
    "what incident response needs: a dry run, bulk revoke with a result per token, remembered revokes, and "
    "GitLab's audit events API over every revoke."
)


def resolvers(template_path: Path) -> list[APIGatewayRestResolver]:
    """The `app` resolver of every function template.yaml routes API requests to, in template order."""
    template = load_template(template_path)
    root = template_path.resolve().parent
    found = []
    for function_id in dict.fromkeys(route.function_id for route in api_routes(template)):
        code_dir, module, _ = function_handler(template, function_id)
        dotted = ".".join((*code_dir.resolve().relative_to(root).parts, module))
        app: APIGatewayRestResolver = importlib.import_module(dotted).app
        found.append(app)
    return found


def attach_schemas(app: APIGatewayRestResolver) -> None:
    """Give each documented route of `app` its responses and extensions from `ROUTE_SCHEMAS`.

    Powertools keeps a resolver's routes in `_static_routes` and `_dynamic_routes` (no public
    accessor) and reads `responses` / `openapi_extensions` off each when it generates a document."""
    for route in app._static_routes + app._dynamic_routes:
        if not route.include_in_schema:
            continue
        if route.operation_id not in ROUTE_SCHEMAS:
            raise LookupError(f"{route.method} {route.path}: no ROUTE_SCHEMAS entry for {route.operation_id!r}")
        documented = ROUTE_SCHEMAS[route.operation_id]
        route.responses, route.openapi_extensions = documented.responses, documented.extensions


def security_schemes() -> dict[str, SecurityScheme]:
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer

    return {
        PRIVATE_TOKEN_SCHEME: APIKey(
            name="PRIVATE-TOKEN",
            in_=APIKeyIn.header,
            description="One of the caller's own personal access tokens (header name case-insensitive).",
        ),
        BEARER_SCHEME: HTTPBearer(description="`Authorization: Bearer <personal access token>`, the same token."),
        REVOCATION_SCHEME: APIKey(
            name="Authorization",
            in_=APIKeyIn.header,
            description="The Token Revocation API's pre-shared token, bare as GitLab sends it (or `Bearer <token>`): "
            "the value of the stack's revocation token secret.",
        ),
        GITHUB_KEY_SCHEME: APIKey(
            name="Github-Public-Key-Identifier",
            in_=APIKeyIn.header,
            description="The `key_identifier` of the GitHub secret scanning key that signed the body.",
        ),
        GITHUB_SIGNATURE_SCHEME: APIKey(
            name="Github-Public-Key-Signature",
            in_=APIKeyIn.header,
            description="Base64 of the DER ECDSA (NIST P-256, SHA-256) signature of the raw body.",
        ),
    }


def function_document(app: APIGatewayRestResolver, version: str) -> dict[str, Any]:
    """One function's OpenAPI document, as its Powertools resolver generates it."""
    attach_schemas(app)
    schema = app.get_openapi_schema(
        title=TITLE, version=version, description=DESCRIPTION, security_schemes=security_schemes()
    )
    document: dict[str, Any] = json.loads(schema.model_dump_json(by_alias=True, exclude_none=True))
    for operations in document["paths"].values():
        for operation in operations.values():
            described = ROUTE_SCHEMAS[operation["operationId"]].path_parameters or {}
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in described:
                    parameter["description"] = described[parameter["name"]]["description"]
                    parameter["schema"].update(described[parameter["name"]])
    return document


def request_body_schemas() -> dict[str, Any]:
    """The request body models' JSON schemas (as the API reads them), named as the models are."""
    _, top = models_json_schema([(model, "validation") for model in REQUEST_BODIES], ref_template=SCHEMAS + "{model}")
    schemas: dict[str, Any] = top["$defs"]
    return schemas


def merged_document(apps: list[APIGatewayRestResolver], version: str) -> dict[str, Any]:
    """The functions' documents as one API (they sit behind one REST API), with Powertools' merge."""
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

    merge = OpenAPIMerge(
        title=TITLE,
        version=version,
        description=DESCRIPTION,
        security_schemes=security_schemes(),
        on_conflict="error",
    )
    for app in apps:
        merge.add_schema(function_document(app, version))
    merged: dict[str, Any] = json.loads(merge.get_openapi_json_schema())
    components: dict[str, Any] = merged["components"]["schemas"]
    for name, schema in request_body_schemas().items():
        if name in components:
            raise ValueError(f"two schemas named {name!r}: a request body's and a response's")
        components[name] = schema
    return _without_unused_components(merged)


def _without_unused_components(document: dict[str, Any]) -> dict[str, Any]:
    """Drop schemas nothing refers to: Powertools always adds its validation-error models, unused here."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    used: set[str] = set()
    pending = [document["paths"]]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith(SCHEMAS):
                name = reference.removeprefix(SCHEMAS)
                if name not in used:
                    used.add(name)
                    pending.append(schemas[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    document["components"]["schemas"] = {name: schema for name, schema in sorted(schemas.items()) if name in used}
    return document


def render(document: dict[str, Any]) -> str:
    """The text of `openapi.json`: stable key order, so a diff shows only real changes."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
