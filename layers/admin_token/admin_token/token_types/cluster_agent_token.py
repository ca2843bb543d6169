from __future__ import annotations

from admin_token.models.entities import ClusterAgentTokenEntity, Entity
from admin_token.models.records import ClusterAgentToken
from admin_token.storage import StoredToken, UpdateToken
from admin_token.token_types.base import Found, RequestContext, Revocation, Target, TokenType

REVOKED = "revoked"


class ClusterAgentTokenType(TokenType[ClusterAgentToken]):
    name = "cluster_agent_token"
    prefixes = ("glagent-",)

    def resolve(self, found: Found, context: RequestContext) -> ClusterAgentToken | None:
        return found.record(ClusterAgentToken)

    def describe(self, subject: ClusterAgentToken, context: RequestContext) -> Entity:
        return ClusterAgentTokenEntity.of(subject)

    def revoke(self, subject: ClusterAgentToken, token: StoredToken, context: RequestContext) -> Revocation:
        target = Target("cluster_agent_token", subject.id)
        if subject.status == REVOKED:
            return Revocation.already_in_effect(target, subject.name)
        return Revocation(UpdateToken(token, {"status": REVOKED}), "revoked", target, details=subject.name)
