"""End to end: `admin-token-api serve` in its own process, driven over HTTP as a user would."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("admin-token-api")


@dataclass
class Server:
    url: str
    banner: list[str]
    process: subprocess.Popen[str]

    def request(self, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None,
                raw: bytes | None = None) -> tuple[int, dict[str, str], Any]:  # fmt: skip
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        if body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                payload = response.read()
                return response.status, dict(response.headers), json.loads(payload) if payload else None
        except urllib.error.HTTPError as error:
            payload = error.read()
            return error.code, dict(error.headers), json.loads(payload) if payload else None


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """`serve` on a free port with the demo data; ready once it prints its listening line."""
    process = subprocess.Popen(
        [str(SCRIPT), "serve", "--port", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "AWS_MAX_ATTEMPTS": "1"},
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    url = None
    while url is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        match = re.match(r"listening on (http://\S+)", line)
        if match:
            url = match.group(1)
    if url is None:
        process.kill()
        pytest.fail("serve did not print its listening line within 60 s")
    banner = [process.stdout.readline().rstrip("\n") for _ in range(5)]
    # serve writes a metrics line per request to stdout: keep reading it, or once the pipe's
    # 64 KiB fill up, serve blocks on the write and every later request hangs.
    threading.Thread(target=_drain, args=(process.stdout,), name="serve-stdout", daemon=True).start()
    yield Server(url, banner, process)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0


def _drain(stream: IO[str]) -> None:
    for _ in stream:
        pass
