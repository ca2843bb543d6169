"""The seed file (docs/local-run.md): plaintext tokens go in, only their digests are stored.

Sections map onto the layer's own item builders, so seeded data has exactly the shape the
service reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from admin_token.digests import token_digest, token_hint
from admin_token.models.records import (
    CiJob,
    ClusterAgentToken,
    DeployToken,
    FeatureFlagsClient,
    OAuthApplication,
    PersonalAccessToken,
    PipelineTrigger,
    Record,
    Runner,
    User,
    UtcTimestamp,
    is_past,
)
from admin_token.storage.dynamodb import DynamoDBTokenStore
from admin_token.storage.items import (
    runner_items,
    token_item,
    token_pointer_item,
    user_item,
)
from admin_token_local.dynamodb_local import dynamodb_client

DEMO_SEED_PATH = Path(__file__).resolve().parents[2] / "demo" / "seed.json"
TABLE_ROLES = {"tokens": "TokensTable", "users": "UsersTable", "runners": "RunnersTable", "audit": "AuditTable"}


class SeedError(Exception):
    """A seed that cannot be used; the message is one line that says why."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


# Every timestamp field is a UtcTimestamp: one written without a UTC offset (or as a date alone)
# is read as UTC, as GitLab's times are, and stored with its offset. A naive one could not be
# compared with the service's clock.


class SeedUser(_Section):
    id: int
    username: str
    name: str
    admin: bool = False
    state: str = "active"
    bot: bool = False
    locked: bool = False
    avatar_url: str | None = None
    project_id: int | None = None
    group_id: int | None = None
    created_at: UtcTimestamp
    feed_token: str | None = None
    incoming_email_token: str | None = None


class SeedPersonalAccessToken(_Section):
    id: int
    user_id: int
    name: str
    description: str = ""
    token: str
    scopes: list[str]
    expires_at: date | None = None
    revoked: bool = False
    impersonation: bool = False
    created_at: UtcTimestamp
    last_used_at: UtcTimestamp | None = None


class SeedDeployToken(_Section):
    id: int
    name: str
    username: str
    token: str
    project_id: int | None = None
    group_id: int | None = None
    scopes: list[str] = Field(default_factory=list)
    expires_at: str | None = None
    revoked: bool = False


class SeedOAuthApplication(_Section):
    id: int
    name: str
    uid: str
    secret: str
    redirect_uri: str
    confidential: bool = True
    scopes: list[str] = Field(default_factory=list)


class SeedClusterAgentToken(_Section):
    id: int
    agent_id: int
    name: str
    description: str = ""
    token: str
    status: str = "active"
    created_by_user_id: int | None = None
    created_at: UtcTimestamp
    last_used_at: UtcTimestamp | None = None


class SeedRunner(_Section):
    id: int
    token: str
    runner_type: str
    description: str = ""
    name: str | None = None
    active: bool = True
    paused: bool = False
    ip_address: str | None = None
    project_ids: list[int] = Field(default_factory=list)
    group_ids: list[int] = Field(default_factory=list)
    contacted_at: UtcTimestamp | None = None
    created_at: UtcTimestamp


class SeedPipelineTrigger(_Section):
    id: int
    project_id: int
    owner_id: int
    token: str
    description: str = ""
    created_at: UtcTimestamp
    expires_at: UtcTimestamp | None = None
    last_used: UtcTimestamp | None = None


class SeedCiJob(_Section):
    id: int
    project_id: int
    user_id: int
    pipeline_id: int
    token: str
    status: str
    name: str
    stage: str
    ref: str
    tag: bool = False
    created_at: UtcTimestamp
    started_at: UtcTimestamp | None = None
    finished_at: UtcTimestamp | None = None


class SeedFeatureFlagsClient(_Section):
    id: int
    project_id: int
    token: str


class SeedSession(_Section):
    session_id: str
    user_id: int


class Seed(_Section):
    users: list[SeedUser] = Field(default_factory=list)
    personal_access_tokens: list[SeedPersonalAccessToken] = Field(default_factory=list)
    deploy_tokens: list[SeedDeployToken] = Field(default_factory=list)
    oauth_applications: list[SeedOAuthApplication] = Field(default_factory=list)
    cluster_agent_tokens: list[SeedClusterAgentToken] = Field(default_factory=list)
    runners: list[SeedRunner] = Field(default_factory=list)
    pipeline_triggers: list[SeedPipelineTrigger] = Field(default_factory=list)
    ci_jobs: list[SeedCiJob] = Field(default_factory=list)
    feature_flags_clients: list[SeedFeatureFlagsClient] = Field(default_factory=list)
    sessions: list[SeedSession] = Field(default_factory=list)


SESSION_PREFIX = "_gitlab_session="


def load_seed_file(path: Path) -> Seed:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise SeedError(f"cannot read seed file {path}: {_lower_first(error.strerror or str(error))}") from error
    except ValueError as error:
        raise SeedError(f"seed file {path} is not valid JSON: {_lower_first(str(error))}") from error
    return parse_seed(document, source=str(path))


def parse_seed(document: Any, source: str = "seed") -> Seed:
    try:
        return Seed.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        if first["type"] == "extra_forbidden":
            raise SeedError(f"{source}: unknown key '{first['loc'][-1]}' at {where}") from error
        raise SeedError(f"{source}: {where}: {_lower_first(first['msg'])}") from error


def _lower_first(message: str) -> str:
    # The CLI's error lines read as argparse's: lowercase after each colon (pydantic, json and
    # the OS capitalise theirs).
    return message[:1].lower() + message[1:]


def seed_items(seed: Seed) -> dict[str, list[dict[str, Any]]]:
    """Every item the seed becomes, by table role. Tokens appear only as digests."""
    items: dict[str, list[dict[str, Any]]] = {"tokens": [], "users": [], "runners": []}
    items["users"] = [user_item(_user(user)) for user in seed.users]
    items["tokens"] = list(_token_items(seed))
    for runner in seed.runners:
        record = Runner.from_attributes({**runner.model_dump(exclude={"token"}), "version": 1})
        items["runners"].extend(runner_items(record))
    return items


def _user(user: SeedUser) -> User:
    fields = user.model_dump(exclude={"feed_token", "incoming_email_token"})
    return User.from_attributes(
        {
            **fields,
            "feed_token_digest": token_digest(user.feed_token) if user.feed_token else None,
            "incoming_email_token_digest": token_digest(user.incoming_email_token)
            if user.incoming_email_token
            else None,
        }
    )


def _token_items(seed: Seed) -> Iterator[dict[str, Any]]:
    record: Record
    for user in seed.users:
        if user.feed_token:
            yield token_pointer_item(token_digest(user.feed_token), "feed_token", user_id=user.id)
        if user.incoming_email_token:
            yield token_pointer_item(token_digest(user.incoming_email_token), "incoming_email_token", user_id=user.id)
    for session in seed.sessions:
        digest = token_digest(SESSION_PREFIX + session.session_id)
        yield token_pointer_item(digest, "gitlab_session", user_id=session.user_id)
    for runner in seed.runners:
        yield token_pointer_item(token_digest(runner.token), "runner_authentication_token", runner_id=runner.id)
    for pat in seed.personal_access_tokens:
        record = PersonalAccessToken.from_attributes(pat.model_dump(exclude={"token"}))
        yield _own_record(pat.token, "personal_access_token", record)
    for deploy in seed.deploy_tokens:
        yield _own_record(
            deploy.token, "deploy_token", DeployToken.from_attributes(deploy.model_dump(exclude={"token"}))
        )
    for application in seed.oauth_applications:
        record = OAuthApplication.from_attributes(application.model_dump(exclude={"secret"}))
        yield _own_record(application.secret, "oauth_application_secret", record)
    for agent in seed.cluster_agent_tokens:
        record = ClusterAgentToken.from_attributes(agent.model_dump(exclude={"token"}))
        yield _own_record(agent.token, "cluster_agent_token", record)
    for trigger in seed.pipeline_triggers:
        record = PipelineTrigger.from_attributes(
            {
                **trigger.model_dump(exclude={"token"}),
                "token_hint": token_hint(trigger.token, "glptt-"),
                "updated_at": trigger.created_at,
            }
        )
        yield _own_record(trigger.token, "pipeline_trigger_token", record)
    for job in seed.ci_jobs:
        yield _own_record(job.token, "ci_job_token", CiJob.from_attributes(job.model_dump(exclude={"token"})))
    for client in seed.feature_flags_clients:
        record = FeatureFlagsClient.from_attributes(client.model_dump(exclude={"token"}))
        yield _own_record(client.token, "feature_flags_client_token", record)


def _own_record(token: str, token_type: str, record: Record) -> dict[str, Any]:
    return token_item(token_digest(token), token_type, record.to_attributes())


def write_seed(seed: Seed, *, endpoint_url: str | None, table_names: Mapping[str, str]) -> None:
    """Load the seed into the tables (logical id -> physical name) at `endpoint_url` (None: AWS)."""
    store = DynamoDBTokenStore(
        client=dynamodb_client(endpoint_url),
        tables={role: table_names.get(logical_id, logical_id) for role, logical_id in TABLE_ROLES.items()},
    )
    for role, items in seed_items(seed).items():
        store.put_items(role, items)


def demo_admin_token(seed: Seed) -> str | None:
    """A token that passes every check on callers (docs/contract.md): active admin, live, `api` scope."""
    admins = {user.id for user in seed.users if user.admin and user.state == "active"}
    today = datetime.now(UTC).date()
    usable = [
        pat
        for pat in seed.personal_access_tokens
        if pat.user_id in admins and not pat.revoked and "api" in pat.scopes and not is_past(pat.expires_at, today)
    ]
    # Prefer one that also carries admin_mode: it keeps working when an operator turns admin mode on.
    usable.sort(key=lambda pat: "admin_mode" not in pat.scopes)
    return usable[0].token if usable else None


def demo_runner_token(seed: Seed) -> str | None:
    return seed.runners[0].token if seed.runners else None
