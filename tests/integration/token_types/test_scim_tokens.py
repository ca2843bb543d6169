"""SCIM tokens (`glsoat-`), as GitLab's token information API identifies and resets them
(docs/contract.md): the instance's token and a group's, each described by GitLab's own entity."""

from __future__ import annotations

from typing import Any

import pytest

from admin_token.digests import token_digest
from admin_token_local.seed import SeedError, parse_seed
from tests.integration.conftest import Api, Tables, call
from tests.support import demo
from tests.support.events import bulk_event
from tests.support.revocation import RevocationApi, finding

NOT_FOUND = {"message": {"error": "Not found"}}


def test_the_instance_token_is_described_with_its_organization(api: Api) -> None:
    response = api.lookup(demo.INSTANCE_SCIM)

    assert (response.status, response.headers["X-Token-Type"]) == (200, "scim_access_token")
    assert response.body == {"id": 1, "created_at": "2024-04-01T00:00:00.000Z", "group_id": None, "organization_id": 1}


def test_a_group_token_is_described_with_its_group_only(api: Api) -> None:
    response = api.lookup(demo.GROUP_SCIM)

    assert (response.status, response.headers["X-Token-Type"]) == (200, "scim_access_token")
    assert response.body == {"id": 1, "created_at": "2024-04-02T00:00:00.000Z", "group_id": 20}


def test_an_unknown_scim_token_is_not_found(api: Api) -> None:
    response = api.lookup("glsoat-neverIssuedTk0000000")
    assert (response.status, response.body, response.headers["X-Token-Type"]) == (
        404,
        NOT_FOUND,
        "scim_access_token",
    )


@pytest.mark.parametrize(
    ("token", "other"), [(demo.INSTANCE_SCIM, demo.GROUP_SCIM), (demo.GROUP_SCIM, demo.INSTANCE_SCIM)]
)
def test_a_reset_answers_204_forgets_the_old_value_and_leaves_the_other_token(
    api: Api, db: Tables, monkeypatch: pytest.MonkeyPatch, token: str, other: str
) -> None:
    from admin_token.digests import new_secret

    generated: list[str] = []

    def recorded(prefix: str) -> str:
        generated.append(new_secret(prefix))
        return generated[-1]

    monkeypatch.setattr("admin_token.token_types.base.new_secret", recorded)
    described = api.lookup(token).body

    response = api.revoke(token)

    assert (response.status, response.raw["body"]) == (204, "")
    assert (response.headers["X-Token-Type"], response.headers["X-Token-Action"]) == ("scim_access_token", "reset")
    assert api.lookup(token).status == 404
    assert api.lookup(other).status == 200
    # The same record now answers to a new value, which nobody was told.
    [new_item] = [
        item
        for item in db.all_items("TokensTable")
        if item["token_type"] == "scim_access_token" and item["digest"] != token_digest(other)
    ]
    assert new_item["digest"] != token_digest(token)
    # ... a value GitLab would issue: a SCIM token's prefix (the value itself is dropped at once)
    [secret] = generated
    assert secret.startswith("glsoat-")
    assert new_item["digest"] == token_digest(secret)
    assert {key: new_item.get(key) for key in described if key != "created_at"} == {
        key: value for key, value in described.items() if key != "created_at"
    }


def test_a_second_reset_of_the_old_value_answers_the_tombstone(api: Api) -> None:
    first = api.revoke(demo.GROUP_SCIM)

    again = api.revoke(demo.GROUP_SCIM)

    assert (again.status, again.body) == (404, NOT_FOUND)
    assert again.headers["X-Audit-Event-Id"] == first.headers["X-Audit-Event-Id"]
    assert "X-Token-Revoked-At" in again.headers


@pytest.mark.parametrize(
    ("token", "target"),
    [
        (demo.INSTANCE_SCIM, {"type": "scim_oauth_access_token", "id": 1}),
        (demo.GROUP_SCIM, {"type": "group_scim_auth_access_token", "id": 1}),
    ],
)
def test_a_dry_run_names_the_reset_and_its_record(api: Api, db: Tables, token: str, target: dict[str, Any]) -> None:
    before = db.all_items("TokensTable")

    response = api.revoke(body={"token": token, "dry_run": True})

    assert (response.status, response.body) == (
        200,
        {"dry_run": True, "token_type": "scim_access_token", "action": "reset", "target": target, "cascade": []},
    )
    assert db.all_items("TokensTable") == before
    assert db.audit_records() == []


def test_a_bulk_revoke_resets_both_kinds(db: Tables) -> None:
    response = call("RevokeFunction", bulk_event({"tokens": [demo.INSTANCE_SCIM, demo.GROUP_SCIM]}, demo.ADMIN))

    assert response.status == 200
    assert [(result["token_type"], result["outcome"], result["target"]) for result in response.body["results"]] == [
        ("scim_access_token", "reset", {"type": "scim_oauth_access_token", "id": 1}),
        ("scim_access_token", "reset", {"type": "group_scim_auth_access_token", "id": 1}),
    ]
    assert sorted(record["entity_type"] for record in db.audit_records()) == [
        "GroupScimAuthAccessToken",
        "ScimOauthAccessToken",
    ]


# -- secret detection: GitLab's rule for SCIM tokens ---------------------------------------------


def test_secret_detections_scim_rule_is_revocable_and_its_findings_are_reset_by_the_worker(
    tables: dict[str, str], dynamodb_endpoint: str, monkeypatch: pytest.MonkeyPatch, api: Api, db: Tables
) -> None:
    revocation = RevocationApi(dynamodb_endpoint, monkeypatch)
    assert "gitleaks_rule_id_gitlab_scim_oauth_token" in revocation.types().body["types"]

    answer = revocation.revoke([finding(demo.GROUP_SCIM, "gitlab_scim_oauth_token", "config/idp.yml:4")])

    assert answer.status == 204
    assert revocation.drain() == 1
    assert api.lookup(demo.GROUP_SCIM).status == 404
    [record] = db.audit_records()
    assert (record["token_type"], record["entity_type"], record["action"], record["location"]) == (
        "scim_access_token",
        "GroupScimAuthAccessToken",
        "reset",
        "config/idp.yml:4",
    )


# -- the seed: GitLab's two tables, each with what its rows require ---------------------------------


@pytest.mark.parametrize(
    ("section", "entry"),
    [
        ("scim_oauth_access_tokens", {"id": 2, "token": "glsoat-noOrganizationTk000", "created_at": "2024-01-01"}),
        ("group_scim_auth_access_tokens", {"id": 2, "token": "glsoat-noGroupTk0000000000", "created_at": "2024-01-01"}),
    ],
)
def test_a_seeded_scim_token_without_its_owner_is_refused(section: str, entry: dict[str, Any]) -> None:
    with pytest.raises(SeedError, match=section):
        parse_seed({section: [entry]})


def test_a_seeded_group_token_is_found_by_its_value(api: Api, add_seed: Any) -> None:
    add_seed(
        {"group_scim_auth_access_tokens": [{"id": 5, "group_id": 30, "token": "glsoat-seededGroupTk1Xy2Zw",
                                            "created_at": "2025-01-01T00:00:00Z"}]}
    )  # fmt: skip

    assert api.lookup("glsoat-seededGroupTk1Xy2Zw").body == {
        "id": 5,
        "created_at": "2025-01-01T00:00:00.000Z",
        "group_id": 30,
    }
