from __future__ import annotations

from admin_token.models.entities import CiJobTokenEntity, Entity
from admin_token.models.frozen import Frozen
from admin_token.models.records import CiJob, User
from admin_token.storage import RecordKey, StoredToken
from admin_token.token_types.base import Found, RefusesRevoke, RequestContext, TokenType


class RunningJob(Frozen, kw_only=False):
    job: CiJob
    user: User | None


class CiJobTokenType(RefusesRevoke, TokenType[RunningJob]):
    """A job token only identifies its job while the job runs; GitLab will not revoke it here."""

    name = "ci_job_token"
    prefixes = ("glcbt-",)

    def references(self, token: StoredToken) -> list[RecordKey]:
        return [RecordKey("user", int(token.attributes["user_id"]))]

    def resolve(self, found: Found, context: RequestContext) -> RunningJob | None:
        job = found.record(CiJob)
        return RunningJob(job, found.user(job.user_id)) if job.running else None

    def describe(self, subject: RunningJob, context: RequestContext) -> Entity:
        return CiJobTokenEntity.of(subject.job, subject.user, context.gitlab_url)
