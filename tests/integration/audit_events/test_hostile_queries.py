"""The audit events API under hostile query strings, paths and headers: never a 5xx.

Hypothesis builds GET events for both routes with arbitrary query parameters (known names with
any text, repeated, unknown names, control characters, huge values), arbitrary path ids and
arbitrary Host / X-Forwarded-Proto headers, and sends them through the real handler as a
`read_api` administrator. For every example:

- the status is 200, 400, or (by id) 404: never >= 500;
- a 400 names a parameter the request actually sent (or the path's `id`);
- a 200 list is a list of at most `X-Per-Page` events, newest first;
- a `Link` header, when sent, is one `<absolute https or http URL>; rel="next"` with no
  whitespace, quote or angle bracket inside the URL, whatever the Host header said.

HOSTILE_SCALE=<factor> multiplies the example budgets (tests/support/hostile_requests.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.integration.audit_events.test_audit_events import LIST_PATH, AuditTable, audit_event
from tests.integration.conftest import Tables, call
from tests.support import demo
from tests.support.hostile_requests import hostile_settings

KNOWN = ["created_after", "created_before", "entity_type", "entity_id", "author_id", "token_type", "per_page",
         "page", "cursor"]  # fmt: skip
LINK = re.compile(r'<(https?://[^\s<>"]+)>; rel="next"')


# Text a query value may hold after API Gateway decoded it: anything, control characters included.
VALUES = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789-+:.TZ ", max_size=40),
    st.from_regex(r"\A[0-9]{1,40}\Z"),
    st.sampled_from(["Ci::Runner", "User", "runner_authentication_token", "2026-11-01T12:00:00Z", "1", "100", ""]),
    st.text(min_size=500, max_size=3000),
)
PARAMETERS = st.dictionaries(
    st.one_of(st.sampled_from(KNOWN), st.text(min_size=1, max_size=10)),
    st.lists(VALUES, min_size=1, max_size=3),
    max_size=6,
)
HOSTS = st.one_of(st.none(), st.text(max_size=60), st.sampled_from(["example.com:443", "[::1]:3000", "a b", "x>y"]))


@pytest.fixture
def some_events(db: Tables) -> None:
    table = AuditTable(db)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(30):
        token_type = ["runner_authentication_token", "feed_token", "personal_access_token"][i % 3]
        table.event(start + timedelta(minutes=i), token_type=token_type, entity_id=i % 4 + 1)


def check(response: Any, sent: set[str]) -> None:
    assert response.status in (200, 400, 404), (response.status, response.body)
    if response.status == 400:
        # "<name> is invalid", perhaps followed by what to do instead (a page too deep: follow Link)
        name = response.body["error"].partition(" is invalid")[0]
        assert set(response.body) == {"error"}
        assert re.fullmatch(rf"{re.escape(name)} is invalid(: [ -~]+)?", response.body["error"]), response.body
        assert name in sent, (name, sent)
    link = response.headers.get("Link")
    if link is not None:
        assert LINK.fullmatch(link), link


@given(parameters=PARAMETERS, host=HOSTS, proto=st.one_of(st.none(), st.text(max_size=10)))
@example(parameters={"per_page": ["1"]}, host='evil.example"><script>', proto="javascript")
@example(parameters={"per_page": ["1"], "x\r\nSet-Cookie: a": ["b\r\nc"]}, host=None, proto=None)
@example(parameters={"cursor": ["e" * 3000]}, host=None, proto=None)
@hostile_settings(300)
def test_any_query_string_is_answered_without_a_5xx(
    some_events: None, parameters: dict[str, list[str]], host: str | None, proto: str | None
) -> None:
    headers = {name: value for name, value in (("Host", host), ("X-Forwarded-Proto", proto)) if value is not None}
    event = audit_event(query=dict(parameters), credential=demo.ADMIN_READ_API, headers=headers)
    if host is None:
        event["headers"].pop("Host", None)
        event["multiValueHeaders"].pop("Host", None)

    response = call("AuditEventsFunction", event)

    check(response, set(parameters))
    if response.status == 200:
        assert isinstance(response.body, list)
        assert len(response.body) <= int(response.headers["X-Per-Page"]) <= 100
        ids = [event["id"] for event in response.body]
        assert ids == sorted(ids, reverse=True)


@given(event_id=st.one_of(st.text(min_size=1, max_size=40).filter(lambda text: "/" not in text),
                          st.from_regex(r"\A[0-9]{1,30}\Z")))  # fmt: skip
@example(event_id="../admin/token")
@example(event_id="%2F")
@hostile_settings(200)
def test_any_event_id_is_answered_without_a_5xx(some_events: None, event_id: str) -> None:
    response = call("AuditEventsFunction", audit_event(f"{LIST_PATH}/{event_id}", credential=demo.ADMIN_READ_API))

    # A path API Gateway would not have routed here may be the resolver's own 404.
    assert response.status in (200, 400, 404), (event_id, response.status, response.body)
    if response.status == 400:
        assert response.body == {"error": "id is invalid"}
    if response.status == 200:
        assert str(response.body["id"]) == event_id.lstrip("0")
