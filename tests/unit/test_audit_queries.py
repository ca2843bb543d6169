"""The audit events API's query parameters: what each asks for, and the 400 each bad value gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admin_token.audit_ids import MAX_ID, first_id_at
from admin_token.errors import InvalidRequest
from admin_token.models.audit_queries import (
    AuditEventsQuery,
    decode_cursor,
    encode_cursor,
    parse_audit_query,
    parse_event_id,
)
from admin_token.token_types import BY_NAME

TYPES = frozenset(BY_NAME)
T = datetime(2026, 11, 28, 12, 0, 0, 250_000, tzinfo=UTC)


def parse(**parameters: str | list[str]) -> AuditEventsQuery:
    return parse_audit_query(
        {name: value if isinstance(value, list) else [value] for name, value in parameters.items()}, TYPES
    )


def test_no_parameters_is_every_event_twenty_per_page() -> None:
    asked = parse_audit_query({}, TYPES)
    assert (asked.query.min_id, asked.query.max_id, asked.per_page) == (1, MAX_ID, 20)
    assert (asked.query.entity_type, asked.query.entity_id, asked.query.author_id, asked.query.token_type) == (
        None,
        None,
        None,
        None,
    )


def test_times_become_an_inclusive_id_range_to_the_millisecond() -> None:
    asked = parse_audit_query(
        {"created_after": ["2026-11-28T12:00:00.250Z"], "created_before": ["2026-11-28T13:00:00.250+01:00"]}, TYPES
    )
    assert asked.query.min_id == first_id_at(T)
    assert asked.query.max_id == first_id_at(T + timedelta(milliseconds=1)) - 1


def test_a_time_finer_than_a_millisecond_rounds_inward() -> None:
    asked = parse_audit_query(
        {"created_after": ["2026-11-28T12:00:00.250001"], "created_before": ["2026-11-28T12:00:00.250999"]}, TYPES
    )
    # created_at (whole milliseconds) >= .250001 means >= .251; <= .250999 means <= .250
    assert asked.query.min_id == first_id_at(T + timedelta(milliseconds=1))
    assert asked.query.max_id == first_id_at(T + timedelta(milliseconds=1)) - 1
    assert asked.query.min_id > asked.query.max_id  # an empty range, not an error


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("2026-11-28", datetime(2026, 11, 28, tzinfo=UTC)),
        ("2026-11-28T12:00:00", datetime(2026, 11, 28, 12, tzinfo=UTC)),
        ("2026-11-28T12:00:00Z", datetime(2026, 11, 28, 12, tzinfo=UTC)),
        ("2026-11-28T07:00:00-05:00", datetime(2026, 11, 28, 12, tzinfo=UTC)),
        ("20261128T120000Z", datetime(2026, 11, 28, 12, tzinfo=UTC)),
    ],
)
def test_iso_8601_forms(value: str, moment: datetime) -> None:
    assert parse(created_after=value).query.min_id == first_id_at(moment)


def test_times_outside_what_ids_can_hold_are_clamped_not_refused() -> None:
    assert parse(created_after="1970-01-01").query.min_id == 1
    assert parse(created_before="9999-12-31T23:59:59.999999").query.max_id == MAX_ID
    assert parse(created_before="2019-01-01").query.max_id < 1


@pytest.mark.parametrize(("value", "used"), [("1", 1), ("020", 20), ("100", 100), ("101", 100), ("9" * 500, 100)])
def test_per_page(value: str, used: int) -> None:
    assert parse(per_page=value).per_page == used


def test_filters_are_passed_as_given() -> None:
    asked = parse(entity_type="Ci::Runner", entity_id="7", author_id="1", token_type="runner_authentication_token")
    query = asked.query
    assert (query.entity_type, query.entity_id, query.author_id, query.token_type) == (
        "Ci::Runner",
        7,
        1,
        "runner_authentication_token",
    )


def test_a_cursor_bounds_the_range_below_it() -> None:
    asked = parse(cursor=encode_cursor(12345), created_after="2020-01-01")
    assert asked.query.max_id == 12344


@given(st.integers(min_value=1, max_value=MAX_ID + 1))
def test_a_cursor_round_trips(below: int) -> None:
    assert decode_cursor(encode_cursor(below)) == below


# The first bad parameter, in the documented order, names the error.
@pytest.mark.parametrize(
    ("parameters", "name"),
    [
        ({"created_after": "nope", "per_page": "0"}, "created_after"),
        ({"created_before": "2026-02-30"}, "created_before"),
        ({"entity_type": "Runner", "entity_id": "x"}, "entity_type"),
        ({"entity_id": "x", "author_id": "y"}, "entity_id"),
        ({"author_id": "0"}, "author_id"),
        ({"author_id": "-0"}, "author_id"),
        ({"author_id": "--1"}, "author_id"),
        ({"author_id": "-"}, "author_id"),
        ({"token_type": "PersonalAccessToken"}, "token_type"),
        ({"per_page": "0", "cursor": "!"}, "per_page"),
        ({"page": "0"}, "page"),
        ({"page": "x"}, "page"),
        ({"cursor": "!"}, "cursor"),
        ({"entity_id": ["1", "2"]}, "entity_id"),
        ({"cursor": [encode_cursor(5), encode_cursor(6)]}, "cursor"),
    ],
)
def test_a_bad_value_names_its_parameter(parameters: dict[str, str | list[str]], name: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        parse(**parameters)
    assert str(raised.value) == f"{name} is invalid"


@given(st.dictionaries(st.sampled_from(["created_after", "created_before", "entity_type", "entity_id",
                                        "author_id", "token_type", "per_page", "page", "cursor", "other"]),
                       st.lists(st.text(max_size=40), min_size=1, max_size=2)))  # fmt: skip
@settings(max_examples=500, deadline=None)
def test_any_parameters_parse_or_name_a_parameter(parameters: dict[str, list[str]]) -> None:
    try:
        asked = parse_audit_query(parameters, TYPES)
    except InvalidRequest as error:
        refused = str(error)
    else:
        refused = None
    if refused is not None:
        assert refused.partition(" is invalid")[0] in parameters
        return
    assert 1 <= asked.per_page <= 100
    assert asked.query.min_id >= 1
    assert asked.query.max_id <= MAX_ID


@pytest.mark.parametrize(("page", "per_page", "offset"), [("1", "20", 0), ("2", "20", 20), ("10", "100", 900),
                                                           ("50", "20", 980), ("1000", "1", 999)])  # fmt: skip
def test_a_page_number_is_an_offset_within_the_first_1000_events(page: str, per_page: str, offset: int) -> None:
    assert parse(page=page, per_page=per_page).offset == offset


@pytest.mark.parametrize(("page", "per_page"), [("11", "100"), ("51", "20"), ("1001", "1"), ("9" * 50, "1")])
def test_a_page_beyond_the_first_1000_events_says_to_follow_link(page: str, per_page: str) -> None:
    with pytest.raises(InvalidRequest, match=r'^page is invalid: .*follow the Link header \(rel="next"\)'):
        parse(page=page, per_page=per_page)


def test_a_page_number_and_a_cursor_together_are_refused() -> None:
    with pytest.raises(InvalidRequest, match=r"^page is invalid"):
        parse(page="2", cursor=encode_cursor(5))


@pytest.mark.parametrize("author_id", [-1, -2])
def test_authors_with_no_user_record_have_negative_ids_and_can_be_filtered_on(author_id: int) -> None:
    assert parse(author_id=str(author_id)).query.author_id == author_id


@pytest.mark.parametrize(("value", "parsed"), [("1", 1), ("007", 7), (str(2**53), 2**53), ("9" * 19, int("9" * 19))])
def test_an_event_id(value: str, parsed: int) -> None:
    assert parse_event_id(value) == parsed


@pytest.mark.parametrize("value", ["", "-1", "+1", " 1", "1 ", "1.0", "0x1", "٣", "9" * 20, "1\n"])
def test_an_event_id_that_is_not_decimal_digits_is_invalid(value: str) -> None:
    with pytest.raises(InvalidRequest, match=r"^id is invalid$"):
        parse_event_id(value)
