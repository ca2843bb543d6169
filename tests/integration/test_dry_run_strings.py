"""`dry_run` must be a JSON boolean in JSON: the string "false" is ambiguous, so 400, never a revoke.
In a form, where every value is a string, "true"/"false" are the only way to say it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Api, Tables, call
from tests.support import demo
from tests.support.events import bulk_event

INVALID = (400, {"error": "dry_run is invalid"})


@pytest.mark.parametrize("value", ["false", "true"])
def test_a_json_string_dry_run_on_delete_is_400_and_revokes_nothing(api: Api, db: Tables, value: str) -> None:
    response = api.revoke(body={"token": demo.AGENT, "dry_run": value})
    assert (response.status, response.body) == INVALID
    assert db.audit_records() == []
    assert api.lookup(demo.AGENT).body["status"] == "active"


@pytest.mark.parametrize("value", ["false", "true"])
def test_a_json_string_dry_run_in_a_bulk_is_400_and_revokes_nothing(db: Tables, tables: Any, value: str) -> None:
    response = call("RevokeFunction", bulk_event({"tokens": [demo.AGENT], "dry_run": value}, demo.ADMIN))
    assert (response.status, response.body) == INVALID
    assert db.audit_records() == []


def test_a_form_dry_run_true_is_still_a_dry_run(api: Api, db: Tables) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    response = api.revoke(raw_body=f"token={demo.AGENT}&dry_run=true", headers=form)
    assert response.status == 200
    assert response.body["dry_run"] is True
    assert db.audit_records() == []
