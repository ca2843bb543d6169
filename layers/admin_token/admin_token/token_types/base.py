"""What every token type is: prefixes to match, how to find its subject, describe it and revoke it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar, Generic, TypeVar

from admin_token.config import CallerContext, Configuration, gitlab_url
from admin_token.digests import new_secret, token_digest
from admin_token.errors import RevokeRefused
from admin_token.models.entities import Entity, UserEntity
from admin_token.models.frozen import Frozen
from admin_token.models.records import Record, Runner, User
from admin_token.outcomes import ALREADY_REVOKED, Action
from admin_token.storage import Change, RecordKey, ReplaceTokenSecret, StoredToken
from admin_token.storage.items import runner_from_item, user_from_item

Subject = TypeVar("Subject")
R = TypeVar("R", bound=Record)

UNSUPPORTED_TOKEN_TYPE = "Unsupported token type"


class RequestContext(Frozen, kw_only=False):
    """Everything a type may consult beyond the token: clock, settings, who is asking."""

    now: datetime
    gitlab_url: str
    configuration: Configuration
    caller: CallerContext

    @classmethod
    def at(cls, now: datetime, configuration: Configuration, caller: CallerContext) -> RequestContext:
        """The context of a request made at `now` by `caller`, on the configured GitLab instance."""
        return cls(now=now, gitlab_url=gitlab_url(), configuration=configuration, caller=caller)

    @property
    def today(self) -> date:
        return self.now.date()


class Found(Frozen, kw_only=False):
    """The token's item and the records it points to, as read for this request."""

    token: StoredToken
    records: Mapping[RecordKey, Mapping[str, Any]]

    def user(self, user_id: Any) -> User | None:
        item = self.records.get(RecordKey("user", int(user_id))) if user_id is not None else None
        return user_from_item(item) if item else None

    def runner(self, runner_id: Any) -> Runner | None:
        item = self.records.get(RecordKey("runner", int(runner_id))) if runner_id is not None else None
        return runner_from_item(item) if item else None

    def record(self, model: type[R]) -> R:
        return model.from_attributes(self.token.attributes)


class Target(Frozen, kw_only=False):
    """A record a revoke changes: `type` is our record name (runner, user, personal_access_token...)."""

    type: str
    id: int

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id}


class Revocation(Frozen, kw_only=False):
    """What a revoke of this token does, decided before anything is written.

    The one plan serves every path: a revoke applies `change` (with the audit record, in one
    transaction), a dry run describes it, a bulk revoke does either per token. `change` is None
    when the revoke is already in effect (`already_revoked`): nothing to write.
    """

    change: Change | None
    action: Action
    target: Target
    cascade: tuple[Target, ...] = ()
    # What the audit trail names the target by (a name or description), never a secret.
    details: str = ""
    # The user the token belongs to (personal access, feed, incoming email, session), else None:
    # the `owner_user_id` of the `Token revoked` event.
    owner_user_id: int | None = None

    @classmethod
    def already_in_effect(cls, target: Target, details: str = "") -> Revocation:
        return cls(None, ALREADY_REVOKED, target, details=details)


class TokenType(ABC, Generic[Subject]):
    name: ClassVar[str]
    prefixes: ClassVar[tuple[str, ...]]

    def matches(self, token: str, configuration: Configuration) -> bool:
        return token.startswith(self.prefixes)

    def matched_prefix(self, token: str, configuration: Configuration) -> str:
        """The prefix that made this type match (what a token hint may show of it)."""
        return next((prefix for prefix in self.prefixes if token.startswith(prefix)), "")

    def references(self, token: StoredToken) -> list[RecordKey]:
        """Records to fetch alongside (in the same second round trip as the caller's user)."""
        return []

    @abstractmethod
    def resolve(self, found: Found, context: RequestContext) -> Subject | None:
        """The subject this token identifies, or None when it is not findable (404)."""

    @abstractmethod
    def describe(self, subject: Subject, context: RequestContext) -> Entity: ...

    @abstractmethod
    def revoke(self, subject: Subject, token: StoredToken, context: RequestContext) -> Revocation:
        """The plan of a revoke (with no change when already in effect), or raise `RevokeRefused`."""


class RefusesRevoke:
    """Mixin for types GitLab will not revoke through this API."""

    def revoke(self, subject: object, token: StoredToken, context: RequestContext) -> Revocation:
        raise RevokeRefused(UNSUPPORTED_TOKEN_TYPE)


def reset_secret(
    token: StoredToken, prefix: str, target: Target, details: str, owner: tuple[int, str] | None = None
) -> Revocation:
    """Replace the secret with a fresh one of the same prefix; the new plaintext is dropped at once."""
    new_digest = token_digest(new_secret(prefix))
    owner_user_id, owner_attribute = owner if owner else (None, None)
    change = ReplaceTokenSecret(token, new_digest, owner_user_id=owner_user_id, owner_attribute=owner_attribute)
    return Revocation(change, "reset", target, details=details, owner_user_id=owner_user_id)


class OwnedByUser(TokenType[User]):
    """Feed, incoming email and session tokens: attributes of a user, described as the user."""

    def references(self, token: StoredToken) -> list[RecordKey]:
        return [RecordKey("user", int(token.attributes["user_id"]))]

    def resolve(self, found: Found, context: RequestContext) -> User | None:
        return found.user(found.token.attributes.get("user_id"))

    def describe(self, subject: User, context: RequestContext) -> Entity:
        return UserEntity.of(subject, context.gitlab_url)


class UserSecret(OwnedByUser):
    """Feed and incoming email tokens: reset to a new secret of the same prefix, which the user names."""

    digest_attribute: ClassVar[str]  # the user's attribute holding the current token's digest

    def revoke(self, subject: User, token: StoredToken, context: RequestContext) -> Revocation:
        owner = (subject.id, self.digest_attribute)
        return reset_secret(token, self.prefixes[0], Target("user", subject.id), subject.username, owner=owner)
