"""The audit trail has no gaps while revokes commit.

An event's id is minted before its transaction commits. A revoke that commits late would land
behind a reader's cursor, or below a poller's `created_after`, and never be listed to it. Lists
stop at the horizon (now minus `AUDIT_HORIZON_SECONDS`, the longest a writer runs), below which
every id is final: here one commit is held back while another revoke commits and readers read.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from admin_token import audit_service
from admin_token.models.requests import parse_token_request
from admin_token.service import revoke_token
from admin_token.storage.dynamodb import DynamoDBTokenStore
from tests.integration.conftest import Api, call
from tests.support import demo
from tests.support.events import proxy_event

HORIZON = 30


def list_events(**query: str) -> Any:
    event = proxy_event("GET", headers={"PRIVATE-TOKEN": demo.ADMIN}, query=query or None)
    event["path"] = event["resource"] = "/api/v4/audit_events"
    response = call("AuditEventsFunction", event)
    assert response.status == 200, response.body
    return response


def traverse(per_page: int = 1) -> list[int]:
    """Every id, following `rel="next"` as python-gitlab does."""
    ids: list[int] = []
    query: dict[str, str] | None = {"per_page": str(per_page)}
    while query is not None:
        response = list_events(**query)
        ids += [event["id"] for event in response.body]
        link = response.headers.get("Link")
        query = None
        if link:
            url = urlsplit(link[1 : link.index(">")])
            query = {name: values[-1] for name, values in parse_qs(url.query).items()}
    return ids


class Poller:
    """A client polling with `created_after`: the newest `created_at` seen, plus 1 ms."""

    def __init__(self, since: datetime) -> None:
        self.after = since
        self.seen: list[int] = []

    def poll(self) -> None:
        query = {"created_after": self.after.isoformat(), "per_page": "100"}
        events = list_events(**query).body
        self.seen += [event["id"] for event in events]
        if events:
            newest = max(datetime.fromisoformat(event["created_at"]) for event in events)
            self.after = newest + timedelta(milliseconds=1)


@pytest.fixture
def held_commit(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """The cluster agent token's revoke mints its event id, then waits before its transaction."""
    minted, release = threading.Event(), threading.Event()
    apply = DynamoDBTokenStore.apply

    def held(self: DynamoDBTokenStore, change: Any, audit: Any, tombstone: Any = None) -> None:
        if audit.token_type == "cluster_agent_token":
            minted.set()
            assert release.wait(30)
        apply(self, change, audit, tombstone)

    monkeypatch.setattr(DynamoDBTokenStore, "apply", held)
    yield minted, release
    release.set()


def test_a_commit_held_back_is_neither_skipped_by_link_nor_by_created_after(
    api: Api, monkeypatch: pytest.MonkeyPatch, held_commit: tuple[threading.Event, threading.Event]
) -> None:
    minted, release = held_commit
    monkeypatch.setenv("AUDIT_HORIZON_SECONDS", str(HORIZON))
    clock = {"offset": timedelta(0)}
    monkeypatch.setattr(audit_service, "_now", lambda: datetime.now(UTC) + clock["offset"])
    poller = Poller(datetime.now(UTC) - timedelta(minutes=1))

    # Given a revoke that has minted its event id and not yet committed
    slow = threading.Thread(
        target=revoke_token,
        args=(
            parse_token_request(
                headers={"PRIVATE-TOKEN": demo.ADMIN},
                query={},
                base64_encoded=False,
                body=json.dumps({"token": demo.AGENT}),
                request_id="slow",
            ),
        ),
    )
    slow.start()
    assert minted.wait(30)
    # and a later revoke that committed
    assert api.revoke(demo.ALICE_FEED).status == 204

    # When readers read now, and the slow revoke commits after them
    early_traversal = traverse()
    poller.poll()
    release.set()
    slow.join(30)

    # and read again once the horizon has passed (no id minted before it can still commit)
    clock["offset"] = timedelta(seconds=HORIZON + 1)
    late_traversal = traverse()
    poller.poll()
    poller.poll()

    # Then every traversal is a whole prefix of the trail: nothing below an id it showed is missing
    everything = late_traversal
    assert len(everything) == len(set(everything)) == 2
    for ids in (early_traversal, late_traversal):
        assert ids == [i for i in everything if ids and i <= max(ids)]
    # and the poller saw each event exactly once
    assert sorted(poller.seen) == sorted(everything)


def test_events_show_once_the_horizon_has_passed(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIT_HORIZON_SECONDS", str(HORIZON))
    clock = {"offset": timedelta(0)}
    monkeypatch.setattr(audit_service, "_now", lambda: datetime.now(UTC) + clock["offset"])
    assert api.revoke(demo.ALICE_FEED).status == 204
    assert list_events().body == []
    clock["offset"] = timedelta(seconds=HORIZON + 1)
    assert [event["details"]["token_type"] for event in list_events().body] == ["feed_token"]


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "100000"])
def test_a_horizon_that_is_not_a_number_of_seconds_is_503_not_a_guess(
    api: Api, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("AUDIT_HORIZON_SECONDS", value)
    event = proxy_event("GET", headers={"PRIVATE-TOKEN": demo.ADMIN})
    event["path"] = event["resource"] = "/api/v4/audit_events"
    assert call("AuditEventsFunction", event).status == 503
