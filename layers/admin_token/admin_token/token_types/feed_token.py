from __future__ import annotations

from admin_token.models.records import User
from admin_token.storage import StoredToken
from admin_token.token_types.base import OwnedByUser, RequestContext, Revocation, reset_secret


class FeedTokenType(OwnedByUser):
    name = "feed_token"
    prefixes = ("glft-",)

    def revoke(self, subject: User, token: StoredToken, context: RequestContext) -> Revocation | None:
        return reset_secret(token, "glft-", f"user:{subject.id}", owner=(subject.id, "feed_token_digest"))
