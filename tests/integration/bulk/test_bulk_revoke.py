"""`POST /api/v4/admin/tokens/revoke`, up to 1,000 tokens with a result per token: its answers, its
refusals of a whole request, its cost, and concurrent bulks."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from admin_token.errors import StorageUnavailable
from admin_token.models.requests import NO_CONTENT_TYPE
from tests.integration.conftest import ApiResponse, Tables, call, everything
from tests.support import demo
from tests.support.events import bulk_event
from tests.support.races import at_one_instant, bulk_at, worker_pool

OUTCOMES = [
    "revoked", "reset", "deleted", "expired", "already_revoked", "not_found", "unsupported", "refused", "invalid",
    "duplicate", "failed",
]  # fmt: skip
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
INVALID = (400, {"error": "dry_run is invalid"})


def bulk(body: Any = None, *, as_: str | None = demo.ADMIN, **event: Any) -> ApiResponse:
    return call("RevokeFunction", bulk_event(body, as_, **event))


def outcomes(response: ApiResponse) -> list[str]:
    return [result["outcome"] for result in response.body["results"]]


# -- the whole request is refused ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "credential", "status", "answer"),
    [
        ({"tokens": [demo.AGENT]}, None, 401, {"message": "401 Unauthorized"}),
        ({"tokens": [demo.AGENT]}, demo.NON_ADMIN, 403, {"message": "403 Forbidden"}),
        ({"tokens": [demo.AGENT]}, demo.ADMIN_READ_API, 403, {"message": "403 Forbidden"}),
        ("not json", None, 401, {"message": "401 Unauthorized"}),  # the caller comes first
        ({}, demo.ADMIN, 400, {"error": "tokens is missing"}),
        ({"tokens": "glpat-x"}, demo.ADMIN, 400, {"error": "tokens must be a list of 1 to 1000 tokens"}),
        ({"tokens": []}, demo.ADMIN, 400, {"error": "tokens must be a list of 1 to 1000 tokens"}),
        ({"tokens": ["glpat-x"] * 1001}, demo.ADMIN, 400, {"error": "tokens must be a list of 1 to 1000 tokens"}),
        ({"tokens": {"0": demo.AGENT}}, demo.ADMIN, 400, {"error": "tokens must be a list of 1 to 1000 tokens"}),
        ({"tokens": [demo.AGENT], "dry_run": "yes"}, demo.ADMIN, 400, {"error": "dry_run is invalid"}),
        ({"tokens": [demo.AGENT], "dry_run": None}, demo.ADMIN, 400, {"error": "dry_run is invalid"}),
        # Sent without a Content-Type: the 400 says how the body was read.
        ("[]", demo.ADMIN, 400, {"error": f"request body must be a JSON object ({NO_CONTENT_TYPE})"}),
        ("{", demo.ADMIN, 400, {"error": f"request body is not valid JSON ({NO_CONTENT_TYPE})"}),
    ],
)
def test_a_bad_request_is_refused_whole_and_changes_nothing(
    db: Tables, body: Any, credential: str | None, status: int, answer: dict[str, Any]
) -> None:
    before = everything(db)
    response = bulk(body, as_=credential) if not isinstance(body, str) else bulk(None, as_=credential, raw_body=body)
    assert (response.status, response.body) == (status, answer)
    assert everything(db) == before


def test_tokens_in_the_query_string_and_oversized_and_non_json_bodies_are_refused(db: Tables) -> None:
    before = everything(db)
    query = bulk({"tokens": [demo.AGENT]}, query={"tokens": demo.AGENT})
    assert (query.status, query.body) == (400, {"error": "tokens must be sent in the request body"})
    huge = bulk({"tokens": ["glpat-" + "x" * 300] * 900})
    assert (huge.status, huge.body) == (413, {"error": "request body too large"})
    form = call(
        "RevokeFunction",
        {
            **bulk_event(None, demo.ADMIN, raw_body=f"tokens={demo.AGENT}"),
            "headers": {"PRIVATE-TOKEN": demo.ADMIN, "Content-Type": "application/x-www-form-urlencoded"},
            "multiValueHeaders": {
                "PRIVATE-TOKEN": [demo.ADMIN],
                "Content-Type": ["application/x-www-form-urlencoded"],
            },
        },
    )
    assert form.status == 415
    assert everything(db) == before


def test_with_the_flag_off_nothing_is_examined(db: Tables, set_flags: Any) -> None:
    set_flags(api_admin_token_revoke={"default": False})
    response = bulk({"tokens": "not even a list"})
    assert (response.status, response.body) == (404, {"message": "'api_admin_token_revoke' feature flag is disabled"})


# -- one result per element ------------------------------------------------------------------------


def test_each_element_is_answered_as_its_single_delete_would_be(db: Tables) -> None:
    # Given a runner already unregistered, and a personal access token already revoked
    assert bulk({"tokens": [demo.SHARED_RUNNER, demo.GROUP_BOT_PAT]}).status == 200
    earlier_audit = {record["token_type"]: record["audit_id"] for record in db.audit_records()}
    tokens = [
        demo.ALICE_PAT,  # revoked
        "ghp_notAGitLabTokenAtAll1234",  # unsupported
        demo.RUNNING_JOB,  # refused
        demo.ALICE_PAT,  # duplicate of 0
        demo.ALICE_FEED,  # reset
        demo.PROJECT_RUNNER,  # deleted
        demo.TRIGGER,  # expired
        demo.GROUP_BOT_PAT,  # already revoked (in place)
        demo.SHARED_RUNNER,  # already revoked (tombstone)
        "glpat-noSuchTokenAnywhere00",  # not found
        42,  # invalid
        demo.ORPHAN_DEPLOY,  # refused: neither project nor group
    ]

    response = bulk({"tokens": tokens})

    assert response.status == 200
    body = response.body
    assert body["dry_run"] is False
    assert outcomes(response) == [
        "revoked", "unsupported", "refused", "duplicate", "reset", "deleted", "expired", "already_revoked",
        "already_revoked", "not_found", "invalid", "refused",
    ]  # fmt: skip
    assert body["summary"] == {**dict.fromkeys(OUTCOMES, 0), **Counter(outcomes(response))}
    results = body["results"]
    assert [result["index"] for result in results] == list(range(len(tokens)))
    assert [result.get("status") for result in results] == [204, 422, 400, None, 204, 204, 204, 204, 404, 404, 400, 400]
    assert results[0]["token_hint"] == "glpat-…" + demo.ALICE_PAT[-4:]
    assert results[0]["target"] == {"type": "personal_access_token", "id": 6}
    assert results[1] == {"index": 1, "token_hint": "ghp_…1234", "token_type": None, "outcome": "unsupported",
                          "status": 422}  # fmt: skip
    assert results[2]["message"] == "Unsupported token type"
    assert results[3] == {
        "index": 3, "token_hint": results[0]["token_hint"], "token_type": "personal_access_token",
        "outcome": "duplicate", "duplicate_of": 0,
    }  # fmt: skip
    assert results[5]["cascade"] == [{"type": "runner_project", "id": 10}, {"type": "runner_project", "id": 11}]
    assert results[8]["audit_event_id"] == earlier_audit["runner_authentication_token"]
    assert "revoked_at" in results[8]
    assert results[10] == {"index": 10, "token_hint": None, "token_type": None, "outcome": "invalid", "status": 400}
    assert results[11]["message"] == "Unsupported deploy token type"
    # Each change is its own transaction with its own audit record, named in its result
    audit_ids = {record["audit_id"] for record in db.audit_records()} - set(earlier_audit.values())
    assert {result["audit_event_id"] for result in results[:8] if "audit_event_id" in result} == audit_ids
    assert len(audit_ids) == 4
    # And the answer holds no token
    text = json.dumps(body)
    assert not [token for token in tokens if isinstance(token, str) and token in text]


def test_a_dry_run_predicts_the_real_run_and_writes_nothing(db: Tables) -> None:
    tokens = [demo.ALICE_PAT, demo.PROJECT_RUNNER, demo.OAUTH_SECRET, demo.RUNNING_JOB, "glpat-nothing0000000", 7]
    before = everything(db)

    dry = bulk({"tokens": tokens, "dry_run": True})

    assert everything(db) == before
    assert dry.body["dry_run"] is True
    real = bulk({"tokens": tokens})
    assert outcomes(dry) == outcomes(real) == ["revoked", "deleted", "reset", "refused", "not_found", "invalid"]
    for predicted, done in zip(dry.body["results"], real.body["results"], strict=True):
        assert predicted.get("target") == done.get("target")
        assert "audit_event_id" not in predicted


def test_a_storage_fault_fails_only_its_own_element(db: Tables, monkeypatch: pytest.MonkeyPatch) -> None:
    from admin_token.storage.dynamodb import DynamoDBTokenStore

    original_apply = DynamoDBTokenStore.apply

    def failing_for_runners(self: DynamoDBTokenStore, change: Any, *args: Any, **kwargs: Any) -> None:
        if change.token.token_type == "runner_authentication_token":
            raise StorageUnavailable
        original_apply(self, change, *args, **kwargs)

    monkeypatch.setattr(DynamoDBTokenStore, "apply", failing_for_runners)
    response = bulk({"tokens": [demo.AGENT, demo.PROJECT_RUNNER, demo.ALICE_SESSION]})

    assert outcomes(response) == ["revoked", "failed", "deleted"]
    failed = response.body["results"][1]
    assert (failed["status"], failed["retryable"]) == (503, True)
    assert len(db.audit_records()) == 2


def test_a_thousand_tokens_take_few_reads_and_one_transaction_per_change(
    db: Tables, dynamodb_work: list[tuple[str, int]]
) -> None:
    real = [demo.ALICE_PAT, demo.PROJECT_DEPLOY, demo.AGENT, demo.TRIGGER, demo.ALICE_FEED, demo.PROJECT_RUNNER]
    tokens = real + [f"glpat-missingToken{number:05d}" for number in range(1000 - len(real))]

    response = bulk({"tokens": tokens})

    assert Counter(outcomes(response)) == {"not_found": 994, "revoked": 3, "expired": 1, "reset": 1, "deleted": 1}
    operations = Counter(operation for operation, _ in dynamodb_work)
    # 2 for the caller, 10 for 1,000 digests, 1 for what the 6 found tokens point to
    assert operations["BatchGetItem"] <= 2 + 10 + 10
    assert all(size <= 100 for operation, size in dynamodb_work if operation == "BatchGetItem")
    assert operations["TransactWriteItems"] == 6
    assert len(db.audit_records()) == 6


@pytest.fixture(scope="module")
def pool(dynamodb_endpoint: str, appconfig: Any) -> Iterator[ProcessPoolExecutor]:
    with worker_pool(16) as executor:
        yield executor


def test_sixteen_concurrent_bulk_requests_with_overlapping_lists_change_each_token_once(
    db: Tables, pool: ProcessPoolExecutor
) -> None:
    # Given 16 lists, each a different rotation of the same revocable tokens plus some of its own
    shared = [demo.ALICE_PAT, demo.PROJECT_BOT_PAT, demo.PROJECT_DEPLOY, demo.AGENT, demo.TRIGGER, demo.ALICE_FEED,
              demo.ALICE_INCOMING_EMAIL, demo.OAUTH_SECRET, demo.FLAGS_CLIENT, demo.PROJECT_RUNNER,
              demo.ALICE_SESSION, demo.INSTANCE_SCIM, demo.GROUP_SCIM]  # fmt: skip
    lists = [shared[offset:] + shared[:offset] + [f"glpat-own{offset:02d}Token0000"] for offset in range(16)]

    answers = at_one_instant(pool, bulk_at, [(tokens, demo.ADMIN) for tokens in lists])

    # Then every request is answered, and every token changed exactly once, with one audit record
    assert [status for status, _ in answers] == [200] * 16
    changes = Counter(
        result["token_type"]
        for _, body in answers
        for result in body["results"]
        if result["outcome"] in ("revoked", "reset", "deleted", "expired")
    )
    assert sum(changes.values()) == len(shared)
    audit = db.audit_records()
    assert len(audit) == len(shared)
    assert Counter(record["token_type"] for record in audit) == changes


def test_the_dynamodb_client_keeps_a_connection_for_every_transaction_in_flight(db: Tables) -> None:
    # With fewer pooled connections than transactions in flight, urllib3 discards the extras as
    # they finish ("Connection pool is full"); on AWS each one is a new TLS handshake later.
    from admin_token.bulk import PARALLEL_REVOKES
    from admin_token.storage.dynamodb import _client

    assert _client().meta.config.max_pool_connections >= PARALLEL_REVOKES


@pytest.mark.parametrize("value", ["false", "true"])
def test_a_json_string_dry_run_in_a_bulk_is_400_and_revokes_nothing(db: Tables, tables: Any, value: str) -> None:
    response = call("RevokeFunction", bulk_event({"tokens": [demo.AGENT], "dry_run": value}, demo.ADMIN))
    assert (response.status, response.body) == INVALID
    assert db.audit_records() == []


@pytest.mark.parametrize(
    ("body", "key"),
    [
        (f'{{"tokens": ["{demo.AGENT}"], "dry_run": true, "dry_run": false}}', "dry_run"),
        (f'{{"tokens": ["{demo.ALICE_FEED}"], "tokens": ["{demo.AGENT}"], "dry_run": true}}', "tokens"),
    ],
)
def test_a_bulk_body_with_a_repeated_key_is_400_and_revokes_nothing(db: Tables, tables: Any, body: str,
                                                                    key: str) -> None:  # fmt: skip
    response = call("RevokeFunction", bulk_event(None, demo.ADMIN, raw_body=body))
    assert (response.status, response.body) == (400, {"error": f"{key} is repeated"})
    assert db.audit_records() == []


def test_a_bulk_json_body_sent_as_a_form_says_to_send_the_json_content_type(db: Tables, tables: Any) -> None:
    event = bulk_event(None, demo.ADMIN, raw_body=f'{{"tokens": ["{demo.AGENT}"]}}', headers=FORM)
    response = call("RevokeFunction", event)
    assert response.status == 415
    assert "Content-Type: application/json" in response.body["error"]
    assert db.audit_records() == []


def test_each_outcome_is_counted_under_a_pascal_case_metric(db: Tables, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert bulk({"tokens": [demo.ALICE_PAT, "glpat-noSuchTokenAnywhere00", 42]}).status == 200

    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    counts = {name: value for document in emitted for name, value in document.items() if name.startswith("Bulk")}
    assert counts == {"BulkRevoked": [1.0], "BulkNotFound": [1.0], "BulkInvalid": [1.0]}
