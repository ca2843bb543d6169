from __future__ import annotations

from admin_token.config import Configuration
from admin_token.errors import RevokeRefused
from admin_token.models.entities import Entity, PersonalAccessTokenEntity
from admin_token.models.frozen import Frozen
from admin_token.models.records import PersonalAccessToken, User
from admin_token.storage import RecordKey, StoredToken, UpdateToken
from admin_token.token_types.base import Found, RequestContext, Revocation, Target, TokenType


class OwnedToken(Frozen, kw_only=False):
    token: PersonalAccessToken
    owner: User


class PersonalAccessTokenType(TokenType[OwnedToken]):
    """Personal, impersonation, project and group access tokens (the last two belong to bot users)."""

    name = "personal_access_token"
    prefixes = ("glpat-",)

    def matches(self, token: str, configuration: Configuration) -> bool:
        # An empty custom prefix must not match everything.
        custom = configuration.personal_access_token_prefix
        return token.startswith(self.prefixes) or (bool(custom) and token.startswith(custom))

    def matched_prefix(self, token: str, configuration: Configuration) -> str:
        custom = configuration.personal_access_token_prefix
        builtin = super().matched_prefix(token, configuration)
        return builtin or (custom if custom and token.startswith(custom) else "")

    def references(self, token: StoredToken) -> list[RecordKey]:
        return [RecordKey("user", int(token.attributes["user_id"]))]

    def resolve(self, found: Found, context: RequestContext) -> OwnedToken | None:
        token = found.record(PersonalAccessToken)
        owner = found.user(token.user_id)
        return OwnedToken(token, owner) if owner else None

    def describe(self, subject: OwnedToken, context: RequestContext) -> Entity:
        return PersonalAccessTokenEntity.of(subject.token, context.today)

    def revoke(self, subject: OwnedToken, token: StoredToken, context: RequestContext) -> Revocation:
        owner = subject.owner
        revocable = not owner.bot or subject.token.impersonation or owner.is_project_or_group_bot
        if not revocable:
            raise RevokeRefused("Unsupported personal access token type")
        target = Target("personal_access_token", subject.token.id)
        if subject.token.revoked:
            return Revocation.already_in_effect(target, subject.token.name)
        change = UpdateToken(token, {"revoked": True})
        return Revocation(change, "revoked", target, details=subject.token.name, owner_user_id=owner.id)
