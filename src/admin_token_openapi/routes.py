"""What each operation answers and reads, by operation id (`ROUTE_SCHEMAS`): a new route plugs in here.

Powertools documents each route as its decorator describes it (summary, tags, security, path
parameters); `document` then puts in each operation its responses, their models' schemas generated
here, and its extensions (the request body), through the generated document only. A request body
is not declared on the handler because Powertools documents one only from a `Body()` parameter,
which needs `enable_validation`. That stays off: nothing here parses a request or shapes a
response, so the order of checks and the error bodies (docs/contract.md "Order of checks") stay
the layer's alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Final, NamedTuple

from pydantic import BaseModel

from admin_token.audit import ENTITY_CLASS_NAMES
from admin_token.models.audit_queries import MAX_OFFSET_EVENTS
from admin_token.token_types import BY_NAME
from admin_token_openapi.bodies import (
    AuditEventNotFoundBody,
    AutoRevokeDisabledBody,
    BulkRevokeAnswerBody,
    BulkRevokeBody,
    ClosedAuditEvent,
    ConflictBody,
    DryRunBody,
    FeatureDisabledBody,
    FindingsBody,
    ForbiddenBody,
    GatewayErrorBody,
    GitHubAlertBody,
    GitHubAlertDisabledBody,
    GitHubAlertUnavailableBody,
    GitHubFeedback,
    InputErrorBody,
    MissingAuthenticationTokenBody,
    OneOf,
    RevocableTokenTypesBody,
    RevokeRefusedBody,
    ServiceUnavailableBody,
    TokenEntity,
    TokenFormBody,
    TokenNotFoundBody,
    TokenRequestBody,
    UnauthorizedBody,
    UnsupportedTokenTypeBody,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader

JSON: Final = "application/json"
FORM: Final = "application/x-www-form-urlencoded"
# Where a request body model's schema is: `document` adds it to the components.
SCHEMAS: Final = "#/components/schemas/"


def _body(model: Any, description: str, headers: dict[str, OpenAPIResponseHeader] | None = None) -> OpenAPIResponse:
    response: OpenAPIResponse = {"description": description, "content": {JSON: {"model": model}}}
    if headers:
        response["headers"] = headers
    return response


def request_body(description: str, content: dict[str, tuple[type[BaseModel], Any]]) -> dict[str, Any]:
    """A required request body: per media type, the model its schema is generated from, and an example."""
    return {
        "required": True,
        "description": description,
        "content": {
            media: {"schema": {"$ref": SCHEMAS + model.__name__}, "example": example}
            for media, (model, example) in content.items()
        },
    }


class RouteSchema(NamedTuple):
    """What `document` puts in one operation: its responses, and extensions merged into it."""

    responses: dict[int, OpenAPIResponse]
    extensions: dict[str, Any] | None = None
    # Path parameters Powertools documents bare (a handler's plain `str`): schema keywords added.
    path_parameters: dict[str, dict[str, Any]] | None = None


_RETRY_AFTER: Final[dict[str, OpenAPIResponseHeader]] = {
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}},
}
_TOKEN_TYPE: Final[dict[str, OpenAPIResponseHeader]] = {
    "X-Token-Type": {"description": "The type the token's prefix matched.", "schema": {"type": "string"}},
}
_REVOKE_HEADERS: Final[dict[str, OpenAPIResponseHeader]] = {
    **_TOKEN_TYPE,
    "X-Token-Action": {
        "description": "What the revoke did (or, for a dry run, would do).",
        "schema": {"type": "string", "enum": ["revoked", "reset", "deleted", "expired", "already_revoked"]},
    },
    "X-Audit-Event-Id": {"description": "The audit event of the change, when something changed.",
                         "schema": {"type": "string"}},
}  # fmt: skip
_REMEMBERED_HEADERS: Final[dict[str, OpenAPIResponseHeader]] = {
    **_TOKEN_TYPE,
    "X-Token-Revoked-At": {
        "description": "Set when an earlier revoke made this token unknown: when (ISO 8601).",
        "schema": {"type": "string"},
    },
    "X-Audit-Event-Id": {"description": "The earlier revoke's audit event.", "schema": {"type": "string"}},
}
_NO_CONTENT: Final[OpenAPIResponse] = {
    "description": "Revoked, or the revoke was already in effect.",
    "content": {},
    "headers": _REVOKE_HEADERS,
}

_SHARED_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    401: _body(
        UnauthorizedBody, "No credential, or one that is unknown, revoked, expired or not a personal access token."
    ),
    403: _body(
        ForbiddenBody,
        "The caller is not an active administrator, or its token lacks the `api` scope "
        "(or the `admin_mode` scope while the `admin_mode` setting is on).",
    ),
    413: _body(
        Annotated[InputErrorBody | GatewayErrorBody, OneOf],
        "The request body is larger than the service reads (64 KiB), or than API Gateway accepts (10 MB).",
    ),
    415: _body(InputErrorBody, "The body is neither `application/json` nor `application/x-www-form-urlencoded`."),
    422: _body(UnsupportedTokenTypeBody, "No token type matches the token's prefix (the empty string included)."),
    503: _body(
        ServiceUnavailableBody,
        "AppConfig cannot be read and no earlier copy is cached, or DynamoDB keeps failing.",
        headers=_RETRY_AFTER,
    ),
}


# --- The token API ----------------------------------------------------------------------------

LOOKUP_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    200: _body(TokenEntity, 'The token\'s entity, by type (docs/contract.md "Token types").', headers=_TOKEN_TYPE),
    400: _body(
        InputErrorBody,
        "`token` in the query string, missing from the body, not a string; or a body that is not "
        "valid JSON / UTF-8 / base64 / form data, or not a JSON object.",
    ),
    404: _body(
        TokenNotFoundBody,
        "The token's type matched, but no record holds it (an earlier revoke may have made it unknown: "
        "then `X-Token-Revoked-At` and `X-Audit-Event-Id` say when and which).",
        headers=_REMEMBERED_HEADERS,
    ),
    **_SHARED_RESPONSES,
}

REVOKE_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    200: _body(DryRunBody, "A dry run: what the revoke would do.", headers=_REVOKE_HEADERS),
    204: _NO_CONTENT,
    400: _body(
        Annotated[InputErrorBody | RevokeRefusedBody, OneOf],
        "A bad request, as for lookup (`error`); or the type's revoke is refused "
        "(`message.error`: `Unsupported token type`, `Unsupported personal access token type`, "
        "`Unsupported deploy token type`, or `Runner has too many project and group assignments to unregister "
        "in one transaction` for a runner with more than 97 assignments).",
    ),
    404: _body(
        Annotated[TokenNotFoundBody | FeatureDisabledBody, OneOf],
        "The `api_admin_token_revoke` flag is off for this caller (before the token is examined), "
        "or no record holds the token (headers as for lookup).",
        headers=_REMEMBERED_HEADERS,
    ),
    409: _body(ConflictBody, "The token kept changing during the revoke; retrying is safe."),
    **_SHARED_RESPONSES,
}

_TOKEN_EXAMPLE: Final = {"token": "glrt-t1_exampleRunnerToken"}  # matches no demo record: safe to fuzz with
TOKEN_REQUEST_BODY: Final = request_body(
    "The token to identify, as JSON or as a form. A body without `token` answers 400.",
    {JSON: (TokenRequestBody, _TOKEN_EXAMPLE), FORM: (TokenFormBody, _TOKEN_EXAMPLE)},
)

BULK_REVOKE_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    200: _body(BulkRevokeAnswerBody, "One result per element of `tokens`, in order, and a count of each outcome."),
    400: _body(
        InputErrorBody,
        "`tokens` in the query string, missing, not a list of 1 to 1000 elements; `dry_run` not a boolean; "
        "or a body that is not a JSON object.",
    ),
    404: _body(FeatureDisabledBody, "The `api_admin_token_revoke` flag is off for this caller."),
    **{status: response for status, response in _SHARED_RESPONSES.items() if status != 422},
    413: _body(
        Annotated[InputErrorBody | GatewayErrorBody, OneOf],
        "The request body is larger than 256 KiB (or than API Gateway's 10 MB).",
    ),
    415: _body(InputErrorBody, "The body is not `application/json`."),
}
BULK_REVOKE_REQUEST_BODY: Final = request_body(
    "The tokens to revoke (JSON only, at most 256 KiB).",
    {JSON: (BulkRevokeBody, {"tokens": ["glrt-t1_exampleRunnerToken", "glpat-exampleNotAToken0"], "dry_run": True})},
)


# --- The audit events API ---------------------------------------------------------------------

_AUDIT_CALLER_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    401: _SHARED_RESPONSES[401],
    403: _body(
        ForbiddenBody,
        "The caller is not an active administrator, or its token has neither the `api` nor the `read_api` scope "
        "(or lacks `admin_mode` while the `admin_mode` setting is on).",
    ),
    503: _SHARED_RESPONSES[503],
}

AUDIT_EVENTS_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    200: {
        "description": 'Events, newest first. More remain when a `Link` header with `rel="next"` is sent.',
        "content": {JSON: {"model": list[ClosedAuditEvent]}},
        "headers": {
            "Link": {
                "description": 'The next page, when more events remain: `<URL?cursor=...&per_page=N&...>; rel="next"`, '
                "an absolute URL with every other parameter kept.",
                "schema": {"type": "string"},
            },
            "X-Per-Page": {"description": "The page size used.", "schema": {"type": "integer"}},
            "X-Page": {"description": "With `page`: the page number.", "schema": {"type": "integer"}},
            "X-Next-Page": {
                "description": "With `page`: the next page number, empty on the last or past the depth page numbers "
                "reach.",
                "schema": {"type": "string"},
            },
            "X-Prev-Page": {
                "description": "With `page`: the previous page number, empty on page 1.",
                "schema": {"type": "string"},
            },
        },
    },
    400: _body(InputErrorBody, "A parameter with a bad value: `<name> is invalid`."),
    **_AUDIT_CALLER_RESPONSES,
}

AUDIT_EVENT_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    200: _body(ClosedAuditEvent, "The event."),
    400: _body(InputErrorBody, "`id is invalid`: the id is not a decimal integer."),
    401: _AUDIT_CALLER_RESPONSES[401],
    403: _body(
        Annotated[ForbiddenBody | MissingAuthenticationTokenBody, OneOf],
        "As for the list; or API Gateway's own answer for an id it does not route (one holding a `/`).",
    ),
    404: _body(AuditEventNotFoundBody, "No audit event has this id."),
    503: _AUDIT_CALLER_RESPONSES[503],
}


def _query_parameter(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


_ID_SCHEMA: Final = {"type": "integer", "minimum": 1}
AUDIT_EVENTS_PARAMETERS: Final[list[dict[str, Any]]] = [
    _query_parameter(
        "created_after",
        {"type": "string", "format": "date-time"},
        "Events at or after this time (ISO 8601; without an offset, UTC; a date alone is its midnight).",
    ),
    _query_parameter("created_before", {"type": "string", "format": "date-time"}, "Events at or before this time."),
    _query_parameter(
        "entity_type", {"type": "string", "enum": sorted(ENTITY_CLASS_NAMES)}, "GitLab class of what changed."
    ),
    _query_parameter("entity_id", _ID_SCHEMA, "Id of what changed (with `entity_type`, one record's events)."),
    _query_parameter(
        "author_id",
        {"type": "integer"},
        "Events by this administrator; a negative id is an author with no user record (`-1`: GitLab Security Bot).",
    ),
    _query_parameter("token_type", {"type": "string", "enum": sorted(BY_NAME)}, "Events of this token type."),
    _query_parameter(
        "per_page",
        {"type": "integer", "minimum": 1, "default": 20},
        "Events per page, 20 by default; above 100 is treated as 100.",
    ),
    _query_parameter(
        "cursor",
        {"type": "string"},
        "Where the next page starts: copied from the `Link` header, never built by hand.",
    ),
    _query_parameter(
        "page",
        {"type": "integer", "minimum": 1, "maximum": MAX_OFFSET_EVENTS},
        f"Offset pagination, GitLab's default: page N of `per_page` events, while page * per_page <= "
        f"{MAX_OFFSET_EVENTS}; deeper is `400` (follow `Link`, which goes on by cursor). Not with `cursor`.",
    ),
]
# The handler takes `id` as a plain `str` (a Powertools `Path()` would import pydantic).
AUDIT_EVENT_ID: Final[dict[str, Any]] = {
    "description": "The event id (a decimal integer); anything else answers 400.",
    "pattern": "^[0-9]+$",
}


# --- GitLab's Token Revocation API --------------------------------------------------------------

_REVOCATION_CALLER: Final[dict[int, OpenAPIResponse]] = {
    401: _body(UnauthorizedBody, "No pre-shared token in `Authorization`, or the wrong one."),
    503: _body(
        ServiceUnavailableBody,
        "The pre-shared token or the flags cannot be read; or (`POST`) not every finding could be queued: send "
        "them all again (a token queued twice is revoked once).",
        headers=_RETRY_AFTER,
    ),
}
REVOCABLE_TYPES_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    200: _body(RevocableTokenTypesBody, "The identifiers to send findings of (whatever the kill-switch flag says)."),
    **_REVOCATION_CALLER,
}
REVOKE_FINDINGS_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    204: {"description": "Every finding is durably queued for revocation.", "content": {}},
    400: _body(
        InputErrorBody,
        "Not a JSON array; an element not an object; a `token` not a non-empty string; a `type` not in "
        "`GET /v1/revocable_token_types`'s list. Nothing is queued.",
    ),
    404: _body(AutoRevokeDisabledBody, "The `secret_detection_auto_revoke` flag is off."),
    413: _body(
        Annotated[InputErrorBody | GatewayErrorBody, OneOf],
        "More than 10,000 findings, or a body over 6,291,456 bytes.",
    ),
    **_REVOCATION_CALLER,
}
_FINDING_EXAMPLE: Final = [
    {
        "type": "gitleaks_rule_id_gitlab_runner_auth_token",
        "token": "glrt-t1_exampleRunnerToken",  # matches no demo record: safe to fuzz with
        "location": "https://gitlab.example.com/group/project/-/blob/abc123/.env#L2",
        "vulnerability": {"name": "GitLab runner authentication token"},
    }
]
FINDINGS_REQUEST_BODY: Final = request_body(
    "Secret detection's findings, as GitLab's `Security::TokenRevocationService` sends them. "
    "Keys other than `type`, `token` and `location` are ignored.",
    {JSON: (FindingsBody, _FINDING_EXAMPLE)},
)


# --- GitHub's secret scanning partner alerts ----------------------------------------------------

GITHUB_ALERT_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    200: _body(list[GitHubFeedback], "One element per distinct token, in the order first seen."),
    400: _body(
        InputErrorBody,
        "Signed, but not a JSON array; an element not an object; a `token` not a non-empty string; a `type`, `url` "
        "or `source` not a string; a key repeated. Nothing is queued.",
    ),
    401: _body(
        UnauthorizedBody,
        "A signature header missing or repeated, an identifier GitHub does not publish, or a signature that is not "
        "the named key's strict-DER ECDSA signature of the exact body.",
    ),
    404: _body(GitHubAlertDisabledBody, "The `github_secret_scanning_auto_revoke` flag is off (after the signature)."),
    413: _body(
        Annotated[InputErrorBody | GatewayErrorBody, OneOf],
        "A body over 6,291,456 bytes (before the signature is checked), or more than 10,000 matches (after).",
    ),
    503: _body(
        GitHubAlertUnavailableBody,
        "GitHub's key document cannot be fetched and none is held, or the flags, the tables or the queue failed. "
        "Nothing is lost: GitHub delivers the alert again.",
        headers=_RETRY_AFTER,
    ),
}
# GitHub's documented sample request (the secret scanning partner program page).
_GITHUB_ALERT_EXAMPLE: Final = [
    {
        "source": "commit",
        "token": "some_token",
        "type": "some_type",
        "url": "https://example.com/base-repo-url/",
    }
]
GITHUB_ALERT_REQUEST_BODY: Final = request_body(
    "GitHub's matches, signed over these exact bytes. Keys other than `token`, `type`, `url` and `source` are ignored.",
    {JSON: (GitHubAlertBody, _GITHUB_ALERT_EXAMPLE)},
)


# --- By operation id ----------------------------------------------------------------------------

ROUTE_SCHEMAS: Final[dict[str, RouteSchema]] = {
    "lookupToken": RouteSchema(LOOKUP_RESPONSES, {"requestBody": TOKEN_REQUEST_BODY}),
    "revokeToken": RouteSchema(REVOKE_RESPONSES, {"requestBody": TOKEN_REQUEST_BODY}),
    "bulkRevokeTokens": RouteSchema(BULK_REVOKE_RESPONSES, {"requestBody": BULK_REVOKE_REQUEST_BODY}),
    "revocableTokenTypes": RouteSchema(REVOCABLE_TYPES_RESPONSES),
    "revokeFindings": RouteSchema(REVOKE_FINDINGS_RESPONSES, {"requestBody": FINDINGS_REQUEST_BODY}),
    "githubSecretScanningAlert": RouteSchema(GITHUB_ALERT_RESPONSES, {"requestBody": GITHUB_ALERT_REQUEST_BODY}),
    "listAuditEvents": RouteSchema(AUDIT_EVENTS_RESPONSES, {"parameters": AUDIT_EVENTS_PARAMETERS}),
    "getAuditEvent": RouteSchema(AUDIT_EVENT_RESPONSES, path_parameters={"id": AUDIT_EVENT_ID}),
}
