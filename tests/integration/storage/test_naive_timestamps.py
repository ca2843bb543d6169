"""Stored timestamps without a UTC offset are read as UTC: never a 500 from comparing them.

Items written by another tool (a migration, a hand-edited seed, the console) may hold
`2099-01-01T00:00:00` instead of `2099-01-01T00:00:00Z`. Comparing that with the request's
clock once raised `TypeError: can't compare offset-naive and offset-aware datetimes`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from admin_token.digests import token_digest
from tests.integration.conftest import Api, Tables
from tests.support import demo


def naive(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat()


def set_token_attributes(db: Tables, token: str, **attributes: str) -> None:
    table = db.resource.Table(db.names["TokensTable"])
    _update(table, {"digest": token_digest(token)}, attributes)


def set_runner_attributes(db: Tables, runner_id: int, **attributes: str) -> None:
    table = db.resource.Table(db.names["RunnersTable"])
    _update(table, {"runner_id": runner_id, "sk": "RUNNER"}, attributes)


def _update(table: Any, key: dict[str, Any], attributes: dict[str, str]) -> None:
    names = {f"#a{i}": name for i, name in enumerate(attributes)}
    values = {f":v{i}": value for i, value in enumerate(attributes.values())}
    assignments = ", ".join(f"#a{i} = :v{i}" for i in range(len(attributes)))
    table.update_item(
        Key=key, UpdateExpression=f"SET {assignments}", ExpressionAttributeNames=names, ExpressionAttributeValues=values
    )


# -- pipeline trigger: expires_at -----------------------------------------------------------------


def test_a_trigger_expiring_later_without_an_offset_is_described_and_expired(api: Api, db: Tables) -> None:
    set_token_attributes(
        db,
        demo.TRIGGER,
        expires_at="2099-01-01T00:00:00",
        created_at="2024-01-01T00:00:00",
        updated_at="2024-01-01T00:00:00",
    )

    before = api.lookup(demo.TRIGGER)
    assert before.status == 200
    assert before.body["expires_at"] == "2099-01-01T00:00:00.000Z"
    assert before.body["created_at"] == "2024-01-01T00:00:00.000Z"

    assert api.revoke(demo.TRIGGER).status == 204

    after = api.lookup(demo.TRIGGER)
    assert after.status == 200
    assert after.body["expires_at"] < "2099"
    assert [audit["action"] for audit in db.audit_records()] == ["expired"]


def test_a_trigger_already_expired_without_an_offset_stays_as_it_is(api: Api, db: Tables) -> None:
    set_token_attributes(db, demo.TRIGGER, expires_at="2024-06-30T12:00:00")

    assert api.revoke(demo.TRIGGER).status == 204

    after = api.lookup(demo.TRIGGER)
    assert after.body["expires_at"] == "2024-06-30T12:00:00.000Z"
    assert db.audit_records() == []


def test_a_trigger_expiring_within_the_hour_without_an_offset_is_read_as_utc(api: Api, db: Tables) -> None:
    # An hour ahead in UTC: read in any other zone it could already be past (or hours away).
    set_token_attributes(db, demo.TRIGGER, expires_at=naive(datetime.now(UTC) + timedelta(hours=1)))

    assert api.revoke(demo.TRIGGER).status == 204

    assert [audit["action"] for audit in db.audit_records()] == ["expired"]


# -- runner: contacted_at ---------------------------------------------------------------------


def test_a_runner_contacted_long_ago_without_an_offset_is_offline(api: Api, db: Tables) -> None:
    set_runner_attributes(db, 2, contacted_at="2024-05-01T00:00:00", created_at="2024-02-01T00:00:00")

    response = api.lookup(demo.PROJECT_RUNNER)

    assert response.status == 200
    assert (response.body["status"], response.body["online"]) == ("offline", False)
    assert response.body["created_at"] == "2024-02-01T00:00:00.000Z"


def test_a_runner_contacted_just_now_without_an_offset_is_online(api: Api, db: Tables) -> None:
    set_runner_attributes(db, 2, contacted_at=naive(datetime.now(UTC) - timedelta(minutes=5)))

    response = api.lookup(demo.PROJECT_RUNNER)

    assert response.status == 200
    assert (response.body["status"], response.body["online"]) == ("online", True)


def test_a_runner_with_timestamps_without_an_offset_is_unregistered(api: Api, db: Tables) -> None:
    set_runner_attributes(db, 2, contacted_at="2024-05-01T00:00:00", created_at="2024-02-01T00:00:00")

    assert api.revoke(demo.PROJECT_RUNNER).status == 204

    assert api.lookup(demo.PROJECT_RUNNER).status == 404
    assert [audit["action"] for audit in db.audit_records()] == ["deleted"]
