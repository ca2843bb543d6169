"""The one JSON reader: repeated keys at any depth, NaN/Infinity, huge integers, deep nesting."""

from __future__ import annotations

import pytest

from admin_token.api import error_status_and_body
from admin_token.json_body import HUGE_INTEGER, InvalidJson, parse_json, parse_json_object


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"token": "glpat-x", "dry_run": true, "dry_run": false}', "dry_run is repeated"),
        ('{"tokens": ["a"], "tokens": ["b"]}', "tokens is repeated"),
        ('[{"type": "a", "token": "b", "token": "c"}]', "token is repeated"),
        ('{"outer": {"inner": [{"deep": 1, "deep": 2}]}}', "deep is repeated"),
    ],
)
def test_a_repeated_key_at_any_depth_is_a_400_naming_it(text: str, message: str) -> None:
    with pytest.raises(InvalidJson) as raised:
        parse_json(text)
    assert error_status_and_body(raised.value) == (400, {"error": message})


def test_a_repeated_key_that_could_be_a_token_is_not_echoed() -> None:
    with pytest.raises(InvalidJson) as raised:
        parse_json_object('{"glpat-aliceLaptopTk3Nq7Xe1": 1, "glpat-aliceLaptopTk3Nq7Xe1": 2}')
    assert str(raised.value) == "a key is repeated"


@pytest.mark.parametrize("text", ['{"token": NaN}', "[Infinity]", '{"n": -Infinity}'])
def test_nan_and_infinity_are_not_json(text: str) -> None:
    with pytest.raises(InvalidJson, match=r"^request body is not valid JSON$"):
        parse_json(text)


def test_an_integer_too_long_for_python_is_a_number_that_is_never_a_string() -> None:
    assert parse_json_object('{"token": 1' + "0" * 5_000 + "}") == {"token": HUGE_INTEGER}
    assert parse_json_object('{"n": 12}') == {"n": 12}


def test_hostile_nesting_is_not_json() -> None:
    with pytest.raises(InvalidJson, match="not valid JSON"):
        parse_json("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize("text", ["[]", '"s"', "1", "null"])
def test_an_object_is_required_where_one_is_asked_for(text: str) -> None:
    with pytest.raises(InvalidJson, match="must be a JSON object"):
        parse_json_object(text)
