"""Domain records read from, and written as, item attributes (`Record.from_attributes` / `to_attributes`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from admin_token.models.records import DeployToken, PersonalAccessToken, PipelineTrigger, RecordError, Runner, User

USER = {"id": 7, "username": "alice", "name": "Alice", "state": "active", "created_at": "2024-01-02T03:04:05Z"}


def test_an_item_becomes_its_record_with_defaults_and_bookkeeping_ignored() -> None:
    user = User.from_attributes({**USER, "digest": "ignored", "version": 3})
    assert user == User(
        id=7, username="alice", name="Alice", state="active", created_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    )
    assert (user.admin, user.bot, user.avatar_url, user.active) == (False, False, None, True)


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        ("2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05.678000+00:00", datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)),
        ("2024-01-02T05:04:05+02:00", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),  # no offset: UTC
        ("2024-01-02", datetime(2024, 1, 2, tzinfo=UTC)),  # a date alone: its midnight
        (1704164645, datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),  # seconds since the epoch
        (datetime(2024, 1, 2, 3, 4, 5), datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ],
)
def test_every_timestamp_is_read_as_an_aware_time(stored: Any, read: datetime) -> None:
    runner = Runner.from_attributes({"id": 1, "runner_type": "instance_type", "created_at": stored})
    assert runner.created_at == read
    assert runner.created_at.tzinfo is not None


def test_numbers_decoded_as_decimals_or_text_become_integers() -> None:
    runner = Runner.from_attributes(
        {
            "id": Decimal(12),
            "runner_type": "group_type",
            "created_at": USER["created_at"],
            "group_ids": [Decimal(3), "4"],
        }
    )
    assert (runner.id, runner.group_ids) == (12, [3, 4])


@pytest.mark.parametrize(
    ("stored", "day"),
    [
        ("2030-05-06", date(2030, 5, 6)),
        ("2030-05-06T00:00:00Z", date(2030, 5, 6)),
        (date(2030, 5, 6), date(2030, 5, 6)),
    ],
)
def test_a_personal_access_token_expires_on_a_day(stored: Any, day: date) -> None:
    token = PersonalAccessToken.from_attributes(
        {"id": 1, "user_id": 1, "name": "t", "created_at": USER["created_at"], "expires_at": stored}
    )
    assert token.expires_at == day


def test_a_deploy_token_expiry_given_as_any_timestamp_keeps_its_day() -> None:
    token = DeployToken.from_attributes({"id": 1, "name": "d", "username": "u", "expires_at": "2030-05-06T17:30:00Z"})
    assert token.expires_at == date(2030, 5, 6)


@pytest.mark.parametrize(
    ("attributes", "field"),
    [
        ({k: v for k, v in USER.items() if k != "username"}, "username"),
        ({**USER, "id": "seven"}, "id"),
        ({**USER, "id": True}, "id"),
        ({**USER, "id": Decimal("7.5")}, "id"),
        ({**USER, "admin": "yes"}, "admin"),
        ({**USER, "created_at": "yesterday"}, "created_at"),
        ({**USER, "created_at": None}, "created_at"),
        ({**USER, "name": 5}, "name"),
    ],
    ids=["missing", "text", "boolean", "fraction", "not a boolean", "not a time", "null", "not text"],
)
def test_an_item_that_does_not_fit_is_refused_by_field_name_never_by_value(
    attributes: dict[str, Any], field: str
) -> None:
    with pytest.raises(RecordError) as refused:
        User.from_attributes(attributes)
    assert str(refused.value) in {f"User.{field} is missing", f"User.{field} has the wrong type"}


def test_a_record_is_written_with_times_as_iso_text_and_nothing_for_none() -> None:
    trigger = PipelineTrigger(
        id=1,
        project_id=2,
        owner_id=3,
        token_hint="glptt-…a1b2",
        created_at=datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        updated_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
    )
    assert trigger.to_attributes() == {
        "id": 1,
        "project_id": 2,
        "owner_id": 3,
        "description": "",
        "token_hint": "glptt-…a1b2",
        "created_at": "2024-01-02T03:04:05.678000Z",
        "updated_at": "2024-01-02T03:04:05+02:00",
    }


def test_what_is_written_reads_back_as_the_same_record() -> None:
    token = PersonalAccessToken.from_attributes(
        {
            "id": 1,
            "user_id": 1,
            "name": "t",
            "scopes": ["api"],
            "created_at": USER["created_at"],
            "expires_at": "2030-05-06",
        }
    )
    assert PersonalAccessToken.from_attributes(token.to_attributes()) == token
    assert token.to_attributes()["expires_at"] == "2030-05-06"


def test_a_record_is_immutable() -> None:
    user = User.from_attributes(USER)
    with pytest.raises(AttributeError):
        user.admin = True  # type: ignore[misc]
