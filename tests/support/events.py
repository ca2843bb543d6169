"""API Gateway REST v1 proxy events: the files under events/, and ones built for a test."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
TOKEN_PATH = "/api/v4/admin/token"
BULK_REVOKE_PATH = "/api/v4/admin/tokens/revoke"

# Every key of an API Gateway REST (v1) proxy event, and of its requestContext, as API Gateway
# sends them: the recorded events hold exactly these, and serve's gateway at least these.
PROXY_EVENT_KEYS = frozenset(
    {
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
        "body",
        "isBase64Encoded",
    }
)
REQUEST_CONTEXT_KEYS = frozenset(
    {
        "accountId",
        "resourceId",
        "stage",
        "requestId",
        "requestTime",
        "requestTimeEpoch",
        "identity",
        "path",
        "resourcePath",
        "httpMethod",
        "apiId",
        "domainName",
        "domainPrefix",
        "protocol",
    }
)

# The shape `sam local generate-event apigateway aws-proxy` emits, reduced to what varies here.
_BASE_EVENT: dict[str, Any] = {
    "resource": TOKEN_PATH,
    "path": TOKEN_PATH,
    "httpMethod": "POST",
    "headers": {},
    "multiValueHeaders": {},
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": None,
    "stageVariables": None,
    "requestContext": {
        "accountId": "123456789012",
        "resourceId": "abc123",
        "stage": "prod",
        "requestId": "",
        "requestTime": "27/Nov/2026:00:00:00 +0000",
        "requestTimeEpoch": 1795737600000,
        "identity": {"sourceIp": "127.0.0.1", "userAgent": "pytest"},
        "path": "/prod" + TOKEN_PATH,
        "resourcePath": TOKEN_PATH,
        "httpMethod": "POST",
        "apiId": "1234567890",
        "protocol": "HTTP/1.1",
    },
    "body": None,
    "isBase64Encoded": False,
}


def load_event(name: str) -> dict[str, Any]:
    """An event file from events/, by name with or without `.json`."""
    path = EVENTS_DIR / (name if name.endswith(".json") else f"{name}.json")
    return json.loads(path.read_text(encoding="utf-8"))


def proxy_event(
    method: str,
    *,
    body: Any = None,
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    base64_encoded: bool = False,
) -> dict[str, Any]:
    """A REST v1 proxy event. `body` is sent as JSON; `raw_body` as is."""
    event = copy.deepcopy(_BASE_EVENT)
    all_headers = dict(headers or {})
    if body is not None:
        raw_body = json.dumps(body)
        all_headers.setdefault("Content-Type", "application/json")
    event["httpMethod"] = method
    event["requestContext"]["httpMethod"] = method
    event["requestContext"]["requestId"] = str(uuid.uuid4())
    event["headers"] = all_headers
    event["multiValueHeaders"] = {name: [value] for name, value in all_headers.items()}
    if query:
        event["queryStringParameters"] = dict(query)
        event["multiValueQueryStringParameters"] = {name: [value] for name, value in query.items()}
    event["body"] = raw_body
    event["isBase64Encoded"] = base64_encoded
    return event


def bulk_event(body: Any, credential: str | None, *, raw_body: str | None = None, **event: Any) -> dict[str, Any]:
    """A bulk revoke: `POST /api/v4/admin/tokens/revoke` with a JSON body."""
    headers = {**({"PRIVATE-TOKEN": credential} if credential else {}), **event.pop("headers", {})}
    built = proxy_event("POST", body=body if raw_body is None else None, raw_body=raw_body, headers=headers, **event)
    built["path"] = built["resource"] = BULK_REVOKE_PATH
    built["requestContext"]["path"] = "/prod" + BULK_REVOKE_PATH
    built["requestContext"]["resourcePath"] = BULK_REVOKE_PATH
    return built
