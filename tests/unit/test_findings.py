"""Reading `POST /v1/revoke_tokens` (secret-detection.md §1, §3): the credential, the body, each finding.

No AWS: `parse_findings_request` only reads, and each check raises in the contract's order
(413 from `check_size`, then 400 from `check_findings`), with a message that says what is wrong
and never holds the token.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from admin_token.errors import InvalidRequest, PayloadTooLarge
from admin_token.models.findings import (
    MAX_FINDINGS,
    MAX_FINDINGS_BODY_BYTES,
    Finding,
    FindingsRequest,
    parse_findings_request,
    revocation_credential,
)

DEPLOY = "gitleaks_rule_id_gitlab_deploy_token"
RUNNER = "gitleaks_rule_id_gitlab_runner_auth_token"
KNOWN = [DEPLOY, RUNNER, "gitleaks_rule_id_gitlab_feed_token_v2"]
LEAKED = "gldt-projectDeployTk4Qz8"  # the demo seed's deploy token
NOT_AN_ARRAY = "request body must be a JSON array of findings"
NOT_JSON = "request body is not valid JSON"
BAD_TOKEN = "finding 1: token must be a non-empty string"
BAD_TYPE = "finding 1: type is not one of GET /v1/revocable_token_types"
BAD_LOCATION = "finding 1: location must be a string or null"


def gitlab_finding(token: Any = LEAKED, rule: Any = DEPLOY, location: Any = "", **extra: Any) -> dict[str, Any]:
    """As ScanSecurityReportSecretsWorker builds it: type, token, location, and the vulnerability record."""
    vulnerability = {"id": 41, "project_id": 10, "title": "GitLab deploy token", "state": "detected",
                     "severity": "critical", "report_type": "secret_detection", "description": None}  # fmt: skip
    return {"type": rule, "token": token, "location": location, "vulnerability": vulnerability, **extra}


def parse(
    body: Any = None,
    *,
    raw: str | None = None,
    authorization: str | None = "pre-shared",
    base64_encoded: bool = False,
) -> FindingsRequest:
    headers = {} if authorization is None else {"Authorization": authorization}
    return parse_findings_request(
        headers=headers,
        multi_value_headers={name: [value] for name, value in headers.items()},
        body=json.dumps(body) if raw is None else raw,
        base64_encoded=base64_encoded,
        request_id="r-1",
    )


def rejected(request: FindingsRequest) -> str:
    """The 400 message: size first (it must pass), then the findings (they must not)."""
    request.check_size()
    with pytest.raises(InvalidRequest) as raised:
        request.check_findings(KNOWN)
    assert not isinstance(raised.value, PayloadTooLarge)
    assert LEAKED not in str(raised.value)
    return str(raised.value)


# -- what GitLab sends is accepted -------------------------------------------------------------


def test_gitlabs_findings_are_read_as_type_token_and_location() -> None:
    at = "https://gitlab.example.com/acme/shop/-/blob/5f2c/deploy/.env#L2"
    request = parse([gitlab_finding(location=at), gitlab_finding("glrt-t1_sharedRunnerTk7Pd4Kw", RUNNER)])

    request.check_size()
    assert request.check_findings(KNOWN) == [
        Finding(DEPLOY, LEAKED, at),
        Finding(RUNNER, "glrt-t1_sharedRunnerTk7Pd4Kw", None),  # "" (no commit) is no location
    ]
    assert (request.credential, request.request_id, request.problem) == ("pre-shared", "r-1", None)


@pytest.mark.parametrize(
    "finding",
    [
        {"type": DEPLOY, "token": LEAKED},  # no location, no vulnerability
        gitlab_finding(location=None),
        gitlab_finding(vulnerability=None),  # the vulnerability not created yet
        gitlab_finding(vulnerability=[1, {"deep": [None]}], raw_source_code_extract="x", extra=7),  # other keys ignored
    ],
)
def test_a_finding_needs_only_its_type_and_token(finding: dict[str, Any]) -> None:
    assert parse([finding]).check_findings(KNOWN) == [Finding(DEPLOY, LEAKED, None)]


def test_an_empty_list_is_valid_and_holds_nothing() -> None:
    assert parse([]).check_findings(KNOWN) == []


def test_at_most_10000_findings_and_6_mib_are_read() -> None:
    request = parse([gitlab_finding()] * MAX_FINDINGS)
    request.check_size()
    assert len(request.check_findings(KNOWN)) == MAX_FINDINGS
    padded = json.dumps([gitlab_finding()])
    padded = padded[:-1] + " " * (MAX_FINDINGS_BODY_BYTES - len(padded)) + "]"
    assert len(padded.encode()) == MAX_FINDINGS_BODY_BYTES
    assert parse(raw=padded).check_findings(KNOWN) == [Finding(DEPLOY, LEAKED, None)]


def test_a_base64_encoded_body_is_read_as_its_text() -> None:
    raw = base64.b64encode(json.dumps([gitlab_finding()]).encode()).decode()
    assert parse(raw=raw, base64_encoded=True).check_findings(KNOWN) == [Finding(DEPLOY, LEAKED, None)]


# -- 413 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([gitlab_finding()] * (MAX_FINDINGS + 1), "at most 10000 findings per request"),
        ([None] * (MAX_FINDINGS + 1), "at most 10000 findings per request"),  # counted before each is checked
    ],
)
def test_more_than_10000_findings_is_413_before_any_finding_is_checked(body: list[Any], message: str) -> None:
    with pytest.raises(PayloadTooLarge, match=message):
        parse(body).check_size()


@pytest.mark.parametrize("base64_encoded", [False, True])
def test_a_body_over_6_mib_is_413(base64_encoded: bool) -> None:
    text = "[" + " " * MAX_FINDINGS_BODY_BYTES + "]"
    raw = base64.b64encode(text.encode()).decode() if base64_encoded else text
    request = parse(raw=raw, base64_encoded=base64_encoded)
    with pytest.raises(PayloadTooLarge, match="request body too large"):
        request.check_size()
    with pytest.raises(PayloadTooLarge):  # and it stays the answer if asked for the findings
        request.check_findings(KNOWN)


# -- 400: the body ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", NOT_JSON),
        ("[{", NOT_JSON),
        ('[{"type": "' + DEPLOY + '", "token": "' + LEAKED + '"}', NOT_JSON),  # cut short
        ("[NaN]", NOT_JSON),
        ('[{"type": "x", "token": Infinity}]', NOT_JSON),
        ("[" * 100_000 + "]" * 100_000, NOT_JSON),  # nesting deeper than the parser recurses
        ("{}", NOT_AN_ARRAY),
        ('{"findings": []}', NOT_AN_ARRAY),
        ('"' + LEAKED + '"', NOT_AN_ARRAY),
        ("null", NOT_AN_ARRAY),
        ("42", NOT_AN_ARRAY),
    ],
)
def test_a_body_that_is_not_a_json_array_is_400(raw: str, message: str) -> None:
    assert rejected(parse(raw=raw)) == message


def test_a_body_not_utf8_or_not_base64_is_400() -> None:
    not_utf8 = base64.b64encode(b'[{"type": "\xff"}]').decode()
    assert rejected(parse(raw=not_utf8, base64_encoded=True)) == "request body is not valid UTF-8"
    assert rejected(parse(raw="not base64!", base64_encoded=True)) == "request body is not valid base64"


# -- 400: each finding, the first bad one named ------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (LEAKED, "finding 1 must be an object"),
        ([gitlab_finding()], "finding 1 must be an object"),
        (None, "finding 1 must be an object"),
        ({"type": DEPLOY}, BAD_TOKEN),
        (gitlab_finding(token=""), BAD_TOKEN),
        (gitlab_finding(token=None), BAD_TOKEN),
        (gitlab_finding(token=12345), BAD_TOKEN),
        (gitlab_finding(token=[LEAKED]), BAD_TOKEN),
        ({"token": LEAKED}, BAD_TYPE),
        (gitlab_finding(rule="gitleaks_rule_id_gitlab_ci_job_token"), BAD_TYPE),
        (gitlab_finding(rule=DEPLOY.upper()), BAD_TYPE),
        (gitlab_finding(rule="gitlab_deploy_token"), BAD_TYPE),
        (gitlab_finding(rule=[DEPLOY]), BAD_TYPE),
        (gitlab_finding(location=7), BAD_LOCATION),
        (gitlab_finding(location={"file": ".env"}), BAD_LOCATION),
        (gitlab_finding(location=False), BAD_LOCATION),
    ],
)
def test_one_bad_finding_rejects_the_request_and_says_which(bad: Any, message: str) -> None:
    assert rejected(parse([gitlab_finding(), bad, gitlab_finding()])) == message


def test_the_first_bad_finding_is_the_one_named() -> None:
    body = [gitlab_finding(), gitlab_finding(token=""), "not an object", gitlab_finding(rule="other")]
    assert rejected(parse(body)) == BAD_TOKEN


# -- the credential (§1) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Authorization": "s3cret"}, "s3cret"),  # bare, as GitLab sends it
        ({"authorization": "s3cret"}, "s3cret"),
        ({"Authorization": "Bearer s3cret"}, "s3cret"),
        ({"Authorization": "bearer  s3cret "}, "s3cret"),
        ({"Authorization": " \ts3cret\t"}, "s3cret"),
        ({"Authorization": ""}, None),
        ({"Authorization": " "}, None),
        ({}, None),
        ({"PRIVATE-TOKEN": "s3cret"}, None),  # the admin API's header is not this API's
    ],
)
def test_the_pre_shared_token_is_read_bare_or_as_bearer(headers: dict[str, str], expected: str | None) -> None:
    assert revocation_credential(headers, {name: [value] for name, value in headers.items()}) == expected
    assert revocation_credential(headers, {}) == expected  # a proxy event may have no multi-value map


def test_two_authorization_headers_or_maps_that_disagree_are_no_credential() -> None:
    assert revocation_credential({"Authorization": "b"}, {"Authorization": ["a", "b"]}) is None
    assert revocation_credential({"Authorization": "a", "authorization": "b"}, {}) is None
    assert revocation_credential({"Authorization": "a"}, {"Authorization": ["b"]}) is None


def test_a_request_with_no_credential_still_parses_its_body_for_later_checks() -> None:
    request = parse([gitlab_finding()], authorization=None)
    assert request.credential is None
    assert request.check_findings(KNOWN) == [Finding(DEPLOY, LEAKED, None)]
