"""GitHub's secret scanning partner alerts through the real IntakeFunction and RevocationWorkerFunction, on moto.

Alerts are signed as GitHub signs them (ECDSA P-256/SHA-256 over the raw body, by fresh keys made
with the `cryptography` library), and the function fetches its key document over HTTP from the
local GitHub meta stand-in, as it fetches GitHub's. The contract is docs/contract.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from admin_token.digests import token_digest
from admin_token.github_keys import reset_github_keys
from admin_token_local.github_meta import GitHubMetaStandIn
from tests.integration.conftest import ApiResponse, Tables, call
from tests.support import demo
from tests.support.events import proxy_event
from tests.support.github import (
    DOCS_BODY,
    DOCS_KEY_IDENTIFIER,
    DOCS_SIGNATURE,
    PAT_TYPE,
    ROTATED_DOCS_BODY,
    ROTATED_DOCS_KEY_IDENTIFIER,
    ROTATED_DOCS_SIGNATURE,
    SigningKey,
    docs_key_document,
    key_document,
    match,
    matches_body,
)
from tests.support.plaintexts import seed_plaintexts
from tests.support.revocation import RevocationApi

PATH = "/v1/github/secret_scanning"
UNAUTHORIZED = {"message": "401 Unauthorized"}
FLAG_OFF = {"message": "'github_secret_scanning_auto_revoke' feature flag is disabled"}
URL = "https://github.com/octo/leaky/blob/4f1e2d/.env#L3"
UNKNOWN_PAT = "glpat-neverIssuedTk0Zz9Yy8"
NOT_OURS = "ghp_aGitHubTokenNotOurs0123456789"


def call_intake(event: dict[str, Any]) -> ApiResponse:
    return call("IntakeFunction", event)


class GitHub:
    """GitHub's side: a published key document (served by the stand-in) and alerts signed for it."""

    def __init__(
        self, revocation: RevocationApi, monkeypatch: pytest.MonkeyPatch, published: bytes | None = None
    ) -> None:
        self.revocation = revocation
        self.key, self.rotated = SigningKey.generate(), SigningKey.generate()
        document = published or key_document(self.rotated.entry(is_current=False), self.key.entry())
        self.meta = GitHubMetaStandIn(document)
        self.url = self.meta.start()
        monkeypatch.setenv("GITHUB_KEYS_URL", self.url)
        reset_github_keys()

    def post(
        self,
        body: bytes,
        *,
        key: SigningKey | None = None,
        identifier: str | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
        method: str = "POST",
    ) -> ApiResponse:
        signer = key or self.key
        sent = {
            "Content-Type": "application/json",
            "Github-Public-Key-Identifier": identifier if identifier is not None else signer.identifier,
            "Github-Public-Key-Signature": signature if signature is not None else signer.sign(body),
            **(headers or {}),
        }
        event = proxy_event(method, raw_body=body.decode("utf-8"), headers={k: v for k, v in sent.items() if v})
        event["path"] = event["resource"] = PATH
        event["requestContext"]["resourcePath"] = PATH
        return call_intake(event)

    def alert(self, matches: list[dict[str, Any]], **kwargs: Any) -> ApiResponse:
        return self.post(matches_body(matches), **kwargs)


@pytest.fixture
def revocation(tables: dict[str, str], dynamodb_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> RevocationApi:
    return RevocationApi(dynamodb_endpoint, monkeypatch)


@pytest.fixture
def github(revocation: RevocationApi, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHub]:
    github = GitHub(revocation, monkeypatch)
    yield github
    github.meta.stop()
    reset_github_keys()


def feedback(token: str, label: str, pattern: str = PAT_TYPE) -> dict[str, str]:
    """GitHub's feedback format: the token's hex SHA-256, the type as sent, the label."""
    return {"token_hash": hashlib.sha256(token.encode()).hexdigest(), "token_type": pattern, "label": label}


# -- proving it is GitHub ------------------------------------------------------------------------


def test_githubs_documented_sample_requests_are_answered(revocation: RevocationApi, monkeypatch: Any) -> None:
    github = GitHub(revocation, monkeypatch, published=json.dumps(docs_key_document()).encode())
    try:
        for body, identifier, signature in (
            (DOCS_BODY, DOCS_KEY_IDENTIFIER, DOCS_SIGNATURE),
            (ROTATED_DOCS_BODY, ROTATED_DOCS_KEY_IDENTIFIER, ROTATED_DOCS_SIGNATURE),  # a key no longer current
        ):
            answer = github.post(body, identifier=identifier, signature=signature)
            assert (answer.status, answer.body) == (200, [feedback("some_token", "false_positive", "some_type")])
        # The same bytes under the other documented key's identifier: not GitHub's signature.
        answer = github.post(DOCS_BODY, identifier=ROTATED_DOCS_KEY_IDENTIFIER, signature=DOCS_SIGNATURE)
        assert (answer.status, answer.body) == (401, UNAUTHORIZED)
    finally:
        github.meta.stop()
        reset_github_keys()
    assert revocation.queued() == []


def test_a_rotated_key_still_verifies(github: GitHub) -> None:
    answer = github.alert([match(demo.ALICE_PAT, URL)], key=github.rotated)
    assert (answer.status, answer.body) == (200, [feedback(demo.ALICE_PAT, "true_positive")])


def _tampered(github: GitHub) -> dict[str, dict[str, Any]]:
    body = matches_body([match(demo.ALICE_PAT, URL)])
    signature = github.key.sign(body)
    changed = bytearray(body)
    changed[body.index(b"octo")] ^= 0x01
    der = base64.b64decode(signature)
    return {
        "no headers": {"identifier": "", "signature": ""},
        "no signature": {"signature": ""},
        "no identifier": {"identifier": ""},
        "unknown identifier": {"identifier": "f" * 64},
        "another key's identifier": {"identifier": github.rotated.identifier},
        "signed by a key GitHub does not publish": {"key": SigningKey.generate(), "identifier": github.key.identifier},
        "one byte changed": {"body": bytes(changed), "signature": signature},
        "re-serialised": {"body": json.dumps(json.loads(body), indent=2).encode(), "signature": signature},
        "not base64": {"signature": "not base64 at all!"},
        "truncated": {"signature": base64.b64encode(der[:-3]).decode()},
        "trailing byte": {"signature": base64.b64encode(der + b"\0").decode()},
        "raw r||s": {"signature": base64.b64encode(der[-64:]).decode()},
        "signature twice": {"headers": {"github-public-key-signature": signature}},
    }


@pytest.mark.parametrize(
    "case",
    [
        "no headers",
        "no signature",
        "no identifier",
        "unknown identifier",
        "another key's identifier",
        "signed by a key GitHub does not publish",
        "one byte changed",
        "re-serialised",
        "not base64",
        "truncated",
        "trailing byte",
        "raw r||s",
        "signature twice",
    ],
)
def test_what_github_did_not_sign_is_401_and_queues_nothing(github: GitHub, case: str) -> None:
    arguments = dict(_tampered(github)[case])
    body = arguments.pop("body", matches_body([match(demo.ALICE_PAT, URL)]))
    answer = github.post(body, **arguments)
    assert (answer.status, answer.body) == (401, UNAUTHORIZED), case
    assert github.revocation.queued() == []


def test_header_names_are_matched_in_any_case(github: GitHub) -> None:
    body = matches_body([match(demo.ALICE_PAT, URL)])
    answer = github.post(
        body,
        identifier="",
        signature="",
        headers={
            "GITHUB-PUBLIC-KEY-IDENTIFIER": github.key.identifier,
            "github-public-key-signature": github.key.sign(body),
        },
    )
    assert answer.status == 200


def test_nothing_is_parsed_before_the_signature_verifies(github: GitHub) -> None:
    # Unsigned bodies that would be 400 or 413 once parsed are 401: they were never parsed.
    for body in (b"not json", b"[1, 2", matches_body([{"token": ""}]), matches_body([match("x")] * 10_001)):
        answer = github.post(body, signature=SigningKey.generate().sign(body))
        assert answer.status == 401
    assert github.revocation.queued() == []


def test_unknown_identifiers_refetch_the_key_document_at_most_once_a_minute(github: GitHub) -> None:
    assert github.alert([match(demo.ALICE_PAT)]).status == 200
    assert github.meta.fetches == 1
    for number in range(20):
        impostor = SigningKey.generate()
        assert github.alert([match(demo.ALICE_PAT)], key=impostor, identifier=f"{number:064x}").status == 401
    assert github.meta.fetches == 1  # the document is a second old: no refetch within the minute
    assert github.alert([match(demo.ALICE_PAT)]).status == 200


def test_github_unreachable_with_no_keys_held_is_503_and_queues_nothing(github: GitHub) -> None:
    github.meta.stop()
    answer = github.alert([match(demo.ALICE_PAT, URL)])
    assert answer.status == 503
    assert answer.headers["Retry-After"]
    assert github.revocation.queued() == []


# -- the order of checks ------------------------------------------------------------------------


def test_checks_run_413_then_401_then_the_flag_then_400(github: GitHub, set_flags: Any) -> None:
    huge = b"[" + b" " * 6_291_456 + b"]"
    assert github.post(huge, signature="bogus").status == 413  # size first, before any signature
    too_many = matches_body([match(UNKNOWN_PAT)] * 10_001)
    assert github.post(too_many, signature=SigningKey.generate().sign(too_many)).status == 401
    assert github.post(too_many).status == 413  # counted once the signature verified
    set_flags(github_secret_scanning_auto_revoke={"default": False})
    assert github.post(b"not json", signature="bogus").status == 401
    answer = github.post(b"not json")
    assert (answer.status, answer.body) == (404, FLAG_OFF)
    answer = github.alert([match(demo.ALICE_PAT, URL)])
    assert (answer.status, answer.body) == (404, FLAG_OFF)
    set_flags(github_secret_scanning_auto_revoke={"default": True})
    assert github.post(b"not json").status == 400
    assert github.revocation.queued() == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"token": "glpat-x"}',
        b"[1]",
        b'[{"type": "gitlab_personal_access_token"}]',
        b'[{"token": ""}]',
        b'[{"token": 7}]',
        b'[{"token": "glpat-aliceLaptopTk3Nq7Xe1", "type": 1}]',
        b'[{"token": "glpat-aliceLaptopTk3Nq7Xe1", "url": true}]',
        b'[{"token": "glpat-aliceLaptopTk3Nq7Xe1", "source": ["content"]}]',
        b'[{"token": "glpat-neverIssuedTk0Zz9Yy8", "token": "glpat-aliceLaptopTk3Nq7Xe1"}]',
        b'[{"token": "glpat-aliceLaptopTk3Nq7Xe1", "url": NaN}]',
        b'[{"token": "glpat-aliceLaptopTk3Nq7Xe1"}',
        b"\xff[]",
    ],
)
def test_a_signed_alert_of_the_wrong_shape_is_400_and_queues_nothing(github: GitHub, body: bytes) -> None:
    answer = github.post(body) if not body.startswith(b"\xff") else _post_bytes(github, body)
    assert answer.status == 400
    assert set(answer.body) == {"error"}
    assert github.revocation.queued() == []


def _post_bytes(github: GitHub, body: bytes) -> ApiResponse:
    """A body that is not UTF-8 arrives base64-encoded, as API Gateway passes a binary body."""
    event = proxy_event(
        "POST",
        raw_body=base64.b64encode(body).decode(),
        base64_encoded=True,
        headers={
            "Github-Public-Key-Identifier": github.key.identifier,
            "Github-Public-Key-Signature": github.key.sign(body),
        },
    )
    event["path"] = event["resource"] = PATH
    return call_intake(event)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(github: GitHub, method: str) -> None:
    answer = github.alert([match(demo.ALICE_PAT)], method=method)
    assert (answer.status, answer.body) == (405, {"message": "405 Method Not Allowed"})
    assert answer.headers["Allow"] == "POST"


# -- what it does -------------------------------------------------------------------------------


def test_feedback_labels_live_tombstoned_unknown_unprefixed_and_job_tokens(
    github: GitHub, api: Any, revocation: RevocationApi
) -> None:
    assert api.revoke(demo.PROJECT_RUNNER).status == 204  # a runner token, deleted: a tombstone remembers it
    matches = [
        match(demo.ALICE_PAT, URL),
        match(demo.PROJECT_RUNNER, pattern="gitlab_runner_token"),
        match(UNKNOWN_PAT),
        match(NOT_OURS, pattern="github_personal_access_token"),
        match(demo.RUNNING_JOB, pattern="gitlab_ci_build_token"),
        match(demo.FINISHED_JOB, pattern="gitlab_ci_build_token"),
    ]
    answer = github.alert(matches)
    assert answer.status == 200
    assert answer.body == [
        feedback(demo.ALICE_PAT, "true_positive"),
        feedback(demo.PROJECT_RUNNER, "true_positive", "gitlab_runner_token"),
        feedback(UNKNOWN_PAT, "false_positive"),
        feedback(NOT_OURS, "false_positive", "github_personal_access_token"),
        feedback(demo.RUNNING_JOB, "true_positive", "gitlab_ci_build_token"),
        feedback(demo.FINISHED_JOB, "true_positive", "gitlab_ci_build_token"),
    ]
    # Only the live token of a type a revoke changes is queued: digest, type, location, author.
    assert revocation.queued() == [
        {
            "digest": token_digest(demo.ALICE_PAT),
            "token_type": "personal_access_token",
            "location": URL,
            "author": "github_secret_scanning",
        }
    ]


def test_the_prefix_decides_the_type_and_a_repeat_is_answered_and_queued_once(github: GitHub) -> None:
    matches = [
        match(demo.AGENT, URL, pattern="gitlab_personal_access_token"),  # the type sent is only a hint
        match(demo.AGENT, "https://gist.github.com/octo/2", pattern="gitlab_kubernetes_agent_token"),
        match(demo.PROJECT_DEPLOY, ""),
    ]
    answer = github.alert(matches)
    assert answer.body == [feedback(demo.AGENT, "true_positive"), feedback(demo.PROJECT_DEPLOY, "true_positive")]
    queued = sorted(github.revocation.queued(), key=lambda body: body["token_type"])
    assert queued == [
        {"digest": token_digest(demo.AGENT), "token_type": "cluster_agent_token", "location": URL,
         "author": "github_secret_scanning"},
        {"digest": token_digest(demo.PROJECT_DEPLOY), "token_type": "deploy_token", "location": None,
         "author": "github_secret_scanning"},
    ]  # fmt: skip


def test_the_worker_revokes_as_github_secret_scanning_with_the_url_and_the_same_alert_twice_revokes_once(
    github: GitHub, revocation: RevocationApi, db: Tables
) -> None:
    alert = [match(demo.ALICE_PAT, URL), match(demo.SHARED_RUNNER, "https://github.com/octo/leaky/issues/4")]
    assert github.alert(alert).status == 200
    assert github.alert(alert).status == 200  # GitHub delivered it again
    assert revocation.drain() == 4
    records = {record["token_type"]: record for record in db.audit_records()}
    assert sorted(records) == ["personal_access_token", "runner_authentication_token"]
    pat = records["personal_access_token"]
    assert (pat["author_id"], pat["author_name"], pat["author_class"]) == (
        -2,
        "GitHub Secret Scanning",
        "GitHubSecretScanning",
    )
    assert pat["location"] == URL
    # The Token revoked event (the audit item's detail, sent by the stream's Pipe as is).
    detail = json.loads(pat["event_detail"])
    assert detail["author"] == {"id": -2, "name": "GitHub Secret Scanning", "class": "GitHubSecretScanning"}
    assert detail["location"] == URL
    assert json.loads(records["runner_authentication_token"]["event_detail"])["location"] == (
        "https://github.com/octo/leaky/issues/4"
    )
    assert db.token_item(demo.ALICE_PAT)["revoked"] is True
    assert db.token_item(demo.SHARED_RUNNER) is None or db.token_item(demo.SHARED_RUNNER)["token_type"] == "tombstone"
    # Revoked since: still real credentials, so still true positives; nothing more to revoke.
    answer = github.alert(alert)
    assert [entry["label"] for entry in answer.body] == ["true_positive", "true_positive"]
    revocation.drain()
    assert len(db.audit_records()) == 2


def test_the_audit_events_api_shows_github_and_the_url(github: GitHub, revocation: RevocationApi) -> None:
    assert github.alert([match(demo.PROJECT_DEPLOY, URL)]).status == 200
    revocation.drain()
    event = proxy_event("GET", headers={"PRIVATE-TOKEN": demo.ADMIN})
    event["path"] = event["resource"] = "/api/v4/audit_events"
    [audit] = call("AuditEventsFunction", event).body
    assert audit["author_id"] == -2
    assert audit["details"]["author_class"] == "GitHubSecretScanning"
    assert audit["details"]["author_name"] == "GitHub Secret Scanning"
    assert audit["details"]["location"] == URL


def test_labels_cost_batched_reads_only(github: GitHub, dynamodb_work: list[tuple[str, int]]) -> None:
    unknown = [match(f"glpat-unknownTk{number:06d}") for number in range(250)]
    answer = github.alert([match(demo.ALICE_PAT, URL), *unknown, match(NOT_OURS)])
    assert answer.status == 200
    assert len(answer.body) == 252
    assert dynamodb_work == [("BatchGetItem", 100), ("BatchGetItem", 100), ("BatchGetItem", 51)]


def test_no_output_holds_a_plaintext_token(
    github: GitHub, revocation: RevocationApi, api: Any, db: Tables, capsys: pytest.CaptureFixture[str]
) -> None:
    sent = [*seed_plaintexts(), UNKNOWN_PAT, NOT_OURS]
    capsys.readouterr()
    answers = [
        github.alert([match(token, URL) for token in sent]),
        github.alert([match(token, URL) for token in sent], key=SigningKey.generate()),
        github.post(matches_body([match(token) for token in sent])[:-1]),
    ]
    revocation.drain()
    outputs = [json.dumps(answer.raw) for answer in answers]
    outputs.append(json.dumps(revocation.queued(revocation.dlq_url)))
    outputs.append(json.dumps(db.audit_records(), default=str))
    captured = capsys.readouterr()
    outputs += [captured.out, captured.err]
    for output in outputs:
        leaked = [token for token in sent if token in output]
        assert leaked == [], leaked
    assert [answer.status for answer in answers] == [200, 401, 400]


def test_the_worker_holds_githubs_queued_revokes_while_githubs_flag_is_off_and_only_then(
    github: GitHub, revocation: RevocationApi, db: Tables, set_flags: Any
) -> None:
    assert github.alert([match(demo.ALICE_PAT, URL)]).status == 200
    set_flags(github_secret_scanning_auto_revoke={"default": False})
    revocation.drain(rounds=1)  # received once, reported failed: kept for a later delivery
    assert db.audit_records() == []
    assert len(revocation.queued()) == 1
    # Secret detection's kill switch is its own: it does not hold GitHub's finds.
    set_flags(github_secret_scanning_auto_revoke={"default": True}, secret_detection_auto_revoke={"default": False})
    revocation.drain()
    [record] = db.audit_records()
    assert record["author_class"] == "GitHubSecretScanning"
    assert revocation.queued() == []
