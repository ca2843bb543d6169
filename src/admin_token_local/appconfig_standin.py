"""A loopback stand-in for the AWS AppConfig *data* API (appconfigdata, rest-json).

It answers StartConfigurationSession and GetLatestConfiguration with the wire shapes of
botocore's service model, so the deployed path (Powertools AppConfigStore -> AppConfigProvider ->
boto3 appconfigdata) runs unchanged once AWS_ENDPOINT_URL_APPCONFIGDATA points here.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from admin_token_local.http_server import BackgroundServer

# AppConfig's default when the session sets no RequiredMinimumPollIntervalInSeconds.
DEFAULT_POLL_INTERVAL_SECONDS = 60
_MAX_REQUEST_BYTES = 64 * 1024


@dataclass
class _Session:
    poll_interval: int
    # Version last delivered on this session: AppConfig sends an empty body when unchanged.
    delivered_version: int = 0


class AppConfigStandIn:
    """Serves one configuration profile of one application/environment, thread-safely."""

    def __init__(self, document: dict[str, Any], application: str, environment: str, profile: str) -> None:
        self._identifiers = (application, environment, profile)
        self._lock = threading.Lock()
        self._document = b""
        self._version = 0
        self._available = True
        self._tokens: dict[str, _Session] = {}
        self._serving = BackgroundServer(_handler_for(self), "appconfig-standin")
        self.set_document(document)

    def set_document(self, document: dict[str, Any]) -> None:
        """Deploy a new configuration version: new sessions and next polls receive it."""
        body = json.dumps(document).encode("utf-8")
        with self._lock:
            self._document = body
            self._version += 1

    def set_available(self, flag: bool) -> None:
        """False makes every call fail with InternalServerException, like an AppConfig outage."""
        with self._lock:
            self._available = flag

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 = any free port) in a daemon thread; return the base URL."""
        return self._serving.start(host, port)

    def stop(self) -> None:
        self._serving.stop()

    # -- the two operations; each returns (status, headers, body) ------------------------------

    def start_session(self, request: Any) -> tuple[int, dict[str, str], bytes]:
        if not isinstance(request, dict):
            return _error(400, "BadRequestException", "Request body must be a JSON object")
        names = ("ApplicationIdentifier", "EnvironmentIdentifier", "ConfigurationProfileIdentifier")
        given = tuple(request.get(name) for name in names)
        for name, value in zip(names, given, strict=True):
            if not isinstance(value, str) or not value:
                return _error(400, "BadRequestException", f"{name} is required")
        for name, value, known in zip(names, given, self._identifiers, strict=True):
            if value != known:
                resource = name.removesuffix("Identifier")
                return _error(404, "ResourceNotFoundException", f"{resource} {value} not found")
        interval = request.get("RequiredMinimumPollIntervalInSeconds", DEFAULT_POLL_INTERVAL_SECONDS)
        if not isinstance(interval, int) or not 15 <= interval <= 86400:
            return _error(400, "BadRequestException", "RequiredMinimumPollIntervalInSeconds must be 15-86400")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = _Session(poll_interval=interval)
        return 201, {"Content-Type": "application/json"}, json.dumps({"InitialConfigurationToken": token}).encode()

    def get_latest(self, token: str | None) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            # Tokens are single-use, as in AppConfig: each poll hands out the next one.
            session = self._tokens.pop(token, None) if token else None
            if session is None:
                return _error(400, "BadRequestException", "Invalid or expired configuration token")
            next_token = secrets.token_urlsafe(32)
            self._tokens[next_token] = session
            headers = {
                "Next-Poll-Configuration-Token": next_token,
                "Next-Poll-Interval-In-Seconds": str(session.poll_interval),
                "Content-Type": "application/json",
            }
            if session.delivered_version == self._version:
                return 200, headers, b""
            session.delivered_version = self._version
            headers["Version-Label"] = str(self._version)
            return 200, headers, self._document

    def unavailable_response(self) -> tuple[int, dict[str, str], bytes] | None:
        with self._lock:
            return None if self._available else _unavailable()


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    # botocore's rest-json parser takes the code from x-amzn-ErrorType and the text from Message.
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code}
    return status, headers, json.dumps({"Message": message}).encode()


def _unavailable() -> tuple[int, dict[str, str], bytes]:
    return _error(503, "InternalServerException", "AppConfig is unavailable (simulated outage)")


def _handler_for(standin: AppConfigStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > _MAX_REQUEST_BYTES:
                self.close_connection = True
                self._send(*_error(400, "BadRequestException", "Request too large"))
                return
            raw = self.rfile.read(length)
            outage = standin.unavailable_response()
            if outage is not None:
                self._send(*outage)
                return
            if urlsplit(self.path).path != "/configurationsessions":
                self._send(*_not_found())
                return
            try:
                request = json.loads(raw or b"{}")
            except ValueError:
                self._send(*_error(400, "BadRequestException", "Request body is not valid JSON"))
                return
            self._send(*standin.start_session(request))

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            outage = standin.unavailable_response()
            if outage is not None:
                self._send(*outage)
                return
            if url.path != "/configuration":
                self._send(*_not_found())
                return
            tokens = parse_qs(url.query).get("configuration_token")
            self._send(*standin.get_latest(tokens[-1] if tokens else None))

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            # The functions' own logs are what matters locally; per-request lines are noise (and
            # http.server's would show request lines, configuration tokens included).
            pass

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            super().send_error(code)  # never echo a malformed request line back

    return Handler


def _not_found() -> tuple[int, dict[str, str], bytes]:
    return _error(404, "UnknownOperationException", "Unknown operation")
