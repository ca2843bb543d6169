"""Issue 7 items 1, 2 and 4 on the single-token endpoints: what every answer says about the type
and the action, the dry run, and revokes remembered by tombstones."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from admin_token.digests import token_digest
from tests.integration.conftest import Api, Tables
from tests.support import demo
from tests.support.events import proxy_event

NOT_FOUND = {"message": {"error": "Not found"}}
# type -> (token, type name, action, target, cascade)
REVOCABLE: dict[str, tuple[str, str, str, dict[str, Any], list[dict[str, Any]]]] = {
    "personal access token": (demo.ALICE_PAT, "personal_access_token", "revoked",
                              {"type": "personal_access_token", "id": 6}, []),
    "deploy token": (demo.PROJECT_DEPLOY, "deploy_token", "revoked", {"type": "deploy_token", "id": 1}, []),
    "cluster agent token": (demo.AGENT, "cluster_agent_token", "revoked", {"type": "cluster_agent_token", "id": 1}, []),
    "pipeline trigger": (demo.TRIGGER, "pipeline_trigger_token", "expired", {"type": "pipeline_trigger", "id": 1}, []),
    "feed token": (demo.ALICE_FEED, "feed_token", "reset", {"type": "user", "id": 2}, []),
    "incoming email token": (demo.ALICE_INCOMING_EMAIL, "incoming_email_token", "reset", {"type": "user", "id": 2}, []),
    "OAuth application secret": (demo.OAUTH_SECRET, "oauth_application_secret", "reset",
                                 {"type": "oauth_application", "id": 1}, []),
    "feature flags client token": (demo.FLAGS_CLIENT, "feature_flags_client_token", "reset",
                                   {"type": "feature_flags_client", "id": 1}, []),
    "runner authentication token": (demo.PROJECT_RUNNER, "runner_authentication_token", "deleted",
                                    {"type": "runner", "id": 2},
                                    [{"type": "runner_project", "id": 10}, {"type": "runner_project", "id": 11}]),
    "session": (demo.ALICE_SESSION, "gitlab_session", "deleted", {"type": "session", "id": 2}, []),
    "instance SCIM token": (demo.INSTANCE_SCIM, "scim_access_token", "reset",
                            {"type": "scim_oauth_access_token", "id": 1}, []),
    "group SCIM token": (demo.GROUP_SCIM, "scim_access_token", "reset",
                         {"type": "group_scim_auth_access_token", "id": 1}, []),
}  # fmt: skip
FORGOTTEN = {kind for kind, (_, _, action, _, _) in REVOCABLE.items() if action in ("reset", "deleted")}


def dry_run(api: Api, token: Any, value: Any = True) -> Any:
    return api.revoke(body={"token": token, "dry_run": value})


def everything(db: Tables) -> dict[str, list[dict[str, Any]]]:
    return {name: db.all_items(name) for name in ("TokensTable", "UsersTable", "RunnersTable", "AuditTable")}


# -- §1 headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(REVOCABLE))
def test_a_lookup_names_the_type(api: Api, kind: str) -> None:
    token, token_type, *_ = REVOCABLE[kind]
    response = api.lookup(token)
    assert (response.status, response.headers["X-Token-Type"]) == (200, token_type)


@pytest.mark.parametrize("kind", list(REVOCABLE))
def test_a_revoke_names_the_type_the_action_and_its_audit_event(api: Api, db: Tables, kind: str) -> None:
    token, token_type, action, *_ = REVOCABLE[kind]

    response = api.revoke(token)

    assert (response.status, response.raw["body"]) == (204, "")
    assert (response.headers["X-Token-Type"], response.headers["X-Token-Action"]) == (token_type, action)
    [audit] = db.audit_records()
    assert response.headers["X-Audit-Event-Id"] == str(audit["audit_id"])


@pytest.mark.parametrize("kind", ["personal access token", "deploy token", "cluster agent token", "pipeline trigger"])
def test_a_revoke_already_in_effect_says_so_and_names_no_audit_event(api: Api, db: Tables, kind: str) -> None:
    token, token_type, *_ = REVOCABLE[kind]
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


@pytest.mark.parametrize("kind", list(REVOCABLE))
def test_a_dry_run_says_what_the_revoke_would_do_and_writes_nothing(api: Api, db: Tables, kind: str) -> None:
    token, token_type, action, target, cascade = REVOCABLE[kind]
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


# -- §4 tombstones ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(FORGOTTEN))
def test_a_token_a_revoke_made_unknown_is_remembered(api: Api, db: Tables, kind: str) -> None:
    token, token_type, _, target, cascade = REVOCABLE[kind]
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


def test_an_event_replayed_from_a_file_gets_the_headers(api: Api) -> None:
    event = proxy_event("POST", body={"token": demo.AGENT}, headers={"PRIVATE-TOKEN": demo.ADMIN})
    from tests.integration.conftest import call

    assert call("LookupFunction", event).headers["X-Token-Type"] == "cluster_agent_token"
