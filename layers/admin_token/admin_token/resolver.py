"""The resolver every HTTP function builds: Powertools' REST resolver, answering what it was not built for."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from admin_token import budget
from admin_token.api import error_response
from admin_token.errors import DomainError
from admin_token.event_shape import malformed_event
from admin_token.observability import logger, metrics


def _start_time_budget(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Every route runs inside the Lambda's remaining time, so retries know when to stop."""
    budget.start(app.lambda_context.get_remaining_time_in_millis() if app.lambda_context else None)
    return next_middleware(app)


class TokenResolver(APIGatewayRestResolver):
    """Powertools' REST resolver, answering events it was not built for with a 4xx, never a 500.

    Each function serves one route. Another path is 404, another method on a served path 405
    with `Allow`. An event that is not a REST v1 proxy event (Powertools and the request
    adapter would trip over it) is refused with 400 before anything reads it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.allowed_methods: dict[str, list[str]] = {}

    def route(self, rule: str, method: str | list[str] | tuple[str], *args: Any, **kwargs: Any) -> Any:
        methods = [method] if isinstance(method, str) else list(method)
        self.allowed_methods.setdefault(rule.rstrip("/") or "/", []).extend(m.upper() for m in methods)
        return super().route(rule, method, *args, **kwargs)

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        problem = malformed_event(event)
        if problem is not None:
            # Fixed text naming a field, never its value: the event may hold a credential.
            logger.warning("Malformed event", extra={"problem": problem})
            return _raw_response(_rejected(HTTPStatus.BAD_REQUEST, {"error": f"malformed event: {problem}"}))
        return super().resolve(_routable(event), context)

    def unmatched(self) -> Response[Any]:
        """No route for this method and path: 405 if the path is served with other methods, else 404."""
        path = self.current_event.path.rstrip("/") or "/"
        allowed = next(
            (methods for rule, methods in self.allowed_methods.items() if _rule_pattern(rule).fullmatch(path)), None
        )
        if allowed:
            body = {"error": "405 Method Not Allowed"}
            return _rejected(HTTPStatus.METHOD_NOT_ALLOWED, body, {"Allow": ", ".join(allowed)})
        return _rejected(HTTPStatus.NOT_FOUND, {"error": "404 Not Found"})


def _routable(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event with its path percent-encoded, when it holds a character a path parameter may not.

    API Gateway routes `{id}` for any one segment; Powertools routes `<id>` only for the
    characters its documented pattern lists (word characters, `%` and some punctuation, not `"`,
    `#` or `\\`). A path it cannot route never reaches its handler, whose checks (the caller first)
    would then not run. Encoded, every segment routes; no route here takes a parameter that needs
    encoding (audit event ids are digits, console assets plain names), so its handler refuses it
    as it would have refused the original.
    """
    path = event["path"]
    encoded = quote(path, safe="/")
    return event if encoded == path else {**event, "path": encoded}


def _rule_pattern(rule: str) -> re.Pattern[str]:
    """A route rule as a regex: `<name>` (a path parameter) is one path segment."""
    return re.compile(re.sub(r"<\w+>", "[^/]+", re.escape(rule)))


def _rejected(status: HTTPStatus, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[Any]:
    metrics.add_metric(name="RequestRejected", unit=MetricUnit.Count, value=1)
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


def _raw_response(response: Response[Any]) -> dict[str, Any]:
    """The proxy response dict for an event Powertools cannot be given (its own builder reads the event)."""
    return {
        "statusCode": response.status_code,
        "body": json.dumps(response.body, separators=(",", ":")),
        "isBase64Encoded": False,
        # REST proxy responses carry every header as a list (API Gateway's `multiValueHeaders`).
        "multiValueHeaders": {
            name: [value] if isinstance(value, str) else list(value)
            for name, value in response.headers.items()
            if value is not None
        },
    }


def build_resolver() -> TokenResolver:
    app = TokenResolver()
    app.use(middlewares=[_start_time_budget])

    @app.not_found
    def _unmatched(_: NotFoundError) -> Response[Any]:
        # Without this, the catch-all below would turn Powertools' NotFoundError into a 500.
        return app.unmatched()

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


def method_not_allowed(*allowed: str) -> Response[Any]:
    """The Token Revocation API's 405, in its own body shape."""
    body = {"message": "405 Method Not Allowed"}
    return _rejected(HTTPStatus.METHOD_NOT_ALLOWED, body, {"Allow": ", ".join(allowed)})
