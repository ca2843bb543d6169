"""Generate the API's OpenAPI document from the functions' Powertools resolvers.

The functions are those with an `Api` event in template.yaml, imported as `<CodeUri>.<module>`
(e.g. `functions.lookup.app`) from the template's directory, which must be on `sys.path` (the
current directory under `python -m`). Each resolver's `get_openapi_schema()` describes its own
routes; Powertools' `OpenAPIMerge` makes them one document, as all functions sit behind one REST API.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple

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
    """One function's OpenAPI document: its routes as its Powertools resolver documents them, each
    given its responses and request body from `ROUTE_SCHEMAS` by operation id."""
    schema = app.get_openapi_schema(
        title=TITLE, version=version, description=DESCRIPTION, security_schemes=security_schemes()
    )
    document: dict[str, Any] = json.loads(schema.model_dump_json(by_alias=True, exclude_none=True))
    for operations in document["paths"].values():
        for method, generated in list(operations.items()):
            if generated["operationId"] not in ROUTE_SCHEMAS:
                raise LookupError(f"no ROUTE_SCHEMAS entry for {generated['operationId']!r}")
            documented = ROUTE_SCHEMAS[generated["operationId"]]
            # In Powertools' order: the extensions (a request body) come just before the responses.
            operation: dict[str, Any] = {}
            for key, value in generated.items():
                if key == "responses":
                    operation.update(documented.extensions or {})
                    value = response_objects(documented.responses)
                operation[key] = value
            operations[method] = operation
            described = documented.path_parameters or {}
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in described:
                    parameter["description"] = described[parameter["name"]]["description"]
                    parameter["schema"].update(described[parameter["name"]])
    return document


def response_objects(responses: Mapping[int, Any]) -> dict[str, Any]:
    """OpenAPI response objects: each body's model given as a schema that refers to the components."""
    objects: dict[str, Any] = {}
    for status, response in responses.items():
        answer = {key: value for key, value in response.items() if key != "content"}
        if "content" in response:
            answer["content"] = {
                media: {"schema": response_schemas().by_model[id(body["model"])]}
                for media, body in response["content"].items()
            }
        objects[str(status)] = answer
    return objects


class ResponseSchemas(NamedTuple):
    components: dict[str, Any]  # by name, what the schemas below refer to
    by_model: dict[int, Any]  # each response body model's schema, by the model's id


@cache
def response_schemas() -> ResponseSchemas:
    """Every response body model's schema and the components they refer to, generated together
    so that a model has one name wherever it is used."""
    from pydantic import TypeAdapter

    bodies: list[Mapping[str, Any]] = [
        body
        for route in ROUTE_SCHEMAS.values()
        for response in route.responses.values()
        for body in response.get("content", {}).values()
    ]
    models = {id(body["model"]): body["model"] for body in bodies}
    mode: Literal["serialization"] = "serialization"  # what the API sends
    inputs = [(key, mode, TypeAdapter(model)) for key, model in models.items()]
    by_input, top = TypeAdapter.json_schemas(inputs, ref_template=SCHEMAS + "{model}")
    # As the rest of the document (Powertools' model dumped without None): no `"default": null`.
    return ResponseSchemas(
        _without_none(top.get("$defs", {})), {key: _without_none(schema) for (key, _), schema in by_input.items()}
    )


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_none(inner) for key, inner in value.items() if inner is not None}
    if isinstance(value, list):
        return [_without_none(inner) for inner in value]
    return value


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
    components.update(response_schemas().components)
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
