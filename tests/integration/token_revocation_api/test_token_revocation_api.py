"""GitLab's Token Revocation API through the real IntakeFunction, on moto: who may call, the types
list, and what `POST /v1/revoke_tokens` queues. (What the worker does with the queue is in worker/.)

Requests are shaped as GitLab's `Security::TokenRevocationService` sends them.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest

from admin_token import revocation_queue
from admin_token.digests import token_digest
from tests.integration.conftest import Tables
from tests.support import demo
from tests.support.revocation import RevocationApi, finding, leak

ALL_TYPES = [
    "gitleaks_rule_id_gitlab_personal_access_token",
    "gitleaks_rule_id_gitlab_personal_access_token_routable",
    "gitleaks_rule_id_gitlab_deploy_token",
    "gitleaks_rule_id_gitlab_feed_token_v2",
    "gitleaks_rule_id_gitlab_oauth_app_secret",
    "gitleaks_rule_id_gitlab_kubernetes_agent_token",
    "gitleaks_rule_id_gitlab_runner_auth_token",
    "gitleaks_rule_id_gitlab_runner_auth_token_routable",
    "gitleaks_rule_id_gitlab_pipeline_trigger_token",
    "gitleaks_rule_id_gitlab_incoming_email_token",
    "gitleaks_rule_id_gitlab_feature_flag_client_token",
    "gitleaks_rule_id_gitlab_scim_oauth_token",
]
UNAUTHORIZED = {"message": "401 Unauthorized"}
FLAG_OFF = {"message": "'secret_detection_auto_revoke' feature flag is disabled"}


# -- who may call, and the types list ----------------------------------------------------------


def test_types_list_every_revocable_type_for_the_pre_shared_token_bare_or_bearer(revocation: RevocationApi) -> None:
    for authorization in (revocation.token, f"Bearer {revocation.token}"):
        answer = revocation.types(authorization=authorization)
        assert (answer.status, answer.body) == (200, {"types": ALL_TYPES})


def test_listing_the_types_is_counted_so_each_request_publishes_a_metric(
    revocation: RevocationApi, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every other route records what it did; without a metric of its own, this one made
    # Powertools warn "No application metrics to publish" on each of GitLab's polls.
    capsys.readouterr()
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        assert revocation.types().status == 200
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(document.get("RevocableTypesListed") == [1.0] for document in emitted)
    assert not [warning for warning in warned if "No application metrics" in str(warning.message)]


def test_pipeline_triggers_are_listed_only_while_their_revoke_expires_them(
    revocation: RevocationApi, set_flags: Any
) -> None:
    set_flags(token_api_expire_pipeline_triggers={"default": False}, secret_detection_auto_revoke={"default": False})
    answer = revocation.types()
    assert answer.status == 200
    assert answer.body["types"] == [t for t in ALL_TYPES if "pipeline_trigger" not in t]


def test_a_type_not_listed_now_is_400_and_nothing_is_queued(revocation: RevocationApi, set_flags: Any) -> None:
    set_flags(token_api_expire_pipeline_triggers={"default": False})
    findings = [*leak(), finding(demo.TRIGGER, "gitlab_pipeline_trigger_token")]
    answer = revocation.revoke(findings)
    assert (answer.status, answer.body) == (
        400,
        {"error": "finding 4: type is not one of GET /v1/revocable_token_types"},
    )
    assert revocation.queued() == []


@pytest.mark.parametrize("authorization", [None, "wrong", "Bearer wrong", "Basic xyz", demo.ADMIN])
def test_a_missing_or_wrong_pre_shared_token_is_401_on_both_routes(
    revocation: RevocationApi, authorization: str | None
) -> None:
    for answer in (
        revocation.types(authorization=authorization),
        revocation.revoke(leak(), authorization=authorization),
    ):
        assert (answer.status, answer.body) == (401, UNAUTHORIZED)
    assert revocation.queued() == []


def test_other_methods_are_405(revocation: RevocationApi) -> None:
    for method, path, allowed in (
        ("POST", "/v1/revocable_token_types", "GET"),
        ("GET", "/v1/revoke_tokens", "POST"),
        ("DELETE", "/v1/revoke_tokens", "POST"),
        ("PUT", "/v1/revocable_token_types", "GET"),
    ):
        answer = revocation.call(method, path)
        assert (answer.status, answer.body) == (405, {"message": "405 Method Not Allowed"}), (method, path)
        assert answer.headers["Allow"] == allowed


# -- POST /v1/revoke_tokens ---------------------------------------------------------------------


def test_findings_are_queued_as_digest_type_and_location_never_the_plaintext(revocation: RevocationApi) -> None:
    answer = revocation.revoke(leak())
    assert (answer.status, answer.body) == (204, None)
    queued = sorted(revocation.queued(), key=lambda body: body["token_type"])
    assert queued == sorted(
        [
            {
                "digest": token_digest(demo.SHARED_RUNNER),
                "token_type": "runner_authentication_token",
                "location": "https://gitlab.example.com/g/p/-/blob/a1/.env#L3",
            },
            {"digest": token_digest(demo.ALICE_FEED), "token_type": "feed_token", "location": None},
            {
                "digest": token_digest(demo.ALICE_IMPERSONATION),
                "token_type": "personal_access_token",
                "location": "config/ci.yml:7",
            },
            {"digest": token_digest(demo.PROJECT_DEPLOY), "token_type": "deploy_token", "location": None},
        ],
        key=lambda body: body["token_type"],
    )
    text = json.dumps(queued)
    assert not any(token in text for token in (demo.SHARED_RUNNER, demo.ALICE_FEED, demo.ALICE_IMPERSONATION))


def test_the_prefix_decides_the_type_a_repeat_is_queued_once_an_unknown_prefix_not_at_all(
    revocation: RevocationApi,
) -> None:
    findings = [
        finding(demo.AGENT, "gitlab_personal_access_token"),  # the type sent is only a hint
        finding(demo.AGENT, "gitlab_kubernetes_agent_token", "second.yml:1"),
        finding("ghp_notAGitLabToken00000", "gitlab_personal_access_token"),
    ]
    assert revocation.revoke(findings).status == 204
    assert revocation.queued() == [{"digest": token_digest(demo.AGENT), "token_type": "cluster_agent_token",
                                    "location": None}]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"type": "x"}, "request body must be a JSON array of findings"),
        ([finding(demo.SHARED_RUNNER, "gitlab_runner_auth_token"), "glrt-x"], "finding 1 must be an object"),
        (
            [finding(demo.SHARED_RUNNER, "gitlab_runner_auth_token"), {"type": ALL_TYPES[0], "token": ""}],
            "finding 1: token must be a non-empty string",
        ),
        (
            [finding(demo.SHARED_RUNNER, "gitlab_runner_auth_token"), {"type": ALL_TYPES[0], "token": 7}],
            "finding 1: token must be a non-empty string",
        ),
        (
            [finding(demo.SHARED_RUNNER, "gitlab_runner_auth_token"), finding(demo.RUNNING_JOB, "gitlab_ci_job_token")],
            "finding 1: type is not one of GET /v1/revocable_token_types",
        ),
    ],
)
def test_one_bad_finding_rejects_the_request_and_queues_nothing(
    revocation: RevocationApi, body: Any, error: str
) -> None:
    answer = revocation.revoke(body)
    assert (answer.status, answer.body) == (400, {"error": error})
    assert revocation.queued() == []


def test_checks_run_401_then_413_then_the_flag_then_400(revocation: RevocationApi, set_flags: Any) -> None:
    too_many = [finding(demo.SHARED_RUNNER, "gitlab_runner_auth_token")] * 10_001
    assert revocation.revoke(too_many, authorization="wrong").status == 401
    set_flags(secret_detection_auto_revoke={"default": False})
    assert revocation.revoke(too_many).status == 413
    assert revocation.call("POST", "/v1/revoke_tokens", raw_body="x" * 6_291_457).status == 413
    answer = revocation.revoke({"not": "a list"})
    assert (answer.status, answer.body) == (404, FLAG_OFF)
    assert revocation.types().status == 200  # only POST is gated
    set_flags(secret_detection_auto_revoke={"default": True})
    assert revocation.revoke({"not": "a list"}).status == 400
    assert revocation.queued() == []


class FlakySqs:
    """The real client, whose SendMessageBatch reports the first entry of each call failed `failures` times."""

    def __init__(self, real: Any, failures: int) -> None:
        self.real, self.failures, self.calls = real, failures, 0

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        if self.failures <= 0:
            return dict(self.real.send_message_batch(QueueUrl=QueueUrl, Entries=Entries))
        self.failures -= 1
        sent = self.real.send_message_batch(QueueUrl=QueueUrl, Entries=Entries[1:]) if Entries[1:] else {}
        failed = [{"Id": Entries[0]["Id"], "SenderFault": False, "Code": "InternalError"}]
        return {"Successful": sent.get("Successful", []), "Failed": failed}


def test_a_partial_send_failure_is_retried_until_every_finding_is_queued(
    revocation: RevocationApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky = FlakySqs(revocation.sqs, failures=2)
    monkeypatch.setattr(revocation_queue, "_client", lambda: flaky)
    assert revocation.revoke(leak()).status == 204
    assert flaky.calls == 3
    assert len(revocation.queued()) == 4


def test_a_lasting_send_failure_is_503_and_sending_again_loses_nothing_and_revokes_once(
    revocation: RevocationApi, monkeypatch: pytest.MonkeyPatch, db: Tables
) -> None:
    flaky = FlakySqs(revocation.sqs, failures=100)
    monkeypatch.setattr(revocation_queue, "_client", lambda: flaky)
    answer = revocation.revoke(leak())
    assert answer.status == 503
    assert answer.headers["Retry-After"] == "1"
    assert len(revocation.queued()) == 3  # all but the one that kept failing
    monkeypatch.setattr(revocation_queue, "_client", lambda: revocation.sqs)
    assert revocation.revoke(leak()).status == 204  # GitLab sends the findings again
    revocation.drain()
    assert db.token_item(demo.SHARED_RUNNER) is None or db.token_item(demo.SHARED_RUNNER)["token_type"] == "tombstone"
    assert len(db.audit_records()) == 4  # each token changed once, whatever was queued twice


# -- the worker ---------------------------------------------------------------------------------
