"""End to end: `serve` publishing its GitHub key document, `github-alert` signing and sending as GitHub does.

Each serve runs in a directory of its own, where it writes the key `github-alert` signs with by
default; the revoke is waited for through the events log, as a subscriber would see it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from github_alert.client import generate_key, key_document, key_identifier, private_pem
from tests.support import demo
from tests.support.github import match
from tests.support.plaintexts import seed_plaintexts

pytestmark = pytest.mark.e2e

SCRIPT = Path(sys.executable).with_name("admin-token-api")
URL = "https://github.com/octo/leaky/blob/4f1e2d/.env#L3"
UNKNOWN_PAT = "glpat-neverIssuedTk0Zz9Yy8"


class Serve:
    def __init__(self, directory: Path, *arguments: str) -> None:
        self.directory = directory
        self.events_log = directory / "events.jsonl"
        self.stdout, self.stderr = directory / "serve.out", directory / "serve.err"
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                [str(SCRIPT), "serve", "--port", "0", "--events-log", str(self.events_log), *arguments],
                cwd=directory,
                stdout=out,
                stderr=err,
                env={**os.environ, "AWS_MAX_ATTEMPTS": "1"},
            )
        self.url = self._wait_for(r"^listening on (http://\S+)$")

    def _wait_for(self, pattern: str) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = re.search(pattern, self.stdout.read_text(), re.MULTILINE)
            if found:
                return found.group(1)
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"serve did not print {pattern}: {self.stdout.read_text()}{self.stderr.read_text()}")

    def ready(self) -> None:
        """serve prints its last line (the pre-shared token) once everything is up."""
        self._wait_for(r"^token revocation API pre-shared token: (\S+)$")

    def key_path(self) -> Path:
        return Path(self._wait_for(r"^GitHub secret scanning signing key: (.+)$"))

    def events(self) -> list[dict[str, Any]]:
        if not self.events_log.exists():
            return []
        return [json.loads(line) for line in self.events_log.read_text().splitlines() if line.strip()]

    def output(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    started: list[Serve] = []

    def start(*arguments: str) -> Serve:
        directory = tmp_path / f"serve{len(started)}"
        directory.mkdir()
        served = Serve(directory, *arguments)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


def github_alert(directory: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "github-alert", *arguments],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def matches_file(directory: Path, matches: list[dict[str, Any]]) -> Path:
    path = directory / "matches.json"
    path.write_text(json.dumps(matches, indent=2), encoding="utf-8")
    return path


def test_serve_publishes_a_key_github_alert_signs_with_and_the_token_is_revoked_as_github(serve: Any) -> None:
    served = serve()
    served.ready()
    key = served.key_path()
    assert key.is_file()
    assert key.parent == served.directory / ".admin-token-api"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    sent = matches_file(served.directory, [match(demo.ALICE_IMPERSONATION, URL), match(UNKNOWN_PAT)])

    result = github_alert(served.directory, str(sent), "--url", served.url)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"token_hash": token_hash(demo.ALICE_IMPERSONATION), "token_type": match("")["type"], "label": "true_positive"},
        {"token_hash": token_hash(UNKNOWN_PAT), "token_type": match("")["type"], "label": "false_positive"},
    ]
    deadline = time.monotonic() + 60
    while not served.events() and time.monotonic() < deadline:
        time.sleep(0.2)
    [event] = served.events()
    assert event["detail-type"] == "Token revoked"
    assert event["detail"]["author"] == {"id": -2, "name": "GitHub Secret Scanning", "class": "GitHubSecretScanning"}
    assert event["detail"]["location"] == URL
    served.stop()
    printed = served.output() + result.stdout + result.stderr
    banner_tokens = {demo.ADMIN, demo.SHARED_RUNNER}  # the demo banner prints these on purpose
    leaked = [token for token in [*seed_plaintexts(), UNKNOWN_PAT] if token in printed and token not in banner_tokens]
    assert leaked == []


def test_serve_with_a_key_document_file_and_github_alert_with_its_key(serve: Any, tmp_path: Path) -> None:
    key = generate_key()
    identifier = "a" * 64
    (tmp_path / "keys.json").write_text(json.dumps(key_document(key, identifier)))
    (tmp_path / "key.pem").write_bytes(private_pem(key))
    served = serve("--github-keys", str(tmp_path / "keys.json"))
    served.ready()
    assert "GitHub secret scanning signing key" not in served.stdout.read_text()  # none generated
    sent = matches_file(tmp_path, [match(demo.PROJECT_DEPLOY, URL)])

    signed = github_alert(tmp_path, str(sent), "--url", served.url, "--key", "key.pem", "--key-id", identifier)
    assert signed.returncode == 0, signed.stderr
    assert [entry["label"] for entry in json.loads(signed.stdout)] == ["true_positive"]

    # The key's own identifier is not the one the document lists it under: GitHub would not send that.
    unnamed = github_alert(tmp_path, str(sent), "--url", served.url, "--key", "key.pem")
    assert unnamed.returncode == 1
    assert 'answered 401: {"message": "401 Unauthorized"}' in unnamed.stderr
    assert key_identifier(key) != identifier


def test_github_alert_usage_and_input_errors(tmp_path: Path) -> None:
    (tmp_path / "key.pem").write_bytes(private_pem(generate_key()))
    (tmp_path / "object.json").write_text(json.dumps({"token": demo.ALICE_PAT}))
    good = matches_file(tmp_path, [match(demo.ALICE_PAT)])
    for arguments, status, says in (
        ([str(good)], 2, "cannot read key"),  # no serve has written a key in this directory
        ([str(tmp_path / "object.json"), "--key", "key.pem"], 2, "must hold a JSON array"),
        ([str(tmp_path / "missing.json"), "--key", "key.pem"], 2, "cannot read matches"),
        ([str(good), "--key", "key.pem", "--url", "http://127.0.0.1:9"], 1, "cannot reach"),
        ([], 2, "the following arguments are required"),
    ):
        result = github_alert(tmp_path, *arguments)
        assert result.returncode == status, (arguments, result.stderr)
        assert says in result.stderr
        assert demo.ALICE_PAT not in result.stdout + result.stderr


def token_hash(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()


def test_the_readmes_github_flow_prints_what_the_readme_shows(serve: Any) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("## Leaks found on GitHub", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    matches = block.split("<<'JSON'\n", 1)[1].split("\nJSON\n", 1)[0]
    shown = block.split("github-alert matches.json\n", 1)[1]
    expected = "\n".join(line.removeprefix("# ") for line in shown.splitlines() if line.startswith("# "))
    served = serve()
    served.ready()
    (served.directory / "matches.json").write_text(matches)

    result = github_alert(served.directory, "matches.json", "--url", served.url)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected.strip()


def test_serve_refuses_a_github_keys_file_that_is_not_a_key_document(tmp_path: Path) -> None:
    (tmp_path / "keys.json").write_text(json.dumps({"public_keys": [{"key_identifier": "x", "key": "not pem"}]}))
    result = subprocess.run(
        [str(SCRIPT), "serve", "--port", "0", "--github-keys", str(tmp_path / "keys.json")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"admin-token-api: error: GitHub keys file {tmp_path / 'keys.json'} holds no P-256 public key"
    ]
