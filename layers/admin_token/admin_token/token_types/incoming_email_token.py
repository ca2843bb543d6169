from __future__ import annotations

from admin_token.token_types.base import UserSecret


class IncomingEmailTokenType(UserSecret):
    name = "incoming_email_token"
    prefixes = ("glimt-",)
    digest_attribute = "incoming_email_token_digest"
