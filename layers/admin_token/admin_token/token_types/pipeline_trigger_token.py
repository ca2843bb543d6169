from __future__ import annotations

from admin_token.errors import RevokeRefused
from admin_token.models.entities import Entity, PipelineTriggerEntity
from admin_token.models.frozen import Frozen
from admin_token.models.records import PipelineTrigger, User
from admin_token.storage import RecordKey, StoredToken, UpdateToken
from admin_token.token_types.base import UNSUPPORTED_TOKEN_TYPE, Found, RequestContext, Revocation, Target, TokenType


class OwnedTrigger(Frozen, kw_only=False):
    trigger: PipelineTrigger
    owner: User | None


class PipelineTriggerTokenType(TokenType[OwnedTrigger]):
    name = "pipeline_trigger_token"
    prefixes = ("glptt-",)

    def references(self, token: StoredToken) -> list[RecordKey]:
        return [RecordKey("user", int(token.attributes["owner_id"]))]

    def resolve(self, found: Found, context: RequestContext) -> OwnedTrigger | None:
        trigger = found.record(PipelineTrigger)
        return OwnedTrigger(trigger, found.user(trigger.owner_id))

    def describe(self, subject: OwnedTrigger, context: RequestContext) -> Entity:
        return PipelineTriggerEntity.of(subject.trigger, subject.owner, context.gitlab_url)

    def revoke(self, subject: OwnedTrigger, token: StoredToken, context: RequestContext) -> Revocation:
        if not context.configuration.expire_pipeline_triggers(context.caller):
            raise RevokeRefused(UNSUPPORTED_TOKEN_TYPE)
        target, details = Target("pipeline_trigger", subject.trigger.id), subject.trigger.description or ""
        if subject.trigger.expired(context.now):
            return Revocation.already_in_effect(target, details)
        now = context.now.isoformat()
        change = UpdateToken(token, {"expires_at": now, "updated_at": now})
        return Revocation(change, "expired", target, details=details)
