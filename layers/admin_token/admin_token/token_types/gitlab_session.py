from __future__ import annotations

from admin_token.models.records import User
from admin_token.storage import DeleteToken, StoredToken
from admin_token.token_types.base import OwnedByUser, RequestContext, Revocation, Target


class GitLabSessionType(OwnedByUser):
    """`_gitlab_session=<session id>`; an empty id simply finds no session (404)."""

    name = "gitlab_session"
    prefixes = ("_gitlab_session=",)

    def revoke(self, subject: User, token: StoredToken, context: RequestContext) -> Revocation:
        # A session has no id of its own: it is named by the user it signs in.
        target = Target("session", subject.id)
        return Revocation(DeleteToken(token), "deleted", target, details=subject.username, owner_user_id=subject.id)
