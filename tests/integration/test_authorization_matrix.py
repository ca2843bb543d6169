"""Issue 3 item 3: every kind of caller against both endpoints, and a refused caller learns
nothing about the target: the same answer, and the same DynamoDB work, whether it exists or not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from admin_token.storage.dynamodb import default_store
from tests.integration.conftest import Api, ApiResponse
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
    "admin without admin_mode scope": demo.ADMIN_NO_ADMIN_MODE,
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
@pytest.mark.parametrize("caller", list(CALLERS))
def test_every_caller_against_both_endpoints(api: Api, endpoint: str, caller: str, set_flags: Any) -> None:
    set_flags(admin_mode={"default": caller == "admin without admin_mode scope"})
    response: ApiResponse = getattr(api, endpoint)(demo.AGENT, as_=CALLERS[caller] or "")
    expected = REFUSED.get(caller, 403)
    assert response.status == expected
    assert response.body == {"message": "401 Unauthorized" if expected == 401 else "403 Forbidden"}


@pytest.mark.parametrize("admin_mode", [False, True], ids=["admin mode off", "admin mode on"])
@pytest.mark.parametrize("endpoint", ["lookup", "revoke"])
def test_an_administrator_with_both_scopes_passes_either_way(
    api: Api, endpoint: str, admin_mode: bool, set_flags: Any
) -> None:
    set_flags(admin_mode={"default": admin_mode})
    assert getattr(api, endpoint)(demo.AGENT).status in (200, 204)


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
