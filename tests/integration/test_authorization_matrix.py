"""Issue 3 item 3: a refused caller learns nothing about the target: the same answer, and the
same DynamoDB work, whether it exists or not. (Every kind of caller against both endpoints, with
admin mode on and off, is in test_caller_authorisation.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from admin_token.storage.dynamodb import default_store
from tests.integration.conftest import Api
from tests.support import demo

CALLERS = {
    "none": None,
    "unknown": "glpat-unknownCallerTk00000",
    "revoked": demo.ADMIN_REVOKED,
    "expired": demo.ADMIN_EXPIRED,
    "feed token as credential": "glft-rootFeedTk9Qm2Lx7Vb4",
    "deploy token as credential": demo.PROJECT_DEPLOY,
    "runner token as credential": demo.SHARED_RUNNER,
    "non-admin": demo.NON_ADMIN,
    "blocked administrator": demo.BLOCKED_ADMIN,
    "read_api only": demo.ADMIN_READ_API,
}
REFUSED = {
    "none": 401, "unknown": 401, "revoked": 401, "expired": 401, "feed token as credential": 401,
    "deploy token as credential": 401, "runner token as credential": 401, "non-admin": 403,
    "blocked administrator": 403, "read_api only": 403,
}  # fmt: skip
# Pairs of targets of one type: one that exists, one that does not.
TARGETS = {
    "runner": (demo.PROJECT_RUNNER, "glrt-doesNotExistRunner000"),
    "personal access token": (demo.ALICE_PAT, "glpat-doesNotExistPat00000"),
    "deploy token": (demo.PROJECT_DEPLOY, "gldt-doesNotExistDeploy000"),
    "feed token": (demo.ALICE_FEED, "glft-doesNotExistFeed00000"),
    "session": (demo.ALICE_SESSION, "_gitlab_session=0000000000000000"),
}


@pytest.fixture
def work(tables: dict[str, str]) -> Iterator[list[tuple[str, int]]]:
    """Each DynamoDB call the service makes, as (operation, number of keys or items)."""
    calls: list[tuple[str, int]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        size = sum(len(request["Keys"]) for request in params.get("RequestItems", {}).values())
        calls.append((model.name, size or len(params.get("TransactItems", []))))

    events = default_store().client.meta.events
    events.register("before-call.dynamodb", record)
    yield calls
    events.unregister("before-call.dynamodb", record)


@pytest.mark.parametrize("endpoint", ["lookup", "revoke"])
@pytest.mark.parametrize("caller", list(REFUSED))
@pytest.mark.parametrize("target", list(TARGETS))
def test_a_refused_caller_cannot_tell_whether_the_target_exists(
    api: Api, work: list[tuple[str, int]], endpoint: str, caller: str, target: str
) -> None:
    existing, missing = TARGETS[target]
    call = getattr(api, endpoint)

    first = call(existing, as_=CALLERS[caller] or "")
    work_for_existing = list(work)
    work.clear()
    second = call(missing, as_=CALLERS[caller] or "")

    assert (first.status, first.body) == (second.status, second.body)
    assert work_for_existing == work
