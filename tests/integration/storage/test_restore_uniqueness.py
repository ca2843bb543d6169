"""Copies of one initialised execution environment mint their own ids, tokens and random draws.

SnapStart resumes many execution environments from one snapshot of an initialised one; fork()
copies a process the same way, so this test initialises RevokeFunction once (handler imported,
clients built, a revoke made: pooled connections, an AppConfig session and a minted audit id to
copy), forks several processes from it, and has each make revokes at the same instant. A restore
copies memory exactly, where fork() also reseeds `random` on its own, so each copy first puts
`random` back as the original had it, then runs what Lambda's runtime runs after a restore: the
hooks registered through `snapshot_restore_py` (a stand-in module here, as on Lambda's runtime).
What must stay unique (admin_token/restore.py) is then compared across the copies:

- every `ClientRequestToken` any copy sent is distinct;
- every revoke succeeded with its own audit record, all ids distinct (two environments minting in
  one millisecond may draw the same id, 1 in 4,096 by design: the audit put's condition refuses
  it and the revoke mints again, so no committed id repeats);
- `random`'s draws differ between copies and from what the original would have drawn next (its
  generator is reseeded: retry jitter in step across environments would make retries collide);
- every copy's DynamoDB requests succeed, none sharing the original's pooled sockets.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import types
from typing import Any

import pytest

from admin_token import restore
from admin_token.storage.dynamodb import default_store
from admin_token_local.lambda_runtime import FakeLambdaContext
from tests.integration.conftest import Tables
from tests.support.demo import ADMIN
from tests.support.events import proxy_event

COPIES = 4
REVOKES_EACH = 5

_sent: list[dict[str, Any]] = []
_after_restore: list[Any] = []


class _RuntimeHooks(types.ModuleType):
    """`snapshot_restore_py` as Lambda's Python runtime provides it: hooks run after a restore."""

    def register_after_restore(self, hook: Any, *args: Any, **kwargs: Any) -> Any:
        _after_restore.append(hook)
        return hook


def _record(params: dict[str, Any], **_: Any) -> None:
    if "TransactItems" in params:
        audit = params["TransactItems"][-1]["Put"]["Item"]
        _sent.append({"request_token": params["ClientRequestToken"], "audit_id": int(audit["audit_id"]["N"])})


def _token(copy: int, n: int) -> str:
    return f"glpat-forkCopy{copy}Revoke{n:02d}Tk7"


def _pat(token_id: int, token: str) -> dict[str, Any]:
    return {
        "id": token_id,
        "user_id": 1,
        "name": f"fork-{token_id}",
        "description": "forked copy",
        "token": token,
        "scopes": ["api"],
        "expires_at": "2099-01-01",
        "revoked": False,
        "impersonation": False,
        "created_at": "2024-01-01T00:00:00Z",
        "last_used_at": None,
    }


def _revoke(token: str) -> int:
    from functions.revoke.app import lambda_handler

    event = proxy_event("DELETE", body={"token": token}, headers={"PRIVATE-TOKEN": ADMIN})
    status: int = lambda_handler(event, FakeLambdaContext("RevokeFunction", 1024, 28))["statusCode"]
    return status


def _copy(copy: int, start_at: float, write_end: int, random_state: Any) -> None:
    """A forked copy, made a restored one: revoke this copy's tokens from the shared instant on;
    report; exit."""
    try:
        random.setstate(random_state)  # memory as the snapshot holds it
        for hook in _after_restore:
            hook()
        _sent.clear()
        draw = random.random()
        time.sleep(max(0.0, start_at - time.time()))
        statuses = [_revoke(_token(copy, n)) for n in range(REVOKES_EACH)]
        report = {"statuses": statuses, "sent": _sent, "draw": draw}
    except BaseException as error:  # reported to the test, which fails on it
        report = {"error": repr(error)}
    with os.fdopen(write_end, "w") as out:
        json.dump(report, out)
    os._exit(0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() copies a process as a restore copies a snapshot")
# Python warns of fork() in a process with threads (here moto's server threads): a copy may
# inherit a lock one of them held. The copies call only the handler, over new connections, and
# end with os._exit: a restored Lambda environment is such a copy too.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded, use of fork:DeprecationWarning")
def test_forked_copies_of_an_initialised_environment_never_repeat_an_id_a_token_or_a_draw(
    tables: dict[str, str], add_seed: Any, db: Tables, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", _RuntimeHooks("snapshot_restore_py"))
    assert restore.register_with_runtime()
    assert _after_restore == [restore.new_environment]
    tokens = [(9000 + 100 * c + n, _token(c, n)) for c in range(COPIES + 1) for n in range(REVOKES_EACH)]
    add_seed({"personal_access_tokens": [_pat(token_id, token) for token_id, token in tokens]})
    events = default_store().client.meta.events
    events.register("before-parameter-build.dynamodb.TransactWriteItems", _record)
    try:
        # Initialise once, and use it: what a copy inherits is a warmed environment.
        assert _revoke(_token(COPIES, 0)) == 204
        original = list(_sent)
        state = random.getstate()
        original_next_draw = random.random()
        random.setstate(state)

        start_at = time.time() + 0.5
        readers = []
        for copy in range(COPIES):
            read_end, write_end = os.pipe()
            if os.fork() == 0:
                os.close(read_end)
                _copy(copy, start_at, write_end, state)
            os.close(write_end)
            readers.append(read_end)
        reports = []
        for read_end in readers:
            with os.fdopen(read_end) as source:
                reports.append(json.loads(source.read()))
        for _ in readers:
            os.wait()
    finally:
        events.unregister("before-parameter-build.dynamodb.TransactWriteItems", _record)

    assert all("error" not in report for report in reports), reports
    assert all(report["statuses"] == [204] * REVOKES_EACH for report in reports), reports

    sent = original + [attempt for report in reports for attempt in report["sent"]]
    tokens = [attempt["request_token"] for attempt in sent]
    assert len(tokens) == len(set(tokens)) >= 1 + COPIES * REVOKES_EACH

    records = db.audit_records()
    ids = [int(record["audit_id"]) for record in records]
    assert len(ids) == len(set(ids)) == 1 + COPIES * REVOKES_EACH
    committed = {attempt["audit_id"] for attempt in sent} & set(ids)
    assert committed == set(ids)

    draws = [report["draw"] for report in reports]
    assert len(set(draws)) == COPIES
    assert original_next_draw not in draws
