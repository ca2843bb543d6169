"""Hostile requests from 4 threads (3,000 in `make test`, 10,000 in `make soak`), then 16-way races
on every revocable type, over HTTP against `serve`: no 5xx, no dropped connection, one effect per race, and nothing
in serve's output but its banner that holds a token or a digest.

serve runs against a DynamoDB this test starts, so the test can read the audit trail the races
leave (serve's own embedded one is out of reach).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from admin_token_local.template import table_names
from tests.conftest import TEMPLATE
from tests.e2e.conftest import ServeProcess, plaintexts_in, start_serve
from tests.support import demo, races
from tests.support.dynamodb_process import dynamodb_in_its_own_process
from tests.support.hostile_requests import scaled
from tests.support.plaintexts import DEMO_SEED, seed_plaintexts

pytestmark = pytest.mark.e2e

PATH = "/api/v4/admin/token"
# Seeded, so any count replays the same stream's prefix; 3,000 reaches every shape many times over
# within make test's budget, and `make soak` (HOSTILE_SCALE=4) sends 12,000. BARRAGE_REQUESTS
# sets the count outright.
REQUESTS = int(os.environ.get("BARRAGE_REQUESTS") or scaled(3000))
THREADS = 4
RACERS = 16
REVOCABLE = demo.revocable(RACERS)
SEED_TOKENS = seed_plaintexts()


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[str]:
    with dynamodb_in_its_own_process() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def serving(dynamodb: str) -> Iterator[ServeProcess]:
    # With --seed, serve prints no banner: only the listening line.
    process = start_serve(
        "--dynamodb-endpoint", dynamodb, "--seed", str(DEMO_SEED), banner_lines=0, environment=races.SERVE_ENVIRONMENT
    )
    yield process
    process.stop()


def audit_records(endpoint: str) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", endpoint_url=endpoint).Table(table_names(TEMPLATE)["AuditTable"])
    return table.scan(ConsistentRead=True)["Items"]


# -- the barrage ------------------------------------------------------------------------------------


class HostileRequests:
    """Deterministic hostile requests: what an attacker, a fuzzer or a confused client sends."""

    CREDENTIALS = [demo.ADMIN, demo.NON_ADMIN, demo.ADMIN_REVOKED, demo.ADMIN_READ_API, "glpat-bogus", "", "\x00"]
    GARBAGE_TOKENS: list[Any] = [
        None, 0, -1, 10**40, 1.5, True, [], ["glpat-x"], {}, {"token": "x"}, "", " ", "glpat-", "glrt-", "gloas",
        "glrtr-zz", "_gitlab_session=", "x" * 5000, "\ud800", "glpat-\u00e9\u4e2d", "../../etc/passwd",
        "glpat-' OR 1=1 --", "glft-" + "A" * 300, "GLPAT-upper", " glpat-lead", "glptt-\n", "glcbt-\t",
    ]  # fmt: skip
    METHODS = ["POST", "DELETE", "GET", "PUT", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO"]
    PATHS = [PATH, PATH + "/", PATH + "/x", "/api/v4/admin/tokens", "/", "/api/v4/admin/token%00", PATH + "//"]
    CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain", "", "application/json;;"]

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def next(self) -> tuple[str, str, dict[str, str], bytes, list[str]]:
        """(method, path, headers, body, the token strings it carries)."""
        pick = self.random.choice
        method = pick(["POST", "DELETE"]) if self.random.random() < 0.8 else pick(self.METHODS)
        path = PATH if self.random.random() < 0.85 else pick(self.PATHS)
        carried: list[str] = []
        headers: dict[str, str] = {}
        credential = pick(self.CREDENTIALS)
        header = pick(["PRIVATE-TOKEN", "private-token", "Authorization"])
        headers[header] = f"Bearer {credential}" if header == "Authorization" else credential
        carried.append(credential)
        token = self._token(method)
        if isinstance(token, str):
            carried.append(token)
        shape = self.random.random()
        if shape < 0.6:
            body = json.dumps({"token": token}).encode()
        elif shape < 0.7:
            body = f"token={token}".encode("utf-8", "surrogatepass")
        elif shape < 0.8:
            body = pick([b"{", b"[]", b"null", b'"token"', b"\xff\xfe", b'{"token": ' + b"9" * 5000 + b"}"])
        elif shape < 0.9:
            value = token.encode("utf-8", "surrogatepass") if isinstance(token, str) else b""
            path += pick(["?token=", "?private_token=", "?access_token="]) + quote(value, safe="")
            body = b"{}"
        else:
            body = json.dumps({"token": token, "token ": "x", "extra": [1] * 50}).encode()
        headers["Content-Type"] = pick(self.CONTENT_TYPES)
        if self.random.random() < 0.05:
            headers["Content-Encoding"] = "gzip"
        return method, path, headers, body, carried

    def _token(self, method: str) -> Any:
        if self.random.random() < 0.5:
            return self.random.choice(self.GARBAGE_TOKENS)
        token = self.random.choice(SEED_TOKENS)
        # Lookups may name real tokens; a revoke names an altered one, or the races would find
        # their targets already revoked. An altered token is still a probe that must find nothing.
        return token + self.random.choice(["0", "\u200b", "%00"]) if method == "DELETE" else token


def _send(connection: http.client.HTTPConnection, request: tuple[str, str, dict[str, str], bytes, list[str]]) -> int:
    method, path, headers, body, _ = request
    connection.putrequest(method, path, skip_accept_encoding=True)
    for name, value in headers.items():
        connection.putheader(name, value.encode("utf-8", "surrogatepass"))
    connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    payload = response.read()
    if response.status != 204 and method != "HEAD":
        json.loads(payload)  # every answer, ours or the gateway's, is JSON
    if response.will_close:
        connection.close()
    return response.status


def test_thousands_of_hostile_requests_then_sixteen_way_races(serving: ServeProcess, dynamodb: str) -> None:
    host, port = serving.server.url.removeprefix("http://").rsplit(":", 1)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    sent: set[str] = set()
    lock = threading.Lock()

    def barrage(seed: int) -> None:
        requests = HostileRequests(seed)
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        for _ in range(REQUESTS // THREADS):
            request = requests.next()
            try:
                status = _send(connection, request)
            except (OSError, http.client.HTTPException, ValueError) as error:
                with lock:
                    failures.append(f"{request[0]} {type(error).__name__}")
                connection.close()
                continue
            with lock:
                statuses[status] += 1
                sent.update(request[4])

    seeded_audit = len(audit_records(dynamodb))  # the demo seed ships a few audit events

    # Given 10,000 hostile requests from 4 threads at once
    started = time.monotonic()
    threads = [threading.Thread(target=barrage, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    print(f"barrage: {sum(statuses.values())} answers in {elapsed:.1f} s: {sorted(statuses.items())}")

    # Then every one was answered, none with a 5xx, and nothing was revoked
    assert failures == []
    assert sum(statuses.values()) == REQUESTS
    assert [status for status in statuses if status >= 500] == []
    assert len(audit_records(dynamodb)) == seeded_audit

    # When each revocable type is then revoked by 16 clients at once
    for kind, (token, expected) in REVOCABLE.items():
        results = _race(host, int(port), token)
        # Then no 5xx, no dropped connection, and exactly one revoke took effect
        assert Counter(results) == Counter(expected), kind
        assert len(audit_records(dynamodb)) == seeded_audit + list(REVOCABLE).index(kind) + 1, kind

    # And serve printed no token and no digest of any it was sent or holds
    secrets = sorted(sent | set(SEED_TOKENS))
    assert plaintexts_in(serving.output_after_banner(), [s for s in secrets if len(s) >= 8]) == []


def _race(host: str, port: int, token: str) -> list[int | str]:
    body = json.dumps({"token": token}).encode()
    headers = {"PRIVATE-TOKEN": demo.ADMIN, "Content-Type": "application/json"}

    def racer(go: Callable[[], object]) -> int | str:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        connection.connect()
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        go()
        try:
            return _send(connection, ("DELETE", PATH, headers, body, []))
        except (OSError, http.client.HTTPException) as error:
            return type(error).__name__
        finally:
            connection.close()

    return races.in_threads(RACERS, racer)
