"""`serve --events-log FILE` writes one `Token revoked` line per committed revoke."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from admin_token.digests import token_digest
from tests.e2e.conftest import plaintexts_in, start_serve
from tests.support import demo
from tests.support.plaintexts import DEMO_SEED, seed_plaintexts

ADMIN = {"PRIVATE-TOKEN": demo.ADMIN}


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def wait_for_lines(path: Path, count: int, within: float = 15.0) -> list[str]:
    deadline = time.monotonic() + within
    while len(lines_of(path)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return lines_of(path)


def test_each_revoke_over_http_is_one_event_line_and_a_dry_run_none(tmp_path: Path) -> None:
    events_log = tmp_path / "events.jsonl"
    serving = start_serve("--seed", str(DEMO_SEED), "--events-log", str(events_log), banner_lines=0)
    try:
        server = serving.server
        status, _, _ = server.request("DELETE", "/api/v4/admin/token", body={"token": demo.FLAGS_CLIENT,
                                      "dry_run": True}, headers=ADMIN)  # fmt: skip
        assert status == 200
        status, headers, _ = server.request("DELETE", "/api/v4/admin/token", body={"token": demo.AGENT}, headers=ADMIN)
        assert status == 204
        expected = {int(headers["X-Audit-Event-Id"])}
        tokens = [demo.TRIGGER, demo.ALICE_FEED, demo.ADMIN_REVOKED]  # the last is already revoked
        status, _, bulk = server.request("POST", "/api/v4/admin/tokens/revoke", body={"tokens": tokens}, headers=ADMIN)
        assert status == 200
        expected |= {result["audit_event_id"] for result in bulk["results"] if result.get("audit_event_id")}
        assert len(expected) == 3

        lines = wait_for_lines(events_log, 3)
        time.sleep(1.0)  # several polls more: nothing else may follow
        lines = lines_of(events_log)
    finally:
        serving.stop()

    events: list[dict[str, Any]] = [json.loads(line) for line in lines]
    assert [event["detail-type"] for event in events] == ["Token revoked"] * 3
    assert {event["source"] for event in events} == {"admin-token-api"}
    assert sorted(event["detail"]["audit_event_id"] for event in events) == sorted(expected)
    for event in events:
        assert {"version", "id", "account", "time", "region", "resources"} <= set(event)
    # No token, no digest: not in the events, nor anywhere in what serve wrote.
    secrets = seed_plaintexts()
    assert plaintexts_in(lines, secrets) == []
    assert plaintexts_in(serving.output_after_banner(), secrets) == []
    assert token_digest(demo.AGENT) not in "\n".join(serving.stdout + serving.stderr)
