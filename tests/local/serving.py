"""`admin-token-api serve` as a user runs it: its own process, the real template and handlers.

Its standard output and error go to files, so a test can read everything it wrote once it
stopped (and a chatty server never blocks on a full pipe).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMAND = Path(sys.executable).with_name("admin-token-api")
TOKEN_PATH = "/api/v4/admin/token"


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    url: str
    stdout: Path
    stderr: Path

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        return host, int(port)

    def output(self) -> str:
        """Everything written so far on standard output and standard error."""
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")

    def request(
        self, method: str, path: str = TOKEN_PATH, *, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        connection = http.client.HTTPConnection(*self.address, timeout=60)
        try:
            data = json.dumps(body).encode() if body is not None else None
            all_headers = {"Content-Type": "application/json", **(headers or {})}
            connection.request(method, path, body=data, headers=all_headers)
            response = connection.getresponse()
            payload = response.read()
            return response.status, json.loads(payload) if payload else None
        finally:
            connection.close()

    def request_raw(
        self, method: str, path: str = TOKEN_PATH, *, body: str, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """The status and the body exactly as sent back (as `curl -s` prints it)."""
        connection = http.client.HTTPConnection(*self.address, timeout=60)
        try:
            all_headers = {"Content-Type": "application/json", **(headers or {})}
            connection.request(method, path, body=body.encode(), headers=all_headers)
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


def start(directory: Path, *args: str, env: dict[str, str] | None = None) -> Served:
    """Start `serve --port 0 ARGS` and wait for its listening line (or fail with what it said)."""
    directory.mkdir(parents=True, exist_ok=True)
    stdout, stderr = directory / "stdout", directory / "stderr"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [str(COMMAND), "serve", "--port", "0", *args],
            cwd=REPO_ROOT,
            stdout=out,
            stderr=err,
            env={**os.environ, "AWS_MAX_ATTEMPTS": "1", **(env or {})},
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        match = re.search(r"^listening on (http://\S+)$", stdout.read_text(), re.MULTILINE)
        if match:
            return Served(process, match.group(1), stdout, stderr)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()
    process.wait()
    raise AssertionError(f"serve did not start: {stdout.read_text()}{stderr.read_text()}")


@contextlib.contextmanager
def serving(directory: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    served = start(directory, *args, env=env)
    try:
        yield served
    finally:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait()
