"""Domain errors. They carry no HTTP knowledge: `api.py` maps each one to a status and body.

No message here ever holds a plaintext token: they are built from fixed text and record ids only.
"""


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
    """The type matched but no record holds this token (or it is not findable, e.g. a finished job)."""


class RevokeRefused(DomainError):
    """The token's type does not allow this revoke; `reason` is GitLab's wording."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConfigurationUnavailable(DomainError):
    """AppConfig could not be read and no earlier copy is cached."""


class StorageUnavailable(DomainError):
    """DynamoDB kept failing (throttling, 5xx, conflicts) past the retry budget."""


class ConcurrentModification(DomainError):
    """The records changed under a revoke in a way it could not reconcile; the caller may retry."""
