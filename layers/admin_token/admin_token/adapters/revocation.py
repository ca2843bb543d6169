"""The Token Revocation API's requests, read from the current event."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from admin_token.models.findings import FindingsRequest, parse_findings_request, revocation_credential


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


def revocation_caller(app: APIGatewayRestResolver) -> str | None:
    """The pre-shared token a Token Revocation API call carries in `Authorization`."""
    raw = app.current_event.raw_event
    return revocation_credential(raw.get("headers") or {}, raw.get("multiValueHeaders") or {})
