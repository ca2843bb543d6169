"""Response builders: each route's success answer, its status, body and headers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response, content_types

from admin_token.api import AUDIT_EVENT_HEADER, TOKEN_ACTION_HEADER, TOKEN_TYPE_HEADER

if TYPE_CHECKING:
    from admin_token.models.results import RevokeOutcome


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


def audit_event_found(event: dict[str, Any]) -> Response[Any]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=event)
