from __future__ import annotations

from admin_token.models.records import User
from admin_token.storage import DeleteToken, StoredToken
from admin_token.token_types.base import OwnedByUser, RequestContext, Revocation


class GitLabSessionType(OwnedByUser):
    """`_gitlab_session=<session id>`; an empty id simply finds no session (404)."""

    name = "gitlab_session"
    prefixes = ("_gitlab_session=",)

    def revoke(self, subject: User, token: StoredToken, context: RequestContext) -> Revocation | None:
        return Revocation(DeleteToken(token), "delete", f"session_of_user:{subject.id}")
