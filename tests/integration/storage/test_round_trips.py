"""The round-trip budget (docs/performance.md): a lookup makes at most 2 sequential DynamoDB calls, caller included; a
revoke at most 2 reads and 1 transaction. No Scan, no Query. Counted with botocore's event hooks
on the client the service itself uses."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.integration.conftest import Api
from tests.support import demo

READS = {"GetItem", "BatchGetItem"}
LOOKUPS = [
    demo.PROJECT_DEPLOY, demo.ALICE_FEED, demo.ALICE_PAT, demo.PROJECT_BOT_PAT, demo.OAUTH_SECRET, demo.AGENT,
    demo.PROJECT_RUNNER, demo.TRIGGER, demo.RUNNING_JOB, demo.FLAGS_CLIENT, demo.ALICE_SESSION,
    demo.ALICE_INCOMING_EMAIL, demo.ADMIN,
]  # fmt: skip
REVOCABLE = [
    demo.ALICE_PAT, demo.PROJECT_BOT_PAT, demo.PROJECT_DEPLOY, demo.ALICE_FEED, demo.ALICE_INCOMING_EMAIL,
    demo.OAUTH_SECRET, demo.FLAGS_CLIENT, demo.AGENT, demo.PROJECT_RUNNER, demo.TRIGGER, demo.ALICE_SESSION,
]  # fmt: skip


def operations(work: list[tuple[str, int]]) -> Counter[str]:
    return Counter(operation for operation, _ in work)


@pytest.mark.parametrize("token", LOOKUPS)
def test_a_lookup_makes_at_most_two_reads(api: Api, dynamodb_work: list[tuple[str, int]], token: str) -> None:
    assert api.lookup(token).status == 200
    dynamodb_calls = operations(dynamodb_work)
    assert set(dynamodb_calls) <= READS
    assert sum(dynamodb_calls.values()) <= 2


@pytest.mark.parametrize("token", REVOCABLE)
def test_a_revoke_makes_at_most_two_reads_and_one_transaction(
    api: Api, dynamodb_work: list[tuple[str, int]], token: str
) -> None:
    assert api.revoke(token).status == 204
    dynamodb_calls = operations(dynamodb_work)
    assert set(dynamodb_calls) <= READS | {"TransactWriteItems"}
    assert sum(dynamodb_calls[name] for name in READS) <= 2
    assert dynamodb_calls["TransactWriteItems"] == 1


@pytest.mark.parametrize("credential", [None, "glpat-unknownCaller000000", demo.NON_ADMIN])
def test_a_refused_caller_costs_no_more(api: Api, dynamodb_work: list[tuple[str, int]], credential: str | None) -> None:
    api.credential = credential
    assert api.revoke(demo.PROJECT_RUNNER).status in (401, 403)
    dynamodb_calls = operations(dynamodb_work)
    assert set(dynamodb_calls) <= READS
    assert sum(dynamodb_calls.values()) <= 2


def test_looking_up_your_own_credential_is_one_key_not_a_duplicate(
    api: Api, dynamodb_work: list[tuple[str, int]]
) -> None:
    # BatchGetItem rejects duplicate keys: the caller's and the target's digest are the same here.
    response = api.lookup(demo.ADMIN)
    assert (response.status, response.body["name"]) == (200, "root-admin")
