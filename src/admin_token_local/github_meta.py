"""A loopback stand-in for GitHub's meta API: the secret scanning key document, served over HTTP.

The function fetches the document exactly as it fetches GitHub's (`GITHUB_KEYS_URL` points here),
so the deployed path (fetch, keep an hour, refetch for an unknown identifier) runs unchanged. The
document is a file the user gives (`--github-keys`), or one publishing a P-256 key generated at
start, whose private half is written where `github-alert` finds it.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Final

from admin_token_local.http_server import BackgroundServer

KEYS_PATH: Final = "/meta/public_keys/secret_scanning"


class GitHubMetaStandIn:
    """Serves one key document at /meta/public_keys/secret_scanning; counts the fetches."""

    def __init__(self, document: bytes | Callable[[], bytes]) -> None:
        # A callable is called at the first fetch: `invoke` publishes a key no one holds the
        # private half of, so it is made only when the function asks (a key costs 0.5 s to make).
        self._document = document
        self.fetches = 0
        self._lock = threading.Lock()
        self._serving = BackgroundServer(_handler_for(self), "github-meta")

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen in a daemon thread; the document's URL."""
        return self._serving.start(host, port) + KEYS_PATH

    def stop(self) -> None:
        self._serving.stop()

    @property
    def document(self) -> bytes:
        with self._lock:
            if callable(self._document):
                self._document = self._document()
            return self._document

    def fetched(self) -> bytes:
        with self._lock:
            self.fetches += 1
        return self.document


def _handler_for(standin: GitHubMetaStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != KEYS_PATH:
                self._send(404, b'{"message":"Not Found"}')
                return
            self._send(200, standin.fetched())

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # request lines (and an Authorization header's token) are never printed

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            super().send_error(code)  # never echo a malformed request line back

    return Handler


@dataclass(frozen=True)
class LocalGitHubKeys:
    """What the stand-in publishes, and, for a generated key, where its private half is."""

    document: bytes
    key_path: Path | None = None
    key_identifier: str | None = None


def keys_from_file(path: Path) -> LocalGitHubKeys:
    """A key document the user gives: it must be one the function can use, or `ValueError`."""
    from admin_token.github_keys import KeyDocumentError, parse_key_document

    raw = path.read_bytes()
    try:
        usable = parse_key_document(raw)
    except KeyDocumentError as error:
        raise ValueError(f"GitHub keys file {path} is not a key document: {error}") from None
    if not usable:
        raise ValueError(f"GitHub keys file {path} holds no P-256 public key")
    return LocalGitHubKeys(raw)


def generated_keys(directory: Path | None) -> LocalGitHubKeys:
    """A fresh P-256 key published as the current key; its private key written under `directory`
    (readable by this user only), or kept nowhere when `directory` is None."""
    from github_alert import LOCAL_KEY_FILE
    from github_alert.client import generate_key, key_document, key_identifier, private_pem

    key = generate_key()
    identifier = key_identifier(key)
    document = json.dumps(key_document(key, identifier)).encode("utf-8")
    if directory is None:
        return LocalGitHubKeys(document, None, identifier)
    path = directory / LOCAL_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(private_pem(key))
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_CREAT
    return LocalGitHubKeys(document, path, identifier)
