"""Derived fields of the response entities (docs/contract.md "Token types")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from admin_token.models.entities import DeployTokenEntity, PersonalAccessTokenEntity, RunnerEntity
from admin_token.models.records import DeployToken, PersonalAccessToken, Runner, ScimAccessToken
from admin_token.token_types.scim_access_token import ScimAccessTokenType

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def pat(**fields: object) -> PersonalAccessToken:
    return PersonalAccessToken.from_attributes(
        {"id": 1, "user_id": 1, "name": "t", "created_at": "2024-01-01T00:00:00Z", **fields}
    )


@pytest.mark.parametrize(
    ("expires_at", "revoked", "active"),
    [
        (None, False, True),
        (TODAY, False, True),  # expires at the end of its day
        (TODAY - timedelta(days=1), False, False),
        (TODAY + timedelta(days=1), True, False),
    ],
)
def test_personal_access_token_active(expires_at: date | None, revoked: bool, active: bool) -> None:
    entity = PersonalAccessTokenEntity.of(pat(expires_at=expires_at, revoked=revoked), TODAY)
    assert entity.active is active


def test_deploy_token_expired_and_day_format() -> None:
    token = DeployToken(id=1, name="d", username="u", expires_at=TODAY - timedelta(days=1))
    body = DeployTokenEntity.of(token, TODAY).to_json()
    assert (body["expired"], body["expires_at"]) == (True, (TODAY - timedelta(days=1)).isoformat())


def test_deploy_token_expiry_given_as_a_timestamp_keeps_its_day() -> None:
    token = DeployToken.from_attributes({"id": 1, "name": "d", "username": "u", "expires_at": "2030-05-06T00:00:00Z"})
    assert DeployTokenEntity.of(token, TODAY).to_json()["expires_at"] == "2030-05-06"


@pytest.mark.parametrize(
    ("contacted_at", "status"),
    [
        (None, "never_contacted"),
        (NOW - timedelta(hours=2), "online"),
        (NOW - timedelta(hours=2, seconds=1), "offline"),
    ],
)
def test_runner_status_window(contacted_at: datetime | None, status: str) -> None:
    runner = Runner(id=1, runner_type="group_type", contacted_at=contacted_at, created_at=NOW)
    entity = RunnerEntity.of(runner, NOW)
    assert (entity.status, entity.online, entity.is_shared) == (status, status == "online", False)


def test_timestamps_are_gitlab_style() -> None:
    runner = Runner(id=1, runner_type="instance_type", created_at=datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC))
    assert RunnerEntity.of(runner, NOW).to_json()["created_at"] == "2024-01-02T03:04:05.678Z"


@pytest.mark.parametrize(
    ("stored", "body"),
    [
        # The instance's token names its organization; GitLab's entity shows its group too (none).
        ({"organization_id": 1}, {"group_id": None, "organization_id": 1}),
        # A group's token names only its group, and its entity has no organization.
        ({"group_id": 20}, {"group_id": 20}),
        # A token of GitLab's instance table that still names a group (rows from before the
        # group tokens' own table) is the instance table's, so its entity is the instance's.
        ({"group_id": 20, "organization_id": 1}, {"group_id": 20, "organization_id": 1}),
    ],
)
def test_a_scim_token_is_described_by_the_entity_of_its_gitlab_table(
    stored: dict[str, int], body: dict[str, int | None]
) -> None:
    record = ScimAccessToken.from_attributes({"id": 3, "created_at": "2024-04-01T00:00:00Z", **stored})
    described = ScimAccessTokenType().describe(record, context=None)  # type: ignore[arg-type]
    assert described.to_json() == {"id": 3, "created_at": "2024-04-01T00:00:00.000Z", **body}
