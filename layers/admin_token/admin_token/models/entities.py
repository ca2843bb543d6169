"""Response entities, field for field what GitLab's token information API returns for each type.

Each entity maps explicitly from domain records: nothing stored leaks into a response by accident.
Frozen value classes (`models.frozen`) whose fields hold the JSON values themselves (times already
in GitLab's format): a response needs no serialisation framework, and the functions never import
pydantic.
The OpenAPI document reads their schemas from the same classes (`admin_token_openapi`, outside the layer).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from admin_token.models.frozen import Frozen
from admin_token.models.records import (
    CiJob,
    ClusterAgentToken,
    DeployToken,
    FeatureFlagsClient,
    OAuthApplication,
    PersonalAccessToken,
    PipelineTrigger,
    Runner,
    ScimAccessToken,
    User,
)


def gitlab_timestamp(value: datetime) -> str:
    """GitLab's format: UTC, millisecond precision, "Z" suffix."""
    as_utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return as_utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{as_utc.microsecond // 1000:03d}Z"


def _timestamp_or_none(value: datetime | None) -> str | None:
    return None if value is None else gitlab_timestamp(value)


def _day_or_none(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


# The JSON text of a time (GitLab's format) or a day (ISO 8601); named so a reader sees what the
# string holds.
Timestamp = str
Day = str


def _json(value: Any) -> Any:
    if isinstance(value, Entity):
        return value.to_json()
    if isinstance(value, list):
        return [_json(element) for element in value]
    return value


class Entity(Frozen):
    def to_json(self) -> dict[str, Any]:
        return {spec.name: _json(getattr(self, spec.name)) for spec in self.__fields__}


class UserEntity(Entity):
    id: int
    username: str
    name: str
    state: str
    locked: bool
    avatar_url: str | None
    web_url: str
    created_at: Timestamp
    bot: bool

    @classmethod
    def of(cls, user: User, gitlab_url: str) -> UserEntity:
        return cls(
            id=user.id,
            username=user.username,
            name=user.name,
            state=user.state,
            locked=user.locked,
            avatar_url=user.avatar_url,
            web_url=f"{gitlab_url.rstrip('/')}/{user.username}",
            created_at=gitlab_timestamp(user.created_at),
            bot=user.bot,
        )


class UserBasicEntity(Entity):
    id: int
    username: str
    name: str
    state: str
    web_url: str

    @classmethod
    def of(cls, user: User, gitlab_url: str) -> UserBasicEntity:
        return cls(
            id=user.id,
            username=user.username,
            name=user.name,
            state=user.state,
            web_url=f"{gitlab_url.rstrip('/')}/{user.username}",
        )


class DeployTokenEntity(Entity):
    id: int
    name: str
    username: str
    expires_at: Day | None
    scopes: list[str]
    revoked: bool
    expired: bool

    @classmethod
    def of(cls, token: DeployToken, today: date) -> DeployTokenEntity:
        return cls(
            id=token.id,
            name=token.name,
            username=token.username,
            expires_at=_day_or_none(token.expires_at),
            scopes=token.scopes,
            revoked=token.revoked,
            expired=token.expired(today),
        )


class PersonalAccessTokenEntity(Entity):
    id: int
    name: str
    description: str
    revoked: bool
    created_at: Timestamp
    scopes: list[str]
    user_id: int
    last_used_at: Timestamp | None
    active: bool
    expires_at: Day | None
    impersonation: bool

    @classmethod
    def of(cls, token: PersonalAccessToken, today: date) -> PersonalAccessTokenEntity:
        return cls(
            id=token.id,
            name=token.name,
            description=token.description,
            revoked=token.revoked,
            created_at=gitlab_timestamp(token.created_at),
            scopes=token.scopes,
            user_id=token.user_id,
            last_used_at=_timestamp_or_none(token.last_used_at),
            active=token.active(today),
            expires_at=_day_or_none(token.expires_at),
            impersonation=token.impersonation,
        )


class OAuthApplicationEntity(Entity):
    id: int
    application_id: str
    application_name: str
    callback_url: str
    confidential: bool
    scopes: list[str]

    @classmethod
    def of(cls, application: OAuthApplication) -> OAuthApplicationEntity:
        return cls(
            id=application.id,
            application_id=application.uid,
            application_name=application.name,
            callback_url=application.redirect_uri,
            confidential=application.confidential,
            scopes=application.scopes,
        )


class ClusterAgentTokenEntity(Entity):
    id: int
    name: str
    description: str
    agent_id: int
    status: str
    created_at: Timestamp
    created_by_user_id: int | None
    last_used_at: Timestamp | None

    @classmethod
    def of(cls, token: ClusterAgentToken) -> ClusterAgentTokenEntity:
        return cls(
            id=token.id,
            name=token.name,
            description=token.description,
            agent_id=token.agent_id,
            status=token.status,
            created_at=gitlab_timestamp(token.created_at),
            created_by_user_id=token.created_by_user_id,
            last_used_at=_timestamp_or_none(token.last_used_at),
        )


class RunnerEntity(Entity):
    id: int
    description: str
    ip_address: str | None
    active: bool
    paused: bool
    is_shared: bool
    runner_type: str
    name: str | None
    online: bool
    status: str
    created_at: Timestamp

    @classmethod
    def of(cls, runner: Runner, now: datetime) -> RunnerEntity:
        status = runner.status(now)
        return cls(
            id=runner.id,
            description=runner.description,
            ip_address=runner.ip_address,
            active=runner.active,
            paused=runner.paused,
            is_shared=runner.runner_type == "instance_type",
            runner_type=runner.runner_type,
            name=runner.name,
            online=status == "online",
            status=status,
            created_at=gitlab_timestamp(runner.created_at),
        )


class PipelineTriggerEntity(Entity):
    id: int
    token: str
    description: str
    created_at: Timestamp
    updated_at: Timestamp
    last_used: Timestamp | None
    expires_at: Timestamp | None
    owner: UserBasicEntity | None

    @classmethod
    def of(cls, trigger: PipelineTrigger, owner: User | None, gitlab_url: str) -> PipelineTriggerEntity:
        return cls(
            id=trigger.id,
            token=trigger.token_hint,
            description=trigger.description,
            created_at=gitlab_timestamp(trigger.created_at),
            updated_at=gitlab_timestamp(trigger.updated_at),
            last_used=_timestamp_or_none(trigger.last_used),
            expires_at=_timestamp_or_none(trigger.expires_at),
            owner=UserBasicEntity.of(owner, gitlab_url) if owner else None,
        )


class PipelineBasicEntity(Entity):
    id: int
    project_id: int
    ref: str


class JobEntity(Entity):
    id: int
    status: str
    stage: str
    name: str
    ref: str
    tag: bool
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    user: UserBasicEntity | None
    pipeline: PipelineBasicEntity


class CiJobTokenEntity(Entity):
    job: JobEntity

    @classmethod
    def of(cls, job: CiJob, user: User | None, gitlab_url: str) -> CiJobTokenEntity:
        return cls(
            job=JobEntity(
                id=job.id,
                status=job.status,
                stage=job.stage,
                name=job.name,
                ref=job.ref,
                tag=job.tag,
                created_at=gitlab_timestamp(job.created_at),
                started_at=_timestamp_or_none(job.started_at),
                finished_at=_timestamp_or_none(job.finished_at),
                user=UserBasicEntity.of(user, gitlab_url) if user else None,
                pipeline=PipelineBasicEntity(id=job.pipeline_id, project_id=job.project_id, ref=job.ref),
            )
        )


class FeatureFlagsClientEntity(Entity):
    id: int
    project_id: int

    @classmethod
    def of(cls, client: FeatureFlagsClient) -> FeatureFlagsClientEntity:
        return cls(id=client.id, project_id=client.project_id)


class GroupScimAuthAccessTokenEntity(Entity):
    """GitLab's entity of a group's SCIM token."""

    id: int
    created_at: Timestamp
    group_id: int

    @classmethod
    def of(cls, token: ScimAccessToken, group_id: int) -> GroupScimAuthAccessTokenEntity:
        return cls(id=token.id, created_at=gitlab_timestamp(token.created_at), group_id=group_id)


class ScimOauthAccessTokenEntity(Entity):
    """GitLab's entity of the instance's SCIM token: the group entity's fields and the organization."""

    id: int
    created_at: Timestamp
    group_id: int | None
    organization_id: int | None

    @classmethod
    def of(cls, token: ScimAccessToken) -> ScimOauthAccessTokenEntity:
        return cls(
            id=token.id,
            created_at=gitlab_timestamp(token.created_at),
            group_id=token.group_id,
            organization_id=token.organization_id,
        )
