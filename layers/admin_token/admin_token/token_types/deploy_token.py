from __future__ import annotations

from admin_token.errors import RevokeRefused
from admin_token.models.entities import DeployTokenEntity, Entity
from admin_token.models.records import DeployToken
from admin_token.storage import StoredToken, UpdateToken
from admin_token.token_types.base import Found, RequestContext, Revocation, Target, TokenType


class DeployTokenType(TokenType[DeployToken]):
    name = "deploy_token"
    prefixes = ("gldt-",)

    def resolve(self, found: Found, context: RequestContext) -> DeployToken | None:
        return found.record(DeployToken)

    def describe(self, subject: DeployToken, context: RequestContext) -> Entity:
        return DeployTokenEntity.of(subject, context.today)

    def revoke(self, subject: DeployToken, token: StoredToken, context: RequestContext) -> Revocation:
        if subject.project_id is None and subject.group_id is None:
            raise RevokeRefused("Unsupported deploy token type")
        target = Target("deploy_token", subject.id)
        if subject.revoked:
            return Revocation.already_in_effect(target, subject.name)
        return Revocation(UpdateToken(token, {"revoked": True}), "revoked", target, details=subject.name)
