"""Schemathesis against `admin-token-api serve`: the live API keeps to openapi.json.

Generated cases (schemathesis' examples, coverage and fuzzing phases; positive and negative data)
go to every operation in it (the token API, bulk revoke, the audit events API), and four checks
judge every response: no 5xx, a documented status, a documented content type, a body that
matches the documented schema. Generation is bounded and deterministic (a fixed seed,
`derandomize`); HOSTILE_SCALE (`make soak`) widens it, `SCHEMATHESIS_MAX_EXAMPLES` /
`SCHEMATHESIS_SEED` set or move it for a bug hunt.

Generated tokens are random (the documented example matches no record), so a generated DELETE
never reaches a demo record, and no generated request gets a 200 or a 204. So explicit cases,
judged by the same checks, add: a lookup of each token type (JSON and form), revokes of tokens
no other e2e test uses (204, 204 again, refusals), malformed requests, and the audit events of
two revokes through both audit routes and a followed `Link`. The number of cases
sent is printed at the end of the module (`schemathesis: N cases run (G generated ...)`).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from jsonschema import Draft202012Validator
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.conftest import Server
from tests.support import demo
from tests.support.hostile_requests import scaled

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
PATH = "/api/v4/admin/token"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Fuzzing-phase budget per operation; the examples and coverage phases add ~24 bounded cases each.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES") or scaled(100))
REFUSED_MAX_EXAMPLES = scaled(
    15
)  # callers refused at step 1 of docs/contract.md's order of checks: the body never matters
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261127"))
# Methods the coverage phase sends besides the documented ones.
ROUTED_UNEXPECTED_METHODS = {"get", "put", "patch", "options", "trace"}

schema = schemathesis.openapi.from_path(REPO_ROOT / "openapi.json")
schema.config.seed = SEED
schema.config.phases.coverage.unexpected_methods = ROUTED_UNEXPECTED_METHODS

BOUNDED = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

# (method, status) of every case sent, and how many schemathesis generated, for the summary line.
CASES: Counter[tuple[str, int]] = Counter()
GENERATED: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_cases(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    by_method = Counter[str]()
    for (method, _), count in CASES.items():
        by_method[method] += count
    statuses = ", ".join(f"{method} {status}: {count}" for (method, status), count in sorted(CASES.items()))
    total, generated = sum(CASES.values()), sum(GENERATED.values())
    line = (
        f"schemathesis: {total} cases run ({generated} generated: {dict(GENERATED)}; {total - generated} explicit); "
        f"by method {dict(by_method)}; statuses: {statuses}"
    )
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:  # pragma: no cover
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(line)


def admin_token(server: Server) -> str:
    return next(line for line in server.banner if line.startswith("demo administrator token: ")).split(": ", 1)[1]


def revocation_api(case: schemathesis.Case) -> bool:
    """GitLab's Token Revocation API: its caller sends the pre-shared token as a bare Authorization."""
    return str(case.operation.path).startswith("/v1/")


def call_and_check(case: schemathesis.Case, server: Server, credential: str | None, **kwargs: Any) -> int:
    header = "Authorization" if revocation_api(case) else "PRIVATE-TOKEN"
    headers = {header: credential} if credential else None
    response = case.call(base_url=server.url, headers=headers, timeout=30, **kwargs)
    CASES[(case.method.upper(), response.status_code)] += 1
    case.validate_response(response, checks=CHECKS)
    return response.status_code


# `caller` keeps each operation's id apart: without a parametrize of its own, pytest 9 names all
# seven operations' tests alike, and pytest-xdist then runs one of them.
@schema.parametrize()
@pytest.mark.parametrize("caller", ["administrator"])
@settings(BOUNDED, max_examples=MAX_EXAMPLES)
def test_generated_requests_as_the_administrator(case: schemathesis.Case, server: Server, caller: str) -> None:
    # The administrator's PRIVATE-TOKEN replaces any credential schemathesis generates: every
    # check of docs/contract.md's order after the caller's is reached.
    GENERATED[caller] += 1
    call_and_check(case, server, server.revocation_token if revocation_api(case) else admin_token(server))


@schema.parametrize()
@pytest.mark.parametrize("caller", ["non-admin", "anonymous"])
@settings(BOUNDED, max_examples=REFUSED_MAX_EXAMPLES)
def test_generated_requests_from_refused_callers(case: schemathesis.Case, server: Server, caller: str) -> None:
    # Who may call (docs/contract.md): 403 for a known non-administrator, 401 with no credential
    # (schemathesis sends none), whatever the body. A method the path lacks is API Gateway's own 403.
    GENERATED[caller] += 1
    credential = demo.NON_ADMIN if caller == "non-admin" else None
    # Routed: the operation's own method, on a path API Gateway matches (a generated audit event id
    # may hold a `/`, or be empty, and then no route matches: API Gateway's 403).
    routed = case.method.upper() == case.operation.method.upper() and "/" not in _path_values(case)
    if revocation_api(case):
        # Every method reaches the function there: 405 for another, else 401 for anything but the
        # pre-shared token (a personal access token included).
        assert call_and_check(case, server, credential) == (401 if routed else 405)
        return
    assert call_and_check(case, server, credential) == (403 if credential or not routed else 401)


def _path_values(case: schemathesis.Case) -> str:
    values = [str(value) for value in (case.path_parameters or {}).values()]
    return "".join(values) + ("/" if any(value == "" for value in values) else "")


# One token of each type, none of which another e2e test revokes (the headline revokes SHARED_RUNNER),
# and one of each entity a type answers (a SCIM token: the instance's or a group's).
EVERY_ENTITY = [
    ("deploy_token", demo.PROJECT_DEPLOY),
    ("feed_token", demo.ALICE_FEED),
    ("personal_access_token", demo.ALICE_IMPERSONATION),
    ("oauth_application_secret", demo.OAUTH_SECRET),
    ("cluster_agent_token", demo.AGENT),
    ("runner_authentication_token", demo.PROJECT_RUNNER),
    ("pipeline_trigger_token", demo.TRIGGER),
    ("ci_job_token", demo.RUNNING_JOB),
    ("feature_flags_client_token", demo.FLAGS_CLIENT),
    ("gitlab_session", demo.ALICE_SESSION),
    ("incoming_email_token", demo.ALICE_INCOMING_EMAIL),
    ("scim_access_token", demo.INSTANCE_SCIM),
    ("scim_access_token", demo.GROUP_SCIM),
]


@pytest.mark.parametrize("media_type", ["application/json", "application/x-www-form-urlencoded"])
@pytest.mark.parametrize(("token_type", "token"), EVERY_ENTITY, ids=[token_type for token_type, _ in EVERY_ENTITY])
def test_every_token_type_looks_up_as_documented(server: Server, token_type: str, token: str, media_type: str) -> None:
    case = schema[PATH]["POST"].Case(body={"token": token}, media_type=media_type)
    response = case.call(base_url=server.url, headers={"PRIVATE-TOKEN": admin_token(server)}, timeout=30)
    CASES[("POST", response.status_code)] += 1
    assert response.status_code == 200, response.text
    case.validate_response(response, checks=CHECKS)
    # And the one oneOf alternative it matches is the entity documented for its type.
    document = schema.raw_schema
    alternatives = document["paths"][PATH]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    matched = [
        entity
        for entity in (alternative["$ref"].rsplit("/", 1)[1] for alternative in alternatives["oneOf"])
        if Draft202012Validator(
            {"$ref": f"#/components/schemas/{entity}", "components": document["components"]}
        ).is_valid(response.json())
    ]
    assert len(matched) == 1
    assert token_type in document["components"]["schemas"][matched[0]]["x-token-types"]


# Revokes that reach the type's decision, on tokens no other e2e test uses: 204 (the gateway adds
# its Content-Type to the empty body), 204 again (already revoked), and refusals (400).
REVOKES = [
    ("group deploy token", demo.GROUP_DEPLOY, 204),
    ("group deploy token again", demo.GROUP_DEPLOY, 204),
    ("bot token of no project or group", demo.ORPHAN_BOT_PAT, 400),
    ("deploy token of no project or group", demo.ORPHAN_DEPLOY, 400),
    ("CI/CD job token", demo.RUNNING_JOB, 400),
]


@pytest.mark.parametrize(
    ("token", "status"), [(token, status) for _, token, status in REVOKES], ids=[r[0] for r in REVOKES]
)
def test_revokes_answer_as_documented(server: Server, token: str, status: int) -> None:
    case = schema[PATH]["DELETE"].Case(body={"token": token}, media_type="application/json")
    assert call_and_check(case, server, admin_token(server)) == status


MALFORMED: dict[str, tuple[int, dict[str, Any]]] = {
    "token in the query string": (400, {"query": {"token": "glpat-x"}, "body": {"token": "glpat-x"}}),
    "body not JSON": (400, {"data": b"{not json"}),
    "JSON body not an object": (400, {"data": b'["glpat-x"]'}),
    "token not a string": (400, {"body": {"token": 42}}),
    "body over 64 KiB": (413, {"body": {"token": "glpat-" + "x" * 70_000}}),
    "text/plain body": (415, {"data": b"token=glpat-x", "headers": {"Content-Type": "text/plain"}}),
}


@pytest.mark.parametrize("method", ["POST", "DELETE"])
@pytest.mark.parametrize("request_kind", list(MALFORMED))
def test_malformed_requests_get_documented_4xx(server: Server, method: str, request_kind: str) -> None:
    status, parts = MALFORMED[request_kind]
    data = parts.get("data")
    headers = {"Content-Type": "application/json", **parts.get("headers", {})}
    case = schema[PATH][method].Case(
        query=parts.get("query"),
        body=parts.get("body", {}),
        media_type="application/json",
        headers=headers,
    )
    kwargs = {"data": data} if data is not None else {}
    assert call_and_check(case, server, admin_token(server), **kwargs) == status


@pytest.mark.parametrize("method", ["TRACE", "QUERY"])
def test_methods_outside_api_gateways_set_are_not_server_errors(server: Server, method: str) -> None:
    case = schema[PATH]["POST"].Case(method=method, body={"token": "glpat-x"}, media_type="application/json")
    response = case.call(base_url=server.url, headers={"PRIVATE-TOKEN": admin_token(server)}, timeout=30)
    CASES[(method, response.status_code)] += 1
    case.validate_response(response, checks=[not_a_server_error])


# The audit events API: two revokes no other e2e test makes, then their events through both routes
# and the list's keyset pagination, each answer judged by the same checks.
AUDIT_EVENTS = "/api/v4/audit_events"


def test_audit_events_answer_as_documented(server: Server) -> None:
    for token in (demo.GROUP_BOT_PAT, demo.GROUP_RUNNER):
        revoke = schema[PATH]["DELETE"].Case(body={"token": token}, media_type="application/json")
        assert call_and_check(revoke, server, admin_token(server)) == 204

    listed = schema[AUDIT_EVENTS]["GET"].Case(query={"entity_type": "Ci::Runner", "entity_id": 3})
    response = listed.call(base_url=server.url, headers={"PRIVATE-TOKEN": demo.ADMIN_READ_API}, timeout=30)
    CASES[("GET", response.status_code)] += 1
    listed.validate_response(response, checks=CHECKS)
    [event] = response.json()
    assert (event["entity_type"], event["entity_id"], event["details"]["action"]) == ("Ci::Runner", 3, "deleted")

    one = schema[AUDIT_EVENTS + "/{id}"]["GET"].Case(path_parameters={"id": str(event["id"])})
    assert call_and_check(one, server, demo.ADMIN_READ_API) == 200
    unknown = schema[AUDIT_EVENTS + "/{id}"]["GET"].Case(path_parameters={"id": "1"})
    assert call_and_check(unknown, server, demo.ADMIN_READ_API) == 404

    # One per page: the Link header's next page, as a client follows it.
    first = schema[AUDIT_EVENTS]["GET"].Case(query={"per_page": 1})
    page = first.call(base_url=server.url, headers={"PRIVATE-TOKEN": admin_token(server)}, timeout=30)
    CASES[("GET", page.status_code)] += 1
    first.validate_response(page, checks=CHECKS)
    assert page.headers["x-per-page"] == ["1"]
    [link] = page.headers["link"]
    assert link.startswith(f"<{server.url}{AUDIT_EVENTS}?cursor=")
    assert link.endswith('>; rel="next"')
    cursor = link.split("cursor=", 1)[1].split("&", 1)[0]
    second = schema[AUDIT_EVENTS]["GET"].Case(query={"per_page": 1, "cursor": cursor})
    following = second.call(base_url=server.url, headers={"PRIVATE-TOKEN": admin_token(server)}, timeout=30)
    CASES[("GET", following.status_code)] += 1
    second.validate_response(following, checks=CHECKS)
    assert following.json()[0]["id"] < page.json()[0]["id"]
