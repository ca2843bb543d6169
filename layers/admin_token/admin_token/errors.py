"""Domain errors. They carry no HTTP knowledge: `api.py` maps each one to a status and body.

No message here ever holds a plaintext token: they are built from fixed text and record ids only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from admin_token.storage.base import Tombstone


class DomainError(Exception):
    """Base class of every error the service answers deliberately."""


class Unauthenticated(DomainError):
    """No usable credential: missing, unknown, revoked, expired, or not a personal access token."""


class Forbidden(DomainError):
    """The caller is known but may not use this API."""


class InvalidRequest(DomainError):
    """The request itself is malformed; `str(error)` says what is wrong."""


class PayloadTooLarge(InvalidRequest):
    """The body is larger than the service reads."""


class UnsupportedMediaType(InvalidRequest):
    """The body is neither JSON nor form-encoded."""


class FeatureDisabled(DomainError):
    def __init__(self, flag: str) -> None:
        super().__init__(flag)
        self.flag = flag


class UnsupportedTokenType(DomainError):
    """No token type matches the token's prefix."""


class TokenNotFound(DomainError):
    """The type matched but no record holds this token (or it is not findable, e.g. a finished job).

    `token_type` names the type its prefix matched; `tombstone` is set when an earlier revoke made
    the token unknown, and says what it did.
    """

    def __init__(self, token_type: str | None = None, tombstone: Tombstone | None = None) -> None:
        super().__init__(token_type or "")
        self.token_type = token_type
        self.tombstone = tombstone


class RevokeRefused(DomainError):
    """The token's type does not allow this revoke; `reason` is GitLab's wording."""

    def __init__(self, reason: str, token_type: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.token_type = token_type


class ConfigurationUnavailable(DomainError):
    """AppConfig could not be read and no earlier copy is cached."""


class StorageUnavailable(DomainError):
    """DynamoDB kept failing (throttling, 5xx, conflicts) past the retry budget."""


class ConcurrentModification(DomainError):
    """The records changed under a revoke in a way it could not reconcile; the caller may retry."""


class QueueUnavailable(DomainError):
    """Not every finding could be queued for revocation: the caller must send them again."""


class AuditEventNotFound(DomainError):
    """No audit event has this id."""


class KeysUnavailable(DomainError):
    """GitHub's key document could not be fetched and none is held: no alert can be verified yet."""
