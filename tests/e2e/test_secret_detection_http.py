"""GitLab's secret detection against `serve`, exactly as `Security::TokenRevocationService` calls it.

GitLab first GETs the revocable types with the pre-shared token bare in `Authorization`, keeps the
findings whose `type` is listed, and POSTs them as a JSON array of `{type, token, location,
vulnerability}`. The revokes then land asynchronously (queue, poller, worker): the test waits,
bounded, until each token shows its revoked state, then reads the audit trail.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import ServeProcess, plaintexts_in, start_serve
from tests.support import demo
from tests.support.plaintexts import DEMO_SEED, seed_plaintexts

pytestmark = pytest.mark.e2e
WAIT_SECONDS = 30


@pytest.fixture(scope="module")
def serving() -> Iterator[ServeProcess]:
    serving = start_serve("--seed", str(DEMO_SEED), banner_lines=0)
    yield serving
    serving.stop()
    assert plaintexts_in(serving.output_after_banner(), seed_plaintexts()) == []
    assert serving.server.revocation_token not in "\n".join(serving.output_after_banner())


def gitlab_findings() -> list[dict[str, Any]]:
    """What ScanSecurityReportSecretsWorker builds from a secret detection report."""

    def found(token: str, rule: str, location: str) -> dict[str, Any]:
        return {
            "type": f"gitleaks_rule_id_{rule}",
            "token": token,
            "location": location,
            "vulnerability": {"name": f"GitLab {rule}", "severity": "critical", "confidence": "unknown"},
        }

    return [
        found(demo.PROJECT_RUNNER, "gitlab_runner_auth_token", "https://gitlab.example.com/g/p/-/blob/c0ffee/.env#L1"),
        found(demo.ALICE_IMPERSONATION, "gitlab_personal_access_token", ""),
        found(demo.GROUP_DEPLOY, "gitlab_deploy_token", "https://gitlab.example.com/g/p/-/blob/c0ffee/ci.yml#L9"),
        found(demo.ALICE_FEED, "gitlab_feed_token_v2", ""),
        found(demo.RUNNING_JOB, "gitlab_ci_job_token", ""),  # not listed by the API: GitLab filters it out
    ]


def test_gitlab_types_first_then_the_filtered_findings_are_each_revoked_once(serving: ServeProcess) -> None:
    server = serving.server
    gitlab = {"Authorization": server.revocation_token}  # bare, as GitLab sends it

    status, _, body = server.request("GET", "/v1/revocable_token_types", headers=gitlab)
    assert status == 200
    findings = [finding for finding in gitlab_findings() if finding["type"] in body["types"]]
    assert len(findings) == 4
    status, _, body = server.request("POST", "/v1/revoke_tokens", body=findings, headers=gitlab)
    assert (status, body) == (204, None)

    admin = {"PRIVATE-TOKEN": demo.ADMIN}

    def state(token: str) -> tuple[int, Any]:
        status, _, body = server.request("POST", "/api/v4/admin/token", body={"token": token}, headers=admin)
        return status, body

    def revoked(token: str) -> bool:
        status, body = state(token)
        # A deleted runner and a reset feed token are unknown now; a PAT and a deploy token say revoked.
        return status == 404 or (status == 200 and body.get("revoked") is True)

    tokens = [demo.PROJECT_RUNNER, demo.ALICE_IMPERSONATION, demo.GROUP_DEPLOY, demo.ALICE_FEED]
    deadline = time.monotonic() + WAIT_SECONDS
    while not all(revoked(token) for token in tokens):
        assert time.monotonic() < deadline, {token[:6]: state(token)[0] for token in tokens}
        time.sleep(0.2)

    status, _, events = server.request("GET", "/api/v4/audit_events?per_page=100", headers=admin)
    assert status == 200
    by_type: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_type.setdefault(event["details"]["token_type"], []).append(event)
    assert {name: len(found) for name, found in by_type.items()} == {
        "runner_authentication_token": 1,
        "personal_access_token": 1,
        "deploy_token": 1,
        "feed_token": 1,
    }
    for [event] in by_type.values():
        assert event["author_id"] == -1
        assert (event["details"]["author_class"], event["details"]["author_name"]) == (
            "SecretDetection",
            "GitLab Security Bot",
        )
    [runner] = by_type["runner_authentication_token"]
    assert runner["details"]["location"] == "https://gitlab.example.com/g/p/-/blob/c0ffee/.env#L1"
    assert by_type["feed_token"][0]["details"]["location"] is None

    # GitLab sends the same findings again (a retried job): nothing changes twice.
    assert server.request("POST", "/v1/revoke_tokens", body=findings, headers=gitlab)[0] == 204
    time.sleep(2)
    assert len(server.request("GET", "/api/v4/audit_events?per_page=100", headers=admin)[2]) == 4


def test_a_wrong_pre_shared_token_is_refused(serving: ServeProcess) -> None:
    status, _, body = serving.server.request("GET", "/v1/revocable_token_types", headers={"Authorization": "nope"})
    assert (status, body) == (401, {"message": "401 Unauthorized"})
