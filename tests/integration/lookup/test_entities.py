"""What a lookup returns, for the fields that are derived rather than stored (docs/contract.md, "Token types")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.conftest import Api
from tests.support import demo


def _runner(runner_id: int, token: str, contacted_at: datetime | None) -> dict[str, Any]:
    return {
        "id": runner_id, "token": token, "runner_type": "instance_type", "description": "", "name": None,
        "active": True, "paused": False, "ip_address": None, "project_ids": [], "group_ids": [],
        "contacted_at": contacted_at.isoformat() if contacted_at else None, "created_at": "2024-01-01T00:00:00Z",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("contacted_ago", "status", "online"),
    [(timedelta(minutes=5), "online", True), (timedelta(hours=3), "offline", False), (None, "never_contacted", False)],
)
def test_runner_status_comes_from_its_last_contact(
    api: Api, add_seed: Any, contacted_ago: timedelta | None, status: str, online: bool
) -> None:
    contacted_at = datetime.now(UTC) - contacted_ago if contacted_ago else None
    add_seed({"runners": [_runner(90, "glrt-statusProbeRunner0090", contacted_at)]})

    body = api.lookup("glrt-statusProbeRunner0090").body

    assert (body["status"], body["online"], body["is_shared"]) == (status, online, True)


def test_a_personal_access_token_is_described(api: Api) -> None:
    assert api.lookup(demo.ALICE_PAT).body == demo.ALICE_PAT_ENTITY


def test_an_expired_token_is_inactive(api: Api) -> None:
    body = api.lookup(demo.ADMIN_EXPIRED).body
    assert (body["revoked"], body["active"], body["expires_at"]) == (False, False, "2024-06-30")


def test_an_expired_deploy_token(api: Api) -> None:
    assert api.lookup(demo.ORPHAN_DEPLOY).body == {
        "id": 3,
        "name": "orphan-deploy",
        "username": "gitlab+deploy-token-3",
        "expires_at": "2024-01-31",
        "scopes": ["read_repository"],
        "revoked": False,
        "expired": True,
    }


def test_a_trigger_shows_a_masked_hint_never_the_token(api: Api) -> None:
    body = api.lookup(demo.TRIGGER).body
    assert body["token"] == "glptt-…a1b2"
    assert body["owner"] == {
        "id": 1,
        "username": "root",
        "name": "Administrator",
        "state": "active",
        "web_url": "https://gitlab.example.com/root",
    }


def test_a_running_job_is_found_and_a_finished_one_is_not(api: Api) -> None:
    job = api.lookup(demo.RUNNING_JOB).body["job"]
    assert (job["id"], job["status"], job["user"]["username"]) == (1, "running", "alice")
    assert job["pipeline"] == {"id": 7, "project_id": 10, "ref": "main"}
    assert api.lookup(demo.FINISHED_JOB).status == 404


@pytest.mark.parametrize("token", [demo.ALICE_FEED, demo.ALICE_INCOMING_EMAIL, demo.ALICE_SESSION])
def test_user_tokens_describe_their_owner(api: Api, token: str) -> None:
    assert api.lookup(token).body == {
        "id": 2,
        "username": "alice",
        "name": "Alice Developer",
        "state": "active",
        "locked": False,
        "avatar_url": None,
        "web_url": "https://gitlab.example.com/alice",
        "created_at": "2024-02-01T09:30:00.000Z",
        "bot": False,
    }


def test_the_custom_personal_access_token_prefix_is_read_from_configuration(
    api: Api, add_seed: Any, set_flags: Any
) -> None:
    # Given a token with a custom prefix; with the deployed default ("") its prefix is unknown
    add_seed(
        {
            "personal_access_tokens": [
                {
                    "id": 200,
                    "user_id": 2,
                    "name": "custom",
                    "description": "",
                    "token": "acme-customPrefixTk0200",
                    "scopes": ["api"],
                    "expires_at": None,
                    "revoked": False,
                    "impersonation": False,
                    "created_at": "2024-01-01T00:00:00Z",
                    "last_used_at": None,
                }
            ]
        }
    )
    assert api.lookup("acme-customPrefixTk0200").status == 422

    # When the setting names the prefix
    set_flags(personal_access_token_prefix={"default": "acme-", "boolean_type": False})

    # Then the token is a personal access token
    response = api.lookup("acme-customPrefixTk0200")
    assert (response.status, response.body["id"]) == (200, 200)
    assert api.lookup(demo.ALICE_PAT).status == 200
