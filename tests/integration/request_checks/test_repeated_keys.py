"""A repeated JSON key is 400 `{"error": "<key> is repeated"}` and nothing is done, in every body:
the single revoke, the bulk revoke (in bulk/), the findings of the Token Revocation API, and queued messages.

Python's `json` keeps a repeated key's last value, so `"dry_run": true, "dry_run": false` was a
real revoke."""

from __future__ import annotations

import json

from admin_token.digests import token_digest
from tests.integration.conftest import Api, Tables
from tests.support import demo
from tests.support.revocation import RevocationApi, finding

JSON = {"Content-Type": "application/json"}


def test_a_single_revoke_with_dry_run_repeated_is_400_and_revokes_nothing(api: Api, db: Tables) -> None:
    body = f'{{"token": "{demo.AGENT}", "dry_run": true, "dry_run": false}}'
    response = api.revoke(raw_body=body, headers=JSON)
    assert (response.status, response.body) == (400, {"error": "dry_run is repeated"})
    assert db.audit_records() == []
    assert api.lookup(demo.AGENT).body["status"] == "active"


def test_a_repeated_token_key_is_400_on_lookup_and_revoke(api: Api, db: Tables) -> None:
    body = f'{{"token": "{demo.ALICE_FEED}", "token": "{demo.AGENT}"}}'
    for send in (api.lookup, api.revoke):
        response = send(raw_body=body)  # no Content-Type: still read as JSON, still refused
        assert (response.status, response.body) == (400, {"error": "token is repeated"})
    assert db.audit_records() == []


def test_findings_with_a_repeated_key_are_400_and_nothing_is_queued(revocation: RevocationApi) -> None:
    good = json.dumps(finding(demo.AGENT, "gitlab_kubernetes_agent_token"))
    repeated = (
        f'{{"type": "gitleaks_rule_id_gitlab_feed_token_v2", "token": "{demo.ALICE_FEED}",'
        ' "location": "a", "location": "b"}'
    )
    response = revocation.call("POST", "/v1/revoke_tokens", raw_body=f"[{good}, {repeated}]", headers=JSON)
    assert (response.status, response.body) == (400, {"error": "location is repeated"})
    assert revocation.queued() == []


def test_a_queued_message_with_a_repeated_key_is_not_revoked_and_fails(revocation: RevocationApi, db: Tables) -> None:
    from admin_token_local.sqs_poller import sqs_event

    repeated = (
        f'{{"digest": "{token_digest(demo.AGENT)}", "token_type": "cluster_agent_token",'
        ' "token_type": "feed_token", "location": null}'
    )
    revocation.send_raw(repeated)
    # A readable message alongside (a token not found: done), as a batch of only failures raises.
    revocation.send_raw(json.dumps({"digest": token_digest("glpat-noSuchTokenAnywhere00"),
                                    "token_type": "personal_access_token", "location": None}))  # fmt: skip
    received = revocation.sqs.receive_message(QueueUrl=revocation.queue_url, MaxNumberOfMessages=10)["Messages"]
    result = revocation.run_worker(sqs_event(received, "arn:aws:sqs:us-east-1:123456789012:q"))
    by_body = {m["MessageId"]: m["Body"] for m in received}
    assert [by_body[f["itemIdentifier"]] for f in result["batchItemFailures"]] == [repeated]
    assert db.audit_records() == []
