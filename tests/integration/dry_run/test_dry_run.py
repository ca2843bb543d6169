"""The dry run of a single revoke: it says what the revoke would do and writes nothing.

`dry_run` must be a JSON boolean in JSON: the string "false" is ambiguous, so 400, never a revoke.
In a form, where every value is a string, "true"/"false" are the only way to say it. (A bulk's
dry run is in bulk/.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Api, Tables, dry_run, everything
from tests.support import demo

INVALID = (400, {"error": "dry_run is invalid"})


@pytest.mark.parametrize("value", ["false", "true"])
def test_a_json_string_dry_run_on_delete_is_400_and_revokes_nothing(api: Api, db: Tables, value: str) -> None:
    response = api.revoke(body={"token": demo.AGENT, "dry_run": value})
    assert (response.status, response.body) == INVALID
    assert db.audit_records() == []
    assert api.lookup(demo.AGENT).body["status"] == "active"


def test_a_form_dry_run_true_is_still_a_dry_run(api: Api, db: Tables) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    response = api.revoke(raw_body=f"token={demo.AGENT}&dry_run=true", headers=form)
    assert response.status == 200
    assert response.body["dry_run"] is True
    assert db.audit_records() == []


@pytest.mark.parametrize("kind", list(demo.REVOKE_ANSWERS))
def test_a_dry_run_says_what_the_revoke_would_do_and_writes_nothing(api: Api, db: Tables, kind: str) -> None:
    token, token_type, action, target, cascade = demo.REVOKE_ANSWERS[kind]
    before = everything(db)

    response = dry_run(api, token)

    assert response.status == 200
    assert response.body == {
        "dry_run": True,
        "token_type": token_type,
        "action": action,
        "target": target,
        "cascade": cascade,
    }
    assert everything(db) == before
    # And the real revoke then does exactly that
    real = api.revoke(token)
    assert (real.status, real.headers["X-Token-Action"]) == (204, action)


def test_a_dry_run_of_a_revoke_already_in_effect_is_already_revoked(api: Api) -> None:
    assert api.revoke(demo.ALICE_PAT).status == 204
    response = dry_run(api, demo.ALICE_PAT)
    assert (response.status, response.body["action"], response.body["target"]) == (
        200,
        "already_revoked",
        {"type": "personal_access_token", "id": 6},
    )


def test_dry_run_false_is_a_real_revoke_and_a_form_may_say_true(api: Api, db: Tables) -> None:
    assert dry_run(api, demo.AGENT, False).status == 204
    assert len(db.audit_records()) == 1
    form = api.revoke(
        raw_body=f"token={demo.PROJECT_DEPLOY}&dry_run=true",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (form.status, form.body["action"]) == (200, "revoked")
    assert len(db.audit_records()) == 1


@pytest.mark.parametrize("value", ["yes", 1, 0, None, [], {}, "TRUE"])
def test_a_dry_run_that_is_not_a_boolean_is_refused_and_changes_nothing(api: Api, db: Tables, value: Any) -> None:
    before = everything(db)
    response = dry_run(api, demo.PROJECT_RUNNER, value)
    assert (response.status, response.body) == (400, {"error": "dry_run is invalid"})
    assert everything(db) == before


def test_dry_run_is_checked_where_the_token_is(api: Api, set_flags: Any) -> None:
    # The token's own check comes first, then dry_run, before the prefix is looked at.
    assert dry_run(api, 42, "maybe").body == {"error": "token is invalid"}
    assert dry_run(api, "ghp_notOurs", "maybe").body == {"error": "dry_run is invalid"}
    # With the flag off, the 404 comes before either.
    set_flags(api_admin_token_revoke={"default": False})
    assert dry_run(api, 42, "maybe").status == 404


def test_a_dry_run_refusal_is_the_real_refusal(api: Api) -> None:
    response = dry_run(api, demo.RUNNING_JOB)
    assert (response.status, response.body) == (400, {"message": {"error": "Unsupported token type"}})
