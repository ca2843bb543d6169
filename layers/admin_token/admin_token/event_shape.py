"""Event shape checks: what makes an event a REST v1 proxy event this service can read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _is_str_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _is_str_list_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(item, str) for item in v)
        for k, v in value.items()
    )


def malformed_event(event: Any) -> str | None:
    """What makes `event` not a REST v1 proxy event, for the fields this service reads; None if it is one.

    API Gateway never sends such an event, but a function can be invoked directly (the console,
    a test event, another service): it must answer, not crash.
    """
    if not isinstance(event, Mapping):
        return "the event must be an object"
    method, path, context = event.get("httpMethod"), event.get("path"), event.get("requestContext")
    if not isinstance(method, str) or not method:
        return "httpMethod must be a non-empty string"
    if not isinstance(path, str) or not path:
        return "path must be a non-empty string"
    if not isinstance(context, dict):
        return "requestContext must be an object"
    if not isinstance(context.get("requestId", ""), str | None):
        return "requestContext.requestId must be a string"
    for field, check, shape in (
        ("headers", _is_str_map, "header values must be strings"),
        ("multiValueHeaders", _is_str_list_map, "multiValueHeaders must map names to lists of strings"),
        ("queryStringParameters", _is_str_map, "queryStringParameters values must be strings"),
        (
            "multiValueQueryStringParameters",
            _is_str_list_map,
            "multiValueQueryStringParameters must map names to lists of strings",
        ),
    ):
        value = event.get(field)
        if value is not None and not check(value):
            return shape if isinstance(value, dict) else f"{field} must be an object or null"
    if not isinstance(event.get("body"), str | None):
        return "body must be a string or null"
    if event.get("isBase64Encoded") not in (None, True, False):
        return "isBase64Encoded must be true or false"
    return None
