from __future__ import annotations

from admin_token.models.entities import Entity, GroupScimAuthAccessTokenEntity, ScimOauthAccessTokenEntity
from admin_token.models.records import ScimAccessToken
from admin_token.storage import StoredToken
from admin_token.token_types.base import Found, RequestContext, Revocation, Target, TokenType, reset_secret

# Our names of the two records a SCIM token can be (GitLab's two tables, each with its own ids).
INSTANCE_TARGET = "scim_oauth_access_token"
GROUP_TARGET = "group_scim_auth_access_token"


class ScimAccessTokenType(TokenType[ScimAccessToken]):
    """The instance's and groups' SCIM tokens; GitLab resets either to a new value."""

    name = "scim_access_token"
    prefixes = ("glsoat-",)

    def resolve(self, found: Found, context: RequestContext) -> ScimAccessToken | None:
        return found.record(ScimAccessToken)

    def describe(self, subject: ScimAccessToken, context: RequestContext) -> Entity:
        group = subject.group
        return (
            ScimOauthAccessTokenEntity.of(subject)
            if group is None
            else GroupScimAuthAccessTokenEntity.of(subject, group)
        )

    def revoke(self, subject: ScimAccessToken, token: StoredToken, context: RequestContext) -> Revocation:
        if subject.group is None:
            target, details = Target(INSTANCE_TARGET, subject.id), f"organization {subject.organization_id}"
        else:
            target, details = Target(GROUP_TARGET, subject.id), f"group {subject.group}"
        return reset_secret(token, self.prefixes[0], target, details)
