"""The token API's requests (lookup, revoke, bulk revoke), read from the current event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from admin_token.models.requests import (
    BulkRevokeRequest,
    RequestParts,
    TokenRequest,
    parse_bulk_revoke_request,
    parse_token_request,
)


def token_request(app: APIGatewayRestResolver) -> TokenRequest:
    """The single-token request, read from the current event."""
    return parse_token_request(**_request_parts(app))


def bulk_revoke_request(app: APIGatewayRestResolver) -> BulkRevokeRequest:
    """The bulk revoke request, read from the current event."""
    return parse_bulk_revoke_request(**_request_parts(app))


def _request_parts(app: APIGatewayRestResolver) -> RequestParts:
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
