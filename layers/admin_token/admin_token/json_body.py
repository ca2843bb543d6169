"""The one JSON reader for every body the service is sent: requests, findings, queued messages.

Hostile input has one rule, whatever the body:

- a key repeated in any object, at any depth, is refused (`"<key> is repeated"`): which value
  counted would otherwise depend on the parser, and Python's keeps the last (`"dry_run": true,
  "dry_run": false` would be a real revoke);
- `NaN`, `Infinity` and `-Infinity` are not JSON, and are refused;
- an integer longer than Python parses (`sys.get_int_max_str_digits()`) is still a number:
  it becomes `HUGE_INTEGER`, which is never a string, so never a token, a flag or a count;
- nesting deep enough to exhaust the parser's recursion is refused as not JSON.

Each refusal is an `InvalidJson` (an `InvalidRequest`: the one error mapping answers 400), whose
message is fixed text or a key that looks like a field name: never a value, which may be a token.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from admin_token.errors import InvalidRequest

# A key echoed in an error: a field name (`dry_run`, `tokens`), never something that could be a
# token sent as a key.
_NAMEABLE_KEY: Final = re.compile(r"[a-z_]{1,32}")


class InvalidJson(InvalidRequest):
    """The text is not a JSON document this service reads; `str(error)` says why, without values."""


class RepeatedKey(InvalidJson):
    def __init__(self, key: str) -> None:
        shown = key if _NAMEABLE_KEY.fullmatch(key) else "a key"
        super().__init__(f"{shown} is repeated")
        self.key = key


class _HugeInteger:
    """A JSON integer longer than Python parses: still a number, so never a token."""

    def __repr__(self) -> str:
        return "HUGE_INTEGER"


HUGE_INTEGER: Final = _HugeInteger()


def _integer(digits: str) -> int | _HugeInteger:
    # int() refuses more digits than sys.get_int_max_str_digits() (a ValueError that would read
    # as "not valid JSON"); it checks the length before converting, so refusing costs nothing.
    try:
        return int(digits)
    except ValueError:
        return HUGE_INTEGER


def _no_constant(name: str) -> Any:
    raise InvalidJson("request body is not valid JSON")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise RepeatedKey(key)
        document[key] = value
    return document


def parse_json(text: str) -> Any:
    """Any JSON document (an array of findings, say), under the rules above."""
    try:
        return json.loads(text, object_pairs_hook=_object, parse_int=_integer, parse_constant=_no_constant)
    except InvalidJson:
        raise
    except (ValueError, RecursionError, TypeError) as error:  # RecursionError: hostile nesting depth
        raise InvalidJson("request body is not valid JSON") from error


def parse_json_object(text: str) -> dict[str, Any]:
    """A JSON object, under the rules above; anything else is `InvalidJson`."""
    document = parse_json(text)
    if not isinstance(document, dict):
        raise InvalidJson("request body must be a JSON object")
    return document
