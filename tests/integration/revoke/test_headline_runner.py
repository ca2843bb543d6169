"""The headline scenario: look up a runner token, revoke it (the runner is deleted), look it up again."""

from __future__ import annotations

from tests.integration.conftest import Api, Tables
from tests.support.demo import PROJECT_RUNNER, SHARED_RUNNER


def test_lookup_then_revoke_unregisters_the_runner(api: Api, db: Tables) -> None:
    # Given a registered project runner, assigned to projects 10 and 11
    looked_up = api.lookup(PROJECT_RUNNER)
    assert looked_up.status == 200
    assert looked_up.body == {
        "id": 2,
        "description": "builds project 10 and 11",
        "ip_address": "10.0.0.12",
        "active": True,
        "paused": False,
        "is_shared": False,
        "runner_type": "project_type",
        "name": "runner-2",
        "online": False,
        "status": "offline",
        "created_at": "2024-02-01T00:00:00.000Z",
    }

    # When an administrator revokes its token
    revoked = api.revoke(PROJECT_RUNNER)

    # Then the runner is gone, with everything only it owned, and the token finds nothing
    assert revoked.status == 204
    assert revoked.raw["body"] == ""
    assert api.lookup(PROJECT_RUNNER).status == 404
    assert api.lookup(PROJECT_RUNNER).body == {"message": {"error": "Not found"}}
    runner_items = [item for item in db.all_items("RunnersTable") if item["runner_id"] == 2]
    assert runner_items == []
    assert db.token_item(PROJECT_RUNNER)["token_type"] == "tombstone"  # a record of the revoke, not a token
    # ... and other runners are untouched
    assert api.lookup(SHARED_RUNNER).status == 200


def test_revoking_a_runner_writes_one_audit_record(api: Api, db: Tables) -> None:
    assert api.revoke(SHARED_RUNNER).status == 204

    [audit] = db.audit_records()
    assert audit["action"] == "deleted"
    assert audit["token_type"] == "runner_authentication_token"
    assert (audit["entity_type"], audit["entity_id"]) == ("Ci::Runner", 1)
    assert (audit["author_id"], audit["author_username"]) == (1, "root")
    assert audit["request_id"]
    assert audit["created_at"]


def test_revoking_a_deleted_runner_again_is_not_found(api: Api, db: Tables) -> None:
    assert api.revoke(SHARED_RUNNER).status == 204

    second = api.revoke(SHARED_RUNNER)

    assert (second.status, second.body) == (404, {"message": {"error": "Not found"}})
    assert len(db.audit_records()) == 1
