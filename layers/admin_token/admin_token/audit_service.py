"""Reading the audit trail: `GET /api/v4/audit_events` and `GET /api/v4/audit_events/:id`.

Checks in order: the caller (as for the token API, except that `read_api` is enough), then the
parameters (400 naming the first bad one), then one read: a Query on an index of the audit table
for a list, a GetItem for one event. Caller authentication costs the same two batched key
lookups as the token API's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from admin_token.auth import READ_SCOPES, Caller, authenticate, authorize
from admin_token.config import load_configuration
from admin_token.digests import token_digest
from admin_token.errors import AuditEventNotFound
from admin_token.models.audit_events import AuditEventEntity
from admin_token.models.audit_queries import AuditEventsRequest, encode_cursor, parse_audit_query, parse_event_id
from admin_token.observability import logger, metrics
from admin_token.storage import AuditLog, RecordKey, TokenStore
from admin_token.storage.dynamodb import default_store
from admin_token.storage.dynamodb_audit import default_audit_log
from admin_token.token_types import BY_NAME

TOKEN_TYPE_NAMES = frozenset(BY_NAME)


@dataclass(frozen=True)
class AuditEventsPage:
    """One page of events, newest first, and the cursor of the next page (None on the last)."""

    events: list[dict[str, Any]]
    per_page: int
    next_cursor: str | None


def list_audit_events(
    request: AuditEventsRequest, store: TokenStore | None = None, log: AuditLog | None = None
) -> AuditEventsPage:
    caller = _reader(request, store or default_store())
    asked = parse_audit_query(request.parameters, TOKEN_TYPE_NAMES)
    page = (log or default_audit_log()).find_events(asked.query, asked.per_page)
    metrics.add_metric(name="AuditEventsListed", unit=MetricUnit.Count, value=1)
    logger.info("Audit events listed", extra={"caller_id": caller.user.id, "count": len(page.records)})
    return AuditEventsPage(
        events=[AuditEventEntity.of(record).to_json() for record in page.records],
        per_page=asked.per_page,
        next_cursor=encode_cursor(page.more_below) if page.more_below is not None else None,
    )


def get_audit_event(
    request: AuditEventsRequest, event_id: str, store: TokenStore | None = None, log: AuditLog | None = None
) -> dict[str, Any]:
    caller = _reader(request, store or default_store())
    record = (log or default_audit_log()).get_event(parse_event_id(event_id))
    if record is None:
        raise AuditEventNotFound
    metrics.add_metric(name="AuditEventRead", unit=MetricUnit.Count, value=1)
    logger.info("Audit event read", extra={"caller_id": caller.user.id, "audit_event_id": record.audit_id})
    return AuditEventEntity.of(record).to_json()


def _reader(request: AuditEventsRequest, store: TokenStore) -> Caller:
    """Spec §2's caller checks with `read_api` accepted: 401 / 403, or the caller."""
    configuration = load_configuration()
    digest = token_digest(request.credential) if request.credential else None
    tokens = store.get_tokens([digest]) if digest else {}
    token = authenticate(tokens.get(digest) if digest else None, datetime.now(UTC).date())
    records = store.get_records([RecordKey("user", token.user_id)])
    return authorize(token, records, configuration, scopes=READ_SCOPES)
