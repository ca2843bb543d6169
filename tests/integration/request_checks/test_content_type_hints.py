"""A JSON body sent without `Content-Type: application/json` gets a 400 (or 415) that says so.

`curl -d '{"token": ...}'` sends `Content-Type: application/x-www-form-urlencoded`: the JSON is
then one form field named after the whole document, and "token is missing" alone is a puzzle."""

from __future__ import annotations

from tests.integration.conftest import Api, Tables
from tests.support import demo

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_json_sent_as_a_form_is_400_saying_to_send_the_json_content_type(api: Api, db: Tables) -> None:
    for send in (api.lookup, api.revoke):
        response = send(raw_body=f'{{"token": "{demo.AGENT}"}}', headers=FORM)
        assert response.status == 400
        assert response.body["error"].startswith("token is missing: the body looks like JSON")
        assert "Content-Type: application/json" in response.body["error"]
        assert demo.AGENT not in response.body["error"]
    assert db.audit_records() == []


def test_a_body_without_content_type_that_is_not_json_says_it_was_read_as_json(api: Api) -> None:
    response = api.lookup(raw_body=f"token={demo.AGENT}")
    assert response.status == 400
    assert response.body["error"] == (
        "request body is not valid JSON (no Content-Type was sent, so the body was read as JSON; "
        "a form needs Content-Type: application/x-www-form-urlencoded)"
    )


def test_a_form_without_json_and_without_token_is_just_missing(api: Api) -> None:
    assert api.lookup(raw_body="dry_run=true", headers=FORM).body == {"error": "token is missing"}
