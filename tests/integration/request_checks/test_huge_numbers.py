"""Step 4 of the order of checks (docs/contract.md) for numbers Python will not parse: a 5,000-digit
`token` is still just "not a string".

`json.loads` refuses integers longer than `sys.get_int_max_str_digits()` (4,300) with a
ValueError, which once read as "request body is not valid JSON". The body is valid JSON: its
token is a number, so it is invalid at step 4, after the caller and the revoke flag.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Api, Tables
from tests.support import demo

HUGE = "9" * 5_000
INVALID = (400, {"error": "token is invalid"})
FLAG_OFF = (404, {"message": "'api_admin_token_revoke' feature flag is disabled"})
UNAUTHORIZED = (401, {"message": "401 Unauthorized"})
MISSING = (400, {"error": "token is missing"})


def status_body(response: Any) -> tuple[int, Any]:
    return response.status, response.body


@pytest.mark.parametrize("endpoint", ["lookup", "revoke"])
@pytest.mark.parametrize(
    "number", [HUGE, "-" + HUGE, HUGE + "e5", "[" + HUGE + "]"], ids=["huge", "negative", "exponent", "in a list"]
)
def test_a_huge_number_as_the_token_is_invalid(api: Api, db: Tables, endpoint: str, number: str) -> None:
    response = getattr(api, endpoint)(raw_body=f'{{"token": {number}}}', headers={"Content-Type": "application/json"})
    assert status_body(response) == INVALID
    assert db.audit_records() == []


def test_a_huge_number_elsewhere_in_the_body_does_not_hide_the_token(api: Api) -> None:
    response = api.lookup(raw_body=f'{{"n": {HUGE}, "token": "{demo.AGENT}"}}')
    assert response.status == 200
    assert response.body["name"] == "production-agent"


def test_a_huge_number_and_no_token_is_a_missing_token(api: Api) -> None:
    assert status_body(api.lookup(raw_body=f'{{"n": {HUGE}}}')) == MISSING


def test_the_revoke_flag_still_comes_first(api: Api, set_flags: Any) -> None:
    set_flags(api_admin_token_revoke={"default": False})
    assert status_body(api.revoke(raw_body=f'{{"token": {HUGE}}}')) == FLAG_OFF


@pytest.mark.parametrize("endpoint", ["lookup", "revoke"])
def test_the_caller_still_comes_first(api: Api, endpoint: str) -> None:
    api.credential = None
    assert status_body(getattr(api, endpoint)(raw_body=f'{{"token": {HUGE}}}')) == UNAUTHORIZED
