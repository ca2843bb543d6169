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


def masked_hint(token: str, prefix: str) -> str:
    """What may be shown of a token instead of the token: its prefix and last four characters."""
    return f"{prefix}…{token[-4:]}"
