"""GitHub's secret scanning alerts, read from the current event."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from admin_token.models.github_alerts import AlertRequest, parse_alert_request


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
