"""What a caller of the audit events API sends: a credential, and query parameters to check.

Parameters keep GitLab's names (`created_after`, `created_before`, `entity_type`, `entity_id`,
`per_page`), plus ours (`author_id`, `token_type`) and the keyset `cursor` our `Link` headers
carry. Each bad value is `400 {"error": "<name> is invalid"}`, checked in that order; an unknown
parameter is ignored, as GitLab does.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from admin_token.audit import ENTITY_CLASS_NAMES
from admin_token.audit_ids import MAX_ID, first_id_at
from admin_token.errors import InvalidRequest
from admin_token.storage.audit_log import AuditQuery

DEFAULT_PER_PAGE: Final = 20
MAX_PER_PAGE: Final = 100
CURSOR: Final = "cursor"
PER_PAGE: Final = "per_page"
PAGE: Final = "page"
# Offset pagination (`page=N`, GitLab's default) reaches this many events: page * per_page at most.
# Each deeper page re-reads every event above it; past this, the keyset `Link` goes on for free.
MAX_OFFSET_EVENTS: Final = 1000
# Longest value read for a time or a cursor: anything longer is not one, and is never parsed.
MAX_VALUE_LENGTH: Final = 100
# Record ids are positive integers; 19 digits covers every id GitLab or this service has.
_ID: Final = re.compile(r"[0-9]{1,19}")
_ONE_MILLISECOND: Final = timedelta(milliseconds=1)
_FINER_THAN_A_MILLISECOND: Final = timedelta(microseconds=999)


@dataclass(frozen=True)
class AuditEventsRequest:
    credential: str | None
    # Every value of every query parameter, as sent (API Gateway's multi-value map).
    parameters: Mapping[str, Sequence[str]]
    request_id: str


@dataclass(frozen=True)
class AuditEventsQuery:
    query: AuditQuery
    per_page: int
    page: int | None = None  # offset pagination: the page number asked for, if any

    @property
    def offset(self) -> int:
        """Events to skip before this page: those of the pages above it."""
        return (self.page - 1) * self.per_page if self.page else 0


def parse_audit_query(parameters: Mapping[str, Sequence[str]], token_types: frozenset[str]) -> AuditEventsQuery:
    """The query the parameters ask for; `InvalidRequest("<name> is invalid")` for the first bad one."""
    created_after = _optional(parameters, "created_after")
    created_before = _optional(parameters, "created_before")
    min_id = 1
    max_id = MAX_ID
    if created_after is not None:
        # created_at >= created_after, to the millisecond: round a finer time up.
        min_id = max(min_id, _id_bound(_moment("created_after", created_after), _FINER_THAN_A_MILLISECOND))
    if created_before is not None:
        # created_at <= created_before: everything before the next millisecond.
        max_id = min(max_id, _id_bound(_moment("created_before", created_before), _ONE_MILLISECOND) - 1)
    entity_type = _optional(parameters, "entity_type")
    if entity_type is not None and entity_type not in ENTITY_CLASS_NAMES:
        raise InvalidRequest("entity_type is invalid")
    entity_id = _optional_id(parameters, "entity_id")
    author_id = _optional_author_id(parameters)
    token_type = _optional(parameters, "token_type")
    if token_type is not None and token_type not in token_types:
        raise InvalidRequest("token_type is invalid")
    per_page = _per_page(_optional(parameters, PER_PAGE))
    page = _page(_optional(parameters, PAGE), per_page)
    cursor = _optional(parameters, CURSOR)
    if cursor is not None and page is not None:
        # Two positions at once: the Link's cursor already says where the page starts.
        raise InvalidRequest("page is invalid: a cursor (from the Link header) already says where the page starts")
    if cursor is not None:
        max_id = min(max_id, decode_cursor(cursor) - 1)
    query = AuditQuery(
        min_id=min_id,
        max_id=max_id,
        entity_type=entity_type,
        entity_id=entity_id,
        author_id=author_id,
        token_type=token_type,
    )
    return AuditEventsQuery(query, per_page, page)


def parse_event_id(value: str) -> int:
    """`GET /audit_events/:id`: digits only (GitLab declares the id an Integer), else 400."""
    if not _ID.fullmatch(value):
        raise InvalidRequest("id is invalid")
    return int(value)


def encode_cursor(below: int) -> str:
    """The next page's position: events with an id below `below`. Opaque to clients, as on GitLab."""
    text = json.dumps({"id_below": below}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    problem = InvalidRequest("cursor is invalid")
    if not cursor or len(cursor) > MAX_VALUE_LENGTH:
        raise problem
    try:
        document = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as error:  # UnicodeDecodeError is a ValueError
        raise problem from error
    below = document.get("id_below") if isinstance(document, dict) and len(document) == 1 else None
    if type(below) is not int or not 1 <= below <= MAX_ID + 1:
        raise problem
    return below


def _optional(parameters: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = parameters.get(name)
    if values is None:
        return None
    if len(values) != 1:
        # Repeated: which one counts would depend on who reads the query string.
        raise InvalidRequest(f"{name} is invalid")
    return values[0]


def _optional_id(parameters: Mapping[str, Sequence[str]], name: str) -> int | None:
    value = _optional(parameters, name)
    if value is None:
        return None
    if not _ID.fullmatch(value) or int(value) == 0:
        raise InvalidRequest(f"{name} is invalid")
    return int(value)


def _optional_author_id(parameters: Mapping[str, Sequence[str]]) -> int | None:
    """A user's id, or a negative one: authors with no user record (GitLab Security Bot's -1)."""
    value = _optional(parameters, "author_id")
    if value is not None and value.startswith("-") and _ID.fullmatch(value[1:]) and int(value[1:]) != 0:
        return -int(value[1:])
    return _optional_id(parameters, "author_id")


def _per_page(value: str | None) -> int:
    if value is None:
        return DEFAULT_PER_PAGE
    # Digits only; a long run of them is simply "more than 100" (no huge int is ever built).
    if not re.fullmatch(r"[0-9]+", value) or len(value.lstrip("0")) == 0:
        raise InvalidRequest("per_page is invalid")
    return MAX_PER_PAGE if len(value.lstrip("0")) > 3 else min(int(value), MAX_PER_PAGE)


def _page(value: str | None, per_page: int) -> int | None:
    """`page=N`, from 1, while `N * per_page` stays within MAX_OFFSET_EVENTS."""
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]+", value) or len(value.lstrip("0")) == 0:
        raise InvalidRequest("page is invalid")
    # A long run of digits is simply too deep (no huge int is ever built).
    if len(value.lstrip("0")) > 4 or int(value) * per_page > MAX_OFFSET_EVENTS:
        raise InvalidRequest(
            f"page is invalid: page numbers reach the first {MAX_OFFSET_EVENTS} events (page * per_page); "
            'follow the Link header (rel="next") to read further'
        )
    return int(value)


def _moment(name: str, value: str) -> datetime:
    """ISO 8601 (a date alone is its midnight); without an offset, UTC."""
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidRequest(f"{name} is invalid")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise InvalidRequest(f"{name} is invalid") from error
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _id_bound(moment: datetime, shift: timedelta) -> int:
    """The first id of the millisecond `shift` after `moment`."""
    try:
        return first_id_at(moment + shift)
    except OverflowError:
        # Past year 9999: later than any id can be.
        return MAX_ID + 1
