"""A revoke whose transaction committed but whose answer was lost on the way back.

The service retries `TransactWriteItems` with the same `ClientRequestToken`; DynamoDB (and the
local one, tests/local/test_dynamodb_local.py) answers such a retry with success without applying
it again. So the caller is told about the change it made, with its audit id, not `already_revoked`,
404 or `failed`. When every answer is lost the revoke is `503`/`failed`, which docs/contract.md
says means "may have been applied: retry to confirm", and the retry confirms it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from admin_token.storage.dynamodb import MAX_ATTEMPTS, default_store
from tests.integration.conftest import Api, ApiResponse, Tables, call
from tests.support import demo
from tests.support.events import bulk_event


@dataclass
class LostAnswers:
    """Delivers the first `times` TransactWriteItems calls to DynamoDB, then drops their answers."""

    times: int
    delivered: int = 0
    attempts: int = 0


@contextmanager
def answers_lost(times: int) -> Iterator[LostAnswers]:
    client = default_store().client
    lost = LostAnswers(times)

    def deliver_then_lose(request: Any, **kwargs: Any) -> None:
        if not kwargs["event_name"].endswith(".TransactWriteItems"):
            return
        lost.attempts += 1
        if lost.delivered >= lost.times:
            return
        client._endpoint.http_session.send(request)  # DynamoDB gets it and commits (or not)
        lost.delivered += 1
        raise ReadTimeoutError(endpoint_url=request.url)  # ...and the answer never arrives

    client.meta.events.register_first("before-send.dynamodb", deliver_then_lose)
    try:
        yield lost
    finally:
        client.meta.events.unregister("before-send.dynamodb", deliver_then_lose)


def _the_one_audit_id(db: Tables) -> int:
    (record,) = db.audit_records()
    return int(record["audit_id"])


# One token per kind of change: updated in place, made unknown (a tombstone), reset to a new value.
CHANGES = [(demo.ALICE_PAT, "revoked"), (demo.PROJECT_RUNNER, "deleted"), (demo.ALICE_FEED, "reset")]


@pytest.mark.parametrize(("token", "action"), CHANGES)
def test_a_revoke_whose_answer_was_lost_is_reported_as_its_change(
    api: Api, db: Tables, token: str, action: str
) -> None:
    with answers_lost(times=1) as lost:
        response = api.revoke(token)

    assert (lost.delivered, lost.attempts) == (1, 2)  # committed, then retried once
    assert response.status == 204
    assert response.headers["X-Token-Action"] == action
    assert int(response.headers["X-Audit-Event-Id"]) == _the_one_audit_id(db)


def test_a_bulk_element_whose_answer_was_lost_is_reported_with_its_audit_id(api: Api, db: Tables) -> None:
    with answers_lost(times=1):
        response: ApiResponse = call("RevokeFunction", bulk_event({"tokens": [demo.PROJECT_RUNNER]}, demo.ADMIN))

    (result,) = response.body["results"]
    assert (result["outcome"], result["status"]) == ("deleted", 204)
    assert result["audit_event_id"] == _the_one_audit_id(db)


@pytest.mark.parametrize(
    ("token", "confirmed"),
    [(demo.ALICE_PAT, (204, "already_revoked")), (demo.PROJECT_RUNNER, (404, None))],
    ids=["revoked in place", "made unknown"],
)
def test_failed_after_every_answer_was_lost_means_retry_to_confirm(
    api: Api, db: Tables, token: str, confirmed: tuple[int, str | None]
) -> None:
    # Given a revoke whose transaction committed and whose every answer, retries included, was lost
    with answers_lost(times=MAX_ATTEMPTS) as lost:
        failed = api.revoke(token)
    assert lost.delivered == MAX_ATTEMPTS
    assert failed.status == 503  # `failed`: it may have been applied
    audit_id = _the_one_audit_id(db)  # it was, exactly once

    # When the caller retries, as docs/contract.md says to
    retried = api.revoke(token)

    # Then the retry confirms the change, and writes nothing more
    assert (retried.status, retried.headers.get("X-Token-Action")) == confirmed
    if retried.status == 404:  # a token made unknown names the revoke that did it
        assert int(retried.headers["X-Audit-Event-Id"]) == audit_id
    assert _the_one_audit_id(db) == audit_id
