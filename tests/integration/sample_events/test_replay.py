"""Replay every sample event in events/ through the real handlers and check the answer.

The files in events/ are what `sam local invoke LookupFunction -e events/<file>` (or
`admin-token-api invoke ...`) is given: complete API Gateway REST v1 proxy events, and for
RevocationWorkerFunction an SQS event. Each one has exactly one entry in EXPECTED (or, for the
worker, WORKER_EXPECTED) below, derived from demo/seed.json and the behaviour contracts
(docs/contract.md; secret-detection.md for the /v1 routes and the worker), not from what the
service happens to answer.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from admin_token.config import reset_configuration_cache
from admin_token.digests import token_digest
from admin_token.github_keys import reset_github_keys
from admin_token.models.audit_queries import encode_cursor
from admin_token.secret_detection import reset_secret_cache
from admin_token_local.appconfig_standin import AppConfigStandIn
from admin_token_local.github_meta import GitHubMetaStandIn
from admin_token_local.lambda_runtime import FakeLambdaContext
from tests.integration.conftest import DEFAULT_FLAGS, call
from tests.support import demo
from tests.support.demo import ADMIN, AGENT, ALICE_FEED, PROJECT_DEPLOY, PROJECT_RUNNER, SHARED_RUNNER
from tests.support.events import (
    BULK_REVOKE_PATH,
    EVENTS_DIR,
    PROXY_EVENT_KEYS,
    REQUEST_CONTEXT_KEYS,
    TOKEN_PATH,
    load_event,
    proxy_event,
)
from tests.support.revocation import FINDINGS_PATH, TYPES_PATH, RevocationApi

GITLAB_URL = "https://gitlab.example.com"  # template.yaml's GitLabUrl default

UNAUTHORIZED = {"message": "401 Unauthorized"}
FORBIDDEN = {"message": "403 Forbidden"}
NOT_FOUND = {"message": {"error": "Not found"}}
UNSUPPORTED = {"message": "Token type not supported."}


def user_entity(
    user_id: int, username: str, name: str, created_at: str, *, state: str = "active", bot: bool = False
) -> dict[str, Any]:
    """The user entity (docs/contract.md): `id, username, name, state, locked, avatar_url, web_url, created_at, bot`."""
    return {
        "id": user_id,
        "username": username,
        "name": name,
        "state": state,
        "locked": False,
        "avatar_url": None,
        "web_url": f"{GITLAB_URL}/{username}",
        "created_at": created_at,
        "bot": bot,
    }


def basic_user(user_id: int, username: str, name: str, *, state: str = "active") -> dict[str, Any]:
    """The basic user (trigger owner, job user): `id, username, name, state, web_url`."""
    return {"id": user_id, "username": username, "name": name, "state": state, "web_url": f"{GITLAB_URL}/{username}"}


ALICE = user_entity(2, "alice", "Alice Developer", "2024-02-01T09:30:00.000Z")


@dataclass(frozen=True)
class AfterLookup:
    """A lookup (as the demo administrator) run after the event, and what it must answer."""

    token: str
    status: int
    body: Any


class _Any:
    """Matches any value: for ids the service makes (audit event ids, times)."""

    def __eq__(self, other: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Any()


@dataclass(frozen=True)
class Expected:
    function: str  # logical id in template.yaml: LookupFunction (POST) or RevokeFunction (DELETE)
    status: int
    body: Any  # the exact JSON body (ANY where the service makes the value); None for an empty body (204)
    flags: dict[str, Any] | None = None  # feature-flag definitions replacing the deployed ones
    then: tuple[AfterLookup, ...] = field(default=())
    before: tuple[str, ...] = ()  # tokens the demo administrator revokes before the event
    headers: dict[str, Any] = field(default_factory=dict)  # headers the answer must carry (ANY: any value)
    method: str | None = None  # when not the function's usual one
    path: str = TOKEN_PATH
    resource: str | None = None  # the route's resource path, when it has path parameters
    minted: tuple[int, ...] = ()  # audit event ids the `before` revokes get, in order (pinned, so exact)
    # The Token Revocation API's routes: the revocation queue and the pre-shared token are set up,
    # and these are the message bodies the queue must hold after the event (in any order).
    queued: tuple[dict[str, Any], ...] | None = None
    # GitHub's alerts: the key document (under events/) the local GitHub meta stand-in publishes.
    github_keys: str | None = None


SHARED_RUNNER_ENTITY = {
    "id": 1,
    "description": "shared",
    "ip_address": "10.0.0.11",
    "active": True,
    "paused": False,
    "is_shared": True,
    "runner_type": "instance_type",
    "name": "runner-1",
    "online": False,
    "status": "never_contacted",
    "created_at": "2024-01-01T00:00:00.000Z",
}
SHARED_RUNNER_UNTOUCHED = AfterLookup(SHARED_RUNNER, 200, SHARED_RUNNER_ENTITY)

AUDIT_EVENTS_PATH = "/api/v4/audit_events"
# Event ids of 2026-11-28T12:00:00.000Z (its millisecond since 2020, shifted 12 bits, plus 1, 2, 3).
AUDIT_IDS = (893052518400001, 893052518400002, 893052518400003)
# The `Token revoked` event for the second of the pinned revokes: runner 1, unregistered by root.
SHARED_RUNNER_REVOKED = {
    "id": AUDIT_IDS[1],
    "author_id": 1,
    "entity_id": 1,
    "entity_type": "Ci::Runner",
    "details": {
        "event_name": "token_revoked",
        "author_name": "Administrator",
        "author_class": "User",
        "target_id": 1,
        "target_type": "Ci::Runner",
        "target_details": "runner-1",
        "custom_message": "Deleted runner 1 (runner authentication token revoked)",
        "token_type": "runner_authentication_token",
        "action": "deleted",
        "request_id": ANY,  # the earlier revoke's own request
        "ip_address": "127.0.0.1",
    },
    "created_at": "2026-11-28T12:00:00.000Z",
}

# The pre-shared token the /v1 events send bare in `Authorization`, as GitLab does. The replay puts
# it in the local secret; a deployed stack's is generated (replace it there to replay against one).
PRE_SHARED_TOKEN = "ReplaceWithYourRevocationTokenSecretValue0000000"
# Where the findings of revoke-tokens.json were found (GitLab's location_link_with_raw_path).
FOUND_IN = "https://gitlab.example.com/acme/shop/-/blob/5f2c9e1d7b3a6048c1e2f3a4b5c6d7e8f9a0b1c2"
DEPLOY_TOKEN_FOUND_AT = f"{FOUND_IN}/deploy/.env#L2"
RUNNER_TOKEN_FOUND_AT = f"{FOUND_IN}/ci/register-runner.sh#L7"
GITHUB_PATH = "/v1/github/secret_scanning"
GITHUB_DEPLOY_TOKEN_FOUND_AT = (
    "https://github.com/acme-oss/shop-deploy/blob/8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d/.env#L4"
)
# The deploy token entity for the seed's deploy token 1, as GitLab answers a lookup of it.
PROJECT_DEPLOY_ENTITY = {
    "id": 1,
    "name": "project-deploy",
    "username": "gitlab+deploy-token-1",
    "expires_at": None,
    "scopes": ["read_repository"],
    "revoked": False,
    "expired": False,
}
# secret-detection.md §2: every rule id of the table, in its order (pipeline triggers are listed
# because the deployed token_api_expire_pipeline_triggers is on).
REVOCABLE_TOKEN_TYPES = [
    f"gitleaks_rule_id_{rule}"
    for rule in (
        "gitlab_personal_access_token",
        "gitlab_personal_access_token_routable",
        "gitlab_deploy_token",
        "gitlab_feed_token_v2",
        "gitlab_oauth_app_secret",
        "gitlab_kubernetes_agent_token",
        "gitlab_runner_auth_token",
        "gitlab_runner_auth_token_routable",
        "gitlab_pipeline_trigger_token",
        "gitlab_incoming_email_token",
        "gitlab_feature_flag_client_token",
        "gitlab_scim_oauth_token",
    )
]

EXPECTED: dict[str, Expected] = {
    # --- One lookup per token type (docs/contract.md "Token types"), in matching order ---------
    "lookup-deploy-token.json": Expected(
        "LookupFunction",
        200,
        {
            "id": 2,
            "name": "group-deploy",
            "username": "gitlab+deploy-token-2",
            "expires_at": "2099-01-01",
            "scopes": ["read_registry"],
            "revoked": False,
            "expired": False,
        },
    ),
    "lookup-feed-token.json": Expected("LookupFunction", 200, ALICE),
    "lookup-personal-access-token.json": Expected("LookupFunction", 200, demo.ALICE_PAT_ENTITY),
    "lookup-oauth-application-secret.json": Expected(
        "LookupFunction",
        200,
        {
            "id": 1,
            "application_id": "8f3d2c1b0a9e8d7c",  # GitLab exposes the application's uid as application_id
            "application_name": "Grafana",
            "callback_url": "https://grafana.example.com/login/gitlab",
            "confidential": True,
            "scopes": ["read_user", "openid"],
        },
    ),
    "lookup-cluster-agent-token.json": Expected(
        "LookupFunction",
        200,
        {
            "id": 1,
            "name": "production-agent",
            "description": "prod cluster",
            "agent_id": 5,
            "status": "active",
            "created_at": "2024-04-01T00:00:00.000Z",
            "created_by_user_id": 1,
            "last_used_at": "2024-04-02T08:00:00.000Z",
        },
    ),
    "lookup-runner-token.json": Expected("LookupFunction", 200, SHARED_RUNNER_ENTITY),
    "lookup-pipeline-trigger-token.json": Expected(
        "LookupFunction",
        200,
        {
            "id": 1,
            "token": "glptt-…a1b2",  # (ours) masked hint: prefix, an ellipsis, the last four characters
            "description": "deploy",
            "created_at": "2024-01-01T00:00:00.000Z",
            "updated_at": "2024-01-01T00:00:00.000Z",  # never updated: equal to created_at
            "last_used": None,
            "expires_at": None,
            "owner": basic_user(1, "root", "Administrator"),
        },
    ),
    "lookup-ci-job-token.json": Expected(
        "LookupFunction",
        200,
        {
            "job": {
                "id": 1,
                "status": "running",
                "stage": "test",
                "name": "build",
                "ref": "main",
                "tag": False,
                "created_at": "2024-01-01T00:00:00.000Z",
                "started_at": "2024-01-01T00:00:01.000Z",
                "finished_at": None,
                "user": basic_user(2, "alice", "Alice Developer"),
                # The contract names no pipeline fields; what the seed knows of pipeline 7 (a job runs on its
                # pipeline's ref in GitLab, so the pipeline's ref is the job's).
                "pipeline": {"id": 7, "project_id": 10, "ref": "main"},
            }
        },
    ),
    "lookup-feature-flags-client-token.json": Expected("LookupFunction", 200, {"id": 1, "project_id": 10}),
    "lookup-gitlab-session.json": Expected("LookupFunction", 200, ALICE),
    "lookup-incoming-email-token.json": Expected("LookupFunction", 200, ALICE),
    # GitLab's entities of the instance's SCIM token and of group 20's
    "lookup-scim-access-token.json": Expected(
        "LookupFunction",
        200,
        {"id": 1, "created_at": "2024-04-01T00:00:00.000Z", "group_id": None, "organization_id": 1},
    ),
    "lookup-group-scim-access-token.json": Expected(
        "LookupFunction", 200, {"id": 1, "created_at": "2024-04-02T00:00:00.000Z", "group_id": 20}
    ),
    # --- Lookup errors (docs/contract.md "Who may call", "Order of checks") --------------------
    "lookup-no-credential.json": Expected("LookupFunction", 401, UNAUTHORIZED),
    "lookup-read-api-only.json": Expected("LookupFunction", 403, FORBIDDEN),
    "lookup-token-in-query-string.json": Expected(
        "LookupFunction", 400, {"error": "token must be sent in the request body"}
    ),
    "lookup-token-null.json": Expected("LookupFunction", 400, {"error": "token is invalid"}),
    "lookup-unsupported-prefix.json": Expected("LookupFunction", 422, UNSUPPORTED),
    "lookup-not-found.json": Expected("LookupFunction", 404, NOT_FOUND),
    "lookup-finished-ci-job.json": Expected("LookupFunction", 404, NOT_FOUND),  # found only while running
    # --- Revoke ------------------------------------------------------------------------------------
    "revoke-runner-token.json": Expected(
        "RevokeFunction",
        204,
        None,
        then=(AfterLookup(PROJECT_RUNNER, 404, NOT_FOUND), SHARED_RUNNER_UNTOUCHED),
    ),
    "revoke-no-credential.json": Expected("RevokeFunction", 401, UNAUTHORIZED, then=(SHARED_RUNNER_UNTOUCHED,)),
    "revoke-non-admin.json": Expected("RevokeFunction", 403, FORBIDDEN, then=(SHARED_RUNNER_UNTOUCHED,)),
    "revoke-unsupported-prefix.json": Expected("RevokeFunction", 422, UNSUPPORTED),
    "revoke-not-found.json": Expected("RevokeFunction", 404, NOT_FOUND),
    "revoke-missing-token.json": Expected("RevokeFunction", 400, {"error": "token is missing"}),
    # --- Incident response: dry run, remembered revokes, bulk ---------------------------------------
    "revoke-dry-run.json": Expected(
        "RevokeFunction",
        200,
        {
            "dry_run": True,
            "token_type": "runner_authentication_token",
            "action": "deleted",
            "target": {"type": "runner", "id": 2},
            "cascade": [{"type": "runner_project", "id": 10}, {"type": "runner_project", "id": 11}],
        },
        headers={"X-Token-Type": "runner_authentication_token", "X-Token-Action": "deleted"},
        then=(AfterLookup(PROJECT_RUNNER, 200, ANY),),
    ),
    "revoke-tombstoned-runner.json": Expected(
        "RevokeFunction",
        404,
        NOT_FOUND,
        before=(PROJECT_RUNNER,),
        headers={"X-Token-Type": "runner_authentication_token", "X-Token-Revoked-At": ANY, "X-Audit-Event-Id": ANY},
    ),
    "bulk-revoke-dry-run.json": Expected(
        "RevokeFunction",
        200,
        {
            "dry_run": True,
            "summary": {
                "revoked": 1,
                "reset": 0,
                "deleted": 1,
                "expired": 0,
                "already_revoked": 0,
                "not_found": 1,
                "unsupported": 1,
                "refused": 1,
                "invalid": 0,
                "duplicate": 1,
                "failed": 0,
            },
            "results": [
                {
                    "index": 0,
                    "token_hint": "glrt-…s9Fy",
                    "token_type": "runner_authentication_token",
                    "outcome": "deleted",
                    "status": 200,
                    "target": {"type": "runner", "id": 2},
                    "cascade": [{"type": "runner_project", "id": 10}, {"type": "runner_project", "id": 11}],
                },
                {
                    "index": 1,
                    "token_hint": "glpat-…7Xe1",
                    "token_type": "personal_access_token",
                    "outcome": "revoked",
                    "status": 200,
                    "target": {"type": "personal_access_token", "id": 6},
                },
                {
                    "index": 2,
                    "token_hint": "glcbt-…q7Ez",
                    "token_type": "ci_job_token",
                    "outcome": "refused",
                    "status": 400,
                    "message": "Unsupported token type",
                },
                {"index": 3, "token_hint": "ghp_…0000", "token_type": None, "outcome": "unsupported", "status": 422},
                {
                    "index": 4,
                    "token_hint": "glrt-…s9Fy",
                    "token_type": "runner_authentication_token",
                    "outcome": "duplicate",
                    "duplicate_of": 0,
                },
                {
                    "index": 5,
                    "token_hint": "glpat-…re00",
                    "token_type": "personal_access_token",
                    "outcome": "not_found",
                    "status": 404,
                },
            ],
        },
        method="POST",
        path=BULK_REVOKE_PATH,
        then=(AfterLookup(PROJECT_RUNNER, 200, ANY),),
    ),
    "bulk-revoke.json": Expected(
        "RevokeFunction",
        200,
        {
            "dry_run": False,
            "summary": {
                "revoked": 1,
                "reset": 0,
                "deleted": 0,
                "expired": 0,
                "already_revoked": 0,
                "not_found": 1,
                "unsupported": 0,
                "refused": 1,
                "invalid": 1,
                "duplicate": 0,
                "failed": 0,
            },
            "results": [
                {
                    "index": 0,
                    "token_hint": "glagent-…2Vx8",
                    "token_type": "cluster_agent_token",
                    "outcome": "revoked",
                    "status": 204,
                    "target": {"type": "cluster_agent_token", "id": 1},
                    "audit_event_id": ANY,
                },
                {
                    "index": 1,
                    "token_hint": "glcbt-…q7Ez",
                    "token_type": "ci_job_token",
                    "outcome": "refused",
                    "status": 400,
                    "message": "Unsupported token type",
                },
                {
                    "index": 2,
                    "token_hint": "glpat-…re00",
                    "token_type": "personal_access_token",
                    "outcome": "not_found",
                    "status": 404,
                },
                {"index": 3, "token_hint": None, "token_type": None, "outcome": "invalid", "status": 400},
            ],
        },
        method="POST",
        path=BULK_REVOKE_PATH,
    ),
    # --- Audit events (GitLab's shape): three revokes first, their event ids pinned ----------------
    "audit-events-runners.json": Expected(
        "AuditEventsFunction",
        200,
        [SHARED_RUNNER_REVOKED],  # the newest runner event; the agent's is filtered out
        before=(PROJECT_RUNNER, SHARED_RUNNER, AGENT),
        minted=AUDIT_IDS,
        path=AUDIT_EVENTS_PATH,
        headers={
            "X-Per-Page": "1",
            # More remain (runner 2's): the same query from where this page ended, on the caller's host.
            "Link": f"<https://1234567890.execute-api.us-east-1.amazonaws.com/prod{AUDIT_EVENTS_PATH}"
            f'?cursor={encode_cursor(AUDIT_IDS[1])}&per_page=1&entity_type=Ci%3A%3ARunner>; rel="next"',
        },
    ),
    "audit-event-by-id.json": Expected(
        "AuditEventsFunction",
        200,
        SHARED_RUNNER_REVOKED,
        before=(PROJECT_RUNNER, SHARED_RUNNER, AGENT),
        minted=AUDIT_IDS,
        path=f"{AUDIT_EVENTS_PATH}/{AUDIT_IDS[1]}",
        resource=f"{AUDIT_EVENTS_PATH}/{{id}}",
    ),
    "audit-event-not-found.json": Expected(
        "AuditEventsFunction",
        404,
        {"message": "404 Audit Event Not Found"},
        path=f"{AUDIT_EVENTS_PATH}/893052518400099",
        resource=f"{AUDIT_EVENTS_PATH}/{{id}}",
    ),
    "revoke-flag-off.json": Expected(
        "RevokeFunction",
        404,
        {"message": "'api_admin_token_revoke' feature flag is disabled"},
        flags={"api_admin_token_revoke": {"default": False}},
        then=(SHARED_RUNNER_UNTOUCHED,),
    ),
    # --- GitLab's Token Revocation API (secret-detection.md), sent as Security::TokenRevocationService does
    "revocable-token-types.json": Expected(
        "IntakeFunction", 200, {"types": REVOCABLE_TOKEN_TYPES}, method="GET", path=TYPES_PATH, queued=()
    ),
    "revoke-tokens.json": Expected(
        "IntakeFunction",
        204,
        None,
        method="POST",
        path=FINDINGS_PATH,
        # §3: digest, type from the prefix, location ("" is none); the deploy token found twice is
        # queued once, with its first location. Nothing is revoked until the worker runs.
        queued=(
            {"digest": token_digest(PROJECT_DEPLOY), "token_type": "deploy_token", "location": DEPLOY_TOKEN_FOUND_AT},
            {"digest": token_digest(ALICE_FEED), "token_type": "feed_token", "location": None},
            {
                "digest": token_digest(SHARED_RUNNER),
                "token_type": "runner_authentication_token",
                "location": RUNNER_TOKEN_FOUND_AT,
            },
        ),
        then=(AfterLookup(PROJECT_DEPLOY, 200, PROJECT_DEPLOY_ENTITY), SHARED_RUNNER_UNTOUCHED),
    ),
    # --- GitHub's secret scanning partner alert, signed by the key events/github/ publishes
    "github-secret-scanning-alert.json": Expected(
        "IntakeFunction",
        200,
        # One entry per distinct token, first seen first: the deploy token is ours and live; the
        # never-issued glpat- token and the GitHub token are not credentials of ours.
        [
            {"token_hash": token_digest(PROJECT_DEPLOY), "token_type": "gitlab_deploy_token", "label": "true_positive"},
            {
                "token_hash": token_digest("glpat-neverIssuedTk0Zz9Yy8"),
                "token_type": "gitlab_personal_access_token",
                "label": "false_positive",
            },
            {
                "token_hash": token_digest("ghp_aGitHubTokenNotOurs0123456789"),
                "token_type": "gitlab_personal_access_token",
                "label": "false_positive",
            },
        ],
        method="POST",
        path=GITHUB_PATH,
        # Queued once, with the first match's URL, for the worker to revoke as GitHub Secret Scanning.
        queued=(
            {
                "digest": token_digest(PROJECT_DEPLOY),
                "token_type": "deploy_token",
                "location": GITHUB_DEPLOY_TOKEN_FOUND_AT,
                "author": "github_secret_scanning",
            },
        ),
        github_keys="github/secret-scanning-keys.json",
        then=(AfterLookup(PROJECT_DEPLOY, 200, PROJECT_DEPLOY_ENTITY), SHARED_RUNNER_UNTOUCHED),
    ),
}


@dataclass(frozen=True)
class WorkerExpected:
    """An SQS event for RevocationWorkerFunction, replayed as Lambda's event source mapping hands it over."""

    response: dict[str, Any]  # the partial batch response
    outcomes: tuple[str, ...]  # what each message that was read ended as, in order
    audit_events: list[dict[str, Any]]  # GET /api/v4/audit_events afterwards
    then: tuple[AfterLookup, ...] = ()


GOOD_MESSAGE_ID = "4f9c2b1e-7d3a-4e8b-9c6f-1a2b3c4d5e6f"
DUPLICATE_MESSAGE_ID = "b7e31d0a-52c4-4f96-8a1e-3d9f6c2b8e40"
BAD_MESSAGE_ID = "e0a5c8d2-1f6b-4b3e-b7a9-5c4d3e2f1a09"
WORKER_EXPECTED: dict[str, WorkerExpected] = {
    # The deploy token's message as revoke-tokens.json queues it, the same finding queued again by a
    # later request, and a body cut short. §4: revoked once, as GitLab Security Bot, with its
    # location; the duplicate is an outcome (already revoked), not a retry; only the bad one fails.
    "revocation-worker-batch.json": WorkerExpected(
        response={"batchItemFailures": [{"itemIdentifier": BAD_MESSAGE_ID}]},
        outcomes=("revoked", "already_revoked"),
        audit_events=[
            {
                "id": ANY,
                "author_id": -1,
                "entity_id": 1,
                "entity_type": "DeployToken",
                "details": {
                    "event_name": "token_revoked",
                    "author_name": "GitLab Security Bot",
                    "author_class": "SecretDetection",
                    "target_id": 1,
                    "target_type": "DeployToken",
                    "target_details": "project-deploy",
                    "custom_message": ANY,
                    "token_type": "deploy_token",
                    "action": "revoked",
                    "request_id": GOOD_MESSAGE_ID,
                    "ip_address": None,
                    "location": DEPLOY_TOKEN_FOUND_AT,
                },
                "created_at": ANY,
            }
        ],
        then=(AfterLookup(PROJECT_DEPLOY, 200, {**PROJECT_DEPLOY_ENTITY, "revoked": True}),),
    ),
}

METHOD_OF = {"LookupFunction": "POST", "RevokeFunction": "DELETE", "AuditEventsFunction": "GET"}


def event_files() -> set[str]:
    return {path.name for path in EVENTS_DIR.glob("*.json")}


def test_every_event_file_has_an_expectation_and_every_expectation_a_file() -> None:
    files = event_files()
    expected = EXPECTED.keys() | WORKER_EXPECTED.keys()
    assert not EXPECTED.keys() & WORKER_EXPECTED.keys()
    assert sorted(files - expected) == [], "event files with no entry in EXPECTED or WORKER_EXPECTED"
    assert sorted(expected - files) == [], "entries in EXPECTED or WORKER_EXPECTED with no file in events/"
    assert all(path.suffix == ".json" for path in EVENTS_DIR.iterdir() if path.is_file())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_event_file_is_a_complete_rest_proxy_event(name: str) -> None:
    event = load_event(name)
    expected = EXPECTED[name]
    method = expected.method or METHOD_OF[expected.function]
    path = expected.path
    resource = expected.resource or path

    assert set(event) == PROXY_EVENT_KEYS
    assert set(event["requestContext"]) == REQUEST_CONTEXT_KEYS
    # API Gateway names its own domain; the Link header is built from it, never from Host.
    assert event["requestContext"]["domainName"] == event["headers"]["Host"]
    assert event["requestContext"]["domainPrefix"] == event["requestContext"]["apiId"]
    assert (event["resource"], event["path"]) == (resource, path)
    assert event["requestContext"]["resourcePath"] == resource
    assert event["requestContext"]["path"] == f"/{event['requestContext']['stage']}{path}"
    assert event["httpMethod"] == event["requestContext"]["httpMethod"] == method
    assert event["isBase64Encoded"] is False
    if method == "GET":
        # A GET has no body; its path parameters are what the resource's {names} matched.
        assert event["body"] is None
        # GitLab's TokenRevocationService sends `Content-Type: application/json` on its GET too.
        assert "Content-Type" not in event["headers"] or path == TYPES_PATH
        names = re.findall(r"\{(\w+)\}", resource)
        segments = dict(zip(resource.split("/"), path.split("/"), strict=True))
        expected_parameters = {name: segments["{" + name + "}"] for name in names} or None
        assert event["pathParameters"] == expected_parameters
    else:
        assert isinstance(event["body"], str)
        json.loads(event["body"])
        assert event["headers"]["Content-Type"] == "application/json"
    assert event["multiValueHeaders"] == {name: [value] for name, value in event["headers"].items()}
    query = event["queryStringParameters"]
    multi_query = event["multiValueQueryStringParameters"]
    assert multi_query == (None if query is None else {key: [value] for key, value in query.items()})


def test_request_ids_are_distinct() -> None:
    ids = [load_event(name)["requestContext"]["requestId"] for name in sorted(EXPECTED)]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_replay_event(
    name: str,
    request: pytest.FixtureRequest,
    tables: dict[str, str],
    appconfig: AppConfigStandIn,
    dynamodb_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = EXPECTED[name]
    if expected.minted:
        minted = iter(expected.minted)
        monkeypatch.setattr("admin_token.audit.next_audit_id", lambda now=None: next(minted))
    if expected.flags is not None:
        appconfig.set_document({**copy.deepcopy(DEFAULT_FLAGS), **copy.deepcopy(expected.flags)})
        reset_configuration_cache()

    for token in expected.before:
        revoke = proxy_event("DELETE", body={"token": token}, headers={"PRIVATE-TOKEN": ADMIN})
        assert call("RevokeFunction", revoke).status == 204
    revocation = None
    if expected.queued is not None:
        revocation = revocation_api(dynamodb_endpoint, monkeypatch)
    meta = None
    if expected.github_keys is not None:
        meta = GitHubMetaStandIn((EVENTS_DIR / expected.github_keys).read_bytes())
        monkeypatch.setenv("GITHUB_KEYS_URL", meta.start())
        reset_github_keys()
        request.addfinalizer(meta.stop)
        request.addfinalizer(reset_github_keys)

    response = call(expected.function, load_event(name))

    assert (response.status, response.body) == (expected.status, expected.body)
    for header, value in expected.headers.items():
        assert response.headers.get(header) not in (None, ""), header
        assert response.headers[header] == value, header
    if expected.status == 204:
        assert response.raw["body"] in ("", None)
    if revocation is not None and expected.queued is not None:
        assert sorted(revocation.queued(), key=json.dumps) == sorted(expected.queued, key=json.dumps)
    assert_lookups(expected.then, name)


def assert_lookups(lookups: tuple[AfterLookup, ...], name: str) -> None:
    for after in lookups:
        looked_up = call(
            "LookupFunction", proxy_event("POST", body={"token": after.token}, headers={"PRIVATE-TOKEN": ADMIN})
        )
        assert (looked_up.status, looked_up.body) == (after.status, after.body), f"lookup after {name}"


def revocation_api(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> RevocationApi:
    """The revocation queue and the secret in moto, the secret holding the events' pre-shared token."""
    revocation = RevocationApi(endpoint, monkeypatch)
    secrets = boto3.client("secretsmanager", endpoint_url=endpoint)
    secrets.put_secret_value(SecretId="RevocationTokenSecret", SecretString=PRE_SHARED_TOKEN)
    reset_secret_cache()
    return revocation


# -- RevocationWorkerFunction's SQS events --------------------------------------------------------

SQS_RECORD_KEYS = {
    "messageId",
    "receiptHandle",
    "body",
    "attributes",
    "messageAttributes",
    "md5OfBody",
    "eventSource",
    "eventSourceARN",
    "awsRegion",
}
PLAINTEXTS = [value for name, value in vars(demo).items() if name.isupper() and isinstance(value, str)]


@pytest.mark.parametrize("name", sorted(WORKER_EXPECTED))
def test_worker_event_file_is_a_complete_sqs_event_with_no_plaintext(name: str) -> None:
    event = load_event(name)
    assert set(event) == {"Records"}
    records = event["Records"]
    assert 1 <= len(records) <= 10  # the function's BatchSize
    assert len({record["messageId"] for record in records}) == len(records)
    for record in records:
        assert set(record) == SQS_RECORD_KEYS
        assert (record["eventSource"], record["awsRegion"]) == ("aws:sqs", "us-east-1")
        assert re.fullmatch(r"arn:aws:sqs:us-east-1:123456789012:[\w-]+", record["eventSourceARN"])
        assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()  # noqa: S324 - SQS's own
        assert int(record["attributes"]["ApproximateReceiveCount"]) >= 1
        assert int(record["attributes"]["SentTimestamp"]) <= int(
            record["attributes"]["ApproximateFirstReceiveTimestamp"]
        )
    text = json.dumps(event)
    assert [token for token in PLAINTEXTS if token in text] == []  # digests only, never a plaintext


@pytest.mark.parametrize("name", sorted(WORKER_EXPECTED))
def test_replay_worker_event(name: str, tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    import functions.revocation_worker.app as worker

    expected = WORKER_EXPECTED[name]
    outcomes: list[str] = []
    revoke_queued = worker.revoke_queued

    def recording(*args: Any, **kwargs: Any) -> str:
        outcomes.append(revoke_queued(*args, **kwargs))
        return outcomes[-1]

    monkeypatch.setattr(worker, "revoke_queued", recording)

    response = worker.lambda_handler(load_event(name), FakeLambdaContext("RevocationWorkerFunction", 512, 30))

    assert response == expected.response
    assert tuple(outcomes) == expected.outcomes
    audit = proxy_event("GET", headers={"PRIVATE-TOKEN": ADMIN})
    audit["path"] = audit["resource"] = audit["requestContext"]["resourcePath"] = "/api/v4/audit_events"
    listed = call("AuditEventsFunction", audit)
    assert (listed.status, listed.body) == (200, expected.audit_events)
    assert_lookups(expected.then, name)


def test_the_worker_events_message_is_the_one_the_findings_event_queues(
    tables: dict[str, str], dynamodb_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """revocation-worker-batch.json's good message, byte for byte, is what revoke-tokens.json queues."""
    revocation = revocation_api(dynamodb_endpoint, monkeypatch)
    assert call("IntakeFunction", load_event("revoke-tokens.json")).status == 204
    received = revocation.sqs.receive_message(QueueUrl=revocation.queue_url, MaxNumberOfMessages=10)["Messages"]
    [record] = [r for r in load_event("revocation-worker-batch.json")["Records"] if r["messageId"] == GOOD_MESSAGE_ID]
    assert record["body"] in [message["Body"] for message in received]
