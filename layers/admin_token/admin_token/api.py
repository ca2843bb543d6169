"""The HTTP edge shared by both functions: the resolver, the request adapter, and the one
place domain errors become GitLab's statuses and bodies."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.shared.headers_serializer import MultiValueHeadersSerializer
from aws_lambda_powertools.utilities.typing import LambdaContext

from admin_token import budget
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
from admin_token.models.audit_queries import CURSOR, PAGE, PER_PAGE, AuditEventsRequest
from admin_token.models.findings import FindingsRequest, parse_findings_request, revocation_credential
from admin_token.models.github_alerts import AlertRequest, parse_alert_request
from admin_token.models.requests import (
    BulkRevokeRequest,
    TokenRequest,
    credential_from,
    parse_bulk_revoke_request,
    parse_token_request,
)
from admin_token.models.results import RevokeOutcome
from admin_token.observability import logger, metrics
from admin_token.storage.dynamodb import RETRY_AFTER_SECONDS

if TYPE_CHECKING:
    from admin_token.audit_service import AuditEventsPage

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

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = "^{}/*$") -> re.Pattern[str]:
        """A rule's regex, where `<name>` is one whole path segment, whatever it holds.

        As API Gateway's `{name}`: Powertools' own pattern leaves out characters such as `"`, and a
        path it cannot route never reaches the handler, whose checks (the caller first) then never run.
        """
        # Not escaped, as in Powertools: its own catch-all route is the rule `.*`.
        return re.compile(base_regex.format(re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", rule)))

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        problem = malformed_event(event)
        if problem is not None:
            # Fixed text naming a field, never its value: the event may hold a credential.
            logger.warning("Malformed event", extra={"problem": problem})
            return _raw_response(_rejected(HTTPStatus.BAD_REQUEST, {"error": f"malformed event: {problem}"}))
        return super().resolve(event, context)

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
        **MultiValueHeadersSerializer().serialize(headers=response.headers, cookies=[]),
    }


def _is_str_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _is_str_list_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(item, str) for item in v)
        for k, v in value.items()
    )


def malformed_event(event: Any) -> str | None:
    """What makes `event` not a REST v1 proxy event, for the fields this service reads; None if it is one.

    API Gateway never sends such an event, but a function can be invoked directly (the console,
    a test event, another service): it must answer, not crash.
    """
    if not isinstance(event, Mapping):
        return "the event must be an object"
    method, path, context = event.get("httpMethod"), event.get("path"), event.get("requestContext")
    if not isinstance(method, str) or not method:
        return "httpMethod must be a non-empty string"
    if not isinstance(path, str) or not path:
        return "path must be a non-empty string"
    if not isinstance(context, dict):
        return "requestContext must be an object"
    if not isinstance(context.get("requestId", ""), str | None):
        return "requestContext.requestId must be a string"
    for field, check, shape in (
        ("headers", _is_str_map, "header values must be strings"),
        ("multiValueHeaders", _is_str_list_map, "multiValueHeaders must map names to lists of strings"),
        ("queryStringParameters", _is_str_map, "queryStringParameters values must be strings"),
        (
            "multiValueQueryStringParameters",
            _is_str_list_map,
            "multiValueQueryStringParameters must map names to lists of strings",
        ),
    ):
        value = event.get(field)
        if value is not None and not check(value):
            return shape if isinstance(value, dict) else f"{field} must be an object or null"
    if not isinstance(event.get("body"), str | None):
        return "body must be a string or null"
    if event.get("isBase64Encoded") not in (None, True, False):
        return "isBase64Encoded must be true or false"
    return None


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


def token_request(app: APIGatewayRestResolver) -> TokenRequest:
    """The single-token request, read from the current event."""
    return parse_token_request(**_request_parts(app))


def bulk_revoke_request(app: APIGatewayRestResolver) -> BulkRevokeRequest:
    """The bulk revoke request, read from the current event."""
    return parse_bulk_revoke_request(**_request_parts(app))


def findings_request(app: APIGatewayRestResolver) -> FindingsRequest:
    """`POST /v1/revoke_tokens` as GitLab sends it, read from the current event."""
    event = app.current_event
    raw = event.raw_event
    return parse_findings_request(
        headers=raw.get("headers") or {},
        multi_value_headers=raw.get("multiValueHeaders") or {},
        body=event.body,
        base64_encoded=bool(event.is_base64_encoded),
        request_id=raw["requestContext"].get("requestId") or "",
    )


def github_alert_request(app: APIGatewayRestResolver) -> AlertRequest:
    """`POST /v1/github/secret_scanning` as GitHub sends it: the raw body and its two signature headers."""
    event = app.current_event
    raw = event.raw_event
    return parse_alert_request(
        headers=raw.get("headers") or {},
        multi_value_headers=raw.get("multiValueHeaders") or {},
        body=event.body,
        base64_encoded=bool(event.is_base64_encoded),
        request_id=raw["requestContext"].get("requestId") or "",
    )


def revocation_caller(app: APIGatewayRestResolver) -> str | None:
    """The pre-shared token a Token Revocation API call carries in `Authorization`."""
    raw = app.current_event.raw_event
    return revocation_credential(raw.get("headers") or {}, raw.get("multiValueHeaders") or {})


def method_not_allowed(*allowed: str) -> Response[Any]:
    """The Token Revocation API's 405, in its own body shape."""
    body = {"message": "405 Method Not Allowed"}
    return _rejected(HTTPStatus.METHOD_NOT_ALLOWED, body, {"Allow": ", ".join(allowed)})


def _request_parts(app: APIGatewayRestResolver) -> dict[str, Any]:
    event = app.current_event
    raw = event.raw_event
    return {
        # The raw maps, not Powertools' case-insensitive views: those keep one value per name.
        "headers": raw.get("headers") or {},
        "multi_value_headers": raw.get("multiValueHeaders") or {},
        "query": {**event.query_string_parameters, **event.multi_value_query_string_parameters},
        "body": event.body,
        "base64_encoded": bool(event.is_base64_encoded),
        "request_id": raw["requestContext"].get("requestId") or "",
        "source_ip": source_ip(raw),
    }


def source_ip(raw_event: Mapping[str, Any]) -> str | None:
    identity = raw_event.get("requestContext", {}).get("identity") or {}
    value = identity.get("sourceIp") if isinstance(identity, Mapping) else None
    return value if isinstance(value, str) else None


def described(entity: dict[str, Any], token_type: str) -> Response[Any]:
    """A lookup's 200: the entity, and the type it was identified as."""
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=entity,
        headers={TOKEN_TYPE_HEADER: token_type},
    )


def revoked(outcome: RevokeOutcome) -> Response[Any]:
    """A revoke's 204 (or a dry run's 200), with what was, or would be, done."""
    headers = {TOKEN_TYPE_HEADER: outcome.token_type, TOKEN_ACTION_HEADER: outcome.action}
    if outcome.audit_event_id is not None:
        headers[AUDIT_EVENT_HEADER] = str(outcome.audit_event_id)
    if not outcome.dry_run:
        return Response(status_code=204, body="", headers=headers)
    return Response(
        status_code=200, content_type=content_types.APPLICATION_JSON, body=outcome.to_json(), headers=headers
    )


# -- the audit events API ----------------------------------------------------------------------

PER_PAGE_HEADER = "X-Per-Page"
# A Host header as a client may send it: a name or IPv4 address, or a bracketed IPv6 one, and a port.
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")


def audit_events_request(app: APIGatewayRestResolver) -> AuditEventsRequest:
    """The audit events request, read from the current event."""
    raw = app.current_event.raw_event
    return AuditEventsRequest(
        credential=credential_from(raw.get("headers") or {}, raw.get("multiValueHeaders") or {}),
        parameters=query_parameters(raw),
        request_id=raw["requestContext"].get("requestId") or "",
    )


def query_parameters(raw_event: Mapping[str, Any]) -> dict[str, Sequence[str]]:
    """Every value of every query parameter: the multi-value map, or the single one when it is absent."""
    multi = raw_event.get("multiValueQueryStringParameters")
    if multi:
        return dict(multi)
    return {name: [value] for name, value in (raw_event.get("queryStringParameters") or {}).items()}


def audit_events_listed(page: AuditEventsPage, raw_event: Mapping[str, Any]) -> Response[Any]:
    """A page of events, with GitLab's keyset pagination headers (and its offset ones for `page=N`)."""
    headers = {PER_PAGE_HEADER: str(page.per_page)}
    if page.page is not None:
        headers["X-Page"] = str(page.page)
        headers["X-Prev-Page"] = str(page.page - 1) if page.page > 1 else ""
        headers["X-Next-Page"] = str(page.next_page) if page.next_page is not None else ""
    if page.next_cursor is not None:
        headers["Link"] = f'<{next_page_url(raw_event, page.next_cursor, page.per_page)}>; rel="next"'
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=page.events, headers=headers)


def audit_event_found(event: dict[str, Any]) -> Response[Any]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=event)


def next_page_url(raw_event: Mapping[str, Any], cursor: str, per_page: int) -> str:
    """This request's own URL with the next cursor: the API's own domain, the stage path, the path.

    The domain is `requestContext.domainName`, which API Gateway sets (the execute-api host or
    the custom domain) and `serve` sets to its listening address: never the client's `Host`,
    `X-Forwarded-Host` or `X-Forwarded-Proto`, since python-gitlab follows the link with
    `PRIVATE-TOKEN`. API Gateway answers only on host names, over HTTPS; a loopback name or an IP
    address can only be a local gateway's, which speaks HTTP.

    `requestContext.path` is the path as the client sent it (with the stage on an execute-api
    host, without it on a custom domain), so following the link works either way. Every other
    parameter is kept. Without a usable domain the link is relative to this URL.
    """
    context = raw_event.get("requestContext") or {}
    domain = context.get("domainName")
    host = domain if _valid_host(domain) else None
    path = context.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        path = raw_event.get("path") or "/"
    kept = [
        (name, value)
        for name, values in query_parameters(raw_event).items()
        if name not in (CURSOR, PER_PAGE, PAGE)  # the cursor says where the next page starts
        for value in values
    ]
    query = urlencode([(CURSOR, cursor), (PER_PAGE, str(per_page)), *kept])
    origin = f"{'http' if _local_address(host) else 'https'}://{host}" if host else ""
    return f"{origin}{quote(path, safe='/')}?{query}"


def _local_address(host: str | None) -> bool:
    """An IP address or `localhost` (any port): what a local gateway listens on, never API Gateway."""
    if host is None:
        return False
    name = host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0]
    if name.lower() == "localhost":
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _valid_host(value: Any) -> bool:
    return isinstance(value, str) and _HOST.fullmatch(value) is not None
