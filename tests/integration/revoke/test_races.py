"""For every revocable type, 16 concurrent revokes of one token (16 processes,
one moto server): exactly one effective action, exactly one audit record, a consistent final
state. And a lookup racing a revoke sees the before or the after, never a half."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from tests.integration.conftest import Api, Tables
from tests.support import demo
from tests.support.races import at_one_instant, invoke_at, worker_pool

RACERS = 16
REVOCABLE = demo.revocable(RACERS)


@pytest.fixture(scope="module")
def pool(dynamodb_endpoint: str, appconfig: Any) -> Iterator[ProcessPoolExecutor]:
    with worker_pool(RACERS) as executor:
        yield executor


def race(pool: ProcessPoolExecutor, requests: list[tuple[str, str]]) -> list[tuple[int, Any]]:
    return at_one_instant(pool, invoke_at, [(method, token, demo.ADMIN) for method, token in requests])


def tokens_of(db: Tables, token_type: str) -> list[dict[str, Any]]:
    return [item for item in db.all_items("TokensTable") if item["token_type"] == token_type]


@pytest.mark.parametrize("kind", list(REVOCABLE))
def test_sixteen_concurrent_revokes_have_one_effect(api: Api, db: Tables, pool: ProcessPoolExecutor, kind: str) -> None:
    token, expected = REVOCABLE[kind]
    token_type = db.token_item(token)["token_type"]
    count_before = len(tokens_of(db, token_type))

    results = race(pool, [("DELETE", token)] * RACERS)

    assert Counter(status for status, _ in results) == Counter(expected)
    [audit] = db.audit_records()
    assert audit["token_type"] == token_type
    # one effective action, and a final state that is whole
    after = api.lookup(token)
    if expected.get(404):
        assert after.status == 404
        resets = token_type not in ("runner_authentication_token", "gitlab_session")
        assert len(tokens_of(db, token_type)) == count_before - (0 if resets else 1)
        if token_type == "runner_authentication_token":
            assert [item for item in db.all_items("RunnersTable") if item["runner_id"] == 2] == []
    else:
        assert after.status == 200
        assert db.token_item(token)["version"] == 2


@pytest.mark.parametrize("kind", list(REVOCABLE))
def test_a_lookup_racing_a_revoke_sees_before_or_after(api: Api, pool: ProcessPoolExecutor, kind: str) -> None:
    token, _ = REVOCABLE[kind]
    before = api.lookup(token)
    requests = [("POST", token)] * 7 + [("DELETE", token)] + [("POST", token)] * 7

    results = race(pool, requests)

    after = api.lookup(token)
    assert results[7][0] == 204
    seen = [result for index, result in enumerate(results) if index != 7]
    allowed = [(before.status, before.body), (after.status, after.body)]
    assert all(result in allowed for result in seen), seen
