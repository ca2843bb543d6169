"""Audit event ids: below 2**53, increasing within a process whatever the clock does, and time
ranges as id ranges. Also what an audit record says for each revocable type."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admin_token.audit import ENTITY_CLASS_NAMES, ENTITY_TYPES, audit_record, describe_change
from admin_token.audit_ids import (
    MAX_ID,
    SEQUENCE_SIZE,
    AuditIdGenerator,
    first_id_at,
    moment_of,
    next_audit_id,
    timestamp_of,
)
from admin_token.models.records import User
from admin_token.token_types import REGISTRY

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
# Moments an id can be minted at: 2020 to 2089, at microsecond precision.
MINTABLE = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2089, 9, 6), timezones=st.just(UTC))


def test_ids_are_positive_and_below_2_to_the_53() -> None:
    generator = AuditIdGenerator()
    first = generator.next_id(datetime(2020, 1, 1, tzinfo=UTC))
    last = generator.next_id(datetime(2089, 9, 6, tzinfo=UTC))
    assert 0 <= first < SEQUENCE_SIZE
    assert 0 < last <= MAX_ID == 2**53 - 1
    assert 0 < next_audit_id() <= MAX_ID


@pytest.mark.parametrize("moment", [datetime(2019, 12, 31, 23, 59, tzinfo=UTC), datetime(2090, 1, 1, tzinfo=UTC)])
def test_a_clock_outside_2020_to_2089_mints_nothing(moment: datetime) -> None:
    with pytest.raises(ValueError, match="outside the range"):
        AuditIdGenerator().next_id(moment)


def test_ids_increase_within_a_millisecond_and_past_4096_of_them() -> None:
    generator = AuditIdGenerator()
    ids = [generator.next_id(T0) for _ in range(3 * SEQUENCE_SIZE)]
    assert ids == sorted(set(ids))
    # A burst borrows the next milliseconds rather than repeating an id.
    assert moment_of(ids[0]) == T0
    assert moment_of(ids[-1]) - T0 <= timedelta(milliseconds=3)


def test_ids_increase_when_the_clock_steps_back() -> None:
    generator = AuditIdGenerator()
    later = generator.next_id(T0 + timedelta(seconds=5))
    earlier_clock = generator.next_id(T0)
    assert earlier_clock > later


def test_ids_increase_across_threads() -> None:
    generator = AuditIdGenerator()
    minted: list[list[int]] = [[] for _ in range(8)]

    def mint(bucket: list[int]) -> None:
        bucket.extend(generator.next_id() for _ in range(2000))

    threads = [threading.Thread(target=mint, args=(bucket,)) for bucket in minted]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [audit_id for bucket in minted for audit_id in bucket]
    assert len(set(everything)) == len(everything) == 16000
    for bucket in minted:
        assert bucket == sorted(bucket)


@given(st.lists(MINTABLE, min_size=1, max_size=50))
@settings(max_examples=200, deadline=None)
def test_ids_are_monotonic_and_in_range_for_any_clock(moments: list[datetime]) -> None:
    generator = AuditIdGenerator()
    ids = [generator.next_id(moment) for moment in moments]
    assert all(0 <= audit_id <= MAX_ID for audit_id in ids)
    assert all(a < b for a, b in itertools.pairwise(ids))
    # Never earlier than the clock said (a burst or a step back only moves it later).
    assert all(moment_of(audit_id) >= moment.replace(microsecond=moment.microsecond // 1000 * 1000)
               for audit_id, moment in zip(ids, moments, strict=True))  # fmt: skip


@given(MINTABLE)
@settings(max_examples=300, deadline=None)
def test_an_id_lies_between_the_first_ids_of_its_millisecond_and_the_next(moment: datetime) -> None:
    audit_id = AuditIdGenerator().next_id(moment)
    assert first_id_at(moment) <= audit_id < first_id_at(moment + timedelta(milliseconds=1))
    # And a later moment's first id is never below it: time order is id order.
    assert first_id_at(moment + timedelta(milliseconds=1)) > audit_id


def test_first_id_at_is_the_smallest_id_of_that_millisecond() -> None:
    moment = datetime(2020, 1, 1, 0, 0, 1, 999_999, tzinfo=UTC)  # 1999.999 ms after the epoch
    assert first_id_at(moment) == 1999 << 12
    assert first_id_at(moment.replace(tzinfo=None)) == 1999 << 12  # naive is UTC
    assert first_id_at(moment.astimezone(timezone(timedelta(hours=-7)))) == 1999 << 12
    assert first_id_at(datetime(1999, 1, 1, tzinfo=UTC)) == 0
    assert first_id_at(datetime(2200, 1, 1, tzinfo=UTC)) == MAX_ID + 1


def test_created_at_is_the_ids_millisecond_in_gitlabs_format() -> None:
    audit_id = AuditIdGenerator().next_id(datetime(2026, 11, 28, 12, 0, 0, 123_999, tzinfo=UTC))
    assert timestamp_of(audit_id) == "2026-11-28T12:00:00.123Z"


# -- records --------------------------------------------------------------------------------------

ROOT = User.from_attributes(
    {"id": 1, "username": "root", "name": "Administrator", "state": "active", "created_at": "2024-01-01"}
)


def test_every_type_that_can_be_revoked_has_a_gitlab_class() -> None:
    revocable = {token_type.name for token_type in REGISTRY} - {"ci_job_token"}
    assert set(ENTITY_TYPES) == revocable
    assert set(ENTITY_CLASS_NAMES) == {
        "PersonalAccessToken",
        "DeployToken",
        "User",
        "Doorkeeper::Application",
        "Clusters::AgentToken",
        "Ci::Runner",
        "Ci::Trigger",
        "Operations::FeatureFlagsClient",
        "ScimOauthAccessToken",
        "GroupScimAuthAccessToken",
    }


@pytest.mark.parametrize(
    ("target", "entity_type"),
    [
        (("scim_oauth_access_token", 1), "ScimOauthAccessToken"),
        (("group_scim_auth_access_token", 1), "GroupScimAuthAccessToken"),
    ],
)
def test_a_scim_token_is_named_by_the_gitlab_class_of_its_record(target: tuple[str, int], entity_type: str) -> None:
    record = audit_record(
        caller_user=ROOT,
        token_type="scim_access_token",
        action="reset",
        entity_id=1,
        target_details="group 20",
        request_id="req-1",
        ip_address=None,
        target=target,
    )
    assert (record.entity_type, record.custom_message) == (entity_type, "Reset SCIM token 1")


def test_a_record_says_who_did_what_to_which_record() -> None:
    record = audit_record(
        caller_user=ROOT,
        token_type="runner_authentication_token",
        action="deleted",
        entity_id=7,
        target_details="runner-1",
        request_id="c0ffee",
        ip_address="203.0.113.9",
        target=("runner", 7),
        now=datetime(2026, 11, 28, 12, tzinfo=UTC),
    )
    assert (record.author_id, record.author_username, record.author_name) == (1, "root", "Administrator")
    assert (record.entity_type, record.entity_id, record.action) == ("Ci::Runner", 7, "deleted")
    assert record.custom_message == "Deleted runner 7 (runner authentication token revoked)"
    assert record.created_at == timestamp_of(record.audit_id)
    assert (record.request_id, record.ip_address, record.target_details) == ("c0ffee", "203.0.113.9", "runner-1")


@pytest.mark.parametrize(
    ("given_action", "recorded"), [("revoke", "revoked"), ("expire", "expired"), ("reset", "reset")]
)
def test_older_action_words_are_recorded_as_gitlab_past_tense(given_action: str, recorded: str) -> None:
    assert describe_change("deploy_token", given_action, 3).startswith(recorded.capitalize() + " deploy token 3")


@pytest.mark.parametrize(
    ("token_type", "action"), [("ci_job_token", "revoked"), ("deploy_token", "already_revoked"), ("nope", "reset")]
)
def test_nothing_is_recorded_for_a_type_never_revoked_or_an_action_that_changed_nothing(
    token_type: str, action: str
) -> None:
    with pytest.raises(ValueError, match=r"never audited|not an action"):
        audit_record(
            caller_user=ROOT,
            token_type=token_type,
            action=action,
            entity_id=1,
            target_details="",
            request_id="",
            ip_address=None,
            target=("user", 1),
        )
