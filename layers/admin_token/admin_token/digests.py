"""Plaintext tokens exist only in memory, for the length of a request: everything stored is a digest."""

import hashlib
import secrets


def token_digest(token: str) -> str:
    """SHA-256 hex digest, the key every token is stored under.

    `surrogatepass` because a JSON body may carry lone surrogates ("\\ud800"): they are still a
    (bogus) token to look up, never a reason to fail.
    """
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_secret(prefix: str) -> str:
    """A fresh random token for a reset; only its digest is ever kept."""
    return prefix + secrets.token_urlsafe(24)


HINT_TAIL = 4
# Characters that must stay hidden between what is shown in front and the tail: a short token's
# last 4 would otherwise be most of its secret (`glagent-abcd` shown whole).
MIN_HIDDEN = 8


def token_hint(token: str, prefix: str | None) -> str:
    """What may be shown of a token instead of the token: the matched prefix (the first 4
    characters when no type matched), `…`, and the last 4 only when at least 8 stay hidden."""
    shown = prefix if prefix else token[:HINT_TAIL]
    if len(token) - len(shown) - HINT_TAIL < MIN_HIDDEN:
        return f"{shown}…"
    return f"{shown}…{token[-HINT_TAIL:]}"
