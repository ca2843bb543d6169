"""secret-detection.md §1-§3 under hostile input: properties over what may reach the two /v1 routes.

Hypothesis builds REST v1 proxy events for `POST /v1/revoke_tokens` (GitLab-shaped findings with
at most one broken element, any JSON, any text, base64 bodies good and bad, hostile nesting) and
for `GET /v1/revocable_token_types` and both paths with every method, under credential headers
right, wrong, repeated or missing, with arbitrary other headers. Each goes through the real
IntakeFunction with the queue and the secret in moto (tests.support.revocation).

The answer expected for each is computed here from the contract, in its order (405, then 401,
413, the flag's 404, 400, else 204), not asked of the service. For every example:

- the status is exactly that one, never a 5xx; every answer with a body is a JSON object
  (`message` or `error` for an error) with `Content-Type: application/json`;
- after a 4xx nothing is in the queue; after a 204 every message is a digest of a token that was
  sent (never a plaintext), each token once, with a revocable type and a location or null.

The budget is fixed and the examples derandomized, so the module takes the same few seconds
on every run.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from admin_token.digests import token_digest
from admin_token.secret_detection import RULE_TYPES
from admin_token.token_types import PREFIXES as REGISTRY_PREFIXES
from tests.integration.conftest import ApiResponse, call
from tests.integration.token_revocation_api.test_token_revocation_api import ALL_TYPES
from tests.support import demo
from tests.support.events import proxy_event
from tests.support.hostile_requests import hostile_settings
from tests.support.revocation import FINDINGS_PATH, TYPES_PATH, RevocationApi

MAX_FINDINGS = 10_000
MAX_BODY_BYTES = 6_291_456
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
ALLOWED = {TYPES_PATH: "GET", FINDINGS_PATH: "POST"}
UNAUTHORIZED = {"message": "401 Unauthorized"}
NOT_ALLOWED = {"message": "405 Method Not Allowed"}
FLAG_OFF = {"message": "'secret_detection_auto_revoke' feature flag is disabled"}
REVOCABLE = set(RULE_TYPES.values())
PREFIXES = sorted(REGISTRY_PREFIXES)
REAL_TOKENS = sorted(value for name, value in vars(demo).items() if name.isupper() and isinstance(value, str))


@pytest.fixture
def flag(set_flags: Any) -> Any:
    """Turn `secret_detection_auto_revoke` on or off, deploying only on a change."""
    state = {"on": True}

    def set_to(on: bool) -> None:
        if on != state["on"]:
            set_flags(secret_detection_auto_revoke={"default": on})
            state["on"] = on

    return set_to


# -- strategies --------------------------------------------------------------------------------

any_text = st.text(max_size=40) | st.text(st.characters(categories=["Cs", "Zs", "Cc"]), max_size=8)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
tokens = st.one_of(
    st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(PREFIXES), any_text),
    st.sampled_from(REAL_TOKENS),  # POST only queues: what a worker would do is not run here
    any_text,
)


def good_finding() -> st.SearchStrategy[dict[str, Any]]:
    """As GitLab sends one: a listed type, a token, a location ("" or none at all), a vulnerability."""
    return st.fixed_dictionaries(
        {"type": st.sampled_from(ALL_TYPES), "token": tokens.filter(bool)},
        optional={
            "location": st.none() | st.just("") | any_text | st.text(min_size=1100, max_size=1200),
            "vulnerability": json_values,
            "raw_source_code_extract": any_text,
        },
    )


# Each a finding the contract refuses: not an object, a token that is no non-empty string, a type
# not listed, a location that is no string.
bad_finding = st.one_of(
    json_scalars,
    st.lists(json_values, max_size=2),
    st.builds(lambda f, t: {**f, "token": t}, good_finding(), json_values.filter(lambda v: not isinstance(v, str))),
    st.builds(lambda f: {**f, "token": ""}, good_finding()),
    st.builds(lambda f: {k: v for k, v in f.items() if k != "token"}, good_finding()),
    st.builds(lambda f, t: {**f, "type": t}, good_finding(), json_values.filter(lambda v: v not in ALL_TYPES)),
    st.builds(lambda f: {k: v for k, v in f.items() if k != "type"}, good_finding()),
    st.builds(lambda f: {**f, "type": f["type"].upper()}, good_finding()),
    st.builds(
        lambda f, loc: {**f, "location": loc},
        good_finding(),
        json_values.filter(lambda v: not isinstance(v, str | None)),
    ),
)


@st.composite
def findings_documents(draw: st.DrawFn) -> list[Any]:
    """Mostly GitLab's shape: a list of good findings (a token sometimes repeated), at most one broken."""
    findings = draw(st.lists(good_finding(), max_size=8))
    if findings and draw(st.booleans()):
        findings.append(dict(findings[0], location="second/place.yml:1"))
    if draw(st.booleans()):
        findings.insert(draw(st.integers(0, len(findings))), draw(bad_finding))
    return findings


def _nested(depth: int, opener: str) -> str:
    return opener * depth + "]" * depth if opener == "[" else opener * depth + "1" + "}" * depth


json_texts = st.one_of(
    st.builds(json.dumps, findings_documents(), ensure_ascii=st.booleans()),
    st.builds(json.dumps, json_values),
    st.builds(_nested, st.integers(1, 50_000), st.sampled_from(["[", '[{"a":'])),
)
# A body as API Gateway hands it over: (text, isBase64Encoded).
bodies = st.one_of(
    st.tuples(json_texts, st.just(False)),
    st.tuples(
        json_texts.map(lambda text: base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()), st.just(True)
    ),
    st.tuples(any_text | st.none(), st.booleans()),  # anything, base64 or not
    st.tuples(st.binary(max_size=64).map(lambda raw: base64.b64encode(raw).decode()), st.just(True)),
)


def credentials(pre_shared: str) -> st.SearchStrategy[tuple[dict[str, str], bool]]:
    """Credential headers, and whether they carry the pre-shared token (§1: bare or Bearer, once)."""
    right = [
        ({"Authorization": pre_shared}, True),
        ({"authorization": f"Bearer {pre_shared}"}, True),
        ({"AUTHORIZATION": f" bearer \t{pre_shared}\t"}, True),
    ]
    wrong = [
        ({}, False),
        ({"Authorization": ""}, False),
        ({"Authorization": pre_shared[:-1]}, False),
        ({"Authorization": f"Basic {pre_shared}"}, False),
        ({"Authorization": pre_shared, "authorization": pre_shared}, False),  # repeated
        ({"PRIVATE-TOKEN": pre_shared}, False),
        ({"Authorization": demo.ADMIN}, False),  # an administrator's token is not the pre-shared one
    ]
    garbage = st.builds(lambda value: ({"Authorization": value}, False), any_text.filter(lambda v: pre_shared not in v))
    return st.sampled_from(right * 3) | st.sampled_from(wrong) | garbage


other_headers = st.dictionaries(
    st.text("abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=12).filter(
        lambda name: name.lower() not in ("authorization", "private-token")
    ),
    any_text,
    max_size=3,
) | st.builds(lambda ct: {"Content-Type": ct}, any_text)


# -- the contract's answer -------------------------------------------------------------------------


def decoded(body: str | None, base64_encoded: bool) -> bytes | None:
    """The body's bytes, or None where it cannot be read as the contract's JSON (400)."""
    if body is None:
        return b""
    if not base64_encoded:
        return body.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(body, validate=True)
    except ValueError:
        return None


def no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON


def contract_status(raw: bytes | None, flag_on: bool) -> int:
    """§3's answer for an authenticated POST of these bytes."""
    document: Any = None
    if raw is not None and len(raw) > MAX_BODY_BYTES:
        return 413
    try:
        document = json.loads((raw or b"").decode("utf-8"), parse_constant=no_constant)
        readable = raw is not None
    except (ValueError, RecursionError):
        readable = False
    if readable and isinstance(document, list) and len(document) > MAX_FINDINGS:
        return 413
    if not flag_on:
        return 404
    if not readable or not isinstance(document, list):
        return 400
    for element in document:
        if not isinstance(element, dict):
            return 400
        token, rule_type, location = element.get("token"), element.get("type"), element.get("location")
        if not (isinstance(token, str) and token) or rule_type not in ALL_TYPES:
            return 400
        if location is not None and not isinstance(location, str):
            return 400
    return 204


def sent_tokens(raw: bytes) -> set[str]:
    return {element["token"] for element in json.loads(raw.decode("utf-8"))}


# -- checks ----------------------------------------------------------------------------------------


def send(method: str, path: str, headers: dict[str, str], body: str | None, base64_encoded: bool) -> ApiResponse:
    event = proxy_event(method, raw_body=body, headers=headers, base64_encoded=base64_encoded)
    event["path"] = event["resource"] = event["requestContext"]["resourcePath"] = path
    event["requestContext"]["path"] = "/prod" + path
    return call("IntakeFunction", event)


def take_queued(revocation: RevocationApi) -> list[dict[str, Any]]:
    """Every message in the queue, removed from it (so the next example starts empty)."""
    bodies: list[dict[str, Any]] = []
    while True:
        messages = revocation.sqs.receive_message(
            QueueUrl=revocation.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60
        ).get("Messages", [])
        if not messages:
            return bodies
        bodies.extend(json.loads(message["Body"]) for message in messages)
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        revocation.sqs.delete_message_batch(QueueUrl=revocation.queue_url, Entries=entries)


def assert_json_answer(response: ApiResponse) -> None:
    assert response.status < 500, response.body
    if response.status == 204:
        assert response.raw.get("body") in ("", None)
        return
    assert response.headers.get("Content-Type") == "application/json"
    assert isinstance(response.body, dict)
    if response.status >= 400:
        assert set(response.body) & {"message", "error"}, response.body


def assert_queued_as_digests(queued: list[dict[str, Any]], raw: bytes) -> None:
    sent = {token_digest(token): token for token in sent_tokens(raw)}
    digests = [message["digest"] for message in queued]
    assert len(digests) == len(set(digests)), "a token queued twice in one request"
    for message in queued:
        assert set(message) == {"digest", "token_type", "location"}
        assert message["digest"] in sent
        assert message["token_type"] in REVOCABLE
        assert message["location"] is None or (isinstance(message["location"], str) and message["location"])
        text = json.dumps(message)
        assert sent[message["digest"]] not in text or len(sent[message["digest"]]) < 8  # never the plaintext


# -- the properties --------------------------------------------------------------------------------


@hostile_settings(max_examples=100, derandomize=True)
@given(data=st.data(), body=bodies, extra=other_headers, flag_on=st.sampled_from([True] * 7 + [False]))
@example(data=None, body=(json.dumps([{}] * (MAX_FINDINGS + 1)), False), extra={}, flag_on=True)
@example(data=None, body=("[" + " " * MAX_BODY_BYTES + "]", False), extra={}, flag_on=True)
@example(data=None, body=('[{"type": "' + ALL_TYPES[2] + '", "token": "\\ud800"}]', False), extra={}, flag_on=True)
def test_every_findings_request_gets_the_contracts_answer_and_only_a_204_queues(
    revocation: RevocationApi,
    flag: Any,
    data: st.DataObject | None,
    body: tuple[str | None, bool],
    extra: dict[str, str],
    flag_on: bool,
) -> None:
    credential, authorized = (
        data.draw(credentials(revocation.token)) if data else ({"Authorization": revocation.token}, True)
    )
    flag(flag_on)
    text, base64_encoded = body
    raw = decoded(text, base64_encoded)

    response = send("POST", FINDINGS_PATH, {**extra, **credential}, text, base64_encoded)

    expected = contract_status(raw, flag_on) if authorized else 401
    assert response.status == expected, response.body
    assert_json_answer(response)
    if expected == 401:
        assert response.body == UNAUTHORIZED
    if expected == 404:
        assert response.body == FLAG_OFF
    queued = take_queued(revocation)
    if expected == 204:
        assert raw is not None
        assert_queued_as_digests(queued, raw)
    else:
        assert queued == [], f"queued after a {response.status}"


@hostile_settings(max_examples=50, derandomize=True)
@given(
    data=st.data(),
    method=st.sampled_from(METHODS),
    path=st.sampled_from([TYPES_PATH, FINDINGS_PATH]),
    extra=other_headers,
    body=st.none() | any_text,
)
def test_every_method_on_both_paths_gets_its_answer_and_nothing_is_queued(
    revocation: RevocationApi,
    data: st.DataObject,
    method: str,
    path: str,
    extra: dict[str, str],
    body: str | None,
) -> None:
    credential, authorized = data.draw(credentials(revocation.token))
    if method == "POST" and path == FINDINGS_PATH:
        body = "[]"  # the findings route itself is the other property's

    response = send(method, path, {**extra, **credential}, body, False)

    assert_json_answer(response)
    if method != ALLOWED[path]:
        assert (response.status, response.body) == (405, NOT_ALLOWED)
        assert response.headers["Allow"] == ALLOWED[path]
    elif not authorized:
        assert (response.status, response.body) == (401, UNAUTHORIZED)
    elif path == TYPES_PATH:
        assert (response.status, response.body) == (200, {"types": ALL_TYPES})
    else:
        assert response.status == 204
    assert take_queued(revocation) == []


@pytest.mark.parametrize("token", [demo.RUNNING_JOB, demo.ALICE_SESSION, "_gitlab_session="])
def test_a_token_of_a_type_this_api_does_not_revoke_is_not_queued_whatever_type_was_sent(
    revocation: RevocationApi, token: str
) -> None:
    """The prefix decides (§3): a CI/CD job token or a session sent as a listed type is accepted with
    the rest, but not queued; the worker refuses such a message, so it could only reach the
    dead-letter queue."""
    findings = [
        {"type": ALL_TYPES[0], "token": token, "location": ""},
        {"type": ALL_TYPES[2], "token": demo.PROJECT_DEPLOY, "location": "deploy/.env:2"},
    ]
    response = send("POST", FINDINGS_PATH, {"Authorization": revocation.token}, json.dumps(findings), False)

    assert response.status == 204
    assert take_queued(revocation) == [
        {"digest": token_digest(demo.PROJECT_DEPLOY), "token_type": "deploy_token", "location": "deploy/.env:2"}
    ]
