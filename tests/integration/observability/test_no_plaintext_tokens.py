"""No plaintext token is ever stored, logged, traced, measured or sent back (docs/threat-model.md, T1, T2).

Every demo token (demo/seed.json, which holds all of tests/support/demo.py and three more) is
driven through the lookup and revoke functions, as the target and as the caller's credential, down every
path: lookups, revokes of each type, the revoke flag off, not found, unsupported, malformed
bodies, 401/403, configuration and storage unavailable, an unexpected error. Everything the
process emits meanwhile is captured (tests/support/capture.py: stdout with the Powertools
logger and EMF metrics, every stdlib log record at DEBUG with its traceback, every AWS call's
parameters, every response; no X-Ray segment, as the functions carry no X-Ray SDK) and searched
for each plaintext: the whole token, its secret part after the type prefix (the session id for a
session), raw and escaped. The tables are searched too, after seeding and after every revoke,
for the demo plaintexts and for the new secrets that resets generate.

The counts scanned and the findings are reported at the end of the module.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from admin_token.config import reset_configuration_cache
from admin_token.digests import token_digest
from admin_token.token_types import PREFIXES as REGISTRY_PREFIXES
from admin_token_local.appconfig_standin import AppConfigStandIn
from tests.integration.conftest import DEFAULT_FLAGS, ApiResponse, Tables
from tests.support import demo
from tests.support.capture import Capture, Finding, find_needles, needles_for, walk_strings
from tests.support.events import proxy_event
from tests.support.plaintexts import seed_plaintexts

LOOKUP, REVOKE = "LookupFunction", "RevokeFunction"
FUNCTIONS = (LOOKUP, REVOKE)
PREFIXES = set(REGISTRY_PREFIXES) | {"gloas-"}


SEED_TOKENS = seed_plaintexts()
DEMO_TOKENS = {name: value for name, value in vars(demo).items() if name.isupper() and isinstance(value, str)}
assert set(DEMO_TOKENS.values()) <= set(SEED_TOKENS), "every token of demo.py is in the seed"
ALL_TOKENS = SEED_TOKENS  # the demo.py ones and the seed's other three (root's feed and mail, auditor)

# Everything that must never show up: each token sent, and its secret part.
NEEDLES: set[str] = set().union(*(needles_for(token, PREFIXES) for token in SEED_TOKENS))
SESSION_ID = demo.ALICE_SESSION.removeprefix("_gitlab_session=")
assert SESSION_ID in NEEDLES

STATS: dict[str, Any] = {
    "calls": 0,
    "captured strings": 0,
    "captured characters": 0,
    "table scans": 0,
    "table items": 0,
    "table strings": 0,
    "new secrets": [],
    "findings": 0,
}

MISSING = (400, {"error": "token is missing"})
IN_QUERY = (400, {"error": "token must be sent in the request body"})
INVALID = (400, {"error": "token is invalid"})
NOT_JSON = (400, {"error": "request body is not valid JSON"})
NOT_OBJECT = (400, {"error": "request body must be a JSON object"})
NOT_BASE64 = (400, {"error": "request body is not valid base64"})
NOT_UTF8 = (400, {"error": "request body is not valid UTF-8"})
TOO_LARGE = (413, {"error": "request body too large"})
MEDIA_TYPE = (415, {"error": "content type must be application/json or application/x-www-form-urlencoded"})
FLAG_OFF = (404, {"message": "'api_admin_token_revoke' feature flag is disabled"})
UNSUPPORTED = (422, {"message": "Token type not supported."})
NOT_FOUND = (404, {"message": {"error": "Not found"}})
UNAUTHORIZED = (401, {"message": "401 Unauthorized"})
FORBIDDEN = (403, {"message": "403 Forbidden"})
UNAVAILABLE = (503, {"message": "Configuration unavailable"})
INTERNAL = (500, {"message": "500 Internal Server Error"})


def refused(reason: str) -> tuple[int, Any]:
    return 400, {"message": {"error": reason}}


# -- reporting ------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capturing = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capturing is None or not STATS["calls"]:
        return
    with capturing.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(
            "test_secrets: {calls} handler calls captured; scanned {captured strings} captured strings "
            "({captured characters} characters) and {table items} table items ({table strings} strings) "
            "in {table scans} table scans, for {needles} demo plaintexts/secret parts, the near misses sent "
            "and {secrets} new secrets from resets; plaintext findings: {findings}".format(
                **STATS, needles=len(NEEDLES), secrets=len(set(STATS["new secrets"]))
            )
        )


# -- helpers --------------------------------------------------------------------------------


def _headers(credential: str | None, style: str = "private-token") -> dict[str, str]:
    if credential is None:
        return {}
    if style == "bearer":
        return {"Authorization": f"Bearer {credential}"}
    return {"PRIVATE-TOKEN": credential}


def send(
    capture: Capture,
    function: str,
    *,
    credential: str | None = demo.ADMIN,
    style: str = "private-token",
    headers: dict[str, str] | None = None,
    **event: Any,
) -> ApiResponse:
    method = "POST" if function == LOOKUP else "DELETE"
    all_headers = {**_headers(credential, style), **(headers or {})}
    return capture.call(function, proxy_event(method, headers=all_headers, **event))


def status_body(response: ApiResponse) -> tuple[int, Any]:
    return response.status, response.body


def assert_no_plaintext(capture: Capture, *extra: str, metrics_expected: bool = True) -> None:
    """Search everything captured; count it; fail on any finding, listing where it was."""
    needles = NEEDLES.union(*(needles_for(token, PREFIXES) for token in extra))
    needles.update(STATS["new secrets"])
    needles.update(*(needles_for(secret, PREFIXES) for secret in STATS["new secrets"]))
    findings = capture.findings(needles)
    strings, characters = capture.count()
    STATS["calls"] += capture.calls
    STATS["captured strings"] += strings
    STATS["captured characters"] += characters
    STATS["findings"] += len(findings)
    # Guard against a vacuous pass: the logger and metrics really were captured.
    assert capture.calls > 0
    assert capture.stdout_documents(), "no log record was captured"
    if metrics_expected:
        assert any("_aws" in document for document in capture.stdout_documents()), "no EMF metrics captured"
    assert _readable(findings) == []


def _readable(findings: list[Finding]) -> list[str]:
    return [f"{finding.channel}: {finding.needle!r} in ...{finding.excerpt}..." for finding in findings[:20]]


def table_texts(db: Tables, *, count: bool = True) -> list[tuple[str, str]]:
    """Every string (keys and values, nested) of every item of the four tables."""
    texts: list[tuple[str, str]] = []
    items = 0
    for logical_id in db.names:
        for item in db.all_items(logical_id):
            items += 1
            texts.extend((logical_id, text) for text in walk_strings(item))
    if count:
        STATS["table scans"] += 1
        STATS["table items"] += items
        STATS["table strings"] += len(texts)
    return texts


def scan_tables(db: Tables, *, extra: tuple[str, ...] = ()) -> None:
    needles = set(NEEDLES).union(*(needles_for(secret, PREFIXES) for secret in extra))
    texts = table_texts(db)
    assert texts, "the tables are empty: nothing was scanned"
    findings = find_needles(texts, needles)
    STATS["findings"] += len(findings)
    assert _readable(findings) == []


@pytest.fixture
def capture(capfd: pytest.CaptureFixture[str], tables: dict[str, str]) -> Iterator[Capture]:
    with Capture(capfd) as opened:
        yield opened


@pytest.fixture
def new_secrets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each fresh secret a reset generates (looked up by name in token_types.base)."""
    from admin_token.digests import new_secret as original

    generated: list[str] = []

    def spy(prefix: str) -> str:
        secret = original(prefix)
        generated.append(secret)
        STATS["new secrets"].append(secret)
        return secret

    monkeypatch.setattr("admin_token.token_types.base.new_secret", spy)
    return generated


def _expected_caller(credential: str) -> tuple[int, Any] | None:
    """What a caller holding this credential gets (None: let through)."""
    allowed = {demo.ADMIN, demo.ADMIN_NO_ADMIN_MODE}
    forbidden = {
        demo.ADMIN_READ_API,
        "glpat-auditorTk1Bv5Wm7",  # an active admin, read_api only
        demo.NON_ADMIN,
        demo.ALICE_IMPERSONATION,
        demo.BLOCKED_ADMIN,
        demo.PROJECT_BOT_PAT,
        demo.GROUP_BOT_PAT,
        demo.ORPHAN_BOT_PAT,
    }
    if credential in allowed:
        return None
    if credential in forbidden:
        return FORBIDDEN
    return UNAUTHORIZED  # expired, revoked, or not a personal access token at all


# -- the tables -------------------------------------------------------------------------------


def test_the_seeded_tables_hold_no_plaintext(db: Tables) -> None:
    scan_tables(db)
    # ... and the tokens are there, by digest: the scan looked at the real data.
    for token in ALL_TOKENS:
        assert db.token_item(token) is not None, token


# -- lookups ----------------------------------------------------------------------------------


def test_looking_up_every_token_emits_no_plaintext(capture: Capture) -> None:
    for token in ALL_TOKENS:
        expected = 404 if token == demo.FINISHED_JOB else 200
        assert send(capture, LOOKUP, body={"token": token}).status == expected, token
        form = send(
            capture,
            LOOKUP,
            style="bearer",
            raw_body=f"token={token}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert form.status == expected, token
        encoded = base64.b64encode(json.dumps({"token": token}).encode()).decode()
        assert send(capture, LOOKUP, raw_body=encoded, base64_encoded=True).status == expected, token
    # The Powertools logger's own lines were captured (it logs every identified token).
    logged = [document for document in capture.stdout_documents() if document.get("message") == "Token identified"]
    assert len(logged) == 3 * (len(ALL_TOKENS) - 1)
    assert_no_plaintext(capture)


def _mangled(credential: str) -> list[dict[str, str]]:
    return [
        {"Authorization": credential},
        {"Authorization": "Basic " + base64.b64encode(f"root:{credential}".encode()).decode()},
        {"authorization": f"bearer   {credential}   "},
        {"private-token": f" {credential}"},
        {"PRIVATE-TOKEN": "", "Authorization": f"Bearer {credential}"},
    ]


def test_every_token_as_the_credential_emits_no_plaintext(capture: Capture, set_flags: Any) -> None:
    for credential in ALL_TOKENS:
        expected = _expected_caller(credential)
        for style in ("private-token", "bearer"):
            lookup = send(capture, LOOKUP, credential=credential, style=style, body={"token": demo.AGENT})
            revoke = send(
                capture, REVOKE, credential=credential, style=style, body={"token": "glpat-noSuchTokenAnywhere00"}
            )
            if expected is None:
                assert (lookup.status, status_body(revoke)) == (200, NOT_FOUND), credential
            else:
                assert (status_body(lookup), status_body(revoke)) == (expected, expected), credential
        # Credentials a client could mangle: no scheme, another scheme, stray spaces, other cases.
        headers = _mangled(credential)[ALL_TOKENS.index(credential) % 5]
        response = send(capture, LOOKUP, credential=None, headers=headers, body={"token": credential})
        assert response.status in (200, 401, 403), (credential, headers)
    # admin_mode on: the token without that scope is refused.
    set_flags(admin_mode={"default": True})
    refused_caller = send(capture, LOOKUP, credential=demo.ADMIN_NO_ADMIN_MODE, body={"token": demo.AGENT})
    assert status_body(refused_caller) == FORBIDDEN
    assert_no_plaintext(capture)


# -- revokes ----------------------------------------------------------------------------------

REFUSED = {
    demo.ORPHAN_BOT_PAT: refused("Unsupported personal access token type"),
    demo.ORPHAN_DEPLOY: refused("Unsupported deploy token type"),
    demo.RUNNING_JOB: refused("Unsupported token type"),
    demo.FINISHED_JOB: NOT_FOUND,
}
RESET = {
    "glft-rootFeedTk9Qm2Lx7Vb4",
    demo.ALICE_FEED,
    "glimt-rootMailTk3Hs8Np1Wd6",
    demo.ALICE_INCOMING_EMAIL,
    demo.OAUTH_SECRET,
    demo.FLAGS_CLIENT,
    demo.INSTANCE_SCIM,
    demo.GROUP_SCIM,
}
GONE_AFTER_REVOKE = RESET | {demo.SHARED_RUNNER, demo.PROJECT_RUNNER, demo.GROUP_RUNNER, demo.ALICE_SESSION}


def test_revoking_every_token_emits_and_stores_no_plaintext(
    capture: Capture, db: Tables, new_secrets: list[str]
) -> None:
    scan_tables(db)
    # The administrator's own token goes last: after it, every call is a 401.
    for token in [*(token for token in ALL_TOKENS if token != demo.ADMIN), demo.ADMIN]:
        before = len(new_secrets)
        response = send(capture, REVOKE, body={"token": token})
        assert status_body(response) == REFUSED.get(token, (204, None)), token
        if token in RESET:
            assert len(new_secrets) == before + 1, f"no new secret recorded for {token}"
            # The spy saw the secret actually stored: its digest now holds the record.
            assert db.token_item(new_secrets[-1]) is not None
            assert db.token_item(token)["token_type"] == "tombstone"
        scan_tables(db, extra=tuple(new_secrets))
        if token == demo.ADMIN:
            break
        after = send(capture, LOOKUP, body={"token": token})
        assert after.status == (404 if token in GONE_AFTER_REVOKE or token == demo.FINISHED_JOB else 200), token
        again = send(capture, REVOKE, body={"token": token})
        assert again.status in (204, 400, 404), token

    assert len(new_secrets) == len(RESET)
    # A new secret is never returned, logged or traced, not even when it is looked up itself.
    assert status_body(send(capture, LOOKUP, body={"token": demo.AGENT})) == UNAUTHORIZED
    assert_no_plaintext(capture, *new_secrets)


def test_looking_up_and_revoking_the_new_secrets_emits_no_plaintext(
    capture: Capture, db: Tables, new_secrets: list[str]
) -> None:
    for token in sorted(RESET):
        assert send(capture, REVOKE, body={"token": token}).status == 204
    for secret in list(new_secrets):
        assert send(capture, LOOKUP, body={"token": secret}).status == 200
        assert send(capture, REVOKE, body={"token": secret}).status == 204  # a reset again
        assert send(capture, LOOKUP, body={"token": secret}).status == 404
    assert len(new_secrets) == 2 * len(RESET)
    scan_tables(db, extra=tuple(new_secrets))
    assert_no_plaintext(capture, *new_secrets)


def test_an_expired_trigger_and_a_refused_trigger_emit_no_plaintext(
    capture: Capture, db: Tables, set_flags: Any
) -> None:
    set_flags(token_api_expire_pipeline_triggers={"default": False})
    assert status_body(send(capture, REVOKE, body={"token": demo.TRIGGER})) == refused("Unsupported token type")
    set_flags()
    assert send(capture, REVOKE, body={"token": demo.TRIGGER}).status == 204
    assert send(capture, LOOKUP, body={"token": demo.TRIGGER}).body["expires_at"] is not None
    scan_tables(db)
    assert_no_plaintext(capture)


# -- every error path, with every token -------------------------------------------------------


def test_the_revoke_flag_off_emits_no_plaintext(capture: Capture, db: Tables, set_flags: Any) -> None:
    set_flags(api_admin_token_revoke={"default": False})
    for token in ALL_TOKENS:
        assert status_body(send(capture, REVOKE, body={"token": token})) == FLAG_OFF, token
        assert send(capture, LOOKUP, body={"token": token}).status in (200, 404)
    scan_tables(db)
    assert db.audit_records() == []
    assert_no_plaintext(capture)


def _variants(token: str) -> list[tuple[str, tuple[int, Any]]]:
    """Near misses of a token: an unknown prefix (422), or the right prefix and no record (404)."""
    return [
        (" " + token, UNSUPPORTED),
        ("x" + token, UNSUPPORTED),
        (token.upper() if token.upper() != token else token.lower(), UNSUPPORTED),
        (token + "0", NOT_FOUND),
        (token[:-1], NOT_FOUND),
    ]


def test_unsupported_and_not_found_near_misses_emit_no_plaintext(capture: Capture) -> None:
    # Each token once as an unsupported and once as a not-found near miss; the variants rotate.
    sent: list[str] = []
    for index, token in enumerate(ALL_TOKENS):
        variants = _variants(token)
        for offset, (variant, expected) in enumerate((variants[index % 3], variants[3 + index % 2])):
            function = FUNCTIONS[(index + offset) % 2]
            assert status_body(send(capture, function, body={"token": variant})) == expected, variant
            sent.append(variant)
    assert_no_plaintext(capture, *sent)


def _malformed(token: str) -> list[tuple[str, dict[str, Any], tuple[int, Any]]]:
    """Bodies (and query strings) that carry the token but are wrong, and the answer each gets."""
    as_json = {"Content-Type": "application/json"}
    as_form = {"Content-Type": "application/x-www-form-urlencoded"}
    nested = "[" * 20_000 + json.dumps(token) + "]" * 20_000
    return [
        ("broken JSON", {"raw_body": '{"token": "' + token + '"', "headers": as_json}, NOT_JSON),
        ("array", {"raw_body": json.dumps([token]), "headers": as_json}, NOT_OBJECT),
        ("bare string", {"raw_body": json.dumps(token), "headers": as_json}, NOT_OBJECT),
        ("text/plain", {"raw_body": f"token={token}", "headers": {"Content-Type": "text/plain"}}, MEDIA_TYPE),
        ("odd type", {"raw_body": json.dumps({"token": token}), "headers": {"Content-Type": "x/y"}}, MEDIA_TYPE),
        ("repeated field", {"raw_body": f"token={token}&token={token}", "headers": as_form}, INVALID),
        ("token in a list", {"body": {"token": [token]}}, INVALID),
        ("token in an object", {"body": {"token": {"value": token}}}, INVALID),
        ("token nested deeper", {"body": {"data": {"token": token}}}, MISSING),
        ("other key", {"body": {"tokens": token}}, MISSING),
        ("query and body", {"body": {"token": token}, "query": {"token": token}}, IN_QUERY),
        ("query only", {"query": {"token": token}}, IN_QUERY),
        ("not base64", {"raw_body": json.dumps({"token": token}), "base64_encoded": True}, NOT_BASE64),
        (
            "not UTF-8",
            {
                "raw_body": base64.b64encode(b'{"token": "' + token.encode() + b'\xff"}').decode(),
                "base64_encoded": True,
            },
            NOT_UTF8,
        ),
        ("oversized", {"body": {"token": token, "padding": "x" * 70_000}}, TOO_LARGE),
        ("oversized form", {"raw_body": f"token={token}&p=" + "x" * 70_000, "headers": as_form}, TOO_LARGE),
        ("deep nesting", {"raw_body": nested, "headers": as_json}, NOT_JSON),
    ]


def test_malformed_requests_carrying_every_token_emit_no_plaintext(capture: Capture, db: Tables) -> None:
    # Every token down every distinct error path (one variant of each; the variants rotate).
    paths: dict[tuple[int, str], list[tuple[str, dict[str, Any]]]] = {}
    for index, token in enumerate(ALL_TOKENS):
        paths.clear()
        for name, event, expected in _malformed(token):
            paths.setdefault((expected[0], json.dumps(expected[1])), []).append((name, event))
        assert len(paths) == 9
        for offset, ((status, body), variants) in enumerate(paths.items()):
            name, event = variants[index % len(variants)]
            response = send(capture, FUNCTIONS[(index + offset) % 2], **event)
            assert status_body(response) == (status, json.loads(body)), (name, token)
    assert db.audit_records() == []
    assert_no_plaintext(capture)


def test_callers_refused_with_every_token_in_the_body_emit_no_plaintext(capture: Capture) -> None:
    refusals: list[tuple[dict[str, Any], tuple[int, Any]]] = [
        ({"credential": None, "body": {}}, UNAUTHORIZED),
        ({"credential": None, "headers": {"Authorization": "Bearer"}, "query": {}}, UNAUTHORIZED),
        ({"credential": demo.ADMIN_EXPIRED, "body": {}}, UNAUTHORIZED),
        ({"credential": demo.NON_ADMIN, "style": "bearer", "body": {}}, FORBIDDEN),
        ({"credential": demo.ADMIN_READ_API, "raw_body": "{not json "}, FORBIDDEN),
    ]
    for index, token in enumerate(ALL_TOKENS):
        for offset in range(2):
            arguments, expected = copy.deepcopy(refusals[(2 * index + offset) % len(refusals)])
            if "body" in arguments:
                arguments["body"] = {"token": token}
            if "query" in arguments:
                arguments["query"] = {"token": token}
            if "raw_body" in arguments:
                arguments["raw_body"] += token
            response = send(capture, FUNCTIONS[(index + offset) % 2], **arguments)
            assert status_body(response) == expected, (token, arguments)
    assert_no_plaintext(capture)


# -- when things break ------------------------------------------------------------------------


def test_configuration_unavailable_emits_no_plaintext(capture: Capture, appconfig: AppConfigStandIn) -> None:
    # No copy read yet: 503.
    appconfig.set_available(False)
    reset_configuration_cache()
    for index, token in enumerate(ALL_TOKENS):
        assert status_body(send(capture, FUNCTIONS[index % 2], body={"token": token})) == UNAVAILABLE
    # A copy read, then AppConfig down: the stale copy serves, with a warning and a metric.
    appconfig.set_available(True)
    appconfig.set_document(copy.deepcopy(DEFAULT_FLAGS))
    reset_configuration_cache()
    assert send(capture, LOOKUP, body={"token": demo.AGENT}).status == 200
    appconfig.set_available(False)
    for index, token in enumerate(ALL_TOKENS):
        assert send(capture, FUNCTIONS[index % 2], body={"token": token + "0"}).status in (404, 422)
    assert any(document.get("ConfigurationStale") for document in capture.stdout_documents())
    assert_no_plaintext(capture, *(token + "0" for token in ALL_TOKENS))


def test_storage_unavailable_emits_no_plaintext(capture: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.client

    original = botocore.client.BaseClient._make_request  # type: ignore[attr-defined]

    def throttled(client: Any, operation_model: Any, request_dict: Any, request_context: Any) -> Any:
        # DynamoDB answers 400 ThrottlingException; botocore raises the ClientError as usual.
        if client._service_model.service_name != "dynamodb":
            return original(client, operation_model, request_dict, request_context)
        error = {"Code": "ThrottlingException", "Message": "Rate of requests exceeds the allowed throughput."}
        http = type("Http", (), {"status_code": 400, "headers": {}})()
        return http, {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": "throttled"}}

    monkeypatch.setattr(botocore.client.BaseClient, "_make_request", throttled)
    for index, token in enumerate([demo.ADMIN, demo.AGENT, demo.ALICE_SESSION, demo.OAUTH_SECRET]):
        response = send(capture, FUNCTIONS[index % 2], body={"token": token})
        assert response.status == 503, token
        assert response.body == {"message": "Storage temporarily unavailable, retry later"}
    monkeypatch.undo()
    # What an operator sees of it: the warning names DynamoDB's error code.
    assert any(document.get("reason") == "ThrottlingException" for document in capture.stdout_documents())
    assert_no_plaintext(capture)


def test_an_unexpected_error_emits_no_plaintext(capture: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    from admin_token import service

    def broken_store() -> Any:
        raise RuntimeError("storage exploded")

    monkeypatch.setattr(service, "default_store", broken_store)
    for index, token in enumerate(ALL_TOKENS):
        assert status_body(send(capture, FUNCTIONS[index % 2], body={"token": token})) == INTERNAL
    assert any(document.get("message") == "Unhandled error" for document in capture.stdout_documents())
    # The generic 500 path adds no metric of its own (only the cold start one, if any).
    assert_no_plaintext(capture, metrics_expected=False)


def test_digests_are_what_reaches_dynamodb(capture: Capture) -> None:
    """The keys sent to DynamoDB are the tokens' digests (so the scan above was not vacuous)."""
    send(capture, LOOKUP, body={"token": demo.AGENT})
    requests = "\n".join(capture.channels["aws_requests"])
    assert token_digest(demo.AGENT) in requests
    assert token_digest(demo.ADMIN) in requests
    assert_no_plaintext(capture)


# -- the scan itself is not blind -------------------------------------------------------------


def test_the_scan_finds_a_plaintext_planted_in_every_channel(
    capture: Capture, db: Tables, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A positive control: leak on purpose, everywhere, and every channel's scan must see it."""
    import logging

    from admin_token import service
    from admin_token.observability import logger, metrics

    original = service.lookup_token

    def leaky(request: Any) -> tuple[dict[str, Any], str]:
        leaked = request.candidate
        logger.info("leak", extra={"token": leaked})
        logging.getLogger("some.library").debug("leak %s", leaked)
        metrics.add_metadata(key="token", value=leaked)
        entity, token_type = original(request)
        return {**entity, "leak": leaked}, token_type

    monkeypatch.setattr("functions.lookup.app.lookup_token", leaky)
    assert send(capture, LOOKUP, body={"token": demo.AGENT}).status == 200
    monkeypatch.undo()

    findings = capture.findings([demo.AGENT])
    channels = {finding.channel for finding in findings}
    assert {"stdout", "logging", "responses"} <= channels
    emf = [document for document in capture.stdout_documents() if document.get("token") == demo.AGENT]
    assert emf, "the EMF document carrying the planted metadata was not captured"

    # And in the tables.
    db.resource.Table(db.names["UsersTable"]).update_item(
        Key={"user_id": 2}, UpdateExpression="SET notes = :n", ExpressionAttributeValues={":n": {"x": [demo.AGENT]}}
    )
    assert [finding.channel for finding in find_needles(table_texts(db, count=False), [demo.AGENT])] == ["UsersTable"]


# -- bulk revoke --------------------------------------------------------------------------------


def test_a_bulk_revoke_of_every_token_emits_and_stores_no_plaintext_and_answers_no_digest(
    capture: Capture, db: Tables, new_secrets: list[str]
) -> None:
    from admin_token.digests import token_digest
    from tests.support.events import bulk_event

    # The administrator's own token last: it is revoked in the bulk too.
    tokens = [token for token in ALL_TOKENS if token != demo.ADMIN] + [demo.ADMIN]
    near_misses = [token + "0" for token in tokens[:5]]
    body = {"tokens": [*tokens, *near_misses, tokens[0]]}

    dry = capture.call(REVOKE, bulk_event({**body, "dry_run": True}, demo.ADMIN))
    real = capture.call(REVOKE, bulk_event(body, demo.ADMIN))
    again = capture.call(REVOKE, bulk_event(body, demo.ADMIN))  # the caller's token is now revoked: 401

    assert (dry.status, real.status, again.status) == (200, 200, 401)
    assert real.body["summary"]["duplicate"] == 1
    answers = json.dumps([dry.body, real.body])
    assert not [token for token in (*tokens, *near_misses) if token_digest(token) in answers]
    scan_tables(db, extra=tuple(new_secrets))
    assert_no_plaintext(capture, *near_misses, *new_secrets)
