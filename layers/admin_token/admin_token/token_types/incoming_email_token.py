from __future__ import annotations

from admin_token.models.records import User
from admin_token.storage import StoredToken
from admin_token.token_types.base import OwnedByUser, RequestContext, Revocation, reset_secret


class IncomingEmailTokenType(OwnedByUser):
    name = "incoming_email_token"
    prefixes = ("glimt-",)

    def revoke(self, subject: User, token: StoredToken, context: RequestContext) -> Revocation | None:
        return reset_secret(token, "glimt-", f"user:{subject.id}", owner=(subject.id, "incoming_email_token_digest"))
