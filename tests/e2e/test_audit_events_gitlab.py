"""python-gitlab, unchanged, reads the audit events of revokes made over HTTP from `serve`.

python-gitlab's `gl.audit_events.list(get_all=True)` asks `GET /api/v4/audit_events` (with
`per_page` when given) and follows each `Link: <...>; rel="next"` until there is none; it warns
when that URL's base differs from the one it was given. `gl.audit_events.get(id)` asks
`GET /api/v4/audit_events/:id`. It makes no other request (no `/user`): serve's access log says so.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Iterator

import gitlab
import pytest

from tests.e2e.conftest import ServeProcess, start_serve
from tests.support import demo

pytestmark = pytest.mark.e2e

REVOKED = [
    (demo.SHARED_RUNNER, "Ci::Runner", 1),
    (demo.AGENT, "Clusters::AgentToken", 1),
    (demo.ALICE_FEED, "User", 2),
    (demo.PROJECT_DEPLOY, "DeployToken", 1),
    (demo.TRIGGER, "Ci::Trigger", 1),
    (demo.OAUTH_SECRET, "Doorkeeper::Application", 1),
    (demo.FLAGS_CLIENT, "Operations::FeatureFlagsClient", 1),
    (demo.INSTANCE_SCIM, "ScimOauthAccessToken", 1),
    (demo.GROUP_SCIM, "GroupScimAuthAccessToken", 1),
]


@pytest.fixture(scope="module")
def serving() -> Iterator[ServeProcess]:
    """Its own serve: the shared one's audit trail depends on what other modules revoked."""
    process = start_serve()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def revoked(serving: ServeProcess) -> list[int]:
    """Nine revokes over HTTP, as the demo administrator; their audit event ids, in order.

    A test that revokes more appends its ids, so every test knows the whole trail.
    """
    ids = []
    for token, _, _ in REVOKED:
        status, headers, _ = serving.server.request(
            "DELETE", "/api/v4/admin/token", body={"token": token}, headers={"PRIVATE-TOKEN": demo.ADMIN}
        )
        assert status == 204
        ids.append(int(headers["X-Audit-Event-Id"]))
    return ids


def client(serving: ServeProcess) -> gitlab.Gitlab:
    # A read_api token is enough to read, as on GitLab.
    return gitlab.Gitlab(serving.server.url, private_token=demo.ADMIN_READ_API)


def quiet_log_position(serving: ServeProcess) -> int:
    """Where serve's access log stands once the lines of earlier requests have all arrived."""
    seen, deadline = -1, time.monotonic() + 5
    while len(serving.stderr) != seen and time.monotonic() < deadline:
        seen = len(serving.stderr)
        time.sleep(0.2)
    return seen


def audit_requests(serving: ServeProcess, start: int) -> list[str]:
    """What serve's access log recorded from line `start` on: method, route and status."""
    lines = serving.stderr[start:]
    return [match.group(1) for line in lines if (match := re.search(r'"([A-Z]+ \S+)" (\d+)', line))]


@pytest.mark.parametrize("per_page", [None, 1, 2, 100])
def test_python_gitlab_lists_every_event_once_newest_first(
    serving: ServeProcess, revoked: list[int], per_page: int | None
) -> None:
    start = quiet_log_position(serving)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "The base URL in the server response differs..."
        kwargs = {"per_page": per_page} if per_page else {}
        events = client(serving).audit_events.list(get_all=True, **kwargs)

    assert [event.id for event in events] == sorted(revoked, reverse=True)
    by_id = {event.id: event for event in events}
    for audit_id, (_, entity_type, entity_id) in zip(revoked, REVOKED, strict=False):
        event = by_id[audit_id]
        assert (event.entity_type, event.entity_id, event.author_id) == (entity_type, entity_id, 1)
        assert event.details["event_name"] == "token_revoked"
        assert event.details["ip_address"] == "127.0.0.1"
    pages = -(-len(revoked) // (per_page or 20))
    # serve logs a request once it has answered it: give the last line a moment to arrive.
    deadline = time.monotonic() + 5
    while len(audit_requests(serving, start)) < pages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert audit_requests(serving, start) == ["GET /api/v4/audit_events"] * pages


def test_python_gitlab_reads_each_event_once_while_new_ones_arrive(serving: ServeProcess, revoked: list[int]) -> None:
    pages = client(serving).audit_events.list(iterator=True, per_page=3)
    seen = [next(pages).id for _ in range(3)]  # the first page

    # Another revoke lands between pages
    status, headers, _ = serving.server.request(
        "DELETE",
        "/api/v4/admin/token",
        body={"token": demo.ALICE_INCOMING_EMAIL},
        headers={"PRIVATE-TOKEN": demo.ADMIN},
    )
    assert status == 204
    seen += [event.id for event in pages]

    # The listing started before it: every earlier event once, in order, and not the new one.
    earlier = sorted(revoked, reverse=True)
    assert seen == earlier
    assert int(headers["X-Audit-Event-Id"]) > max(seen)
    revoked.append(int(headers["X-Audit-Event-Id"]))
    # A new listing has it first.
    assert client(serving).audit_events.list(get_all=True)[0].id == int(headers["X-Audit-Event-Id"])


def test_python_gitlab_filters_and_gets_one_event(serving: ServeProcess, revoked: list[int]) -> None:
    gl = client(serving)

    runners = gl.audit_events.list(get_all=True, entity_type="Ci::Runner", entity_id=1)
    one = gl.audit_events.get(revoked[0])

    assert [event.id for event in runners] == [revoked[0]]
    assert (one.id, one.entity_type, one.details["custom_message"]) == (
        revoked[0],
        "Ci::Runner",
        "Deleted runner 1 (runner authentication token revoked)",
    )
    with pytest.raises(gitlab.exceptions.GitlabGetError) as missing:
        gl.audit_events.get(max(revoked) + 10**6)
    assert missing.value.response_code == 404
    with pytest.raises(gitlab.exceptions.GitlabListError) as bad:
        gl.audit_events.list(get_all=True, created_after="yesterday")
    assert (bad.value.response_code, bad.value.error_message) == (400, "created_after is invalid")


def test_a_caller_python_gitlab_cannot_authenticate_is_refused(serving: ServeProcess) -> None:
    with pytest.raises(gitlab.exceptions.GitlabAuthenticationError):
        gitlab.Gitlab(serving.server.url, private_token="glpat-notARealToken000").audit_events.list(get_all=True)
    with pytest.raises(gitlab.exceptions.GitlabListError) as refused:
        gitlab.Gitlab(serving.server.url, private_token=demo.NON_ADMIN).audit_events.list(get_all=True)
    assert refused.value.response_code == 403
