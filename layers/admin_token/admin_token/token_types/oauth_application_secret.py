from __future__ import annotations

from admin_token.models.entities import Entity, OAuthApplicationEntity
from admin_token.models.records import OAuthApplication
from admin_token.storage import StoredToken
from admin_token.token_types.base import Found, RequestContext, Revocation, Target, TokenType, reset_secret


class OAuthApplicationSecretType(TokenType[OAuthApplication]):
    name = "oauth_application_secret"
    prefixes = ("gloas",)  # GitLab's prefix has no dash; the secrets it issues do ("gloas-...")

    def resolve(self, found: Found, context: RequestContext) -> OAuthApplication | None:
        return found.record(OAuthApplication)

    def describe(self, subject: OAuthApplication, context: RequestContext) -> Entity:
        return OAuthApplicationEntity.of(subject)

    def revoke(self, subject: OAuthApplication, token: StoredToken, context: RequestContext) -> Revocation:
        return reset_secret(token, "gloas-", Target("oauth_application", subject.id), subject.name)
