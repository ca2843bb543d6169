"""Every local server takes 64 clients at once: each connection is queued and answered, none reset."""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from admin_token_local.appconfig_standin import AppConfigStandIn
from admin_token_local.moto_server import EmbeddedMotoServer
from tests.local.serving import TOKEN_PATH, Served, serving
from tests.support.demo import ADMIN, SHARED_RUNNER

CLIENTS = 64


def _all_at_once(call: Callable[[], int]) -> list[int | str]:
    """Run call in CLIENTS threads released together; each result is a status or the error's type."""
    barrier = threading.Barrier(CLIENTS)
    results: list[int | str] = []
    lock = threading.Lock()

    def client() -> None:
        barrier.wait()
        try:
            outcome: int | str = call()
        except Exception as error:
            outcome = type(error).__name__
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _post(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection(host, port, timeout=60)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.fixture(scope="module")
def demo_serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("serve")) as served:
        yield served


def test_serve_answers_64_concurrent_lookups(demo_serve: Served) -> None:
    host, port = demo_serve.address
    body = json.dumps({"token": SHARED_RUNNER}).encode()
    headers = {"PRIVATE-TOKEN": ADMIN, "Content-Type": "application/json"}
    results = _all_at_once(lambda: _post(host, port, TOKEN_PATH, body, headers))
    assert sorted(results, key=str) == [200] * CLIENTS


def test_the_appconfig_standin_answers_64_concurrent_sessions() -> None:
    standin = AppConfigStandIn({"admin_mode": {"default": False}}, "App", "Env", "Profile")
    url = standin.start()
    try:
        host, port = url.removeprefix("http://").rsplit(":", 1)
        request: dict[str, Any] = {
            "ApplicationIdentifier": "App",
            "EnvironmentIdentifier": "Env",
            "ConfigurationProfileIdentifier": "Profile",
        }
        body = json.dumps(request).encode()
        headers = {"Content-Type": "application/json"}
        results = _all_at_once(lambda: _post(host, int(port), "/configurationsessions", body, headers))
    finally:
        standin.stop()
    assert sorted(results, key=str) == [201] * CLIENTS


def test_the_embedded_dynamodb_answers_64_concurrent_requests() -> None:
    server = EmbeddedMotoServer()
    host, port = server.start().removeprefix("http://").rsplit(":", 1)
    headers = {
        "X-Amz-Target": "DynamoDB_20120810.ListTables",
        "Content-Type": "application/x-amz-json-1.0",
        "Authorization": "AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }
    try:
        results = _all_at_once(lambda: _post(host, int(port), "/", b"{}", headers))
    finally:
        server.stop()
    assert sorted(results, key=str) == [200] * CLIENTS


def _median_keep_alive_ms(host: str, port: int, path: str) -> float:
    """Median time of 20 GETs, one after the other on one kept-alive connection."""
    connection = http.client.HTTPConnection(host, port, timeout=30)
    times = []
    try:
        for _ in range(20):
            started = time.monotonic()
            connection.request("GET", path)
            connection.getresponse().read()
            times.append((time.monotonic() - started) * 1000)
    finally:
        connection.close()
    return statistics.median(times)


# A response is written as headers, then body: without TCP_NODELAY, Nagle's algorithm holds the
# body until the client's delayed ACK (40 ms on Linux) on every request of a kept-alive connection.
NAGLE_FREE_MS = 20


def test_serve_answers_kept_alive_connections_without_nagle_delays(demo_serve: Served) -> None:
    assert _median_keep_alive_ms(*demo_serve.address, "/unrouted") < NAGLE_FREE_MS


def test_the_appconfig_standin_answers_kept_alive_connections_without_nagle_delays() -> None:
    standin = AppConfigStandIn({}, "App", "Env", "Profile")
    url = standin.start()
    try:
        host, port = url.removeprefix("http://").rsplit(":", 1)
        assert _median_keep_alive_ms(host, int(port), "/configuration?configuration_token=none") < NAGLE_FREE_MS
    finally:
        standin.stop()
