from __future__ import annotations

from admin_token.models.entities import Entity, RunnerEntity
from admin_token.models.records import Runner
from admin_token.storage import DeleteRunner, RecordKey, StoredToken
from admin_token.token_types.base import Found, RequestContext, Revocation, TokenType


class RunnerAuthenticationTokenType(TokenType[Runner]):
    """Revoking unregisters the runner (the change this project follows), rather than resetting it."""

    name = "runner_authentication_token"
    prefixes = ("glrt-", "glrtr-")

    def references(self, token: StoredToken) -> list[RecordKey]:
        return [RecordKey("runner", int(token.attributes["runner_id"]))]

    def resolve(self, found: Found, context: RequestContext) -> Runner | None:
        return found.runner(found.token.attributes.get("runner_id"))

    def describe(self, subject: Runner, context: RequestContext) -> Entity:
        return RunnerEntity.of(subject, context.now)

    def revoke(self, subject: Runner, token: StoredToken, context: RequestContext) -> Revocation | None:
        change = DeleteRunner(
            token,
            runner_id=subject.id,
            runner_version=subject.version,
            project_ids=tuple(subject.project_ids),
            group_ids=tuple(subject.group_ids),
        )
        return Revocation(change, "delete", f"runner:{subject.id}")
