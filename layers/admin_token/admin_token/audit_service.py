"""Reading the audit trail: `GET /api/v4/audit_events` and `GET /api/v4/audit_events/:id`.

A list never shows an event newer than the horizon: now minus `AUDIT_HORIZON_SECONDS`, the
longest a revoke takes between minting its event id and committing (its function's timeout). An
id is minted before its transaction commits, so without it a slow revoke would land behind a
reader's cursor (or below a poller's `created_after`) and never be listed to that reader. Every
event the horizon lets through is final: no uncommitted id can still appear below it.

Checks in order: the caller (as for the token API, except that `read_api` is enough), then the
parameters (400 naming the first bad one), then one read: a Query on an index of the audit table
for a list, a GetItem for one event. Caller authentication costs the same two batched key
lookups as the token API's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from admin_token.audit_ids import MAX_ID, first_id_at
from admin_token.auth import READ_SCOPES, Caller, authenticate, authorize
from admin_token.config import load_configuration
from admin_token.digests import token_digest
from admin_token.errors import AuditEventNotFound, ConfigurationUnavailable, InvalidRequest
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
HORIZON_VARIABLE = "AUDIT_HORIZON_SECONDS"
# Without the variable (a test that writes events itself): no horizon.
DEFAULT_HORIZON_SECONDS = "0"


def _now() -> datetime:
    return datetime.now(UTC)


def horizon_id(now: datetime) -> int:
    """The newest event id a list may show: the last of the millisecond before now - horizon.

    A whole millisecond is either shown or not, so `created_after` = the newest `created_at`
    seen + 1 ms skips nothing.
    """
    try:
        seconds = float(os.environ.get(HORIZON_VARIABLE, DEFAULT_HORIZON_SECONDS))
    except ValueError as error:
        raise ConfigurationUnavailable from error
    if not 0 <= seconds <= 900:  # nonsense (or NaN): never guess a horizon
        raise ConfigurationUnavailable
    return first_id_at(now - timedelta(seconds=seconds)) - 1 if seconds else MAX_ID


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
    settled = replace(asked.query, max_id=min(asked.query.max_id, horizon_id(_now())))
    page = _skip_then_read(log or default_audit_log(), settled, asked.offset, asked.per_page)
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
