from __future__ import annotations

from admin_token.token_types.base import UserSecret


class FeedTokenType(UserSecret):
    name = "feed_token"
    prefixes = ("glft-",)
    digest_attribute = "feed_token_digest"
