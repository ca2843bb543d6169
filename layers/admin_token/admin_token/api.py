"""The HTTP edge's one place for errors: paths and headers, and how domain errors become GitLab's
statuses and bodies."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.metrics import MetricUnit

from admin_token.errors import (
    AuditEventNotFound,
    ConcurrentModification,
    ConfigurationUnavailable,
    DomainError,
    FeatureDisabled,
    Forbidden,
    InvalidRequest,
    KeysUnavailable,
    PayloadTooLarge,
    QueueUnavailable,
    RevokeRefused,
    StorageUnavailable,
    TokenNotFound,
    Unauthenticated,
    UnsupportedMediaType,
    UnsupportedTokenType,
)
from admin_token.observability import metrics
from admin_token.storage.dynamodb import RETRY_AFTER_SECONDS

TOKEN_PATH = "/api/v4/admin/token"
BULK_REVOKE_PATH = "/api/v4/admin/tokens/revoke"
AUDIT_EVENTS_PATH = "/api/v4/audit_events"
AUDIT_EVENT_PATH = "/api/v4/audit_events/<id>"
REVOCABLE_TYPES_PATH = "/v1/revocable_token_types"
REVOKE_TOKENS_PATH = "/v1/revoke_tokens"
GITHUB_SECRET_SCANNING_PATH = "/v1/github/secret_scanning"
# Every method API Gateway's ANY stands for: the Token Revocation API answers the others 405.
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
TOKEN_TYPE_HEADER = "X-Token-Type"
TOKEN_ACTION_HEADER = "X-Token-Action"
AUDIT_EVENT_HEADER = "X-Audit-Event-Id"
REVOKED_AT_HEADER = "X-Token-Revoked-At"


def error_status_and_body(error: DomainError) -> tuple[int, dict[str, Any]]:
    """The error bodies of docs/contract.md, GitLab's shapes: `message` for auth and lookups, `error` for bad input."""
    match error:
        case Unauthenticated():
            return 401, {"message": "401 Unauthorized"}
        case Forbidden():
            return 403, {"message": "403 Forbidden"}
        case PayloadTooLarge():
            return 413, {"error": str(error)}
        case UnsupportedMediaType():
            return 415, {"error": str(error)}
        case InvalidRequest():
            return 400, {"error": str(error)}
        case FeatureDisabled(flag=flag):
            return 404, {"message": f"'{flag}' feature flag is disabled"}
        case UnsupportedTokenType():
            return 422, {"message": "Token type not supported."}
        case TokenNotFound():
            return 404, {"message": {"error": "Not found"}}
        case RevokeRefused(reason=reason):
            return 400, {"message": {"error": reason}}
        case ConfigurationUnavailable():
            return 503, {"message": "Configuration unavailable"}
        case StorageUnavailable():
            return 503, {"message": "Storage temporarily unavailable, retry later"}
        case QueueUnavailable():
            return 503, {"message": "Findings could not all be queued, retry later"}
        case KeysUnavailable():
            return 503, {"message": "GitHub's signing keys are unavailable, retry later"}
        case ConcurrentModification():
            return 409, {"message": "The token changed during the request, retry"}
        case AuditEventNotFound():
            return 404, {"message": "404 Audit Event Not Found"}
    return 500, {"message": "500 Internal Server Error"}


def error_response(error: DomainError) -> Response[Any]:
    status, body = error_status_and_body(error)
    # Refused callers are what an alarm on probing or a leaked admin credential watches.
    metric = "CallerRejected" if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN) else "RequestRejected"
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == HTTPStatus.SERVICE_UNAVAILABLE else {}
    headers.update(error_headers(error))
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


def error_headers(error: DomainError) -> dict[str, str]:
    """A refusal or a 404 names the type it identified; a remembered revoke, when and which audit event."""
    headers: dict[str, str] = {}
    if isinstance(error, TokenNotFound | RevokeRefused) and error.token_type:
        headers[TOKEN_TYPE_HEADER] = error.token_type
    if isinstance(error, TokenNotFound) and error.tombstone is not None:
        headers[REVOKED_AT_HEADER] = error.tombstone.revoked_at
        headers[AUDIT_EVENT_HEADER] = str(error.tombstone.audit_event_id)
    return headers
