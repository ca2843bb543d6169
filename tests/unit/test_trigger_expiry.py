"""A pipeline trigger revoke expires it, once: a just-expired trigger is already in effect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admin_token.config import Configuration
from admin_token.models.records import PipelineTrigger
from admin_token.storage import StoredToken, UpdateToken
from admin_token.token_types.base import RequestContext, Revocation
from admin_token.token_types.pipeline_trigger_token import OwnedTrigger, PipelineTriggerTokenType

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
FLAGS = {"token_api_expire_pipeline_triggers": {"default": True}}


def revoke(expires_at: datetime | None) -> Revocation:
    trigger = PipelineTrigger(
        id=1, project_id=1, owner_id=1, token_hint="glptt-…a1b2", created_at=NOW, updated_at=NOW, expires_at=expires_at
    )
    context = RequestContext(NOW, "https://gitlab.example.com", Configuration(FLAGS), {"user_id": 1, "username": "r"})
    return PipelineTriggerTokenType().revoke(OwnedTrigger(trigger, None), StoredToken("d", "t", 1), context)


@pytest.mark.parametrize(
    "expires_at",
    [NOW - timedelta(days=1), NOW, NOW + timedelta(milliseconds=300)],
    ids=["expired yesterday", "expires now", "expired by a racer whose clock runs a little ahead"],
)
def test_an_expired_trigger_is_already_revoked(expires_at: datetime) -> None:
    plan = revoke(expires_at)
    assert (plan.action, plan.change) == ("already_revoked", None)


@pytest.mark.parametrize("expires_at", [None, NOW + timedelta(minutes=5)], ids=["no expiry", "expires later"])
def test_a_live_trigger_is_expired_now(expires_at: datetime | None) -> None:
    revocation = revoke(expires_at)
    assert revocation.action == "expired"
    change = revocation.change
    assert isinstance(change, UpdateToken)
    assert change.values["expires_at"] == NOW.isoformat()
