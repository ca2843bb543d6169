"""Reading the audit trail: `GET /api/v4/audit_events` and `GET /api/v4/audit_events/:id`.

Checks in order: the caller (as for the token API, except that `read_api` is enough), then the
parameters (400 naming the first bad one), then one read: a Query on an index of the audit table
for a list, a GetItem for one event. Caller authentication costs the same two batched key
lookups as the token API's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from admin_token.auth import READ_SCOPES, Caller, authenticate, authorize
from admin_token.config import load_configuration
from admin_token.digests import token_digest
from admin_token.errors import AuditEventNotFound, InvalidRequest
from admin_token.models.audit_events import AuditEventEntity
from admin_token.models.audit_queries import (
    MAX_OFFSET_EVENTS,
    AuditEventsRequest,
    encode_cursor,
    parse_audit_query,
    parse_event_id,
)
from admin_token.observability import logger, metrics
from admin_token.storage import AuditLog, RecordKey, TokenStore
from admin_token.storage.audit_log import AuditPage, AuditQuery
from admin_token.storage.base import AuditRecord
from admin_token.storage.dynamodb import default_store
from admin_token.storage.dynamodb_audit import default_audit_log
from admin_token.token_types import BY_NAME

TOKEN_TYPE_NAMES = frozenset(BY_NAME)
# Reads one offset page may take when a filter leaves pages short (each examines at most 1,000 events).
MAX_OFFSET_READS = 10


@dataclass(frozen=True)
class AuditEventsPage:
    """One page of events, newest first, and the cursor of the next page (None on the last).

    `page` is the page number asked for (offset pagination), and `next_page` the following one
    while it stays within the depth page numbers reach.
    """

    events: list[dict[str, Any]]
    per_page: int
    next_cursor: str | None
    page: int | None = None
    next_page: int | None = None


def list_audit_events(
    request: AuditEventsRequest, store: TokenStore | None = None, log: AuditLog | None = None
) -> AuditEventsPage:
    caller = _reader(request, store or default_store())
    asked = parse_audit_query(request.parameters, TOKEN_TYPE_NAMES)
    page = _skip_then_read(log or default_audit_log(), asked.query, asked.offset, asked.per_page)
    metrics.add_metric(name="AuditEventsListed", unit=MetricUnit.Count, value=1)
    logger.info("Audit events listed", extra={"caller_id": caller.user.id, "count": len(page.records)})
    next_page = None
    if (
        asked.page is not None
        and page.more_below is not None
        and (asked.page + 1) * asked.per_page <= MAX_OFFSET_EVENTS
    ):
        next_page = asked.page + 1
    return AuditEventsPage(
        events=[AuditEventEntity.of(record).to_json() for record in page.records],
        per_page=asked.per_page,
        next_cursor=encode_cursor(page.more_below) if page.more_below is not None else None,
        page=asked.page,
        next_page=next_page,
    )


def _skip_then_read(log: AuditLog, query: AuditQuery, offset: int, per_page: int) -> AuditPage:
    """`per_page` events after the first `offset` (offset pagination): the keyset reads, followed.

    A read may stop short (it examines a bounded number of events per call); the next one goes on
    below it. A filter so sparse that even MAX_OFFSET_READS reads do not reach the page is refused,
    pointing to the keyset `Link`, whose every page costs one read.
    """
    if offset == 0:
        return log.find_events(query, per_page)
    records: list[AuditRecord] = []
    for _ in range(MAX_OFFSET_READS):
        found = log.find_events(query, offset + per_page - len(records))
        records.extend(found.records)
        if len(records) >= offset + per_page or found.more_below is None:
            return AuditPage(tuple(records[offset:]), found.more_below)
        query = replace(query, max_id=found.more_below - 1)
    raise InvalidRequest('page is invalid: too deep for this filter; follow the Link header (rel="next")')


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
