"""The HTTP contract (spec §1-§3) as OpenAPI, for `scripts/openapi.py` and the drift test.

Documentation only, and never imported by a function: the pydantic models below would cost every
cold start their import and class building (docs/performance.md). The routes' decorators carry
their summary, tag and security (`admin_token.route_docs`, plain strings); `function_document`
attaches the responses and request bodies below by operation id (`ROUTE_SCHEMAS`) before
Powertools generates the document. Powertools' `enable_validation` stays off: nothing here parses
a request or shapes a response, so the order of checks and the error bodies of spec §3 stay
`api.py`'s alone. That is why a request body is declared as an OpenAPI extension (Powertools
documents a body only from a `Body()` parameter of the handler, which needs validation on).

Response bodies are closed (`additionalProperties: false`): a field that is not in the contract
fails schemathesis' `response_schema_conformance`, so nothing leaks into a response unnoticed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from admin_token.audit import ENTITY_CLASS_NAMES
from admin_token.models.audit_events import AuditEventEntity
from admin_token.models.audit_queries import MAX_OFFSET_EVENTS
from admin_token.models.entities import (
    CiJobTokenEntity,
    ClusterAgentTokenEntity,
    DeployTokenEntity,
    FeatureFlagsClientEntity,
    OAuthApplicationEntity,
    PersonalAccessTokenEntity,
    PipelineTriggerEntity,
    RunnerEntity,
    UserEntity,
)
from admin_token.route_docs import (
    BEARER_SCHEME,
    GITHUB_KEY_SCHEME,
    GITHUB_SIGNATURE_SCHEME,
    PRIVATE_TOKEN_SCHEME,
    REVOCATION_SCHEME,
)
from admin_token.token_types import BY_NAME

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from aws_lambda_powertools.event_handler.openapi.models import SecurityScheme
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader
    from pydantic import GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema

TITLE: Final = "Admin Token API"
DESCRIPTION: Final = (
    "Identify a leaked GitLab-style token and revoke it with the semantics of its type. "
    "Follows GitLab's token information API (`POST` / `DELETE /api/v4/admin/token`, GitLab 17.9+), and adds "
    "what incident response needs: a dry run, bulk revoke with a result per token, remembered revokes, and "
    "GitLab's audit events API over every revoke."
)

_JSON: Final = "application/json"
_FORM: Final = "application/x-www-form-urlencoded"


# --- Schema hooks ---------------------------------------------------------------------------


def _close(schema: JsonSchemaValue, handler: GetJsonSchemaHandler, seen: set[str]) -> None:
    """`additionalProperties: false` on an object schema and every object schema it refers to."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen.add(schema["$ref"])
        schema = handler.resolve_ref_schema(schema)
    if "properties" in schema:
        schema["additionalProperties"] = False
    for value in schema.values():
        children = value.values() if isinstance(value, Mapping) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, dict):
                _close(child, handler, seen)


@dataclass(frozen=True)
class _Answers:
    """Marks an entity with the token types whose lookup answers it, and closes its schema."""

    token_types: tuple[str, ...]

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        reference = handler(core_schema)
        schema = handler.resolve_ref_schema(reference)
        schema["description"] = "The lookup answer for: " + ", ".join(f"`{name}`" for name in self.token_types) + "."
        schema["x-token-types"] = list(self.token_types)
        _close(reference, handler, set())
        return reference


class _OneOf:
    """A union whose alternatives exclude each other: `oneOf`, not pydantic's `anyOf`."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        if "anyOf" in schema:
            schema["oneOf"] = schema.pop("anyOf")
        return schema


# --- Response bodies ------------------------------------------------------------------------

# Spec §4, in the registry's matching order. Feed, session and incoming email tokens all answer
# their owning user: eleven token types, nine distinct entities. Each entity's field set is its
# own, so with closed schemas a body matches exactly one alternative.
TokenEntity = Annotated[
    Annotated[DeployTokenEntity, _Answers(("deploy_token",))]
    | Annotated[UserEntity, _Answers(("feed_token", "gitlab_session", "incoming_email_token"))]
    | Annotated[PersonalAccessTokenEntity, _Answers(("personal_access_token",))]
    | Annotated[OAuthApplicationEntity, _Answers(("oauth_application_secret",))]
    | Annotated[ClusterAgentTokenEntity, _Answers(("cluster_agent_token",))]
    | Annotated[RunnerEntity, _Answers(("runner_authentication_token",))]
    | Annotated[PipelineTriggerEntity, _Answers(("pipeline_trigger_token",))]
    | Annotated[CiJobTokenEntity, _Answers(("ci_job_token",))]
    | Annotated[FeatureFlagsClientEntity, _Answers(("feature_flags_client_token",))],
    _OneOf,
]


class _Body(BaseModel):
    # Built only when a schema is asked for: these classes cost nothing at a cold start.
    model_config = ConfigDict(extra="forbid", defer_build=True)


class InputError(_Body):
    """What is wrong with the request (spec §3 steps 2 and 4, and malformed, oversized or mistyped bodies)."""

    error: str


class Unauthorized(_Body):
    """No usable credential (spec §2)."""

    message: Literal["401 Unauthorized"]


class Forbidden(_Body):
    """The caller may not use this API (spec §2)."""

    message: Literal["403 Forbidden"]


class NotFoundDetail(_Body):
    error: Literal["Not found"]


class TokenNotFound(_Body):
    """The type matched, but no record holds this token (spec §3 step 6)."""

    message: NotFoundDetail


class FeatureDisabled(_Body):
    """The `api_admin_token_revoke` flag is off for this caller (spec §3 step 3)."""

    message: Annotated[str, Field(pattern=r"^'[a-z_]+' feature flag is disabled$")]


class UnsupportedTokenType(_Body):
    """No token type matches the prefix (spec §3 step 5)."""

    message: Literal["Token type not supported."]


class RevokeRefusedDetail(_Body):
    error: str


class RevokeRefused(_Body):
    """The token's type does not allow this revoke (spec §5): GitLab's reason."""

    message: RevokeRefusedDetail


class Conflict(_Body):
    """The token changed under the revoke more often than it re-plans: retry."""

    message: str


class ServiceUnavailable(_Body):
    """AppConfig unreadable with nothing cached (spec §3), or DynamoDB failing past its retries."""

    message: Literal["Configuration unavailable", "Storage temporarily unavailable, retry later"]


class GatewayError(_Body):
    """API Gateway's own answer, before any function runs (e.g. a body over its 10 MB limit)."""

    message: str


def _body(model: Any, description: str, headers: dict[str, OpenAPIResponseHeader] | None = None) -> OpenAPIResponse:
    response: OpenAPIResponse = {"description": description, "content": {_JSON: {"model": model}}}
    if headers:
        response["headers"] = headers
    return response


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
    401: _body(Unauthorized, "No credential, or one that is unknown, revoked, expired or not a personal access token."),
    403: _body(
        Forbidden,
        "The caller is not an active administrator, or its token lacks the `api` scope "
        "(or the `admin_mode` scope while the `admin_mode` setting is on).",
    ),
    413: _body(
        Annotated[InputError | GatewayError, _OneOf],
        "The request body is larger than the service reads (64 KiB), or than API Gateway accepts (10 MB).",
    ),
    415: _body(InputError, "The body is neither `application/json` nor `application/x-www-form-urlencoded`."),
    422: _body(UnsupportedTokenType, "No token type matches the token's prefix (the empty string included)."),
    503: _body(
        ServiceUnavailable,
        "AppConfig cannot be read and no earlier copy is cached, or DynamoDB keeps failing.",
        headers=_RETRY_AFTER,
    ),
}


class TargetRecord(_Body):
    type: str
    id: int


class DryRun(_Body):
    """What the revoke would do (`dry_run: true`); nothing was written."""

    dry_run: Literal[True]
    token_type: str
    action: Literal["revoked", "reset", "deleted", "expired", "already_revoked"]
    target: TargetRecord | None
    cascade: list[TargetRecord]
    revoked_at: str | None = None
    audit_event_id: int | None = None


LOOKUP_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    200: _body(TokenEntity, "The token's entity, by type (spec §4).", headers=_TOKEN_TYPE),
    400: _body(
        InputError,
        "`token` in the query string, missing from the body, not a string; or a body that is not "
        "valid JSON / UTF-8 / base64 / form data, or not a JSON object.",
    ),
    404: _body(
        TokenNotFound,
        "The token's type matched, but no record holds it (an earlier revoke may have made it unknown: "
        "then `X-Token-Revoked-At` and `X-Audit-Event-Id` say when and which).",
        headers=_REMEMBERED_HEADERS,
    ),
    **_SHARED_RESPONSES,
}

REVOKE_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    200: _body(DryRun, "A dry run: what the revoke would do.", headers=_REVOKE_HEADERS),
    204: _NO_CONTENT,
    400: _body(
        Annotated[InputError | RevokeRefused, _OneOf],
        "A bad request, as for lookup (`error`); or the type's revoke is refused "
        "(`message.error`: `Unsupported token type`, `Unsupported personal access token type`, "
        "`Unsupported deploy token type`, or `Runner has too many project and group assignments to unregister "
        "in one transaction` for a runner with more than 97 assignments).",
    ),
    404: _body(
        Annotated[TokenNotFound | FeatureDisabled, _OneOf],
        "The `api_admin_token_revoke` flag is off for this caller (before the token is examined), "
        "or no record holds the token (headers as for lookup).",
        headers=_REMEMBERED_HEADERS,
    ),
    409: _body(Conflict, "The token kept changing during the revoke; retrying is safe."),
    **_SHARED_RESPONSES,
}


# --- Request body ---------------------------------------------------------------------------

_TOKEN_PROPERTY: Final = {
    "type": "string",
    "description": "The plaintext token to identify. Never in the query string: that answers 400.",
}
_EXAMPLE: Final = {"token": "glrt-t1_exampleRunnerToken"}  # matches no demo record: safe to fuzz with
_DRY_RUN_PROPERTY: Final = {
    "type": "boolean",
    "default": False,
    "description": "DELETE only: run every check, write nothing, answer 200 with what would happen.",
}

REQUEST_BODY: Final[dict[str, Any]] = {
    "required": True,
    "description": "The token to identify, as JSON or as a form. A body without `token` answers 400.",
    "content": {
        _JSON: {
            "schema": {
                "type": "object",
                "properties": {"token": _TOKEN_PROPERTY, "dry_run": _DRY_RUN_PROPERTY},
                "required": ["token"],
            },
            "example": _EXAMPLE,
        },
        _FORM: {
            "schema": {
                "type": "object",
                "properties": {"token": _TOKEN_PROPERTY},
                "required": ["token"],
                "additionalProperties": {"type": "string"},
            },
            "example": _EXAMPLE,
        },
    },
}

# What the routes pass as `openapi_extensions`: merged into the operation as it stands.
OPERATION_EXTRAS: Final[dict[str, Any]] = {"requestBody": REQUEST_BODY}


# --- Bulk revoke ----------------------------------------------------------------------------


class BulkTarget(_Body):
    type: str
    id: int


class BulkResult(_Body):
    """One token's result: what a single DELETE of it answers (`status`), never the token itself."""

    index: int
    token_hint: str | None
    token_type: str | None
    outcome: Literal[
        "revoked", "reset", "deleted", "expired", "already_revoked", "not_found", "unsupported", "refused",
        "invalid", "duplicate", "failed",
    ]  # fmt: skip
    status: int | None = None
    target: BulkTarget | None = None
    cascade: list[BulkTarget] | None = None
    audit_event_id: int | None = None
    revoked_at: str | None = None
    message: str | None = None
    duplicate_of: int | None = None
    retryable: bool | None = None


class BulkSummary(_Body):
    """How many results had each outcome, zeros included."""

    revoked: int
    reset: int
    deleted: int
    expired: int
    already_revoked: int
    not_found: int
    unsupported: int
    refused: int
    invalid: int
    duplicate: int
    failed: int


class BulkRevokeAnswer(_Body):
    dry_run: bool
    summary: BulkSummary
    results: list[BulkResult]


BULK_REVOKE_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    200: _body(BulkRevokeAnswer, "One result per element of `tokens`, in order, and a count of each outcome."),
    400: _body(
        InputError,
        "`tokens` in the query string, missing, not a list of 1 to 1000 elements; `dry_run` not a boolean; "
        "or a body that is not a JSON object.",
    ),
    404: _body(FeatureDisabled, "The `api_admin_token_revoke` flag is off for this caller."),
    **{status: response for status, response in _SHARED_RESPONSES.items() if status != 422},
}
BULK_REVOKE_RESPONSES[413] = _body(
    Annotated[InputError | GatewayError, _OneOf],
    "The request body is larger than 256 KiB (or than API Gateway's 10 MB).",
)
BULK_REVOKE_RESPONSES[415] = _body(InputError, "The body is not `application/json`.")

BULK_REQUEST_BODY: Final[dict[str, Any]] = {
    "required": True,
    "description": "The tokens to revoke (JSON only, at most 256 KiB).",
    "content": {
        _JSON: {
            "schema": {
                "type": "object",
                "properties": {
                    "tokens": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {"type": "string"}},
                    "dry_run": {"type": "boolean", "default": False},
                },
                "required": ["tokens"],
            },
            "example": {"tokens": ["glrt-t1_exampleRunnerToken", "glpat-exampleNotAToken0"], "dry_run": True},
        }
    },
}
BULK_OPERATION_EXTRAS: Final[dict[str, Any]] = {"requestBody": BULK_REQUEST_BODY}


# --- Audit events ---------------------------------------------------------------------------

_EVENT_ID_DESCRIPTION: Final = "The event id (a decimal integer); anything else answers 400."
# The handler takes `id` as a plain `str` (a Powertools `Path()` would import pydantic), so
# Powertools documents the parameter bare; `function_document` adds what it accepts.
PATH_PARAMETERS: Final[dict[tuple[str, str], dict[str, Any]]] = {
    ("getAuditEvent", "id"): {"description": _EVENT_ID_DESCRIPTION, "pattern": "^[0-9]+$"},
}


class _Closed:
    """Closes a model's schema (and those it refers to): `additionalProperties: false`."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        reference = handler(core_schema)
        _close(reference, handler, set())
        return reference


class AuditEventNotFound(_Body):
    """No audit event has this id."""

    message: Literal["404 Audit Event Not Found"]


class MissingAuthenticationToken(_Body):
    """API Gateway's own 403 for a path it does not route (e.g. an id holding a `/`)."""

    message: Literal["Missing Authentication Token"]


_AUDIT_CALLER_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    401: _SHARED_RESPONSES[401],
    403: _body(
        Forbidden,
        "The caller is not an active administrator, or its token has neither the `api` nor the `read_api` scope "
        "(or lacks `admin_mode` while the `admin_mode` setting is on).",
    ),
    503: _SHARED_RESPONSES[503],
}

AUDIT_EVENTS_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    200: {
        "description": 'Events, newest first. More remain when a `Link` header with `rel="next"` is sent.',
        "content": {_JSON: {"model": list[Annotated[AuditEventEntity, _Closed]]}},
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
    400: _body(InputError, "A parameter with a bad value: `<name> is invalid`."),
    **_AUDIT_CALLER_RESPONSES,
}

AUDIT_EVENT_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    200: _body(Annotated[AuditEventEntity, _Closed], "The event."),
    400: _body(InputError, "`id is invalid`: the id is not a decimal integer."),
    401: _AUDIT_CALLER_RESPONSES[401],
    403: _body(
        Annotated[Forbidden | MissingAuthenticationToken, _OneOf],
        "As for the list; or API Gateway's own answer for an id it does not route (one holding a `/`).",
    ),
    404: _body(AuditEventNotFound, "No audit event has this id."),
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
AUDIT_EVENTS_EXTRAS: Final[dict[str, Any]] = {"parameters": AUDIT_EVENTS_PARAMETERS}


# --- GitLab's Token Revocation API ------------------------------------------------------------


class RevocableTokenTypes(_Body):
    """GitLab's identifiers (`gitleaks_rule_id_<rule>`) of the types a revoke changes."""

    types: list[str]


class RevocationUnauthorized(_Body):
    message: Literal["401 Unauthorized"]


class AutoRevokeDisabled(_Body):
    message: Literal["'secret_detection_auto_revoke' feature flag is disabled"]


_REVOCATION_CALLER: Final[dict[int, OpenAPIResponse]] = {
    401: _body(RevocationUnauthorized, "No pre-shared token in `Authorization`, or the wrong one."),
    503: _body(
        ServiceUnavailable,
        "The pre-shared token or the flags cannot be read; or (`POST`) not every finding could be queued: send "
        "them all again (a token queued twice is revoked once).",
        headers=_RETRY_AFTER,
    ),
}
REVOCABLE_TYPES_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    200: _body(RevocableTokenTypes, "The identifiers to send findings of (whatever the kill-switch flag says)."),
    **_REVOCATION_CALLER,
}
REVOKE_TOKENS_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    204: {"description": "Every finding is durably queued for revocation.", "content": {}},
    400: _body(
        InputError,
        "Not a JSON array; an element not an object; a `token` not a non-empty string; a `type` not in "
        "`GET /v1/revocable_token_types`'s list. Nothing is queued.",
    ),
    404: _body(AutoRevokeDisabled, "The `secret_detection_auto_revoke` flag is off."),
    413: _body(
        Annotated[InputError | GatewayError, _OneOf],
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
REVOKE_TOKENS_EXTRAS: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "description": "Secret detection's findings, as GitLab's `Security::TokenRevocationService` sends them. "
        "Keys other than `type`, `token` and `location` are ignored.",
        "content": {
            _JSON: {
                "schema": {
                    "type": "array",
                    "maxItems": 10000,
                    "items": {
                        "type": "object",
                        "properties": {
                            "type": {"type": "string"},
                            "token": {"type": "string", "minLength": 1},
                            "location": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                            "vulnerability": {"type": "object"},
                        },
                        "required": ["type", "token"],
                    },
                },
                "example": _FINDING_EXAMPLE,
            }
        },
    }
}


# --- GitHub's secret scanning partner alerts -----------------------------------------------


class GitHubFeedback(_Body):
    """One distinct token of the alert, in GitHub's feedback format: never the token itself."""

    token_hash: str = Field(pattern="^[0-9a-f]{64}$", description="Hex SHA-256 of the token.")
    token_type: str = Field(description="The match's `type`, as GitHub sent it.")
    label: Literal["true_positive", "false_positive"] = Field(
        description="`true_positive`: a token of ours that exists, or that a tombstone remembers as revoked."
    )


class GitHubAlertDisabled(_Body):
    message: Literal["'github_secret_scanning_auto_revoke' feature flag is disabled"]


class GitHubAlertUnavailable(_Body):
    message: Literal[
        "GitHub's signing keys are unavailable, retry later",
        "Configuration unavailable",
        "Storage temporarily unavailable, retry later",
        "Findings could not all be queued, retry later",
    ]


GITHUB_ALERT_RESPONSES: Final[dict[int, OpenAPIResponse]] = {
    200: _body(list[GitHubFeedback], "One element per distinct token, in the order first seen."),
    400: _body(
        InputError,
        "Signed, but not a JSON array; an element not an object; a `token` not a non-empty string; a `type`, `url` "
        "or `source` not a string; a key repeated. Nothing is queued.",
    ),
    401: _body(
        RevocationUnauthorized,
        "A signature header missing or repeated, an identifier GitHub does not publish, or a signature that is not "
        "the named key's strict-DER ECDSA signature of the exact body.",
    ),
    404: _body(GitHubAlertDisabled, "The `github_secret_scanning_auto_revoke` flag is off (after the signature)."),
    413: _body(
        Annotated[InputError | GatewayError, _OneOf],
        "A body over 6,291,456 bytes (before the signature is checked), or more than 10,000 matches (after).",
    ),
    503: _body(
        GitHubAlertUnavailable,
        "GitHub's key document cannot be fetched and none is held, or the flags, the tables or the queue failed. "
        "Nothing is lost: GitHub delivers the alert again.",
        headers=_RETRY_AFTER,
    ),
}
GITHUB_ALERT_EXTRAS: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "description": "GitHub's matches, signed over these exact bytes. Keys other than `token`, `type`, `url` and "
        "`source` are ignored.",
        "content": {
            _JSON: {
                "schema": {
                    "type": "array",
                    "maxItems": 10000,
                    "items": {
                        "type": "object",
                        "properties": {
                            "token": {"type": "string", "minLength": 1},
                            "type": {"type": "string"},
                            "url": {"type": "string"},
                            "source": {"type": "string"},
                        },
                        "required": ["token"],
                    },
                },
                # GitHub's documented sample request (the partner program page).
                "example": [
                    {
                        "source": "commit",
                        "token": "some_token",
                        "type": "some_type",
                        "url": "https://example.com/base-repo-url/",
                    }
                ],
            }
        },
    }
}


# --- Documents ------------------------------------------------------------------------------

# Each documented route's responses and extensions (request body, parameters), by operation id.
ROUTE_SCHEMAS: Final[dict[str, tuple[dict[int, OpenAPIResponse], dict[str, Any] | None]]] = {
    "lookupToken": (LOOKUP_RESPONSES, OPERATION_EXTRAS),
    "revokeToken": (REVOKE_RESPONSES, OPERATION_EXTRAS),
    "bulkRevokeTokens": (BULK_REVOKE_RESPONSES, BULK_OPERATION_EXTRAS),
    "revocableTokenTypes": (REVOCABLE_TYPES_RESPONSES, None),
    "revokeFindings": (REVOKE_TOKENS_RESPONSES, REVOKE_TOKENS_EXTRAS),
    "githubSecretScanningAlert": (GITHUB_ALERT_RESPONSES, GITHUB_ALERT_EXTRAS),
    "listAuditEvents": (AUDIT_EVENTS_RESPONSES, AUDIT_EVENTS_EXTRAS),
    "getAuditEvent": (AUDIT_EVENT_RESPONSES, None),
}


def attach_schemas(app: APIGatewayRestResolver) -> None:
    """Give each documented route of `app` its responses and extensions from `ROUTE_SCHEMAS`.

    Powertools keeps a resolver's routes in `_static_routes` and `_dynamic_routes` and reads
    `responses` / `openapi_extensions` off each when it generates a document; a route without an
    entry fails here, so a new route cannot go undocumented."""
    for route in app._static_routes + app._dynamic_routes:  # Powertools keeps them private: see the docstring
        if route.include_in_schema:
            route.responses, route.openapi_extensions = ROUTE_SCHEMAS[route.operation_id]


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
            for parameter in operation.get("parameters", []):
                described = PATH_PARAMETERS.get((operation["operationId"], parameter["name"]))
                if described and parameter["in"] == "path":
                    parameter["description"] = described["description"]
                    parameter["schema"].update(described)
    return document


def merged_document(apps: list[APIGatewayRestResolver], version: str) -> dict[str, Any]:
    """Both functions' documents as one API (they sit behind one REST API), with Powertools' merge."""
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
    return _without_unused_components(merged)


def _without_unused_components(document: dict[str, Any]) -> dict[str, Any]:
    """Drop schemas nothing refers to: Powertools always adds its validation-error models, unused here."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    prefix = "#/components/schemas/"
    used: set[str] = set()
    pending = [document["paths"]]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith(prefix):
                name = reference.removeprefix(prefix)
                if name not in used:
                    used.add(name)
                    pending.append(schemas[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    document["components"]["schemas"] = {name: schema for name, schema in schemas.items() if name in used}
    return document


def render(document: dict[str, Any]) -> str:
    """The text of `openapi.json`: stable key order, so a diff shows only real changes."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
