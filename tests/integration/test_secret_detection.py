"""GitLab's Token Revocation API through the real IntakeFunction and RevocationWorkerFunction, on moto.

Requests are shaped as GitLab's `Security::TokenRevocationService` sends them; the worker is run
as Lambda's event source mapping runs it (tests.support.revocation).
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest

from admin_token import revocation_queue
from admin_token.digests import token_digest
from admin_token.errors import StorageUnavailable
from admin_token.storage.dynamodb import default_store
from tests.integration.conftest import Tables
from tests.support import demo
from tests.support.revocation import RevocationApi, finding

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


@pytest.fixture
def revocation(tables: dict[str, str], dynamodb_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> RevocationApi:
    return RevocationApi(dynamodb_endpoint, monkeypatch)


def leak() -> list[dict[str, Any]]:
    """A pipeline's findings: a runner, a feed token, a personal access token, a deploy token."""
    return [
        finding(demo.SHARED_RUNNER, "gitlab_runner_auth_token", "https://gitlab.example.com/g/p/-/blob/a1/.env#L3"),
        finding(demo.ALICE_FEED, "gitlab_feed_token_v2"),
        finding(demo.ALICE_IMPERSONATION, "gitlab_personal_access_token", "config/ci.yml:7"),
        finding(demo.PROJECT_DEPLOY, "gitlab_deploy_token"),
    ]


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


def test_the_worker_revokes_each_finding_once_as_gitlab_security_bot(revocation: RevocationApi, db: Tables) -> None:
    assert revocation.revoke(leak()).status == 204
    assert revocation.revoke(leak()[:2]).status == 204  # the same tokens, found again: queued again
    assert revocation.drain() == 6
    assert revocation.queued() == []
    records = {record["token_type"]: record for record in db.audit_records()}
    assert sorted(records) == ["deploy_token", "feed_token", "personal_access_token", "runner_authentication_token"]
    runner = records["runner_authentication_token"]
    assert (runner["author_id"], runner["author_name"], runner["author_class"]) == (-1, "GitLab Security Bot",
                                                                                    "SecretDetection")  # fmt: skip
    assert runner["location"] == "https://gitlab.example.com/g/p/-/blob/a1/.env#L3"
    assert "location" not in records["feed_token"] or records["feed_token"]["location"] is None
    assert db.token_item(demo.ALICE_IMPERSONATION)["revoked"] is True


def test_the_audit_events_api_shows_the_bot_and_the_location(revocation: RevocationApi) -> None:
    from tests.integration.conftest import call
    from tests.support.events import proxy_event

    assert revocation.revoke(leak()[:1]).status == 204
    revocation.drain()
    event = proxy_event("GET", headers={"PRIVATE-TOKEN": demo.ADMIN})
    event["path"] = event["resource"] = "/api/v4/audit_events"
    [audit] = call("AuditEventsFunction", event).body
    assert audit["author_id"] == -1
    assert audit["details"]["author_class"] == "SecretDetection"
    assert audit["details"]["author_name"] == "GitLab Security Bot"
    assert audit["details"]["location"] == "https://gitlab.example.com/g/p/-/blob/a1/.env#L3"


def message(token: str, token_type: str, location: str | None = None) -> str:
    return json.dumps({"digest": token_digest(token), "token_type": token_type, "location": location})


def test_refusals_and_tokens_no_longer_there_are_outcomes_and_a_bad_message_alone_fails(
    revocation: RevocationApi, db: Tables
) -> None:
    revocation.send_raw(message(demo.RUNNING_JOB, "ci_job_token"))  # not a revocable type: a bad message
    revocation.send_raw(message(demo.TRIGGER, "pipeline_trigger_token"))
    revocation.send_raw(message("glpat-noSuchTokenAnywhere00", "personal_access_token"))  # not found
    revocation.send_raw("not json")
    received = revocation.sqs.receive_message(QueueUrl=revocation.queue_url, MaxNumberOfMessages=10)["Messages"]
    from admin_token_local.sqs_poller import sqs_event

    result = revocation.run_worker(sqs_event(received, "arn:aws:sqs:us-east-1:123456789012:q"))
    by_body = {m["MessageId"]: m["Body"] for m in received}
    failed = sorted(by_body[f["itemIdentifier"]] for f in result["batchItemFailures"])
    assert failed == sorted([message(demo.RUNNING_JOB, "ci_job_token"), "not json"])
    assert [r["token_type"] for r in db.audit_records()] == ["pipeline_trigger_token"]


def test_a_refused_revoke_writes_nothing_and_the_message_is_done(revocation: RevocationApi, set_flags: Any,
                                                                 db: Tables) -> None:  # fmt: skip
    set_flags(token_api_expire_pipeline_triggers={"default": False})
    revocation.send_raw(message(demo.TRIGGER, "pipeline_trigger_token"))
    assert revocation.drain() == 1
    assert revocation.queued() == []
    assert db.audit_records() == []


def test_a_storage_fault_fails_only_that_message_and_it_goes_to_the_dead_letter_queue_after_5_receives(
    revocation: RevocationApi, monkeypatch: pytest.MonkeyPatch, db: Tables, capsys: pytest.CaptureFixture[str]
) -> None:
    store = default_store()
    apply = store.apply
    runner_digest = token_digest(demo.SHARED_RUNNER)

    def throttled(change: Any, *args: Any, **kwargs: Any) -> None:
        if change.token.digest == runner_digest:
            raise StorageUnavailable
        apply(change, *args, **kwargs)

    monkeypatch.setattr(store, "apply", throttled)
    assert revocation.revoke(leak()).status == 204
    capsys.readouterr()
    revocation.drain()
    assert sorted(r["token_type"] for r in db.audit_records()) == ["deploy_token", "feed_token",
                                                                  "personal_access_token"]  # fmt: skip
    # Each failed receive is counted: retries show before the dead-letter alarm does.
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert sum(document.get("SecretDetectionFailed", [0.0])[0] for document in emitted) == 5
    assert revocation.queued() == []
    assert revocation.queued(revocation.dlq_url) == [
        {"digest": runner_digest, "token_type": "runner_authentication_token",
         "location": "https://gitlab.example.com/g/p/-/blob/a1/.env#L3"}
    ]  # fmt: skip


def test_a_crash_mid_batch_loses_nothing_and_revokes_nothing_twice(
    revocation: RevocationApi, monkeypatch: pytest.MonkeyPatch, db: Tables
) -> None:
    from admin_token import secret_detection

    revoke_queued = secret_detection.revoke_queued
    handled: list[str] = []

    def crash_on_third(*args: Any, **kwargs: Any) -> str:
        if len(handled) == 2:
            handled.append("crash")
            raise SystemExit("the execution environment died")  # not an Exception: the batch processor lets it out
        handled.append("ok")
        return revoke_queued(*args, **kwargs)

    import functions.revocation_worker.app as worker

    monkeypatch.setattr(worker, "revoke_queued", crash_on_third)
    assert revocation.revoke(leak()).status == 204
    with pytest.raises(SystemExit):
        revocation.drain()
    assert len(db.audit_records()) == 2  # two committed before the crash
    assert len(revocation.queued()) == 4  # nothing deleted: the whole batch comes back
    monkeypatch.setattr(worker, "revoke_queued", revoke_queued)
    revocation.drain()
    assert revocation.queued() == []
    assert len(db.audit_records()) == 4  # each once


def test_the_bots_events_are_found_by_its_author_id(revocation: RevocationApi) -> None:
    from tests.integration.conftest import call
    from tests.support.events import proxy_event

    assert revocation.revoke(leak()[:1]).status == 204
    revocation.drain()
    event = proxy_event("GET", headers={"PRIVATE-TOKEN": demo.ADMIN}, query={"author_id": "-1"})
    event["path"] = event["resource"] = "/api/v4/audit_events"
    response = call("AuditEventsFunction", event)
    assert response.status == 200
    assert [audit["author_id"] for audit in response.body] == [-1]
