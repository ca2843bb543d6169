"""A local stand-in for API Gateway (REST API, Lambda proxy integration).

Each request becomes the full REST v1 proxy event API Gateway would send, the function's handler
runs on it through LocalFunctions, and its proxy response is written back as API Gateway would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from admin_token_local.http_server import LocalHTTPServer
from admin_token_local.lambda_runtime import LocalFunctions
from admin_token_local.template import PSEUDO_PARAMETERS, Route, api_routes

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
# An oversized body is read and dropped before its 413, so that a client sending it whole before
# reading (most do) sees the 413, not a reset. Past this much, the connection is just closed.
MAX_DRAIN_BYTES = 8 * MAX_BODY_BYTES
# A client silent this long (mid-request, or idle between keep-alive requests) is disconnected.
IDLE_SECONDS = 60
# What API Gateway reports as apiId when `sam local generate-event` makes one up.
LOCAL_API_ID = "1234567890"
# The access log names these methods; any other is "(unknown method)": a request line's first
# word is whatever the client sent, a token included.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
UNROUTED = "(unrouted)"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Response = tuple[int, list[tuple[str, str]], bytes]


class BodyTooLargeError(ValueError):
    pass


def _gateway_error(status: int, error_type: str, message: str) -> Response:
    # API Gateway's own errors: a JSON message and the x-amzn-ErrorType header.
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type)]
    return status, headers, json.dumps({"message": message}, separators=(",", ":")).encode()


def missing_authentication_token() -> Response:
    # A REST API answers this for unknown paths and for known paths with a method they lack.
    return _gateway_error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")


def internal_server_error() -> Response:
    return _gateway_error(502, "InternalServerErrorException", "Internal server error")


def _path_pattern(path: str) -> tuple[re.Pattern[str], list[str]]:
    # {name} matches one path segment, {name+} (greedy proxy) the rest of the path.
    regex, names = "", []
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            names.append(name.rstrip("+"))
            regex += "(.+)" if name.endswith("+") else "([^/]+)"
        else:
            regex += re.escape(part)
    return re.compile(regex), names


def match_route(routes: Iterable[Route], method: str, path: str) -> tuple[Route, dict[str, str] | None] | None:
    """The route for method and path, with its path parameters (None when it has none)."""
    for route in routes:
        if route.method not in (method, "ANY"):
            continue
        pattern, names = _path_pattern(route.path)
        match = pattern.fullmatch(path)
        if match is not None:
            return route, (dict(zip(names, match.groups(), strict=True)) if names else None)
    return None


def _request_time(epoch: float) -> str:
    # API Gateway's format, with English month names whatever the locale.
    moment = time.gmtime(epoch)
    return f"{moment.tm_mday:02d}/{_MONTHS[moment.tm_mon - 1]}/{time.strftime('%Y:%H:%M:%S', moment)} +0000"


def _single_and_multi(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value  # the last value wins, as in API Gateway
        multi.setdefault(name, []).append(value)
    return (single or None), (multi or None)


def build_event(
    route: Route,
    path_parameters: dict[str, str] | None,
    *,
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    protocol: str = "HTTP/1.1",
    domain_name: str = "localhost",
) -> dict[str, Any]:
    """The REST API v1 proxy event API Gateway sends the function for this request.

    `domain_name` is the API's own address (API Gateway's is its domain): never the client's Host.
    """
    now = time.time()
    header_map, multi_headers = _single_and_multi(headers)
    query_map, multi_query = _single_and_multi(parse_qsl(query, keep_blank_values=True))
    lowered = {name.lower(): value for name, value in (header_map or {}).items()}
    text: str | None = None
    is_base64 = False
    if body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text, is_base64 = base64.b64encode(body).decode("ascii"), True
    request_id = str(uuid.uuid4())
    return {
        "body": text,
        "resource": route.resource_path,
        "path": path,
        "httpMethod": method,
        "isBase64Encoded": is_base64,
        "queryStringParameters": query_map,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "headers": header_map,
        "multiValueHeaders": multi_headers,
        "requestContext": {
            "accountId": PSEUDO_PARAMETERS["AWS::AccountId"],
            "resourceId": hashlib.sha1(route.resource_path.encode()).hexdigest()[:6],  # noqa: S324
            "stage": route.stage,
            "requestId": request_id,
            "extendedRequestId": base64.b64encode(uuid.uuid4().bytes[:12]).decode("ascii"),
            "requestTime": _request_time(now),
            "requestTimeEpoch": int(now * 1000),
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "accessKey": None,
                "apiKey": None,
                "apiKeyId": None,
                "sourceIp": source_ip,
                "principalOrgId": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": lowered.get("user-agent"),
                "user": None,
            },
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".", 1)[0].split(":", 1)[0],
            # The path the client requested. serve answers at the root, as a custom domain with no
            # base path does (on an execute-api host, API Gateway puts the stage in front).
            "path": path,
            "resourcePath": route.resource_path,
            "httpMethod": method,
            "apiId": LOCAL_API_ID,
            "protocol": protocol,
        },
    }


def proxy_response(result: Any, request_id: str) -> Response:
    """Map a Lambda proxy response onto HTTP; ValueError when API Gateway would reject it."""
    if not isinstance(result, dict):
        raise ValueError("the proxy response is not a JSON object")
    status = result.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ValueError(f"statusCode {status!r} is not an HTTP status")
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise ValueError("body must be a string or null")
    raw = (base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")) if body else b""
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, Mapping) or not isinstance(multi, Mapping):
        raise ValueError("headers and multiValueHeaders must be objects")
    # As API Gateway merges them: a name in multiValueHeaders takes only its values from there.
    multi_names = {str(name).lower() for name in multi}
    headers = [(str(name), _header_value(value)) for name, value in single.items() if name.lower() not in multi_names]
    for name, values in multi.items():
        if not isinstance(values, list):
            raise ValueError(f"multiValueHeaders[{name!r}] must be a list")
        headers.extend((str(name), _header_value(value)) for value in values)
    names = {name.lower() for name, _ in headers}
    if "content-type" not in names:
        headers.append(("Content-Type", "application/json"))
    headers.append(("x-amzn-RequestId", request_id))
    return status, headers, raw


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, dict | list):
        raise ValueError(f"header value {value!r} is not a scalar")
    return str(value)


def _read_exactly(stream: Any, size: int) -> bytes:
    """`size` bytes, or ValueError: a body cut short is never handed on as if complete (API
    Gateway invokes no function with an incomplete body)."""
    data: bytes = stream.read(size)
    if len(data) != size:
        raise ValueError("the body ended early")
    return data


def _read_chunked(stream: Any, limit: int) -> bytes:
    """The body; BodyTooLargeError once over `limit`, the rest then read and dropped (up to
    MAX_DRAIN_BYTES) so that the 413 reaches the client."""
    body = b""
    total = 0
    while True:
        line = stream.readline(1024)
        if not line.endswith(b"\n"):  # the connection ended (or a size line never ends)
            raise ValueError("the chunked body ended before its last chunk")
        size_text = line.split(b";", 1)[0].strip()
        if not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
            raise ValueError("invalid chunk size")
        size = int(size_text, 16)
        if size == 0:
            while True:  # trailers, up to the empty line that ends the body
                trailer = stream.readline(8192)
                if not trailer.endswith(b"\n"):
                    raise ValueError("the chunked body ended in its trailers")
                if trailer in (b"\r\n", b"\n"):
                    if total > limit:
                        raise BodyTooLargeError
                    return body
        total += size
        if total > limit:
            if total > MAX_DRAIN_BYTES:
                raise BodyTooLargeError
            body = b""
            _drain(stream, size)
        else:
            body += _read_exactly(stream, size)
        if stream.readline(3) not in (b"\r\n", b"\n"):
            raise ValueError("a chunk is longer than its size says, or the body ended early")


def _drain(stream: Any, size: int) -> None:
    while size > 0:
        piece = stream.read(min(size, 65536))
        if not piece:
            raise ValueError("the body ended early")
        size -= len(piece)


class LocalApiGateway:
    """HTTP on host:port in front of the template's Api routes."""

    def __init__(
        self, functions: LocalFunctions, host: str = "127.0.0.1", port: int = 3000, routes: list[Route] | None = None
    ) -> None:
        self.functions = functions
        self.routes = api_routes(functions.template) if routes is None else routes
        # Binding here (not in start) lets a port in use fail before anything else starts.
        self._server = LocalHTTPServer((host, port), _handler_for(self), ipv6=":" in host)
        self._thread: threading.Thread | None = None
        self.host = host

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="gateway", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def route_label(self, method: str, target: str) -> str:
        """What the access log shows for a request: its route's resource path, never the path
        as sent (it may hold a token, as may the query string)."""
        found = match_route(self.routes, method, unquote(urlsplit(target).path))
        return found[0].resource_path if found is not None else UNROUTED

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str, protocol: str
    ) -> Response:
        """Route one request, run the function, map its response (or API Gateway's error)."""
        url = urlsplit(target)
        path = unquote(url.path)
        found = match_route(self.routes, method, path)
        if found is None:
            return missing_authentication_token()
        route, path_parameters = found
        event = build_event(
            route,
            path_parameters,
            method=method,
            path=path,
            query=url.query,
            headers=headers,
            body=body,
            source_ip=source_ip,
            protocol=protocol,
            domain_name=urlsplit(self.url).netloc,  # the listening address
        )
        request_id = event["requestContext"]["requestId"]
        try:
            result = self.functions.invoke(route.function_id, event)
        except Exception:
            # As in CloudWatch Logs: the function's failure shows up there, the client sees a 502.
            traceback.print_exc(file=sys.stderr)
            return internal_server_error()
        try:
            return proxy_response(result, request_id)
        except (ValueError, TypeError) as error:
            print(
                f"Execution failed due to configuration error: Malformed Lambda proxy response: {error}",
                file=sys.stderr,
            )
            return internal_server_error()


def _handler_for(gateway: LocalApiGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = IDLE_SECONDS
        _started: float | None = None

        def handle_one_request(self) -> None:
            self._started = None  # set once a request line has arrived
            super().handle_one_request()

        def parse_request(self) -> bool:
            self._started = time.monotonic()
            return super().parse_request()

        def _handle(self) -> None:
            try:
                body = self._read_body()
            except BodyTooLargeError:
                self.close_connection = True
                self._send(*_gateway_error(413, "RequestTooLargeException", "Request Too Long"))
                return
            except ValueError:
                self.close_connection = True
                self._send(*_gateway_error(400, "BadRequestException", "Invalid request body"))
                return
            headers = [(name, value) for name, value in self.headers.items()]
            names = {name.lower() for name, _ in headers}
            # API Gateway tells the function where the request came from, as these headers.
            forwarded = {
                "X-Forwarded-For": self.client_address[0],
                "X-Forwarded-Port": str(gateway.port),
                "X-Forwarded-Proto": "http",
            }
            headers += [(name, value) for name, value in forwarded.items() if name.lower() not in names]
            method = self.command
            self._send(*gateway.handle(method, self.path, headers, body, self.client_address[0], self.request_version))

        def _read_body(self) -> bytes:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return _read_chunked(self.rfile, MAX_BODY_BYTES)
            length = int(self.headers.get("Content-Length") or 0)
            if length < 0:
                raise ValueError("negative Content-Length")
            if length > MAX_BODY_BYTES:
                if length <= MAX_DRAIN_BYTES:
                    _drain(self.rfile, length)
                raise BodyTooLargeError
            return _read_exactly(self.rfile, length)

        def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        # -- logging: method, route, status and duration only -------------------------------------
        # http.server would log the request line as received (query string and all) and echo a
        # malformed one in its error page: both can carry a token.

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            super().send_error(code)

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            status = code.value if isinstance(code, HTTPStatus) else code
            elapsed = "-" if self._started is None else f"{round((time.monotonic() - self._started) * 1000)}ms"
            self.log_message('"%s" %s %s', self._summary(), status, elapsed)

        def log_error(self, format: str, *args: Any) -> None:
            pass  # its text quotes the request; the access line already has the status

        def _summary(self) -> str:
            # parse_request sets command only once the request line is well formed.
            if not self.command:
                return "bad request line"
            method = self.command if self.command in KNOWN_METHODS else "(unknown method)"
            return f"{method} {gateway.route_label(self.command, self.path)}"

        def __getattr__(self, name: str) -> Any:
            # http.server looks up do_<METHOD>: every method reaches the gateway, which answers
            # an unrouted one as API Gateway does (403 JSON), never http.server's 501 HTML page.
            if name.startswith("do_"):
                return self._handle
            raise AttributeError(name)

    return Handler
