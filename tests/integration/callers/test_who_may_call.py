"""Who may call (docs/contract.md, "Who may call"). Every row, against both endpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.conftest import Api, Tables
from tests.support import demo

UNAUTHORIZED = (401, {"message": "401 Unauthorized"})
FORBIDDEN = (403, {"message": "403 Forbidden"})
ENDPOINTS = ["lookup", "revoke"]


def answer(api: Api, endpoint: str, credential: str | None, **event: Any) -> tuple[int, Any]:
    api.credential = credential
    response = getattr(api, endpoint)(demo.AGENT, **event)
    return response.status, response.body


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    ("caller", "credential"),
    [
        ("none", None),
        ("unknown", "glpat-doesNotExist000000"),
        ("revoked", demo.ADMIN_REVOKED),
        ("expired", demo.ADMIN_EXPIRED),
        ("a feed token", "glft-rootFeedTk9Qm2Lx7Vb4"),
        ("a deploy token", demo.PROJECT_DEPLOY),
        ("a runner token", demo.SHARED_RUNNER),
        ("a session", demo.ALICE_SESSION),
    ],
)
def test_unusable_credentials_are_unauthorized(
    api: Api, db: Tables, endpoint: str, caller: str, credential: str | None
) -> None:
    assert answer(api, endpoint, credential) == UNAUTHORIZED
    assert db.token_item(demo.AGENT)["status"] == "active"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    ("caller", "credential"),
    [
        ("blocked administrator", demo.BLOCKED_ADMIN),
        ("not an administrator", demo.NON_ADMIN),
        ("read_api only", demo.ADMIN_READ_API),
    ],
)
def test_unfit_callers_are_forbidden(api: Api, db: Tables, endpoint: str, caller: str, credential: str) -> None:
    assert answer(api, endpoint, credential) == FORBIDDEN
    assert db.token_item(demo.AGENT)["status"] == "active"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_admin_mode_requires_the_admin_mode_scope(api: Api, set_flags: Any, endpoint: str) -> None:
    # Given admin mode is on (not the deployed default)
    set_flags(admin_mode={"default": True})

    # Then a token with only `api` is refused, one with `admin_mode` too is served
    assert answer(api, endpoint, demo.ADMIN_NO_ADMIN_MODE) == FORBIDDEN
    assert answer(api, endpoint, demo.ADMIN)[0] in (200, 204)


def test_admin_mode_off_accepts_a_token_without_the_scope(api: Api) -> None:
    assert answer(api, "lookup", demo.ADMIN_NO_ADMIN_MODE)[0] == 200


def test_bearer_authorization_and_header_names_in_any_case(api: Api) -> None:
    api.credential = None
    assert api.lookup(demo.AGENT, headers={"Authorization": f"Bearer {demo.ADMIN}"}).status == 200
    assert api.lookup(demo.AGENT, headers={"authorization": f"bearer {demo.ADMIN}"}).status == 200
    assert api.lookup(demo.AGENT, headers={"private-token": demo.ADMIN}).status == 200
    assert api.lookup(demo.AGENT, headers={"Private-Token": demo.ADMIN}).status == 200
    assert api.lookup(demo.AGENT, headers={"Authorization": f"Basic {demo.ADMIN}"}).status == 401


def test_a_token_expires_at_the_end_of_its_day(api: Api, add_seed: Any) -> None:
    # Given two admin tokens: one expiring today (UTC), one that expired yesterday
    today = datetime.now(UTC).date()
    add_seed(
        {
            "personal_access_tokens": [
                _admin_pat(101, "glpat-expiresTodayTk000001", today),
                _admin_pat(102, "glpat-expiredYesterday0002", today - timedelta(days=1)),
            ]
        }
    )
    assert answer(api, "lookup", "glpat-expiresTodayTk000001")[0] == 200
    assert answer(api, "lookup", "glpat-expiredYesterday0002") == UNAUTHORIZED


def _admin_pat(pat_id: int, token: str, expires_at: Any) -> dict[str, Any]:
    return {
        "id": pat_id, "user_id": 1, "name": f"pat-{pat_id}", "description": "", "token": token,
        "scopes": ["api", "admin_mode"], "expires_at": expires_at.isoformat(), "revoked": False,
        "impersonation": False, "created_at": "2024-01-01T00:00:00Z", "last_used_at": None,
    }  # fmt: skip
