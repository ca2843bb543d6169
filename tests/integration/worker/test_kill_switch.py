"""The kill switch stops revokes already queued: with `secret_detection_auto_revoke` off, the
worker revokes nothing and loses nothing; the messages come back, and once the flag is on again
(or once redriven from the dead-letter queue) they are revoked.

Powertools' `FeatureFlags.evaluate` answers its default (off) when the store fails, so "off" alone
proves nothing: each test also shows the worker acting on a value it read (the flag turned on,
for the bot only through a rule, and the same message then revoked).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from admin_token.digests import token_digest
from admin_token_local.sqs_poller import poll_once
from tests.integration.conftest import Tables
from tests.support import demo
from tests.support.revocation import RevocationApi

OFF = {"default": False}
# On for GitLab Security Bot only, through a rule on the context the worker evaluates with: a
# value the worker can only have if it read the document (the default is off).
ON_FOR_THE_BOT = {
    "default": False,
    "rules": {
        "the security bot": {
            "when_match": True,
            "conditions": [{"action": "EQUALS", "key": "username", "value": "GitLab-Security-Bot"}],
        }
    },
}


def queue_runner(revocation: RevocationApi) -> str:
    body = json.dumps({"digest": token_digest(demo.SHARED_RUNNER), "token_type": "runner_authentication_token",
                       "location": None})  # fmt: skip
    revocation.send_raw(body)
    return body


def run_once(revocation: RevocationApi) -> dict[str, Any]:
    results: list[dict[str, Any]] = []

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        results.append(revocation.run_worker(event))
        return results[-1]

    assert poll_once(revocation.sqs, revocation.queue_url, invoke, failed_visibility=0) == 1
    return results[0]


def test_a_queued_finding_meeting_the_flag_off_is_kept_then_revoked_when_it_is_on(
    revocation: RevocationApi, set_flags: Any, db: Tables
) -> None:
    body = queue_runner(revocation)
    set_flags(secret_detection_auto_revoke=OFF)
    result = run_once(revocation)
    assert len(result["batchItemFailures"]) == 1  # not done: SQS delivers it again
    assert db.audit_records() == []
    assert db.token_item(demo.SHARED_RUNNER)["token_type"] == "runner_authentication_token"
    assert revocation.queued() == [json.loads(body)]  # still in the queue, not lost

    set_flags(secret_detection_auto_revoke=ON_FOR_THE_BOT)
    assert run_once(revocation)["batchItemFailures"] == []
    assert [record["token_type"] for record in db.audit_records()] == ["runner_authentication_token"]
    assert revocation.queued() == []


def test_a_finding_held_past_5_receives_waits_in_the_dead_letter_queue_for_a_redrive(
    revocation: RevocationApi, set_flags: Any, db: Tables
) -> None:
    body = queue_runner(revocation)
    set_flags(secret_detection_auto_revoke=OFF)
    for _ in range(5):
        run_once(revocation)
    assert revocation.queued() == []
    assert revocation.queued(revocation.dlq_url) == [json.loads(body)]
    assert db.audit_records() == []

    # The documented redrive: the dead-letter queue's messages back to the queue (here by hand,
    # as StartMessageMoveTask does), once the flag is on again.
    set_flags(secret_detection_auto_revoke=ON_FOR_THE_BOT)
    for message in revocation.sqs.receive_message(QueueUrl=revocation.dlq_url, MaxNumberOfMessages=10)["Messages"]:
        revocation.send_raw(message["Body"])
        revocation.sqs.delete_message(QueueUrl=revocation.dlq_url, ReceiptHandle=message["ReceiptHandle"])
    assert revocation.drain() == 1
    assert [record["author_id"] for record in db.audit_records()] == [-1]


def test_a_finding_met_with_the_configuration_unreadable_is_kept_not_revoked_by_default(
    revocation: RevocationApi, appconfig: Any, db: Tables
) -> None:
    # Powertools would answer the flag's default here; the worker reads a validated snapshot, or nothing.
    from admin_token.config import reset_configuration_cache

    body = queue_runner(revocation)
    reset_configuration_cache()
    appconfig.set_available(False)
    try:
        assert len(run_once(revocation)["batchItemFailures"]) == 1
    finally:
        appconfig.set_available(True)
    assert db.audit_records() == []
    assert revocation.queued() == [json.loads(body)]


def test_each_outcome_of_the_worker_is_counted_under_a_pascal_case_metric(
    revocation: RevocationApi, set_flags: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_runner(revocation)
    set_flags(secret_detection_auto_revoke=OFF)
    capsys.readouterr()
    run_once(revocation)
    set_flags(secret_detection_auto_revoke=ON_FOR_THE_BOT)
    run_once(revocation)

    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    names = {metric["Name"] for document in emitted for directive in document["_aws"]["CloudWatchMetrics"]
             for metric in directive["Metrics"]}  # fmt: skip
    assert {"SecretDetectionHeld", "SecretDetectionDeleted"} <= names
