"""GitHub's key document kept an hour; an unknown identifier refetches at most once a minute; the fetch itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from admin_token.errors import KeysUnavailable
from admin_token.github_keys import GitHubKeys, fetch_key_document
from tests.support.github import SigningKey, key_document


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Published:
    """What GitHub publishes, and every fetch of it; `down` makes fetches fail."""

    def __init__(self, *keys: SigningKey) -> None:
        self.document = key_document(*(key.entry() for key in keys))
        self.fetches = 0
        self.down = False

    def __call__(self) -> bytes:
        self.fetches += 1
        if self.down:
            raise OSError("unreachable")
        return self.document

    def publish(self, *keys: SigningKey) -> None:
        self.document = key_document(*(key.entry() for key in keys))


def test_the_document_is_fetched_once_and_kept_for_an_hour() -> None:
    first, clock = SigningKey.generate(), Clock()
    published = Published(first)
    keys = GitHubKeys(published, clock)
    assert keys.key(first.identifier) is not None
    clock.now += 3599
    assert keys.key(first.identifier) is not None
    assert published.fetches == 1
    clock.now += 1
    assert keys.key(first.identifier) is not None
    assert published.fetches == 2


def test_an_unknown_identifier_refetches_at_most_once_a_minute() -> None:
    first, rotated_in, clock = SigningKey.generate(), SigningKey.generate(), Clock()
    published = Published(first)
    keys = GitHubKeys(published, clock)
    assert keys.key(first.identifier) is not None
    clock.now += 61
    for _ in range(50):
        assert keys.key("made-up-" + "0" * 56) is None
    assert published.fetches == 2  # the first fetch, and one refetch for the whole flood
    published.publish(first, rotated_in)
    clock.now += 30
    assert keys.key(rotated_in.identifier) is None  # still inside the minute: no fetch
    assert published.fetches == 2
    clock.now += 30
    assert keys.key(rotated_in.identifier) is not None  # a key GitHub added is found on the next allowed refetch
    assert published.fetches == 3


def test_unreachable_with_nothing_held_is_unavailable_and_retried_only_after_a_minute() -> None:
    first, clock = SigningKey.generate(), Clock()
    published = Published(first)
    published.down = True
    keys = GitHubKeys(published, clock)
    for _ in range(3):
        with pytest.raises(KeysUnavailable):
            keys.key(first.identifier)
    assert published.fetches == 1
    published.down = False
    clock.now += 60
    assert keys.key(first.identifier) is not None


def test_a_document_held_keeps_serving_past_its_hour_while_github_is_unreachable() -> None:
    first, clock = SigningKey.generate(), Clock()
    published = Published(first)
    keys = GitHubKeys(published, clock)
    keys.key(first.identifier)
    published.down = True
    clock.now += 2 * 3600
    assert keys.key(first.identifier) is not None
    assert published.fetches == 2


def test_a_fetch_that_is_not_a_key_document_keeps_what_is_held() -> None:
    first, clock = SigningKey.generate(), Clock()
    published = Published(first)
    keys = GitHubKeys(published, clock)
    keys.key(first.identifier)
    published.document = b"<html>rate limited</html>"
    clock.now += 3600
    assert keys.key(first.identifier) is not None


# -- the HTTP fetch ------------------------------------------------------------------------------


class _Meta(BaseHTTPRequestHandler):
    seen: list[dict[str, str]]
    answer: tuple[int, bytes]

    def do_GET(self) -> None:
        type(self).seen.append(dict(self.headers.items()))
        status, body = type(self).answer
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def meta() -> Iterator[tuple[str, type[_Meta]]]:
    handler = type("Meta", (_Meta,), {"seen": [], "answer": (200, b"{}")})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/meta/public_keys/secret_scanning", handler
    server.shutdown()
    server.server_close()


def test_the_fetch_sends_the_github_token_only_when_there_is_one(meta: tuple[str, type[_Meta]]) -> None:
    url, handler = meta
    handler.answer = (200, b'{"public_keys": []}')
    assert fetch_key_document(url, "ghp_rateLimitOnly") == b'{"public_keys": []}'
    assert fetch_key_document(url, None) == b'{"public_keys": []}'
    first, second = ({name.lower(): value for name, value in seen.items()} for seen in handler.seen)
    assert first["authorization"] == "Bearer ghp_rateLimitOnly"
    assert "authorization" not in second
    assert first["accept"] == "application/vnd.github+json"
    assert first["user-agent"]


@pytest.mark.parametrize("status", [403, 404, 500])
def test_an_http_error_is_a_failed_fetch(meta: tuple[str, type[_Meta]], status: int) -> None:
    url, handler = meta
    handler.answer = (status, b'{"message": "API rate limit exceeded"}')
    with pytest.raises(OSError, match="HTTPError"):
        fetch_key_document(url, None)


def test_a_url_that_is_not_http_is_never_opened() -> None:
    with pytest.raises(OSError, match="http"):
        fetch_key_document("file:///etc/passwd", None)
