"""Domain records: what the service knows about users, runners and tokens. Never a plaintext token."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

RUNNER_ONLINE_WINDOW = timedelta(hours=2)
# Lambda hosts' clocks agree to within milliseconds; this much leeway keeps a revoke racing
# another from expiring a trigger twice because its clock reads slightly behind the winner's.
CLOCK_SKEW = timedelta(seconds=1)


def _read_as_utc(value: datetime) -> datetime:
    # The service writes offsets, but an item written by other tools may lack one. Naive and
    # aware times cannot be compared (a 500), and GitLab's times are UTC: read it as UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# Every timestamp a record holds: always aware, whatever the stored item said.
UtcTimestamp = Annotated[datetime, AfterValidator(_read_as_utc)]


class Record(BaseModel):
    # Stored items may carry bookkeeping attributes (digest, version, ...): a record ignores them.
    model_config = ConfigDict(frozen=True, extra="ignore")


def is_past(expires_at: date | None, today: date) -> bool:
    """GitLab's rule: a token expires at the end of its `expires_at` day (UTC)."""
    return expires_at is not None and today > expires_at


class User(Record):
    id: int
    username: str
    name: str
    state: str
    admin: bool = False
    bot: bool = False
    locked: bool = False
    avatar_url: str | None = None
    project_id: int | None = None
    group_id: int | None = None
    created_at: UtcTimestamp
    feed_token_digest: str | None = None
    incoming_email_token_digest: str | None = None

    @property
    def active(self) -> bool:
        return self.state == "active"

    @property
    def is_project_or_group_bot(self) -> bool:
        return self.bot and (self.project_id is not None or self.group_id is not None)


class PersonalAccessToken(Record):
    id: int
    user_id: int
    name: str
    description: str = ""
    scopes: list[str] = Field(default_factory=list)
    expires_at: date | None = None
    revoked: bool = False
    impersonation: bool = False
    created_at: UtcTimestamp
    last_used_at: UtcTimestamp | None = None

    def expired(self, today: date) -> bool:
        return is_past(self.expires_at, today)

    def active(self, today: date) -> bool:
        return not self.revoked and not self.expired(today)


class DeployToken(Record):
    id: int
    name: str
    username: str
    project_id: int | None = None
    group_id: int | None = None
    scopes: list[str] = Field(default_factory=list)
    expires_at: date | None = None
    revoked: bool = False

    @field_validator("expires_at", mode="before")
    @classmethod
    def _day_of_timestamp(cls, value: object) -> object:
        # Deploy tokens expire on a day; a timestamp given for one keeps only its date.
        if isinstance(value, str) and "T" in value:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        return value

    def expired(self, today: date) -> bool:
        return is_past(self.expires_at, today)


class OAuthApplication(Record):
    id: int
    name: str
    uid: str
    redirect_uri: str
    confidential: bool = True
    scopes: list[str] = Field(default_factory=list)


class ClusterAgentToken(Record):
    id: int
    agent_id: int
    name: str
    description: str = ""
    status: str = "active"
    created_by_user_id: int | None = None
    created_at: UtcTimestamp
    last_used_at: UtcTimestamp | None = None


class Runner(Record):
    id: int
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
    version: int = 1

    def status(self, now: datetime) -> str:
        if self.contacted_at is None:
            return "never_contacted"
        return "online" if now - self.contacted_at <= RUNNER_ONLINE_WINDOW else "offline"


class PipelineTrigger(Record):
    id: int
    project_id: int
    owner_id: int
    description: str = ""
    token_hint: str
    created_at: UtcTimestamp
    updated_at: UtcTimestamp
    expires_at: UtcTimestamp | None = None
    last_used: UtcTimestamp | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now + CLOCK_SKEW


class CiJob(Record):
    id: int
    project_id: int
    user_id: int
    pipeline_id: int
    status: str
    name: str
    stage: str
    ref: str
    tag: bool = False
    created_at: UtcTimestamp
    started_at: UtcTimestamp | None = None
    finished_at: UtcTimestamp | None = None

    @property
    def running(self) -> bool:
        return self.status == "running"


class FeatureFlagsClient(Record):
    id: int
    project_id: int
