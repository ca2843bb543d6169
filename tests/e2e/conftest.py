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

from admin_token.digests import token_digest
from tests.support.plaintexts import DEMO_SEED, seed_plaintexts

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("admin-token-api")


@dataclass
class Server:
    url: str
    banner: list[str]
    process: subprocess.Popen[str]
    revocation_token: str = ""  # the Token Revocation API's pre-shared token, printed after the banner

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


@dataclass
class ServeProcess:
    """`admin-token-api serve` in its own process; every line it writes, stdout and stderr, is kept."""

    server: Server
    stdout: list[str]
    stderr: list[str]

    def stop(self) -> None:
        self.server.process.send_signal(signal.SIGTERM)
        assert self.server.process.wait(timeout=15) == 0

    def output_after_banner(self) -> list[str]:
        """Everything it wrote except the banner, which prints the built-in demo tokens on purpose."""
        return self.stdout[len(self.server.banner) + 1 :] + self.stderr


def start_serve(*arguments: str, banner_lines: int = 5, environment: dict[str, str] | None = None) -> ServeProcess:
    """`serve` on a free port; ready once it prints its listening line."""
    process = subprocess.Popen(
        [str(SCRIPT), "serve", "--port", "0", *arguments],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "AWS_MAX_ATTEMPTS": "1", **(environment or {})},
    )
    assert process.stdout is not None
    assert process.stderr is not None
    stdout: list[str] = []
    stderr: list[str] = []
    # serve writes a metrics line per request: keep reading both streams, or once a pipe's
    # 64 KiB fill up, serve blocks on the write and every later request hangs.
    threading.Thread(target=_keep, args=(process.stderr, stderr), name="serve-stderr", daemon=True).start()
    deadline = time.monotonic() + 60
    url = None
    while url is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        stdout.append(line.rstrip("\n"))
        match = re.match(r"listening on (http://\S+)", line)
        if match:
            url = match.group(1)
    if url is None:
        process.kill()
        pytest.fail(f"serve did not print its listening line within 60 s: {stderr[-5:]}")
    banner = [process.stdout.readline().rstrip("\n") for _ in range(banner_lines)]
    # Last, always: the pre-shared token, fresh at every start (part of the banner: printed on purpose).
    banner.append(process.stdout.readline().rstrip("\n"))
    revocation = re.fullmatch(r"token revocation API pre-shared token: (\S+)", banner[-1])
    if revocation is None:
        process.kill()
        pytest.fail(f"serve did not print its pre-shared token line after the banner: {banner[-1]!r}")
    stdout.extend(banner)
    threading.Thread(target=_keep, args=(process.stdout, stdout), name="serve-stdout", daemon=True).start()
    return ServeProcess(Server(url, banner, process, revocation.group(1)), stdout, stderr)


def _keep(stream: IO[str], lines: list[str]) -> None:
    for line in stream:
        lines.append(line.rstrip("\n"))


def plaintexts_in(lines: list[str], secrets: list[str]) -> list[str]:
    """Each secret (a token, or its digest) that appears in the lines: what must never be printed."""
    text = "\n".join(lines)
    return [secret for secret in secrets if secret in text or token_digest(secret) in text]


@pytest.fixture(scope="session")
def serve_process() -> Iterator[ServeProcess]:
    """`serve` with the demo data, shared by the e2e modules that do not change what they read."""
    serving = start_serve()
    yield serving
    serving.stop()
    # Whatever the e2e tests sent it, serve printed no token and no digest beyond its banner.
    assert plaintexts_in(serving.output_after_banner(), seed_plaintexts()) == []


@pytest.fixture(scope="module")
def seeded_serving() -> Iterator[ServeProcess]:
    """A `serve` of the module's own, with the demo data given as a user's seed file (so no banner)."""
    serving = start_serve("--seed", str(DEMO_SEED), banner_lines=0)
    yield serving
    serving.stop()
    assert plaintexts_in(serving.output_after_banner(), seed_plaintexts()) == []


@pytest.fixture(scope="session")
def server(serve_process: ServeProcess) -> Server:
    return serve_process.server
