from __future__ import annotations

from admin_token.errors import RevokeRefused
from admin_token.models.entities import Entity, RunnerEntity
from admin_token.models.records import Runner
from admin_token.storage import DeleteRunner, RecordKey, StoredToken
from admin_token.token_types.base import Found, RequestContext, Revocation, Target, TokenType

# One transaction holds at most 100 items: the token, the runner and the audit record leave 97.
MAX_ASSIGNMENTS = 97


class RunnerAuthenticationTokenType(TokenType[Runner]):
    """Revoking unregisters the runner (the change this project follows), rather than resetting it."""

    name = "runner_authentication_token"
    # GitLab's RunnerAuthenticationToken.prefix? matches glrt- only: glrtr-... is no runner token.
    prefixes = ("glrt-",)

    def references(self, token: StoredToken) -> list[RecordKey]:
        return [RecordKey("runner", int(token.attributes["runner_id"]))]

    def resolve(self, found: Found, context: RequestContext) -> Runner | None:
        return found.runner(found.token.attributes.get("runner_id"))

    def describe(self, subject: Runner, context: RequestContext) -> Entity:
        return RunnerEntity.of(subject, context.now)

    def revoke(self, subject: Runner, token: StoredToken, context: RequestContext) -> Revocation:
        if len(subject.project_ids) + len(subject.group_ids) > MAX_ASSIGNMENTS:
            # Deleting in parts would break atomicity; refusing keeps the runner whole and says why.
            raise RevokeRefused("Runner has too many project and group assignments to unregister in one transaction")
        change = DeleteRunner(
            token,
            runner_id=subject.id,
            runner_version=subject.version,
            project_ids=tuple(subject.project_ids),
            group_ids=tuple(subject.group_ids),
        )
        cascade = tuple(Target("runner_project", project_id) for project_id in subject.project_ids)
        cascade += tuple(Target("runner_namespace", group_id) for group_id in subject.group_ids)
        details = subject.name or subject.description or f"runner {subject.id}"
        return Revocation(change, "deleted", Target("runner", subject.id), cascade, details)
