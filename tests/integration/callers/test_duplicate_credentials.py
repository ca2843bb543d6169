"""A request that carries more than one credential value is not authenticated (docs/contract.md, "Who may call").

API Gateway keeps every value of a repeated header in `multiValueHeaders` and only the last in
`headers`. Reading `headers` alone let `PRIVATE-TOKEN: glpat-bogus` then `PRIVATE-TOKEN: <admin>`
through (and refused the reverse order): which credential counts must never depend on order.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Api, Tables, call
from tests.support import demo
from tests.support.events import proxy_event

UNAUTHORIZED = (401, {"message": "401 Unauthorized"})
BOGUS = "glpat-bogusTokenNobodyHas00"
ENDPOINTS = {"lookup": ("LookupFunction", "POST"), "revoke": ("RevokeFunction", "DELETE")}


def send(endpoint: str, headers: dict[str, str] | None, multi: dict[str, list[str]] | None) -> Any:
    function, method = ENDPOINTS[endpoint]
    event = proxy_event(method, body={"token": demo.AGENT})
    event["headers"] = {"Content-Type": "application/json", **(headers or {})} if headers is not None else None
    event["multiValueHeaders"] = {"Content-Type": ["application/json"], **(multi or {})} if multi is not None else None
    response = call(function, event)
    return response.status, response.body


def as_api_gateway(*pairs: tuple[str, str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """What API Gateway puts in the event for these header lines, in order."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


REPEATED = {
    "bogus then admin": as_api_gateway(("PRIVATE-TOKEN", BOGUS), ("PRIVATE-TOKEN", demo.ADMIN)),
    "admin then bogus": as_api_gateway(("PRIVATE-TOKEN", demo.ADMIN), ("PRIVATE-TOKEN", BOGUS)),
    "admin twice": as_api_gateway(("PRIVATE-TOKEN", demo.ADMIN), ("PRIVATE-TOKEN", demo.ADMIN)),
    "bearer bogus then admin": as_api_gateway(
        ("Authorization", f"Bearer {BOGUS}"), ("Authorization", f"Bearer {demo.ADMIN}")
    ),
    "basic then bearer admin": as_api_gateway(
        ("Authorization", "Basic dXNlcjpwdw=="), ("Authorization", f"Bearer {demo.ADMIN}")
    ),
    "two spellings of the name": as_api_gateway(("PRIVATE-TOKEN", BOGUS), ("private-token", demo.ADMIN)),
    "two spellings of authorization": as_api_gateway(
        ("authorization", f"Bearer {BOGUS}"), ("Authorization", f"Bearer {demo.ADMIN}")
    ),
    "empty then admin": as_api_gateway(("PRIVATE-TOKEN", ""), ("PRIVATE-TOKEN", demo.ADMIN)),
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(("headers", "multi"), REPEATED.values(), ids=REPEATED.keys())
def test_a_repeated_credential_header_is_unauthorized(
    tables: dict[str, str], db: Tables, endpoint: str, headers: dict[str, str], multi: dict[str, list[str]]
) -> None:
    assert send(endpoint, headers, multi) == UNAUTHORIZED
    assert db.token_item(demo.AGENT)["status"] == "active"


DISAGREEING = {
    "different values": ({"PRIVATE-TOKEN": demo.ADMIN}, {"PRIVATE-TOKEN": [BOGUS]}),
    "only in headers": ({"PRIVATE-TOKEN": demo.ADMIN}, {}),
    "only in multiValueHeaders": ({}, {"PRIVATE-TOKEN": [demo.ADMIN]}),
    "bearer only in headers": ({"Authorization": f"Bearer {demo.ADMIN}"}, {}),
    "names spelled differently, values differ": ({"private-token": demo.ADMIN}, {"PRIVATE-TOKEN": [BOGUS]}),
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(("headers", "multi"), DISAGREEING.values(), ids=DISAGREEING.keys())
def test_headers_and_multi_value_headers_that_disagree_are_unauthorized(
    tables: dict[str, str], db: Tables, endpoint: str, headers: dict[str, str], multi: dict[str, list[str]]
) -> None:
    assert send(endpoint, headers, multi) == UNAUTHORIZED
    assert db.token_item(demo.AGENT)["status"] == "active"


AGREEING = {
    "one header": as_api_gateway(("PRIVATE-TOKEN", demo.ADMIN)),
    "one bearer": as_api_gateway(("Authorization", f"Bearer {demo.ADMIN}")),
    "name spelled differently in the two maps": ({"private-token": demo.ADMIN}, {"PRIVATE-TOKEN": [demo.ADMIN]}),
    "private token and an unrelated authorization": as_api_gateway(
        ("PRIVATE-TOKEN", demo.ADMIN), ("Authorization", "Basic dXNlcjpwdw==")
    ),
    "no multiValueHeaders at all": ({"PRIVATE-TOKEN": demo.ADMIN}, None),
}


@pytest.mark.parametrize(("headers", "multi"), AGREEING.values(), ids=AGREEING.keys())
def test_one_credential_however_it_is_carried_is_read(
    tables: dict[str, str], headers: dict[str, str], multi: dict[str, list[str]] | None
) -> None:
    status, body = send("lookup", headers, multi)
    assert status == 200
    assert body["name"] == "production-agent"


def test_one_credential_still_revokes(api: Api, db: Tables) -> None:
    headers, multi = as_api_gateway(("PRIVATE-TOKEN", demo.ADMIN))
    assert send("revoke", headers, multi) == (204, None)
    assert db.token_item(demo.AGENT)["status"] == "revoked"
