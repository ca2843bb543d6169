"""The audit events API's requests, read from the current event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from admin_token.models.audit_queries import AuditEventsRequest
from admin_token.models.requests import credential_from


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
