"""Events the functions were not built for: never a 500, a crash or a traceback.

Each function serves one route. An event for another path answers 404, one for this path with
another method 405 with `Allow`; an event that is not a REST v1 proxy event at all (wrong types,
missing fields, not even an object) answers 400. All with a JSON body. Every event here goes
through the real `lambda_handler`, Powertools' logger and metrics decorators included.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from admin_token_local.lambda_runtime import FakeLambdaContext
from tests.integration.conftest import Tables
from tests.support import demo
from tests.support.events import proxy_event

FUNCTIONS = ("LookupFunction", "RevokeFunction")
OWN_METHOD = {"LookupFunction": "POST", "RevokeFunction": "DELETE"}


def handler(function: str) -> Any:
    if function == "LookupFunction":
        from functions.lookup.app import lambda_handler
    else:
        from functions.revoke.app import lambda_handler
    return lambda_handler


def invoke(function: str, event: Any) -> tuple[int, Any, dict[str, str]]:
    raw = handler(function)(event, FakeLambdaContext(function, memory_limit_in_mb=512, timeout_seconds=10))
    headers = {name: values[-1] for name, values in (raw.get("multiValueHeaders") or {}).items() if values}
    headers.update(raw.get("headers") or {})
    assert headers.get("Content-Type") == "application/json"
    body = json.loads(raw["body"])
    assert isinstance(body, dict)
    return raw["statusCode"], body, headers


def event_for(method: str, **changes: Any) -> dict[str, Any]:
    event = proxy_event(method, body={"token": demo.AGENT}, headers={"PRIVATE-TOKEN": demo.ADMIN})
    event.update(changes)
    return event


# -- routing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "method"),
    [
        (function, method)
        for function in FUNCTIONS
        for method in ("GET", "PUT", "PATCH", "OPTIONS", "HEAD", "POST", "DELETE")
        if method != OWN_METHOD[function]
    ],
)
def test_another_method_on_the_token_path_is_405_with_allow(
    db: Tables, capsys: pytest.CaptureFixture[str], function: str, method: str
) -> None:
    status, body, headers = invoke(function, event_for(method))

    assert (status, body) == (405, {"error": "405 Method Not Allowed"})
    assert headers["Allow"] == OWN_METHOD[function]
    assert db.token_item(demo.AGENT)["status"] == "active"
    assert "Traceback" not in capsys.readouterr().out


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("path", ["/other", "/", "/api/v4/admin/tokens", "/api/v4/admin/token/x"])
def test_another_path_is_404(db: Tables, capsys: pytest.CaptureFixture[str], function: str, path: str) -> None:
    status, body, _ = invoke(function, event_for(OWN_METHOD[function], path=path))

    assert (status, body) == (404, {"error": "404 Not Found"})
    assert db.token_item(demo.AGENT)["status"] == "active"
    assert "Traceback" not in capsys.readouterr().out


def test_a_lookup_event_sent_to_revoke_changes_nothing(db: Tables) -> None:
    status, _, headers = invoke("RevokeFunction", event_for("POST"))
    assert (status, headers["Allow"]) == (405, "DELETE")
    assert db.token_item(demo.AGENT)["status"] == "active"
    assert db.audit_records() == []


# -- not a proxy event -------------------------------------------------------------------------


def _without(key: str) -> dict[str, Any]:
    event = event_for("POST")
    del event[key]
    return event


def _with(**changes: Any) -> dict[str, Any]:
    return event_for("POST", **changes)


BROKEN: dict[str, Any] = {
    "a list": [],
    "a string": "POST /api/v4/admin/token",
    "null": None,
    "a number": 42,
    "an empty object": {},
    "no httpMethod": _without("httpMethod"),
    "httpMethod null": _with(httpMethod=None),
    "httpMethod a number": _with(httpMethod=1),
    "httpMethod empty": _with(httpMethod=""),
    "no path": _without("path"),
    "path a number": _with(path=7),
    "headers a list": _with(headers=[["PRIVATE-TOKEN", demo.ADMIN]]),
    "headers a string": _with(headers="PRIVATE-TOKEN: x"),
    "a header value a number": _with(headers={"PRIVATE-TOKEN": 42}),
    "a header value null": _with(headers={"PRIVATE-TOKEN": None}),
    "a header value a list": _with(headers={"PRIVATE-TOKEN": [demo.ADMIN]}),
    "content type a number": _with(headers={"PRIVATE-TOKEN": demo.ADMIN, "Content-Type": 1}),
    "multiValueHeaders a list": _with(multiValueHeaders=[]),
    "multi-value header not a list": _with(multiValueHeaders={"PRIVATE-TOKEN": demo.ADMIN}),
    "multi-value header value a number": _with(multiValueHeaders={"PRIVATE-TOKEN": [1]}),
    "body a number": _with(body=42),
    "body an object": _with(body={"token": demo.AGENT}),
    "body a list": _with(body=[demo.AGENT]),
    "query a list": _with(queryStringParameters=["token"]),
    "query value a number": _with(queryStringParameters={"token": 1}),
    "multi-value query not a list": _with(multiValueQueryStringParameters={"token": "x"}),
    "isBase64Encoded a string": _with(isBase64Encoded="yes"),
    "requestContext a string": _with(requestContext="x"),
    "requestContext a list": _with(requestContext=[]),
    "no requestContext": _without("requestContext"),
    "requestId a number": _with(
        requestContext={**copy.deepcopy(proxy_event("POST")["requestContext"]), "requestId": 5}
    ),
}


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("event", BROKEN.values(), ids=BROKEN.keys())
def test_an_event_that_is_not_a_proxy_event_is_400(
    db: Tables, capsys: pytest.CaptureFixture[str], function: str, event: Any
) -> None:
    if (
        isinstance(event, dict)
        and "httpMethod" in event
        and isinstance(event.get("httpMethod"), str)
        and event["httpMethod"]
    ):
        event = {**event, "httpMethod": OWN_METHOD[function]}

    status, body, _ = invoke(function, copy.deepcopy(event))

    assert status == 400
    assert set(body) == {"error"}
    assert body["error"].startswith("malformed event: ")
    assert db.token_item(demo.AGENT)["status"] == "active"
    output = capsys.readouterr().out
    assert "Traceback" not in output
    assert demo.ADMIN not in output


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ([], "malformed event: the event must be an object"),
        (_without("httpMethod"), "malformed event: httpMethod must be a non-empty string"),
        (_with(headers={"PRIVATE-TOKEN": 42}), "malformed event: header values must be strings"),
        (_with(body={"token": demo.AGENT}), "malformed event: body must be a string or null"),
    ],
)
def test_the_400_says_what_is_wrong(tables: dict[str, str], event: Any, message: str) -> None:
    assert invoke("LookupFunction", event)[:2] == (400, {"error": message})


@pytest.mark.parametrize("function", FUNCTIONS)
def test_null_optional_fields_are_fine(tables: dict[str, str], function: str) -> None:
    # What API Gateway sends for a request without a query string or body: still a proxy event.
    event = event_for(
        OWN_METHOD[function],
        body=None,
        queryStringParameters=None,
        multiValueQueryStringParameters=None,
        pathParameters=None,
        stageVariables=None,
        isBase64Encoded=False,
    )
    status, body, _ = invoke(function, event)
    assert (status, body) == (400, {"error": "token is missing"})
