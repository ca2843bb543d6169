"""Revokes remembered by tombstones: a token a revoke made unknown still answers what happened to it,
and a tombstone keeps no secret, expires, and never authenticates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from admin_token.digests import token_digest
from tests.integration.conftest import NOT_FOUND, Api, Tables, dry_run
from tests.support import demo


@pytest.mark.parametrize("kind", sorted(demo.FORGOTTEN))
def test_a_token_a_revoke_made_unknown_is_remembered(api: Api, db: Tables, kind: str) -> None:
    token, token_type, _, target, cascade = demo.REVOKE_ANSWERS[kind]
    revoked = api.revoke(token)
    audit_id = revoked.headers["X-Audit-Event-Id"]

    # Then a lookup and a revoke still answer GitLab's 404, with what happened in the headers
    for response in (api.lookup(token), api.revoke(token)):
        assert (response.status, response.body) == (404, NOT_FOUND)
        assert response.headers["X-Token-Type"] == token_type
        assert response.headers["X-Audit-Event-Id"] == audit_id
        assert response.headers["X-Token-Revoked-At"] == db.audit_records()[0]["created_at"]
        revoked_at = datetime.fromisoformat(response.headers["X-Token-Revoked-At"])
        assert abs(revoked_at - datetime.now(UTC)) < timedelta(minutes=1)
    # And a dry run says it is already revoked, and by what
    remembered = dry_run(api, token)
    assert remembered.status == 200
    assert remembered.body == {
        "dry_run": True,
        "token_type": token_type,
        "action": "already_revoked",
        "target": target,
        "cascade": cascade,
        "revoked_at": revoked.headers.get("X-Token-Revoked-At", remembered.body["revoked_at"]),
        "audit_event_id": db.audit_records()[0]["audit_id"],
    }
    # And nothing more was written
    assert len(db.audit_records()) == 1


def test_a_tombstone_keeps_no_secret_and_expires_after_400_days(api: Api, db: Tables) -> None:
    assert api.revoke(demo.OAUTH_SECRET).status == 204
    item = db.token_item(demo.OAUTH_SECRET)
    assert item is not None
    assert item["token_type"] == "tombstone"
    revoked_at = datetime.fromisoformat(item["revoked_at"])
    assert int(item["tombstone_expires_at"]) == int((revoked_at + timedelta(days=400)).timestamp())
    assert not {"secret", "uid", "name"} & set(item)


def test_a_tombstone_never_authenticates_a_caller(api: Api, db: Tables) -> None:
    # Given a tombstone under the administrator's own digest (no revoke makes one for a personal
    # access token today: this proves the rule, not the path)
    table = db.resource.Table(db.names["TokensTable"])
    table.put_item(
        Item={
            "digest": token_digest(demo.ADMIN),
            "token_type": "tombstone",
            "version": 2,
            "revoked_token_type": "personal_access_token",
            "action": "revoked",
            "revoked_at": "2026-11-28T00:00:00.000Z",
            "audit_event_id": 1,
            "user_id": 1,
            "scopes": ["api", "admin_mode"],
        }
    )
    # Then it is no credential
    assert api.lookup(demo.SHARED_RUNNER).status == 401
    # And it is never described as an entity
    other = Api(demo.ADMIN_NO_ADMIN_MODE).lookup(demo.ADMIN)
    assert (other.status, other.body) == (404, NOT_FOUND)


def test_the_loser_of_a_race_sees_the_tombstone(api: Api, db: Tables, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a revoke that read the runner, and another that deletes it first with the same plan
    from admin_token.storage.dynamodb import DynamoDBTokenStore

    original_apply = DynamoDBTokenStore.apply

    def apply_after_a_winner(self: DynamoDBTokenStore, change: Any, audit: Any, tombstone: Any = None) -> None:
        monkeypatch.undo()
        winner_id = audit.audit_id + 1 if isinstance(audit.audit_id, int) else f"{audit.audit_id}-winner"
        original_apply(self, change, replace(audit, audit_id=winner_id), replace(tombstone, audit_event_id=winner_id))
        original_apply(self, change, audit, tombstone)

    monkeypatch.setattr(DynamoDBTokenStore, "apply", apply_after_a_winner)
    response = api.revoke(demo.PROJECT_RUNNER)

    # Then the loser answers 404, naming the winner's audit event, and only the winner's was written
    [audit] = db.audit_records()
    assert (response.status, response.body) == (404, NOT_FOUND)
    assert response.headers["X-Audit-Event-Id"] == str(audit["audit_id"])
