from __future__ import annotations

from admin_token.errors import RevokeRefused
from admin_token.models.entities import DeployTokenEntity, Entity
from admin_token.models.records import DeployToken
from admin_token.storage import StoredToken, UpdateToken
from admin_token.token_types.base import Found, RequestContext, Revocation, TokenType


class DeployTokenType(TokenType[DeployToken]):
    name = "deploy_token"
    prefixes = ("gldt-",)

    def resolve(self, found: Found, context: RequestContext) -> DeployToken | None:
        return found.record(DeployToken)

    def describe(self, subject: DeployToken, context: RequestContext) -> Entity:
        return DeployTokenEntity.of(subject, context.today)

    def revoke(self, subject: DeployToken, token: StoredToken, context: RequestContext) -> Revocation | None:
        if subject.project_id is None and subject.group_id is None:
            raise RevokeRefused("Unsupported deploy token type")
        if subject.revoked:
            return None
        return Revocation(UpdateToken(token, {"revoked": True}), "revoke", f"deploy_token:{subject.id}")
