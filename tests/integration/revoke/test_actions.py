"""Each type's revoke action, and the state it leaves behind (docs/contract.md, "What `DELETE` does")."""

from __future__ import annotations

from typing import Any

import pytest

from admin_token.digests import token_digest
from tests.integration.conftest import Api, Tables
from tests.support import demo

NOT_FOUND = (404, {"message": {"error": "Not found"}})


def refused(reason: str) -> tuple[int, Any]:
    return 400, {"message": {"error": reason}}


def status_body(response: Any) -> tuple[int, Any]:
    return response.status, response.body


# -- revoke: personal, impersonation, project and group access tokens; deploy tokens --------


@pytest.mark.parametrize(
    "token",
    [demo.ALICE_PAT, demo.ALICE_IMPERSONATION, demo.PROJECT_BOT_PAT, demo.GROUP_BOT_PAT],
    ids=["human", "impersonation", "project access token", "group access token"],
)
def test_personal_access_tokens_are_revoked(api: Api, db: Tables, token: str) -> None:
    assert api.revoke(token).status == 204

    after = api.lookup(token)
    assert after.status == 200
    assert (after.body["revoked"], after.body["active"]) == (True, False)
    [audit] = db.audit_records()
    assert (audit["action"], audit["token_type"]) == ("revoked", "personal_access_token")


def test_revoking_a_revoked_token_again_is_204_and_changes_nothing(api: Api, db: Tables) -> None:
    assert api.revoke(demo.ALICE_PAT).status == 204
    before = db.token_item(demo.ALICE_PAT)

    assert api.revoke(demo.ALICE_PAT).status == 204

    assert db.token_item(demo.ALICE_PAT) == before
    assert len(db.audit_records()) == 1


def test_a_bot_token_with_no_project_or_group_is_refused(api: Api, db: Tables) -> None:
    before = db.token_item(demo.ORPHAN_BOT_PAT)
    assert status_body(api.revoke(demo.ORPHAN_BOT_PAT)) == refused("Unsupported personal access token type")
    assert db.token_item(demo.ORPHAN_BOT_PAT) == before
    assert db.audit_records() == []


@pytest.mark.parametrize("token", [demo.PROJECT_DEPLOY, demo.GROUP_DEPLOY], ids=["project", "group"])
def test_deploy_tokens_of_a_project_or_group_are_revoked(api: Api, db: Tables, token: str) -> None:
    assert api.lookup(token).body["revoked"] is False

    assert api.revoke(token).status == 204

    after = api.lookup(token)
    assert (after.status, after.body["revoked"]) == (200, True)
    assert len(db.audit_records()) == 1


def test_a_deploy_token_of_neither_project_nor_group_is_refused(api: Api, db: Tables) -> None:
    before = db.token_item(demo.ORPHAN_DEPLOY)
    assert status_body(api.revoke(demo.ORPHAN_DEPLOY)) == refused("Unsupported deploy token type")
    assert db.token_item(demo.ORPHAN_DEPLOY) == before


# -- reset: a new secret of the same prefix replaces the old one -----------------------------


@pytest.mark.parametrize(
    ("token", "token_type", "owner_attribute"),
    [
        (demo.ALICE_FEED, "feed_token", "feed_token_digest"),
        (demo.ALICE_INCOMING_EMAIL, "incoming_email_token", "incoming_email_token_digest"),
        (demo.OAUTH_SECRET, "oauth_application_secret", None),
        (demo.FLAGS_CLIENT, "feature_flags_client_token", None),
        (demo.INSTANCE_SCIM, "scim_access_token", None),
        (demo.GROUP_SCIM, "scim_access_token", None),
    ],
)
def test_reset_replaces_the_secret(
    api: Api, db: Tables, token: str, token_type: str, owner_attribute: str | None
) -> None:
    # Given what the token identifies
    before = api.lookup(token)
    assert before.status == 200
    tokens_before = {item["digest"] for item in db.all_items("TokensTable")}

    # When it is revoked
    revoked = api.revoke(token)

    # Then the response holds no secret, the old value is gone ...
    assert (revoked.status, revoked.raw["body"]) == (204, "")
    assert status_body(api.lookup(token)) == NOT_FOUND
    # ... and exactly one new secret of the same type holds the same record
    tokens_after = {item["digest"]: item for item in db.all_items("TokensTable")}
    [new_digest] = set(tokens_after) - tokens_before
    # (the old digest now holds only a tombstone: what happened, not a token)
    assert tokens_after[token_digest(token)]["token_type"] == "tombstone"
    assert tokens_after[new_digest]["token_type"] == token_type
    if owner_attribute:
        [alice] = [user for user in db.all_items("UsersTable") if user["user_id"] == 2]
        assert alice[owner_attribute] == new_digest
    [audit] = db.audit_records()
    assert (audit["action"], audit["token_type"]) == ("reset", token_type)


def test_reset_leaves_the_owners_other_tokens_alone(api: Api) -> None:
    assert api.revoke(demo.ALICE_FEED).status == 204
    assert api.lookup(demo.ALICE_INCOMING_EMAIL).status == 200
    assert api.lookup(demo.ALICE_PAT).status == 200


# -- cluster agent token, pipeline trigger, CI job, session -----------------------------------


def test_a_cluster_agent_token_is_revoked(api: Api, db: Tables) -> None:
    assert api.revoke(demo.AGENT).status == 204
    after = api.lookup(demo.AGENT)
    assert (after.status, after.body["status"]) == (200, "revoked")
    assert api.revoke(demo.AGENT).status == 204
    assert len(db.audit_records()) == 1


def test_a_pipeline_trigger_is_expired(api: Api, db: Tables) -> None:
    assert api.lookup(demo.TRIGGER).body["expires_at"] is None

    assert api.revoke(demo.TRIGGER).status == 204

    after = api.lookup(demo.TRIGGER)
    assert after.status == 200
    assert after.body["expires_at"] is not None
    assert after.body["updated_at"] == after.body["expires_at"]
    [audit] = db.audit_records()
    assert audit["action"] == "expired"


def test_a_pipeline_trigger_is_refused_when_expiry_is_disabled(api: Api, db: Tables, set_flags: Any) -> None:
    set_flags(token_api_expire_pipeline_triggers={"default": False})
    before = db.token_item(demo.TRIGGER)

    assert status_body(api.revoke(demo.TRIGGER)) == refused("Unsupported token type")

    assert db.token_item(demo.TRIGGER) == before
    assert api.lookup(demo.TRIGGER).body["expires_at"] is None


def test_a_ci_job_token_is_refused(api: Api, db: Tables) -> None:
    before = db.token_item(demo.RUNNING_JOB)
    assert status_body(api.revoke(demo.RUNNING_JOB)) == refused("Unsupported token type")
    assert db.token_item(demo.RUNNING_JOB) == before
    assert db.audit_records() == []


def test_a_session_is_deleted(api: Api, db: Tables) -> None:
    assert api.lookup(demo.ALICE_SESSION).body["username"] == "alice"

    assert api.revoke(demo.ALICE_SESSION).status == 204

    assert status_body(api.lookup(demo.ALICE_SESSION)) == NOT_FOUND
    assert db.token_item(demo.ALICE_SESSION)["token_type"] == "tombstone"  # a record of the revoke, not a session
    # the user and her other credentials are untouched
    assert api.lookup(demo.ALICE_FEED).status == 200


# -- every revoke is one transaction, audit record included -----------------------------------


def test_a_revoke_whose_audit_record_cannot_be_written_changes_nothing(api: Api, db: Tables) -> None:
    # Given an audit event id that is already taken, and minted again on every try (the audit
    # put's condition always fails)
    from unittest import mock

    taken = 7360412876132353
    db.resource.Table(db.names["AuditTable"]).put_item(Item={"audit_id": taken})
    before = {item["digest"]: item for item in db.all_items("TokensTable")}

    with mock.patch("admin_token.audit.next_audit_id", return_value=taken):
        response = api.revoke(demo.PROJECT_RUNNER)

    # Then the revoke did not happen, in any part
    assert response.status >= 400
    assert {item["digest"]: item for item in db.all_items("TokensTable")} == before
    assert any(item["runner_id"] == 2 for item in db.all_items("RunnersTable"))
    assert len(db.audit_records()) == 1


def test_a_runner_too_large_to_delete_atomically_is_refused_not_a_500(api: Api, db: Tables, add_seed: Any) -> None:
    # DynamoDB takes at most 100 items in one transaction: token, runner, audit and 97 assignments.
    runner = {
        "id": 77, "token": "glrt-manyProjectsRunner0077", "runner_type": "project_type", "description": "",
        "name": "busy", "active": True, "paused": False, "ip_address": None, "project_ids": list(range(1, 99)),
        "group_ids": [], "contacted_at": None, "created_at": "2024-01-01T00:00:00Z",
    }  # fmt: skip
    add_seed({"runners": [runner]})

    response = api.revoke("glrt-manyProjectsRunner0077")

    assert response.status == 400
    assert response.body == {
        "message": {"error": "Runner has too many project and group assignments to unregister in one transaction"}
    }
    assert api.lookup("glrt-manyProjectsRunner0077").status == 200
    assert db.audit_records() == []
