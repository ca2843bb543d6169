"""The HTTP edge shared by both functions: the resolver, the request adapter, and the one
place domain errors become GitLab's statuses and bodies."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.metrics import MetricUnit

from admin_token import budget
from admin_token.errors import (
    ConcurrentModification,
    ConfigurationUnavailable,
    DomainError,
    FeatureDisabled,
    Forbidden,
    InvalidRequest,
    PayloadTooLarge,
    RevokeRefused,
    StorageUnavailable,
    TokenNotFound,
    Unauthenticated,
    UnsupportedMediaType,
    UnsupportedTokenType,
)
from admin_token.models.requests import TokenRequest, parse_token_request
from admin_token.observability import logger, metrics
from admin_token.storage.dynamodb import RETRY_AFTER_SECONDS

TOKEN_PATH = "/api/v4/admin/token"


def error_status_and_body(error: DomainError) -> tuple[int, dict[str, Any]]:
    """Spec §2-§3 bodies, GitLab's shapes: `message` for auth and lookups, `error` for bad input."""
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
        case ConcurrentModification():
            return 409, {"message": "The token changed during the request, retry"}
    return 500, {"message": "500 Internal Server Error"}


def error_response(error: DomainError) -> Response[Any]:
    status, body = error_status_and_body(error)
    # Refused callers are what an alarm on probing or a leaked admin credential watches.
    metric = "CallerRejected" if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN) else "RequestRejected"
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == HTTPStatus.SERVICE_UNAVAILABLE else {}
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


def _start_time_budget(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Every route runs inside the Lambda's remaining time, so retries know when to stop."""
    budget.start(app.lambda_context.get_remaining_time_in_millis() if app.lambda_context else None)
    return next_middleware(app)


def build_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver()
    app.use(middlewares=[_start_time_budget])

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response[Any]:
        return error_response(error)

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[Any]:
        # A bug, never bad input: log the type and stack (they hold no request data), answer 500.
        logger.exception("Unhandled error", extra={"error_type": type(error).__name__})
        metrics.add_metric(name="UnhandledError", unit=MetricUnit.Count, value=1)
        return Response(
            status_code=500,
            content_type=content_types.APPLICATION_JSON,
            body={"message": "500 Internal Server Error"},
        )

    return app


def token_request(app: APIGatewayRestResolver) -> TokenRequest:
    """The request, read from the current event."""
    event = app.current_event
    query: dict[str, Any] = {**event.query_string_parameters, **event.multi_value_query_string_parameters}
    raw = event.raw_event
    return parse_token_request(
        # The raw maps, not Powertools' case-insensitive views: those keep one value per name.
        headers=raw.get("headers") or {},
        multi_value_headers=raw.get("multiValueHeaders") or {},
        query=query,
        body=event.body,
        base64_encoded=bool(event.is_base64_encoded),
        request_id=event.request_context.request_id or "",
    )


def no_content() -> Response[Any]:
    return Response(status_code=204, body="")
