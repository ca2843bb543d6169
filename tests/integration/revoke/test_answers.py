"""What every answer of the single-token endpoints says about the type, the action and its audit
event. (The dry run is in dry_run/, revokes remembered by tombstones in tombstones/.)"""

from __future__ import annotations

import pytest

from tests.integration.conftest import NOT_FOUND, Api, Tables
from tests.support import demo
from tests.support.events import proxy_event

# -- §1 headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(demo.REVOKE_ANSWERS))
def test_a_lookup_names_the_type(api: Api, kind: str) -> None:
    token, token_type, *_ = demo.REVOKE_ANSWERS[kind]
    response = api.lookup(token)
    assert (response.status, response.headers["X-Token-Type"]) == (200, token_type)


@pytest.mark.parametrize("kind", list(demo.REVOKE_ANSWERS))
def test_a_revoke_names_the_type_the_action_and_its_audit_event(api: Api, db: Tables, kind: str) -> None:
    token, token_type, action, *_ = demo.REVOKE_ANSWERS[kind]

    response = api.revoke(token)

    assert (response.status, response.raw["body"]) == (204, "")
    assert (response.headers["X-Token-Type"], response.headers["X-Token-Action"]) == (token_type, action)
    [audit] = db.audit_records()
    assert response.headers["X-Audit-Event-Id"] == str(audit["audit_id"])


@pytest.mark.parametrize("kind", ["personal access token", "deploy token", "cluster agent token", "pipeline trigger"])
def test_a_revoke_already_in_effect_says_so_and_names_no_audit_event(api: Api, db: Tables, kind: str) -> None:
    token, token_type, *_ = demo.REVOKE_ANSWERS[kind]
    assert api.revoke(token).status == 204

    again = api.revoke(token)

    assert (again.status, again.headers["X-Token-Action"], again.headers["X-Token-Type"]) == (
        204,
        "already_revoked",
        token_type,
    )
    assert "X-Audit-Event-Id" not in again.headers
    assert len(db.audit_records()) == 1


def test_a_refusal_and_a_not_found_name_the_type_an_unknown_prefix_does_not(api: Api) -> None:
    refused = api.revoke(demo.RUNNING_JOB)
    assert (refused.status, refused.headers["X-Token-Type"]) == (400, "ci_job_token")
    finished = api.lookup(demo.FINISHED_JOB)
    assert (finished.status, finished.headers["X-Token-Type"]) == (404, "ci_job_token")
    missing = api.revoke("glpat-noSuchTokenAnywhere00")
    assert (missing.status, missing.body, missing.headers["X-Token-Type"]) == (404, NOT_FOUND, "personal_access_token")
    unsupported = api.lookup("ghp_notOursAtAll")
    assert unsupported.status == 422
    assert "X-Token-Type" not in unsupported.headers


# -- §2 dry run ------------------------------------------------------------------------------------


# -- §4 tombstones ---------------------------------------------------------------------------------


def test_an_event_replayed_from_a_file_gets_the_headers(api: Api) -> None:
    event = proxy_event("POST", body={"token": demo.AGENT}, headers={"PRIVATE-TOKEN": demo.ADMIN})
    from tests.integration.conftest import call

    assert call("LookupFunction", event).headers["X-Token-Type"] == "cluster_agent_token"
