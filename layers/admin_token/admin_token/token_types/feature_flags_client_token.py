from __future__ import annotations

from admin_token.models.entities import Entity, FeatureFlagsClientEntity
from admin_token.models.records import FeatureFlagsClient
from admin_token.storage import StoredToken
from admin_token.token_types.base import Found, RequestContext, Revocation, Target, TokenType, reset_secret


class FeatureFlagsClientTokenType(TokenType[FeatureFlagsClient]):
    name = "feature_flags_client_token"
    prefixes = ("glffct-",)

    def resolve(self, found: Found, context: RequestContext) -> FeatureFlagsClient | None:
        return found.record(FeatureFlagsClient)

    def describe(self, subject: FeatureFlagsClient, context: RequestContext) -> Entity:
        return FeatureFlagsClientEntity.of(subject)

    def revoke(self, subject: FeatureFlagsClient, token: StoredToken, context: RequestContext) -> Revocation:
        return reset_secret(
            token, self.prefixes[0], Target("feature_flags_client", subject.id), f"project {subject.project_id}"
        )
