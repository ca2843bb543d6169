"""The revocation worker: each queued finding revoked once, as the GitLab Security Bot; refusals and
faults fail only their own message, and a crash mid-batch loses nothing.

The worker is run as Lambda's event source mapping runs it (tests.support.revocation)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from admin_token.digests import token_digest
from admin_token.errors import StorageUnavailable
from admin_token.storage.dynamodb import default_store
from tests.integration.conftest import Tables
from tests.support import demo
from tests.support.revocation import RevocationApi, leak


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
