"""AuditEventsFunction: GET /api/v4/audit_events lists the audit trail of revokes, newest first;
GET /api/v4/audit_events/{id} reads one event."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from admin_token.api import (
    AUDIT_EVENT_PATH,
    AUDIT_EVENTS_PATH,
    audit_event_found,
    audit_events_listed,
    audit_events_request,
    build_resolver,
)
from admin_token.audit_service import get_audit_event, list_audit_events
from admin_token.observability import logger, metrics
from admin_token.route_docs import AUDIT_TAG, SECURITY

app = build_resolver()


@app.get(
    AUDIT_EVENTS_PATH,
    summary="List audit events, newest first",
    description="GitLab's instance audit events API, for the revokes this service made. Filters combine; a time or "
    'type filter is a DynamoDB Query on an index. Keyset pagination: follow the `Link` header\'s `rel="next"`; or '
    "`page=N` (offset) while page * per_page <= 1,000. A token with `read_api` is enough.",
    operation_id="listAuditEvents",
    tags=[AUDIT_TAG],
    security=SECURITY,
)
def list_events() -> Response[Any]:
    return audit_events_listed(list_audit_events(audit_events_request(app)), app.current_event.raw_event)


@app.get(
    AUDIT_EVENT_PATH,
    summary="Read one audit event",
    description="The event with this id. A token with `read_api` is enough.",
    operation_id="getAuditEvent",
    tags=[AUDIT_TAG],
    security=SECURITY,
)
def get_event(id: str) -> Response[Any]:
    # Powertools passes the path parameter by its name, as the string sent: checked by the domain.
    return audit_event_found(get_audit_event(audit_events_request(app), id))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
