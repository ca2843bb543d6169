"""Incident response over HTTP against `serve`: a dry run, a bulk revoke, and what is remembered afterwards."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ServeProcess
from tests.support import demo

pytestmark = pytest.mark.e2e
TOKEN = "/api/v4/admin/token"
BULK = "/api/v4/admin/tokens/revoke"
ADMIN = {"PRIVATE-TOKEN": demo.ADMIN}


def test_dry_run_then_bulk_then_remembered(seeded_serving: ServeProcess) -> None:
    server = seeded_serving.server
    tokens = [demo.PROJECT_RUNNER, demo.ALICE_FEED, demo.RUNNING_JOB, "ghp_notAGitLabToken00000", demo.PROJECT_RUNNER]

    # Given a dry run of one token: what it would do, and nothing done
    status, headers, plan = server.request("DELETE", TOKEN, body={"token": demo.PROJECT_RUNNER, "dry_run": True},
                                           headers=ADMIN)  # fmt: skip
    assert (status, plan["action"], headers["X-Token-Action"]) == (200, "deleted", "deleted")
    assert server.request("POST", TOKEN, body={"token": demo.PROJECT_RUNNER}, headers=ADMIN)[0] == 200

    # When the whole list is dry-run, then revoked in one call
    _, _, dry = server.request("POST", BULK, body={"tokens": tokens, "dry_run": True}, headers=ADMIN)
    status, _, done = server.request("POST", BULK, body={"tokens": tokens}, headers=ADMIN)

    # Then the dry run predicted the outcomes, one per element, in order
    outcomes = ["deleted", "reset", "refused", "unsupported", "duplicate"]
    assert [result["outcome"] for result in dry["results"]] == outcomes
    assert status == 200
    assert [result["outcome"] for result in done["results"]] == outcomes
    audit_id = done["results"][0]["audit_event_id"]

    # And the runner's token is remembered: GitLab's 404, with when and which audit event
    status, headers, body = server.request("POST", TOKEN, body={"token": demo.PROJECT_RUNNER}, headers=ADMIN)
    assert (status, body) == (404, {"message": {"error": "Not found"}})
    assert headers["X-Token-Type"] == "runner_authentication_token"
    assert headers["X-Audit-Event-Id"] == str(audit_id)
    assert headers["X-Token-Revoked-At"]
    # And a second bulk says already revoked, changing nothing
    _, _, again = server.request("POST", BULK, body={"tokens": tokens[:2]}, headers=ADMIN)
    assert [(result["outcome"], result["status"]) for result in again["results"]] == [
        ("already_revoked", 404),
        ("already_revoked", 404),
    ]
