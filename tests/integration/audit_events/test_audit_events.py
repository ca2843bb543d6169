"""GET /api/v4/audit_events and /api/v4/audit_events/:id through the real handler, against moto.

Events come from real revokes where the test is about what a revoke records, and are written
straight into the audit table (as `audit_record` builds them, at chosen times) where the test
needs many, or events at known times. Every DynamoDB call the function makes is recorded: a list
is always a Query on an index, an event by id a GetItem, never a Scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from admin_token.audit import audit_record
from admin_token.audit_ids import MAX_ID, AuditIdGenerator, timestamp_of
from admin_token.models.records import User
from admin_token.storage import AuditRecord
from admin_token.storage.dynamodb import default_store
from admin_token.storage.items import audit_item
from tests.integration.conftest import Api, ApiResponse, Tables, call
from tests.support import demo
from tests.support.events import proxy_event

LIST_PATH = "/api/v4/audit_events"
HOST = "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
ROOT = User.from_attributes(
    {"id": 1, "username": "root", "name": "Administrator", "state": "active", "admin": True, "created_at": "2024-01-01"}
)
AUDITOR = User.from_attributes(
    {"id": 7, "username": "auditor", "name": "Read-only Administrator", "state": "active", "created_at": "2024-01-01"}
)
UNAUTHORIZED = (401, {"message": "401 Unauthorized"})
FORBIDDEN = (403, {"message": "403 Forbidden"})
NOT_FOUND = (404, {"message": "404 Audit Event Not Found"})
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def audit_event(
    path: str = LIST_PATH,
    *,
    query: dict[str, str | list[str]] | None = None,
    credential: str | None = demo.ADMIN,
    headers: dict[str, str] | None = None,
    stage_in_path: bool = True,
    domain_name: str = HOST,
) -> dict[str, Any]:
    """The REST v1 proxy event API Gateway sends for GET `path` on its execute-api host."""
    all_headers = {"Host": HOST, "X-Forwarded-Proto": "https", **(headers or {})}
    if credential is not None:
        all_headers["PRIVATE-TOKEN"] = credential
    event = proxy_event("GET", headers=all_headers)
    resource = LIST_PATH if path == LIST_PATH else LIST_PATH + "/{id}"
    event.update(path=path, resource=resource)
    if resource != LIST_PATH:
        event["pathParameters"] = {"id": path.rsplit("/", 1)[1]}
    context = event["requestContext"]
    context.update(resourcePath=resource, path=f"/v1{path}" if stage_in_path else path, domainName=domain_name)
    if query:
        multi = {name: value if isinstance(value, list) else [value] for name, value in query.items()}
        event["multiValueQueryStringParameters"] = multi
        event["queryStringParameters"] = {name: values[-1] for name, values in multi.items()}
    return event


def list_events(**query: Any) -> ApiResponse:
    credential = query.pop("as_", demo.ADMIN)
    return call("AuditEventsFunction", audit_event(query={k: str(v) for k, v in query.items()}, credential=credential))


def get_event(event_id: Any, *, as_: str | None = demo.ADMIN) -> ApiResponse:
    return call("AuditEventsFunction", audit_event(f"{LIST_PATH}/{event_id}", credential=as_))


def next_query(response: ApiResponse) -> dict[str, str] | None:
    """The query of the `rel="next"` link, or None when there is none."""
    link = response.headers.get("Link")
    if link is None:
        return None
    match = re.fullmatch(r'<([^>]+)>; rel="next"', link)
    assert match, link
    url = urlsplit(match.group(1))
    assert (url.scheme, url.netloc, url.path) == ("https", HOST, f"/v1{LIST_PATH}")
    return {name: values[-1] for name, values in parse_qs(url.query, keep_blank_values=True).items()}


def read_all(**query: Any) -> tuple[list[dict[str, Any]], int]:
    """Every event, following `Link` as python-gitlab does; and how many pages that took."""
    events: list[dict[str, Any]] = []
    pages = 0
    params: dict[str, Any] | None = query
    while params is not None:
        response = list_events(**params)
        assert response.status == 200, response.body
        events += response.body
        pages += 1
        params = next_query(response)
    return events, pages


class AuditTable:
    """Writes events as a revoke would (the same record builder and item mapping)."""

    def __init__(self, db: Tables) -> None:
        self.table = db.resource.Table(db.names["AuditTable"])
        # Its own generator: the process's one never goes back in time, and these events do.
        self.ids = AuditIdGenerator()

    def write(self, record: AuditRecord) -> AuditRecord:
        # Conditioned like the revoke's own put: two writers minting one id fail loudly, never overwrite.
        self.table.put_item(Item=audit_item(record), ConditionExpression="attribute_not_exists(audit_id)")
        return record

    def event(
        self,
        at: datetime,
        *,
        token_type: str = "runner_authentication_token",  # noqa: S107 - a type name, not a secret
        entity_id: int = 1,
        author: User = ROOT,
        action: str | None = None,
    ) -> AuditRecord:
        default_action = {
            "runner_authentication_token": "deleted",
            "gitlab_session": "deleted",
            "pipeline_trigger_token": "expired",
            "personal_access_token": "revoked",
            "deploy_token": "revoked",
            "cluster_agent_token": "revoked",
        }.get(token_type, "reset")
        record = audit_record(
            caller_user=author,
            token_type=token_type,
            action=action or default_action,
            entity_id=entity_id,
            target_details=f"target {entity_id}",
            request_id=f"request-{entity_id}",
            ip_address="192.0.2.1",
            target=("target", entity_id),
        )
        audit_id = self.ids.next_id(at)
        return self.write(replace(record, audit_id=audit_id, created_at=timestamp_of(audit_id)))


@pytest.fixture
def audit(db: Tables) -> AuditTable:
    return AuditTable(db)


@pytest.fixture
def operations(db: Tables) -> Iterator[list[dict[str, Any]]]:
    """Every DynamoDB call the service makes: the operation and, for a Query, its index."""
    calls: list[dict[str, Any]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append(
            {"operation": model.name, "index": params.get("IndexName"), "filter": params.get("FilterExpression")}
        )

    # before-parameter-build sees the API's own parameters (IndexName...); before-call would too late.
    events = default_store().client.meta.events
    events.register("before-parameter-build.dynamodb", record)
    yield calls
    events.unregister("before-parameter-build.dynamodb", record)
    assert all(call["operation"] in ("BatchGetItem", "GetItem", "Query") for call in calls), calls


# -- what a revoke records -----------------------------------------------------------------------


def test_a_revoke_is_an_event_in_gitlabs_shape(api: Api, db: Tables) -> None:
    # Given a runner revoked over the API, from 203.0.113.9
    revoke_event = proxy_event("DELETE", body={"token": demo.PROJECT_RUNNER}, headers={"PRIVATE-TOKEN": demo.ADMIN})
    revoke_event["requestContext"]["identity"]["sourceIp"] = "203.0.113.9"
    revoked = call("RevokeFunction", revoke_event)
    assert revoked.status == 204

    # Then the list and the event by id answer it, field for field
    listed = list_events()
    audit_id = int(revoked.headers["X-Audit-Event-Id"])
    expected = {
        "id": audit_id,
        "author_id": 1,
        "entity_id": 2,
        "entity_type": "Ci::Runner",
        "details": {
            "event_name": "token_revoked",
            "author_name": "Administrator",
            "author_class": "User",
            "target_id": 2,
            "target_type": "Ci::Runner",
            "target_details": "runner-2",
            "custom_message": "Deleted runner 2 (runner authentication token revoked)",
            "token_type": "runner_authentication_token",
            "action": "deleted",
            "request_id": revoke_event["requestContext"]["requestId"],
            "ip_address": "203.0.113.9",
        },
        "created_at": listed.body[0]["created_at"] if listed.body else None,
    }
    assert (listed.status, listed.body) == (200, [expected])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", expected["created_at"])
    created = datetime.fromisoformat(expected["created_at"])
    assert abs(created - datetime.now(UTC)) < timedelta(seconds=30)
    assert 0 < audit_id < 2**53
    assert listed.headers["X-Per-Page"] == "20"
    assert "Link" not in listed.headers
    by_id = get_event(audit_id)
    assert (by_id.status, by_id.body) == (200, expected)


# Each revocable type, a token of it, and the GitLab class and id of what its revoke changes.
ENTITIES = [
    ("personal_access_token", demo.ALICE_IMPERSONATION, "PersonalAccessToken", 7, "revoked", "alice-impersonation"),
    ("deploy_token", demo.PROJECT_DEPLOY, "DeployToken", 1, "revoked", "project-deploy"),
    ("feed_token", demo.ALICE_FEED, "User", 2, "reset", "alice"),
    ("incoming_email_token", demo.ALICE_INCOMING_EMAIL, "User", 2, "reset", "alice"),
    ("gitlab_session", demo.ALICE_SESSION, "User", 2, "deleted", "alice"),
    ("oauth_application_secret", demo.OAUTH_SECRET, "Doorkeeper::Application", 1, "reset", "Grafana"),
    ("cluster_agent_token", demo.AGENT, "Clusters::AgentToken", 1, "revoked", "production-agent"),
    ("runner_authentication_token", demo.SHARED_RUNNER, "Ci::Runner", 1, "deleted", "runner-1"),
    ("pipeline_trigger_token", demo.TRIGGER, "Ci::Trigger", 1, "expired", "deploy"),
    ("feature_flags_client_token", demo.FLAGS_CLIENT, "Operations::FeatureFlagsClient", 1, "reset", "project 10"),
    ("scim_access_token", demo.INSTANCE_SCIM, "ScimOauthAccessToken", 1, "reset", "organization 1"),
    ("scim_access_token", demo.GROUP_SCIM, "GroupScimAuthAccessToken", 1, "reset", "group 20"),
]


@pytest.mark.parametrize(
    ("token_type", "token", "entity_type", "entity_id", "action", "details"),
    ENTITIES,
    ids=[f"{e[0]}:{e[2]}" for e in ENTITIES],
)
def test_each_type_names_what_changed_as_gitlab_does(
    api: Api, token_type: str, token: str, entity_type: str, entity_id: int, action: str, details: str
) -> None:
    assert api.revoke(token).status == 204

    [event] = list_events().body

    assert (event["entity_type"], event["entity_id"]) == (entity_type, entity_id)
    assert (event["details"]["target_type"], event["details"]["target_id"]) == (entity_type, entity_id)
    assert (event["details"]["token_type"], event["details"]["action"]) == (token_type, action)
    assert event["details"]["target_details"] == details
    assert str(entity_id) in event["details"]["custom_message"]
    assert event["details"]["custom_message"].startswith(action.capitalize())


def test_a_revoke_with_nothing_to_do_writes_no_event(api: Api) -> None:
    assert api.revoke(demo.AGENT).status == 204
    assert api.revoke(demo.AGENT).status == 204  # already revoked: nothing written

    assert len(list_events().body) == 1


def test_an_event_id_minted_twice_is_minted_again_not_overwritten(
    api: Api, audit: AuditTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given another process's event holding the id this process mints next
    from admin_token import audit as audit_module

    taken = audit.event(T0)
    minted = iter([taken.audit_id, taken.audit_id + 1])
    monkeypatch.setattr(audit_module, "next_audit_id", lambda now=None: next(minted))

    revoked = api.revoke(demo.AGENT)

    # Then the revoke took effect under the next id, and the other event is untouched
    assert (revoked.status, revoked.headers["X-Audit-Event-Id"]) == (204, str(taken.audit_id + 1))
    assert get_event(taken.audit_id).body["details"]["token_type"] == "runner_authentication_token"
    assert get_event(taken.audit_id + 1).body["details"]["token_type"] == "cluster_agent_token"


# -- order and pagination ------------------------------------------------------------------------


def test_newest_first_twenty_per_page_by_default(audit: AuditTable) -> None:
    written = [audit.event(T0 + timedelta(seconds=i), entity_id=i + 1) for i in range(25)]

    first = list_events()

    assert [event["id"] for event in first.body] == [record.audit_id for record in reversed(written)][:20]
    assert first.headers["X-Per-Page"] == "20"
    assert next_query(first) == {"cursor": next_query(first)["cursor"], "per_page": "20"}


@pytest.mark.parametrize(("asked", "used"), [("1", 1), ("7", 7), ("100", 100), ("101", 100), ("99999999999999", 100)])
def test_per_page_above_100_is_100(audit: AuditTable, asked: str, used: int) -> None:
    for i in range(3):
        audit.event(T0 + timedelta(seconds=i), entity_id=i + 1)

    response = list_events(per_page=asked)

    assert response.status == 200
    assert response.headers["X-Per-Page"] == str(used)
    assert len(response.body) == min(used, 3)


def test_following_next_reads_every_event_once_while_new_ones_arrive(api: Api, audit: AuditTable) -> None:
    # Given 23 events
    before = [audit.event(T0 + timedelta(seconds=i), entity_id=i + 1) for i in range(23)]
    expected = [record.audit_id for record in reversed(before)]

    # When a client reads 5 per page, and revokes (and other writers) add events between pages
    seen: list[int] = []
    params: dict[str, Any] | None = {"per_page": "5"}
    new_tokens = iter([demo.AGENT, demo.PROJECT_DEPLOY, demo.TRIGGER, demo.OAUTH_SECRET, demo.FLAGS_CLIENT])
    pages = 0
    while params is not None:
        response = list_events(**params)
        assert response.status == 200
        seen += [event["id"] for event in response.body]
        pages += 1
        token = next(new_tokens, None)
        if token is not None:
            assert api.revoke(token).status == 204
        audit.event(datetime.now(UTC), entity_id=100 + pages)
        params = next_query(response)

    # Then it read each of the 23 exactly once, newest first, in 5 pages
    assert seen == expected
    assert pages == 5
    # And a new reader sees the 23 and all that arrived meanwhile, once each
    everything, _ = read_all(per_page=50)
    assert len(everything) == len({event["id"] for event in everything}) == 23 + 5 + pages


def test_other_parameters_are_kept_in_the_next_link(audit: AuditTable) -> None:
    for i in range(4):
        audit.event(T0 + timedelta(seconds=i), entity_id=5)

    response = list_events(per_page=3, entity_type="Ci::Runner", entity_id=5, pagination="keyset")

    query = next_query(response)
    assert query is not None
    assert {name: query[name] for name in ("per_page", "entity_type", "entity_id", "pagination")} == {
        "per_page": "3",
        "entity_type": "Ci::Runner",
        "entity_id": "5",
        "pagination": "keyset",
    }
    last_page = list_events(**query)
    assert len(last_page.body) == 1
    assert next_query(last_page) is None


def test_page_numbers_read_what_link_reads_each_event_once(audit: AuditTable) -> None:
    # Scripts page GitLab with page=N (offset pagination, its default)
    for i in range(45):
        audit.event(T0 + timedelta(seconds=i), entity_id=i + 1)
    by_link, _ = read_all(per_page=10)
    by_number: list[dict[str, Any]] = []
    for page in range(1, 6):
        response = list_events(page=page, per_page=10)
        assert response.status == 200, response.body
        assert response.headers["X-Page"] == str(page)
        assert response.headers["X-Prev-Page"] == ("" if page == 1 else str(page - 1))
        assert response.headers["X-Next-Page"] == ("" if page == 5 else str(page + 1))
        by_number += response.body
    assert [event["id"] for event in by_number] == [event["id"] for event in by_link]
    assert len({event["id"] for event in by_number}) == 45
    assert list_events(page=6, per_page=10).body == []


def test_a_page_numbers_link_goes_on_by_cursor_past_the_depth_page_numbers_reach(audit: AuditTable) -> None:
    for i in range(5):
        audit.event(T0 + timedelta(seconds=i), entity_id=i + 1)
    response = list_events(page=2, per_page=2, entity_type="Ci::Runner")
    query = next_query(response)
    assert query is not None
    assert "page" not in query
    assert query["entity_type"] == "Ci::Runner"
    rest = list_events(**query)
    assert [event["entity_id"] for event in response.body + rest.body] == [3, 2, 1]


def test_a_page_beyond_the_documented_depth_is_400_saying_to_follow_link(audit: AuditTable) -> None:
    audit.event(T0)
    response = list_events(page=11, per_page=100)
    assert response.status == 400
    assert response.body["error"].startswith("page is invalid: page numbers reach the first 1000 events")
    assert 'follow the Link header (rel="next")' in response.body["error"]


def test_page_numbers_with_a_sparse_filter_still_skip_exactly(
    audit: AuditTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each read examines at most 4 events here, so a page of matches takes several reads.
    from admin_token.storage import dynamodb_audit

    monkeypatch.setattr(dynamodb_audit, "MAX_EXAMINED", 4)
    monkeypatch.setattr(dynamodb_audit, "EXAMINED_PER_QUERY", 2)
    for i in range(12):
        audit.event(T0 + timedelta(seconds=i), entity_id=i + 1, author=AUDITOR if i % 3 == 0 else ROOT)
    pages = [list_events(page=page, per_page=2, author_id=AUDITOR.id).body for page in (1, 2, 3)]
    assert [[event["entity_id"] for event in page] for page in pages] == [[10, 7], [4, 1], []]


def test_the_next_link_is_built_from_the_apis_own_domain_and_the_requests_path(audit: AuditTable) -> None:
    for i in range(2):
        audit.event(T0 + timedelta(seconds=i))
    # A custom domain: no stage in the path the client used
    event = audit_event(query={"per_page": "1"}, domain_name="gitlab-tokens.example.com", stage_in_path=False)

    response = call("AuditEventsFunction", event)

    match = re.fullmatch(r'<([^>]+)>; rel="next"', response.headers["Link"])
    assert match
    assert match.group(1).startswith(f"https://gitlab-tokens.example.com{LIST_PATH}?cursor=")


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "attacker.example"},
        {"Host": "attacker.example", "X-Forwarded-Proto": "http"},
        {"Host": 'evil>; rel="prev", <https://x'},
        {"X-Forwarded-Host": "attacker.example", "Forwarded": "host=attacker.example;proto=http"},
    ],
)
def test_the_clients_host_and_forwarded_headers_never_choose_where_the_link_points(
    audit: AuditTable, headers: dict[str, str]
) -> None:
    # python-gitlab follows the link with PRIVATE-TOKEN: it must lead back to this API only.
    for i in range(2):
        audit.event(T0 + timedelta(seconds=i))

    response = call("AuditEventsFunction", audit_event(query={"per_page": "1"}, headers=headers))

    assert response.headers["Link"].startswith(f"<https://{HOST}/v1{LIST_PATH}?cursor=")  # requestContext.domainName


@pytest.mark.parametrize(
    ("domain_name", "origin"),
    [("127.0.0.1:3000", "http://127.0.0.1:3000"), ("localhost:8080", "http://localhost:8080"),
     ("[::1]:3000", "http://[::1]:3000")],
)  # fmt: skip
def test_a_local_gateways_listening_address_is_linked_over_http(
    audit: AuditTable, domain_name: str, origin: str
) -> None:
    # API Gateway answers only on host names, over HTTPS; `serve` listens on an address, over HTTP.
    for i in range(2):
        audit.event(T0 + timedelta(seconds=i))
    event = audit_event(query={"per_page": "1"}, domain_name=domain_name, stage_in_path=False,
                        headers={"Host": "attacker.example", "X-Forwarded-Proto": "https"})  # fmt: skip

    response = call("AuditEventsFunction", event)

    assert response.headers["Link"].startswith(f"<{origin}{LIST_PATH}?cursor=")


def test_a_filter_that_skips_many_events_answers_short_pages_and_still_reads_everything(
    audit: AuditTable, monkeypatch: pytest.MonkeyPatch, operations: list[dict[str, Any]]
) -> None:
    # Given a bound of 12 events examined per request, and 3 matching events among 40
    from admin_token.storage import dynamodb_audit

    monkeypatch.setattr(dynamodb_audit, "MAX_EXAMINED", 12)
    monkeypatch.setattr(dynamodb_audit, "EXAMINED_PER_QUERY", 4)
    matching = set()
    for i in range(40):
        record = audit.event(T0 + timedelta(seconds=i), entity_id=9 if i % 13 == 0 else i + 100)
        if i % 13 == 0:
            matching.add(record.audit_id)

    # When the client follows every link (entity_id alone: a filter on the all-events index)
    events, pages = read_all(entity_id=9)

    # Then it read exactly the 3, over several bounded requests
    assert [event["id"] for event in events] == sorted(matching, reverse=True)
    assert pages >= 40 // 12
    queries = [call for call in operations if call["operation"] == "Query"]
    assert len(queries) <= pages * 3  # 12 examined, 4 at a time


# -- filters ------------------------------------------------------------------------------------


@pytest.fixture
def mixed(audit: AuditTable) -> list[AuditRecord]:
    """Ten events, one second apart, of several types, entities and authors."""
    plan = [
        ("runner_authentication_token", 1, ROOT),
        ("runner_authentication_token", 2, ROOT),
        ("personal_access_token", 7, AUDITOR),
        ("feed_token", 2, ROOT),
        ("gitlab_session", 2, AUDITOR),
        ("runner_authentication_token", 2, AUDITOR),
        ("deploy_token", 1, ROOT),
        ("incoming_email_token", 3, ROOT),
        ("pipeline_trigger_token", 1, AUDITOR),
        ("cluster_agent_token", 1, ROOT),
    ]
    return [
        audit.event(T0 + timedelta(seconds=i), token_type=token_type, entity_id=entity_id, author=author)
        for i, (token_type, entity_id, author) in enumerate(plan)
    ]


def ids(records: list[AuditRecord]) -> list[int]:
    return [record.audit_id for record in sorted(records, key=lambda record: record.audit_id, reverse=True)]


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


FILTERS: list[tuple[str, dict[str, Any], Any, str]] = [
    ("entity_type", {"entity_type": "Ci::Runner"}, lambda r: r.entity_type == "Ci::Runner", "entity-type-by-id"),
    ("entity_type User", {"entity_type": "User"}, lambda r: r.entity_type == "User", "entity-type-by-id"),
    (
        "entity_type and entity_id",
        {"entity_type": "Ci::Runner", "entity_id": 2},
        lambda r: (r.entity_type, r.entity_id) == ("Ci::Runner", 2),
        "entity-by-id",
    ),
    ("entity_id alone", {"entity_id": 2}, lambda r: r.entity_id == 2, "all-events-by-id"),
    ("author_id", {"author_id": 7}, lambda r: r.author_id == 7, "author-by-id"),
    ("token_type", {"token_type": "gitlab_session"}, lambda r: r.token_type == "gitlab_session", "token-type-by-id"),
    (
        "author_id and token_type",
        {"author_id": 7, "token_type": "runner_authentication_token"},
        lambda r: (r.author_id, r.token_type) == (7, "runner_authentication_token"),
        "author-by-id",
    ),
    (
        "token_type and entity_type",
        {"token_type": "feed_token", "entity_type": "User"},
        lambda r: r.token_type == "feed_token",
        "token-type-by-id",
    ),
    (
        "entity_type, author_id and a time range",
        {
            "entity_type": "Ci::Runner",
            "author_id": 1,
            "created_after": stamp(T0 + timedelta(seconds=1)),
            "created_before": stamp(T0 + timedelta(seconds=9)),
        },
        lambda r: r.entity_type == "Ci::Runner" and r.author_id == 1 and r.created_at >= "2026-11-01T12:00:01",
        "author-by-id",
    ),
    (
        "created_after",
        {"created_after": stamp(T0 + timedelta(seconds=7))},
        lambda r: r.created_at >= "2026-11-01T12:00:07",
        "all-events-by-id",
    ),
    (
        "created_before",
        {"created_before": stamp(T0 + timedelta(seconds=2))},
        lambda r: r.created_at <= "2026-11-01T12:00:02.000Z",
        "all-events-by-id",
    ),
    (
        "created_after and created_before, naive times are UTC",
        {"created_after": "2026-11-01T12:00:03", "created_before": "2026-11-01T12:00:05"},
        lambda r: "2026-11-01T12:00:03" <= r.created_at <= "2026-11-01T12:00:05.000Z",
        "all-events-by-id",
    ),
    (
        "a time with an offset",
        {"created_after": "2026-11-01T13:00:08+01:00"},
        lambda r: r.created_at >= "2026-11-01T12:00:08",
        "all-events-by-id",
    ),
    ("a date alone is its midnight", {"created_before": "2026-11-01"}, lambda r: False, "all-events-by-id"),
    ("an empty range", {"created_after": stamp(T0 + timedelta(seconds=5)), "created_before": stamp(T0)}, None, None),
    ("nothing matches", {"entity_type": "DeployToken", "author_id": 7}, lambda r: False, "author-by-id"),
    ("before 2020", {"created_before": "2019-12-31T23:59:59Z"}, lambda r: False, None),
    ("after 2089", {"created_after": "2100-01-01T00:00:00Z"}, lambda r: False, None),
    ("far future before", {"created_before": "9999-12-31T23:59:59.999999+00:00"}, lambda r: True, "all-events-by-id"),
]


@pytest.mark.parametrize(("query", "matches", "index"), [f[1:] for f in FILTERS], ids=[f[0] for f in FILTERS])
def test_filters(
    mixed: list[AuditRecord], operations: list[dict[str, Any]], query: dict[str, Any], matches: Any, index: str | None
) -> None:
    expected = ids([record for record in mixed if matches and matches(record)])

    events, _ = read_all(**query)

    assert [event["id"] for event in events] == expected
    assert len(expected) < len(mixed) or query.get("created_before", "").startswith("9999")
    queries = [call for call in operations if call["operation"] == "Query"]
    if index is None:
        assert queries == []  # an empty id range needs no read at all
    else:
        assert {call["index"] for call in queries} == {index}


def test_a_time_filter_is_exact_to_the_millisecond(audit: AuditTable) -> None:
    at = T0 + timedelta(milliseconds=123, microseconds=456)
    event = audit.event(at)
    assert event.created_at == "2026-11-01T12:00:00.123Z"

    def found(**query: str) -> bool:
        return [e["id"] for e in list_events(**query).body] == [event.audit_id]

    assert found(created_after="2026-11-01T12:00:00.123Z")
    assert found(created_after="2026-11-01T12:00:00.122999Z")
    assert not found(created_after="2026-11-01T12:00:00.123001Z")  # created_at (to the ms) is before it
    assert found(created_before="2026-11-01T12:00:00.123Z")
    assert found(created_before="2026-11-01T12:00:00.123999Z")
    assert not found(created_before="2026-11-01T12:00:00.122999Z")


# -- one event ----------------------------------------------------------------------------------


def test_an_event_by_id(mixed: list[AuditRecord], operations: list[dict[str, Any]]) -> None:
    wanted = mixed[4]

    response = get_event(wanted.audit_id)

    assert response.status == 200
    assert response.body["id"] == wanted.audit_id
    assert response.body["details"]["token_type"] == "gitlab_session"
    assert [call["operation"] for call in operations] == ["BatchGetItem", "BatchGetItem", "GetItem"]


@pytest.mark.parametrize("event_id", ["1", "0", str(MAX_ID), str(2**53), "9" * 19, "000123"])
def test_an_id_no_event_has_is_404(mixed: list[AuditRecord], event_id: str) -> None:
    assert (get_event(event_id).status, get_event(event_id).body) == NOT_FOUND


@pytest.mark.parametrize("event_id", ["abc", "-1", "1.5", "1e3", "9" * 20, "%20", "١٢", "'", "0x10"])
def test_an_id_that_is_not_an_integer_is_400(db: Tables, event_id: str) -> None:
    response = get_event(event_id)
    assert (response.status, response.body) == (400, {"error": "id is invalid"})


@pytest.mark.parametrize("event_id", ['"', "#", "\\", "`", "é"])
def test_any_one_segment_id_reaches_the_handler_whose_caller_check_comes_first(db: Tables, event_id: str) -> None:
    assert (get_event(event_id).status, get_event(event_id).body) == (400, {"error": "id is invalid"})
    assert (get_event(event_id, as_=None).status, get_event(event_id, as_=None).body) == UNAUTHORIZED


@pytest.mark.parametrize("path", [LIST_PATH, f"{LIST_PATH}/5"])
@pytest.mark.parametrize("method", ["POST", "DELETE", "PUT"])
def test_another_method_is_405_with_allow_get(db: Tables, path: str, method: str) -> None:
    event = audit_event(path)
    event["httpMethod"] = event["requestContext"]["httpMethod"] = method

    response = call("AuditEventsFunction", event)

    assert (response.status, response.body, response.headers["Allow"]) == (
        405,
        {"error": "405 Method Not Allowed"},
        "GET",
    )


# -- who may read ---------------------------------------------------------------------------------

CALLERS = [
    ("no credential", None, UNAUTHORIZED),
    ("unknown token", "glpat-doesNotExist0000", UNAUTHORIZED),
    ("expired admin token", demo.ADMIN_EXPIRED, UNAUTHORIZED),
    ("revoked admin token", demo.ADMIN_REVOKED, UNAUTHORIZED),
    ("not a personal access token", demo.AGENT, UNAUTHORIZED),
    ("non-admin", demo.NON_ADMIN, FORBIDDEN),
    ("blocked admin", demo.BLOCKED_ADMIN, FORBIDDEN),
    ("admin, read_api only", demo.ADMIN_READ_API, None),
    ("another admin, read_api only", "glpat-auditorTk1Bv5Wm7", None),
    ("admin, api without admin_mode", demo.ADMIN_NO_ADMIN_MODE, None),
    ("admin, api and admin_mode", demo.ADMIN, None),
]


@pytest.mark.parametrize(("credential", "refused"), [c[1:] for c in CALLERS], ids=[c[0] for c in CALLERS])
def test_who_may_read(mixed: list[AuditRecord], credential: str | None, refused: tuple[int, Any] | None) -> None:
    listed = list_events(as_=credential, per_page="oops")  # the caller is checked before the parameters
    one = get_event(mixed[0].audit_id, as_=credential)
    if refused is None:
        assert (listed.status, listed.body) == (400, {"error": "per_page is invalid"})
        assert one.status == 200
    else:
        assert (listed.status, listed.body) == refused
        assert (one.status, one.body) == refused
        assert (get_event("not-a-number", as_=credential).status, get_event(1, as_=credential).status) == (
            refused[0],
            refused[0],
        )


@pytest.mark.parametrize(
    ("credential", "status"),
    [(demo.ADMIN, 200), (demo.ADMIN_NO_ADMIN_MODE, 403), (demo.ADMIN_READ_API, 403)],
    ids=["admin_mode scope", "api only", "read_api only"],
)
def test_with_the_admin_mode_setting_on_the_token_needs_admin_mode(
    mixed: list[AuditRecord], set_flags: Any, credential: str, status: int
) -> None:
    set_flags(admin_mode={"default": True})
    assert list_events(as_=credential).status == status
    assert get_event(mixed[0].audit_id, as_=credential).status == status


def test_bearer_works_as_well_as_private_token(mixed: list[AuditRecord]) -> None:
    event = audit_event(credential=None, headers={"Authorization": f"Bearer {demo.ADMIN_READ_API}"})
    assert call("AuditEventsFunction", event).status == 200


# -- bad parameters -------------------------------------------------------------------------------

BAD = [
    ("created_after", "yesterday"),
    ("created_after", ""),
    ("created_after", "2026-13-01"),
    ("created_after", "2026-11-01T12:00:00+25:00"),
    ("created_after", "2" * 200),
    ("created_before", "2026-11-01T25:00:00Z"),
    ("entity_type", "Runner"),
    ("entity_type", "ci::runner"),
    ("entity_type", ""),
    ("entity_id", "abc"),
    ("entity_id", "0"),
    ("entity_id", "-1"),
    ("entity_id", "9" * 20),
    ("author_id", "1.0"),
    ("author_id", ""),
    ("token_type", "glpat"),
    ("token_type", "tombstone"),
    ("per_page", "0"),
    ("per_page", "-5"),
    ("per_page", "ten"),
    ("per_page", "1.5"),
    ("per_page", ""),
    ("cursor", ""),
    ("cursor", "not base64!"),
    ("cursor", "eyJpZF9iZWxvdyI6InNvbWV0aGluZyJ9"),  # {"id_below":"something"}
    ("cursor", "eyJpZF9iZWxvdyI6MH0"),  # {"id_below":0}
    ("cursor", "W10"),  # []
    ("page", "0"),
]


@pytest.mark.parametrize(("name", "value"), BAD, ids=[f"{name}={value[:20]!r}" for name, value in BAD])
def test_a_bad_value_is_400_naming_the_parameter(mixed: list[AuditRecord], name: str, value: str) -> None:
    response = list_events(**{name: value})
    assert (response.status, response.body) == (400, {"error": f"{name} is invalid"})


def test_a_repeated_parameter_is_400_naming_it(mixed: list[AuditRecord]) -> None:
    event = audit_event(query={"per_page": ["5", "6"]})
    response = call("AuditEventsFunction", event)
    assert (response.status, response.body) == (400, {"error": "per_page is invalid"})


def test_unknown_parameters_are_ignored_and_page_1_is_accepted(mixed: list[AuditRecord]) -> None:
    response = list_events(page="1", order_by="id", sort="desc", token="glpat-notLogged")
    assert (response.status, len(response.body)) == (200, len(mixed))


def test_a_page_costs_the_callers_two_reads_and_one_query(
    mixed: list[AuditRecord], operations: list[dict[str, Any]]
) -> None:
    assert list_events(per_page="3").status == 200
    assert [call["operation"] for call in operations] == ["BatchGetItem", "BatchGetItem", "Query"]
    assert operations[-1]["index"] == "all-events-by-id"
