"""A refused caller learns nothing about the target: the same answer, and the
same DynamoDB work, whether it exists or not. (Every kind of caller against both endpoints, with
admin mode on and off, is in tests/integration/callers/test_who_may_call.py.)"""

from __future__ import annotations

import pytest

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
    # Targets that are no caller's credential: a caller asking about its own token reads one key
    # fewer (the two digests are the same), and learns nothing it did not know.
    "personal access token": (demo.ALICE_IMPERSONATION, "glpat-doesNotExistPat00000"),
    "deploy token": (demo.GROUP_DEPLOY, "gldt-doesNotExistDeploy000"),
    "feed token": (demo.ALICE_FEED, "glft-doesNotExistFeed00000"),
    "session": (demo.ALICE_SESSION, "_gitlab_session=0000000000000000"),
}


@pytest.mark.parametrize("endpoint", ["lookup", "revoke"])
@pytest.mark.parametrize("caller", list(REFUSED))
@pytest.mark.parametrize("target", list(TARGETS))
def test_a_refused_caller_cannot_tell_whether_the_target_exists(
    api: Api, dynamodb_work: list[tuple[str, int]], endpoint: str, caller: str, target: str
) -> None:
    existing, missing = TARGETS[target]
    call = getattr(api, endpoint)

    first = call(existing, as_=CALLERS[caller] or "")
    work_for_existing = list(dynamodb_work)
    dynamodb_work.clear()
    second = call(missing, as_=CALLERS[caller] or "")

    assert (first.status, first.body) == (second.status, second.body)
    assert work_for_existing == dynamodb_work
