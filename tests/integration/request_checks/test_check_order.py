"""The order of checks, each error body, and malformed input never a 5xx (docs/contract.md, "Order of checks")."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from admin_token_local.appconfig_standin import AppConfigStandIn
from tests.integration.conftest import Api, Tables
from tests.support import demo

MISSING = (400, {"error": "token is missing"})
IN_QUERY = (400, {"error": "token must be sent in the request body"})
INVALID = (400, {"error": "token is invalid"})
FLAG_OFF = (404, {"message": "'api_admin_token_revoke' feature flag is disabled"})
UNSUPPORTED = (422, {"message": "Token type not supported."})
NOT_FOUND = (404, {"message": {"error": "Not found"}})


def status_body(response: Any) -> tuple[int, Any]:
    return response.status, response.body


@pytest.fixture
def flag_off(set_flags: Any) -> None:
    set_flags(api_admin_token_revoke={"default": False})


# -- 1. the caller comes first --------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["lookup", "revoke"])
def test_an_unauthenticated_caller_learns_nothing_about_the_body(api: Api, endpoint: str) -> None:
    api.credential = None
    call = getattr(api, endpoint)
    assert call(raw_body="not json").status == 401
    assert call(query={"token": demo.AGENT}).status == 401
    assert call(body={"nope": 1}).status == 401


# -- 2. the token must come in the body -----------------------------------------------------


@pytest.mark.parametrize("endpoint", ["lookup", "revoke"])
def test_a_token_in_the_query_string_is_refused_even_with_one_in_the_body(api: Api, db: Tables, endpoint: str) -> None:
    response = getattr(api, endpoint)(demo.AGENT, query={"token": demo.AGENT})
    assert status_body(response) == IN_QUERY
    assert db.token_item(demo.AGENT)["status"] == "active"


@pytest.mark.parametrize("endpoint", ["lookup", "revoke"])
@pytest.mark.parametrize("body", [{}, {"tokens": demo.AGENT}], ids=["empty object", "other key"])
def test_a_missing_token_key(api: Api, endpoint: str, body: dict[str, Any]) -> None:
    assert status_body(getattr(api, endpoint)(body=body)) == MISSING


def test_no_body_at_all_is_a_missing_token(api: Api) -> None:
    assert status_body(api.lookup()) == MISSING


def test_the_body_check_comes_before_the_revoke_flag(api: Api, flag_off: None) -> None:
    assert status_body(api.revoke(body={})) == MISSING
    assert status_body(api.revoke(demo.AGENT, query={"token": "x"})) == IN_QUERY


# -- 3. the revoke flag comes before the token is examined ----------------------------------


@pytest.mark.parametrize("token", [demo.AGENT, None, 42, "", "garbage", ["x"], {"a": 1}])
def test_revoke_flag_off_answers_404_whatever_the_token(api: Api, db: Tables, flag_off: None, token: Any) -> None:
    assert status_body(api.revoke(body={"token": token})) == FLAG_OFF
    assert db.token_item(demo.AGENT)["status"] == "active"
    assert db.audit_records() == []


def test_revoke_flag_off_does_not_affect_lookup(api: Api, flag_off: None) -> None:
    assert api.lookup(demo.AGENT).status == 200


def test_revoke_flag_can_be_enabled_for_one_administrator(api: Api, set_flags: Any) -> None:
    # Given the flag is off by default, on by a rule for user id 1 (root) only
    set_flags(
        api_admin_token_revoke={
            "default": False,
            "rules": {
                "root only": {
                    "when_match": True,
                    "conditions": [{"action": "EQUALS", "key": "user_id", "value": 1}],
                }
            },
        }
    )
    assert api.revoke(demo.AGENT).status == 204


def test_revoke_flag_rule_for_another_administrator_keeps_it_off(api: Api, set_flags: Any) -> None:
    set_flags(
        api_admin_token_revoke={
            "default": True,
            "rules": {
                "not for root": {
                    "when_match": False,
                    "conditions": [{"action": "EQUALS", "key": "username", "value": "root"}],
                }
            },
        }
    )
    assert status_body(api.revoke(demo.AGENT)) == FLAG_OFF


# -- 4. the token must be a string ----------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["lookup", "revoke"])
@pytest.mark.parametrize("token", [None, 42, 4.2, True, ["glpat-x"], {"token": "glpat-x"}])
def test_a_token_that_is_not_a_string_is_invalid(api: Api, endpoint: str, token: Any) -> None:
    assert status_body(getattr(api, endpoint)(body={"token": token})) == INVALID


def test_a_repeated_form_field_is_invalid(api: Api) -> None:
    form = f"token={demo.AGENT}&token={demo.AGENT}"
    response = api.lookup(raw_body=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status_body(response) == INVALID


# -- 5. a known prefix ----------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["lookup", "revoke"])
@pytest.mark.parametrize(
    "token",
    ["", "hello", "GLPAT-rootAdminTk2Vn8Qe5Lm3", " " + demo.AGENT, "glpat", "glrt", "gitlab_session=abc"],
)
def test_an_unknown_prefix_is_not_supported(api: Api, endpoint: str, token: str) -> None:
    assert status_body(getattr(api, endpoint)(body={"token": token})) == UNSUPPORTED


# -- 6. a record must hold it -----------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["lookup", "revoke"])
@pytest.mark.parametrize(
    "token",
    [
        "glpat-noSuchTokenAnywhere00",
        demo.AGENT + " ",
        "_gitlab_session=",
        "_gitlab_session=unknownsessionid",
        demo.FINISHED_JOB,
    ],
)
def test_a_matching_type_without_a_record_is_not_found(api: Api, endpoint: str, token: str) -> None:
    assert status_body(getattr(api, endpoint)(body={"token": token})) == NOT_FOUND


# -- malformed input: always a 4xx with a JSON body that says what is wrong -----------------


# A body sent with no Content-Type is read as JSON; when that fails, the 400 says so.
READ_AS_JSON = (
    " (no Content-Type was sent, so the body was read as JSON; a form needs Content-Type: "
    "application/x-www-form-urlencoded)"
)


@pytest.mark.parametrize("endpoint", ["lookup", "revoke"])
@pytest.mark.parametrize(
    ("raw_body", "headers", "expected"),
    [
        ("{not json", {"Content-Type": "application/json"}, (400, {"error": "request body is not valid JSON"})),
        ('["token"]', {"Content-Type": "application/json"}, (400, {"error": "request body must be a JSON object"})),
        ('"glpat-x"', {}, (400, {"error": "request body must be a JSON object" + READ_AS_JSON})),
        ("[" * 50_000 + "]" * 50_000, {}, (413, {"error": "request body too large"})),
        ("[" * 20_000 + "]" * 20_000, {}, (400, {"error": "request body is not valid JSON" + READ_AS_JSON})),
        (
            json.dumps({"token": "x" * 70_000}),
            {"Content-Type": "application/json"},
            (413, {"error": "request body too large"}),
        ),
        (
            "token=glagent-x",
            {"Content-Type": "text/plain"},
            (415, {"error": "content type must be application/json or application/x-www-form-urlencoded"}),
        ),
    ],
    ids=["broken JSON", "array", "string", "deep and large", "deep nesting", "oversized", "text/plain"],
)
def test_malformed_bodies(
    api: Api, db: Tables, endpoint: str, raw_body: str, headers: dict[str, str], expected: tuple[int, Any]
) -> None:
    response = getattr(api, endpoint)(raw_body=raw_body, headers=headers)
    assert status_body(response) == expected
    assert response.headers.get("Content-Type") == "application/json"
    assert db.audit_records() == []


def test_a_form_encoded_token_is_read(api: Api) -> None:
    response = api.lookup(raw_body=f"token={demo.AGENT}", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 200
    assert response.body["name"] == "production-agent"


def test_a_base64_encoded_body_is_read(api: Api) -> None:
    raw = base64.b64encode(json.dumps({"token": demo.AGENT}).encode()).decode()
    response = api.lookup(raw_body=raw, base64_encoded=True, headers={"Content-Type": "application/json"})
    assert response.status == 200


def test_a_body_that_is_not_utf8_is_refused(api: Api) -> None:
    raw = base64.b64encode(b'{"token": "\xff\xfe"}').decode()
    response = api.lookup(raw_body=raw, base64_encoded=True, headers={"Content-Type": "application/json"})
    assert status_body(response) == (400, {"error": "request body is not valid UTF-8"})


def test_a_json_body_without_content_type_is_read(api: Api) -> None:
    assert api.lookup(raw_body=json.dumps({"token": demo.AGENT})).status == 200


def test_a_lone_surrogate_in_the_token_is_just_not_found(api: Api) -> None:
    assert status_body(api.lookup(raw_body='{"token": "glpat-\\ud800"}')) == NOT_FOUND


# -- configuration that cannot be read -------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["lookup", "revoke"])
def test_configuration_unavailable_at_a_cold_start_is_503(
    api: Api, db: Tables, appconfig: AppConfigStandIn, endpoint: str
) -> None:
    appconfig.set_available(False)
    response = getattr(api, endpoint)(demo.AGENT)
    assert status_body(response) == (503, {"message": "Configuration unavailable"})
    assert db.token_item(demo.AGENT)["status"] == "active"


def test_an_invalid_configuration_document_is_503_not_defaults(
    api: Api, appconfig: AppConfigStandIn, set_flags: Any
) -> None:
    # A flag whose default is not a boolean fails Powertools' schema validation.
    set_flags(api_admin_token_revoke={"default": "yes"})
    assert status_body(api.revoke(demo.AGENT)) == (503, {"message": "Configuration unavailable"})
