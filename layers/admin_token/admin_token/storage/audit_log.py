"""The read side of the audit trail: what the audit events API asks of storage."""

from __future__ import annotations

from typing import Protocol

from admin_token.models.frozen import Frozen
from admin_token.storage.base import AuditRecord


class AuditQuery(Frozen, kw_only=False):
    """Events with `min_id <= audit_id <= max_id` and every given field equal, newest first.

    Time filters and the keyset cursor are already id bounds here (see admin_token.audit_ids).
    """

    min_id: int
    max_id: int
    entity_type: str | None = None
    entity_id: int | None = None
    author_id: int | None = None
    token_type: str | None = None


class AuditPage(Frozen, kw_only=False):
    """Up to `limit` matching events, newest first, and where the next page starts.

    `more_below` is None when no older event matches; otherwise the next page is the same query
    with `max_id = more_below - 1`. A page may hold fewer than `limit` events and still have
    more below: each request examines a bounded number of events, whatever the filter.
    """

    records: tuple[AuditRecord, ...]
    more_below: int | None


class AuditLog(Protocol):
    def get_event(self, audit_id: int) -> AuditRecord | None:
        """One event by id (a strongly consistent key lookup), or None."""

    def find_events(self, query: AuditQuery, limit: int) -> AuditPage:
        """Matching events, newest first: always a Query on an index sorted by id, never a Scan."""
