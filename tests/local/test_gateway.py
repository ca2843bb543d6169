"""The API Gateway stand-in and the Lambda runtime emulation, with fake functions."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from admin_token_local.gateway import LocalApiGateway, match_route, proxy_response
from admin_token_local.lambda_runtime import LocalFunctions, UnknownFunctionError
from admin_token_local.template import Route
from tests.support.events import PROXY_EVENT_KEYS, REQUEST_CONTEXT_KEYS


@pytest.fixture
def functions(gateway_template: Path, process_state: None) -> LocalFunctions:
    return LocalFunctions(
        gateway_template, dynamodb_endpoint="http://127.0.0.1:1", appconfig_endpoint="http://127.0.0.1:2"
    )


@pytest.fixture
def gateway(functions: LocalFunctions) -> Iterator[LocalApiGateway]:
    server = LocalApiGateway(functions, "127.0.0.1", 0)
    server.start()
    yield server
    server.stop()


def request(
    gateway: LocalApiGateway,
    method: str,
    target: str,
    body: bytes | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> tuple[int, list[tuple[str, str]], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    connection.putrequest(method, target)
    for name, value in headers or []:
        connection.putheader(name, value)
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    result = response.status, response.getheaders(), response.read()
    connection.close()
    return result


def echo(gateway: LocalApiGateway, method: str, target: str, body: bytes | None = None, **kw: Any) -> Any:
    status, _, raw = request(gateway, method, target, body, **kw)
    assert status == 200, raw
    return json.loads(raw)


def test_the_event_is_a_full_rest_v1_proxy_event(gateway: LocalApiGateway) -> None:
    answer = echo(
        gateway,
        "POST",
        "/echo",
        b'{"token": "glpat-x"}',
        headers=[("Content-Type", "application/json"), ("X-Multi", "one"), ("X-Multi", "two"), ("User-Agent", "t/1")],
    )
    event = answer["event"]
    assert set(event) == PROXY_EVENT_KEYS
    assert event["resource"] == "/echo"
    assert event["path"] == "/echo"
    assert event["httpMethod"] == "POST"
    assert event["body"] == '{"token": "glpat-x"}'
    assert event["isBase64Encoded"] is False
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    assert event["headers"]["X-Multi"] == "two"  # the last value, as API Gateway does
    assert event["multiValueHeaders"]["X-Multi"] == ["one", "two"]
    assert event["headers"]["Content-Type"] == "application/json"  # names as sent
    context = event["requestContext"]
    assert set(context) >= REQUEST_CONTEXT_KEYS
    assert context["stage"] == "test"
    assert context["path"] == "/echo"  # as the client sent it: serve has no stage in its URLs
    assert context["resourcePath"] == "/echo"
    assert context["httpMethod"] == "POST"
    assert context["protocol"] == "HTTP/1.1"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "t/1"
    assert uuid.UUID(context["requestId"])
    assert isinstance(context["requestTimeEpoch"], int)
    assert context["requestTime"].endswith(" +0000")


def test_the_domain_name_is_the_listening_address_never_the_clients_host(gateway: LocalApiGateway) -> None:
    # What API Gateway's requestContext.domainName is to it: the API's own address, which the audit
    # events API builds its `Link` from.
    event = echo(gateway, "POST", "/echo", b"{}", headers=[("Host", "attacker.example:443")])["event"]
    assert event["requestContext"]["domainName"] == f"127.0.0.1:{gateway.port}"
    assert event["headers"]["Host"] == "attacker.example:443"  # passed on as sent, as API Gateway does


def test_query_strings_and_path_parameters(gateway: LocalApiGateway) -> None:
    event = echo(gateway, "GET", "/items/42?a=1&a=2&b=&c=x%20y")["event"]
    assert event["resource"] == "/items/{id}"
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"a": "2", "b": "", "c": "x y"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""], "c": ["x y"]}
    assert event["body"] is None


def test_a_body_that_is_not_utf8_arrives_base64_encoded(gateway: LocalApiGateway) -> None:
    event = echo(gateway, "POST", "/echo", b"\xff\xfe\x00binary")["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\xfe\x00binary"


def test_the_function_runs_in_its_deployed_environment(gateway: LocalApiGateway) -> None:
    answer = echo(gateway, "POST", "/echo", b"{}")
    assert answer["env"] == {
        "ITEMS_TABLE": "ItemsTable",
        "GREETING": "hello",
        "SHARED": "from-function",
        "ONLY_ECHO": "yes",
        "REGION_SUB": "us-east-1/hello",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:1",
        "AWS_ENDPOINT_URL_APPCONFIGDATA": "http://127.0.0.1:2",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": "EchoFunction",
    }
    assert answer["layer"] == "from the layer"
    assert answer["helper"] == "echo helper"
    assert answer["code_dir_on_path"] is False  # only while the module was imported


def test_the_context_looks_like_lambdas(gateway: LocalApiGateway) -> None:
    first = echo(gateway, "POST", "/echo", b"{}")["context"]
    second = echo(gateway, "POST", "/echo", b"{}")["context"]
    assert first["function_name"] == "EchoFunction"
    assert first["memory_limit_in_mb"] == 256
    assert first["invoked_function_arn"].endswith(":function:EchoFunction")
    assert 6000 < first["remaining"] <= 7000  # Timeout 7 from Globals
    assert first["aws_request_id"] != second["aws_request_id"]


def test_each_function_has_its_own_module_and_environment(gateway: LocalApiGateway) -> None:
    echo(gateway, "POST", "/echo", b"{}")  # sets ONLY_ECHO for EchoFunction
    status, _, raw = request(gateway, "POST", "/respond", b'{"env": "ONLY_ECHO"}')
    assert status == 200
    assert json.loads(raw) == {"value": None}
    assert "echofunction_app" in sys.modules
    assert "responderfunction_app" in sys.modules


def test_response_mapping(gateway: LocalApiGateway) -> None:
    response = {
        "statusCode": 201,
        "headers": {"X-Single": "s", "X-Both": "from-headers", "Content-Type": "application/octet-stream"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "X-Both": ["m1", "m2"]},
        "body": base64.b64encode(b"\x00\x01binary").decode(),
        "isBase64Encoded": True,
    }
    status, headers, body = request(gateway, "POST", "/respond", json.dumps({"response": response}).encode())
    assert status == 201
    assert body == b"\x00\x01binary"
    assert ("X-Single", "s") in headers
    assert [value for name, value in headers if name == "Set-Cookie"] == ["a=1", "b=2"]
    assert [value for name, value in headers if name == "X-Both"] == ["m1", "m2"]
    assert ("Content-Type", "application/octet-stream") in headers
    assert any(name == "x-amzn-RequestId" for name, _ in headers)


def test_a_response_without_content_type_is_json(gateway: LocalApiGateway) -> None:
    order = {"response": {"statusCode": 204}}
    status, headers, body = request(gateway, "POST", "/respond", json.dumps(order).encode())
    assert status == 204
    assert body == b""
    assert ("Content-Type", "application/json") in headers


@pytest.mark.parametrize(("method", "target"), [("GET", "/nowhere"), ("DELETE", "/echo"), ("GET", "/echo")])
def test_unknown_routes_are_missing_authentication_token(gateway: LocalApiGateway, method: str, target: str) -> None:
    status, headers, body = request(gateway, method, target)
    assert status == 403
    assert json.loads(body) == {"message": "Missing Authentication Token"}
    assert ("x-amzn-ErrorType", "MissingAuthenticationTokenException") in headers


def test_a_failing_handler_is_a_502_with_the_traceback_on_stderr(
    gateway: LocalApiGateway, capfd: pytest.CaptureFixture[str]
) -> None:
    status, _, body = request(gateway, "POST", "/respond", b'{"raise": true}')
    assert status == 502
    assert json.loads(body) == {"message": "Internal server error"}
    err = capfd.readouterr().err
    assert "Traceback" in err
    assert "responder was told to fail" in err


@pytest.mark.parametrize(
    "response",
    [
        "not an object",
        {"statusCode": "abc"},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "multiValueHeaders": {"X": "not a list"}},
    ],
)
def test_a_malformed_proxy_response_is_a_502(gateway: LocalApiGateway, response: Any) -> None:
    status, _, body = request(gateway, "POST", "/respond", json.dumps({"response": response}).encode())
    assert status == 502
    assert json.loads(body) == {"message": "Internal server error"}


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_10_mib_gets_a_413_the_client_sees(
    gateway: LocalApiGateway, monkeypatch: pytest.MonkeyPatch, chunked: bool
) -> None:
    # The body is read (and dropped) before the answer: a client that sends its whole body
    # before reading, as most do, gets the 413 instead of a connection reset.
    invoked: list[str] = []
    monkeypatch.setattr(gateway.functions, "invoke", lambda name, event: invoked.append(name))
    body = b"a" * (10 * 1024 * 1024 + 1)
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    if chunked:
        connection.request("POST", "/echo", body=iter([body[:1024], body[1024:]]), encode_chunked=True)
    else:
        connection.request("POST", "/echo", body=body)
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read()) == {"message": "Request Too Long"}
    assert response.getheader("Connection") == "close"
    connection.close()
    assert invoked == []


def test_a_body_of_exactly_10_mib_is_accepted(gateway: LocalApiGateway) -> None:
    event = echo(gateway, "POST", "/echo", b"a" * (10 * 1024 * 1024))["event"]
    assert len(event["body"]) == 10 * 1024 * 1024


def test_chunked_bodies_are_read(gateway: LocalApiGateway) -> None:
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as sock:
        sock.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert json.loads(body)["event"]["body"] == "hello world"


def test_the_port_in_use_fails_at_construction(functions: LocalFunctions) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(OSError, match="in use"):
            LocalApiGateway(functions, "127.0.0.1", busy.getsockname()[1])


def test_invoking_an_unknown_function_names_the_known_ones(functions: LocalFunctions) -> None:
    with pytest.raises(UnknownFunctionError, match="EchoFunction, ResponderFunction"):
        functions.invoke("Nope", {})


def test_match_route_prefers_method_then_path() -> None:
    routes = [Route("GET", "/a/{x}", "F", "/a/{x}", "s"), Route("ANY", "/b/{rest+}", "G", "/b/{rest+}", "s")]
    assert match_route(routes, "GET", "/a/1") == (routes[0], {"x": "1"})
    assert match_route(routes, "GET", "/a/1/2") is None
    assert match_route(routes, "PUT", "/b/1/2") == (routes[1], {"rest": "1/2"})
    assert match_route(routes, "POST", "/a/1") is None


def test_proxy_response_merges_headers_like_api_gateway() -> None:
    status, headers, body = proxy_response(
        {"statusCode": "200", "headers": {"a": "1", "B": "x"}, "multiValueHeaders": {"b": ["2", "3"]}, "body": "é"},
        "req",
    )
    assert status == 200
    assert body == "é".encode()
    assert headers == [
        ("a", "1"),
        ("b", "2"),
        ("b", "3"),
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", "req"),
    ]


def test_any_method_outside_the_routes_gets_api_gateways_403_json() -> None:
    """http.server would answer TRACE or an invented method with a 501 HTML page."""
    import http.client
    import json as json_module

    from admin_token_local.gateway import LocalApiGateway

    class NoFunctions:
        def invoke(self, *_: object) -> object:
            raise AssertionError("no function should be reached")

    gateway = LocalApiGateway(NoFunctions(), port=0, routes=[])  # type: ignore[arg-type]
    gateway.start()
    try:
        for method in ("TRACE", "QUERY", "BREW"):
            connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
            connection.request(method, "/api/v4/admin/token")
            response = connection.getresponse()
            assert response.status == 403, method
            assert json_module.loads(response.read()) == {"message": "Missing Authentication Token"}
            connection.close()
    finally:
        gateway.stop()


def _raw_exchange(gateway: LocalApiGateway, request_bytes: bytes) -> bytes:
    """Send the bytes, close our sending side (the body ends there), read until the server closes."""
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=30) as sock:
        sock.sendall(request_bytes)
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


@pytest.mark.parametrize(
    "request_bytes",
    [
        # 14 bytes of a 40-byte Content-Length body: `token=…&dry_run=true` arriving as `token=…`
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\ntoken=glrt-abc",
        # a chunked body without its last (zero-size) chunk
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        # a chunk shorter than its size says
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n20\r\nhello",
        # a chunk size that is not hexadecimal
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    ],
)
def test_a_body_cut_short_is_a_400_that_closes_and_never_reaches_the_function(
    gateway: LocalApiGateway, monkeypatch: pytest.MonkeyPatch, request_bytes: bytes
) -> None:
    invoked: list[str] = []
    invoke = gateway.functions.invoke
    monkeypatch.setattr(gateway.functions, "invoke", lambda name, event: invoked.append(name) or invoke(name, event))
    reply = _raw_exchange(gateway, request_bytes)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), reply
    assert b"\r\nConnection: close" in head
    assert json.loads(body) == {"message": "Invalid request body"}
    assert invoked == []
    # The complete request still goes through
    complete = b"token=glrt-abc&dry_run=true"
    assert echo(gateway, "POST", "/echo", complete)["event"]["body"] == complete.decode()
