"""Domain records: what the service knows about users, runners and tokens. Never a plaintext token.

Frozen value classes (`models.frozen`: dataclasses without their code generation at import). A
record is read from our own tables, whose items the storage layer has already decoded to `int`,
`str`, `bool` and lists, so reading one is a conversion per field (ISO 8601 text to times and
days, naive times read as UTC), not a validation framework: so no validation
framework is imported on a cold start (docs/performance.md). An item that does not fit its record
raises `RecordError`, naming the field but never its value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Self, TypeAlias

from admin_token.models.frozen import Frozen

RUNNER_ONLINE_WINDOW = timedelta(hours=2)
# Lambda hosts' clocks agree to within milliseconds; this much leeway keeps a revoke racing
# another from expiring a trigger twice because its clock reads slightly behind the winner's.
CLOCK_SKEW = timedelta(seconds=1)

# Every timestamp a record holds: always aware, whatever the stored item said.
UtcTimestamp: TypeAlias = datetime
# A day that may be stored as a timestamp (deploy tokens): the timestamp's date is kept.
DayOfTimestamp: TypeAlias = date


class RecordError(ValueError):
    """A stored item that does not fit its record: a fault in the data, never in the request.

    It names the field and what is wrong with it, never the value.
    """

    def __init__(self, record: str, field: str, problem: str) -> None:
        super().__init__(f"{record}.{field} {problem}")
        self.field, self.problem = field, problem


Converter = Callable[[Any], Any]


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("a boolean is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal | float) and value == int(value):  # NaN and infinities raise
        return int(value)
    if isinstance(value, str):
        return int(value)
    raise TypeError("not an integer")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise TypeError("not a string")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1) and not isinstance(value, float):
        return bool(value)
    raise TypeError("not a boolean")


def _read_as_utc(value: datetime) -> datetime:
    # The service writes offsets, but an item written by other tools may lack one. Naive and
    # aware times cannot be compared (a 500), and GitLab's times are UTC: read it as UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        return _read_as_utc(value)
    if isinstance(value, str):
        return _read_as_utc(datetime.fromisoformat(value))
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), UTC)  # seconds since the epoch
    raise TypeError("not a timestamp")


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        if value.time() != time(0):
            raise TypeError("a timestamp that is not midnight is not a day")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return _day(datetime.fromisoformat(value)) if "T" in value else date.fromisoformat(value)
    raise TypeError("not a day")


def _day_of_timestamp(value: Any) -> date:
    # Deploy tokens expire on a day; a timestamp given for one keeps only its date.
    if isinstance(value, str) and "T" in value:
        return datetime.fromisoformat(value).date()
    return _day(value)


def _list_of(convert: Converter) -> Converter:
    def convert_list(value: Any) -> list[Any]:
        if isinstance(value, list | tuple | set | frozenset):
            return [convert(element) for element in value]
        raise TypeError("not a list")

    return convert_list


# A field's converter, by its annotation as written (`from __future__ import annotations` keeps
# annotations as text); "X | None" accepts None as well.
_CONVERTERS: dict[str, Converter] = {
    "int": _integer,
    "str": _text,
    "bool": _boolean,
    "UtcTimestamp": _timestamp,
    "date": _day,
    "DayOfTimestamp": _day_of_timestamp,
    "list[str]": _list_of(_text),
    "list[int]": _list_of(_integer),
}
_OPTIONAL = " | None"


def _stored(value: Any) -> Any:
    """A field's value as an item attribute: times and days as ISO 8601 text, UTC as "Z"."""
    if isinstance(value, datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return list(value)
    return value


class Record(Frozen):
    # (name, converter, accepts None, required) per field, read off the annotations once.
    _converters: ClassVar[tuple[tuple[str, Converter, bool, bool], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._converters = tuple(
            (
                spec.name,
                _CONVERTERS[spec.annotation.removesuffix(_OPTIONAL)],
                spec.annotation.endswith(_OPTIONAL),
                spec.required,
            )
            for spec in cls.__fields__
        )

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, Any]) -> Self:
        """The record an item's attributes describe. Attributes it has no field for (an item's
        digest, version, ...) are ignored; a missing field takes its default."""
        values: dict[str, Any] = {}
        for name, convert, optional, required in cls._converters:
            if name not in attributes:
                if required:
                    raise RecordError(cls.__name__, name, "is missing")
                continue
            value = attributes[name]
            if value is None and optional:
                values[name] = None
                continue
            try:
                values[name] = convert(value)
            except (TypeError, ValueError, ArithmeticError):
                raise RecordError(cls.__name__, name, "has the wrong type") from None
        return cls(**values)

    def to_attributes(self) -> dict[str, Any]:
        """The record as item attributes; None is stored as an absent attribute (small items,
        simple conditions)."""
        return {
            spec.name: _stored(value) for spec in self.__fields__ if (value := getattr(self, spec.name)) is not None
        }


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
    scopes: list[str] = dataclasses.field(default_factory=list)
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
    scopes: list[str] = dataclasses.field(default_factory=list)
    expires_at: DayOfTimestamp | None = None
    revoked: bool = False

    def expired(self, today: date) -> bool:
        return is_past(self.expires_at, today)


class OAuthApplication(Record):
    id: int
    name: str
    uid: str
    redirect_uri: str
    confidential: bool = True
    scopes: list[str] = dataclasses.field(default_factory=list)


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
    project_ids: list[int] = dataclasses.field(default_factory=list)
    group_ids: list[int] = dataclasses.field(default_factory=list)
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


class ScimAccessToken(Record):
    """A SCIM token: the instance's (GitLab's ScimOauthAccessToken, which names its organization)
    or a group's (GroupScimAuthAccessToken, which names only its group)."""

    id: int
    created_at: UtcTimestamp
    group_id: int | None = None
    organization_id: int | None = None

    @property
    def group(self) -> int | None:
        """The group of a group's token, else None (the instance's: GitLab requires it to name an
        organization, and a group's names none)."""
        return self.group_id if self.organization_id is None else None
