"""The storage interface the domain talks to, and the changes a revoke can ask of it.

A revoke never writes piecemeal: a token type describes its effect as one `Change`, and the
store applies that change and its audit record in a single transaction, conditioned on the
token's `version` as it was read, so two racing revokes cannot both take effect.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import field
from typing import Any, Literal, Protocol

from admin_token.models.frozen import Frozen


class RecordKey(Frozen, kw_only=False):
    """A record a token points to or names: its owner user, or its runner."""

    kind: Literal["user", "runner"]
    id: int


class StoredToken(Frozen, kw_only=False):
    """A token's item as read: found by digest, typed, versioned; the rest is the type's record."""

    digest: str
    token_type: str
    version: int
    attributes: Mapping[str, Any] = field(default_factory=dict)


class UpdateToken(Frozen, kw_only=False):
    """Set attributes on the token's item (revoke, expire)."""

    token: StoredToken
    values: Mapping[str, Any]


class DeleteToken(Frozen, kw_only=False):
    """Remove the token's item (a session ends)."""

    token: StoredToken


class ReplaceTokenSecret(Frozen, kw_only=False):
    """Move the token's record to a new digest (reset), and repoint the owner user if it names it."""

    token: StoredToken
    new_digest: str
    owner_user_id: int | None = None
    owner_attribute: str | None = None


class DeleteRunner(Frozen, kw_only=False):
    """Unregister a runner: its item, its assignments and its token, all at once."""

    token: StoredToken
    runner_id: int
    runner_version: int
    project_ids: tuple[int, ...] = ()
    group_ids: tuple[int, ...] = ()


Change = UpdateToken | DeleteToken | ReplaceTokenSecret | DeleteRunner
# Changes after which the token is unknown: its old digest keeps a tombstone instead.
FORGETTING_CHANGES = (DeleteToken, ReplaceTokenSecret, DeleteRunner)
# The `token_type` of a tombstone's item: no type matches it, so it never authenticates a caller
# and is never described as an entity.
TOMBSTONE = "tombstone"
TOMBSTONE_DAYS = 400


class Tombstone(Frozen, kw_only=False):
    """What an earlier revoke did to a token it made unknown. Never the token, never a new secret."""

    token_type: str
    action: str
    revoked_at: str
    audit_event_id: int | str
    target: tuple[str, int] | None = None
    cascade: tuple[tuple[str, int], ...] = ()


class AuditRecord(Frozen, kw_only=False):
    """One audit event: a revoke that changed something, in GitLab's audit event vocabulary.

    Built by `admin_token.audit.audit_record`; written in the revoke's own transaction; read back
    by the audit events API. Never a token, never a digest.
    """

    audit_id: int  # the event id: see admin_token.audit_ids
    created_at: str  # ISO 8601 UTC with milliseconds and `Z`: the id's millisecond
    author_id: int
    author_username: str
    author_name: str
    token_type: str
    action: str  # revoked | reset | deleted | expired
    entity_type: str  # GitLab's class name: Ci::Runner, PersonalAccessToken, User...
    entity_id: int
    target_details: str  # what the target is called: a runner's name, a token's name, a username
    custom_message: str
    request_id: str
    ip_address: str | None = None
    # What a `Token revoked` event names (admin_token.events): the target as our API names it
    # (`runner` 7, not `Ci::Runner`), the user the token belonged to, if any, and who revoked.
    target_type: str | None = None  # None only on items written before these existed
    target_id: int | None = None
    owner_user_id: int | None = None
    author_class: str = "User"  # or SecretDetection (the queue-fed worker)
    location: str | None = None  # where secret detection found the token, when it said


class AuditIdTaken(Exception):
    """The audit put found its id taken (another process minted it in the same millisecond)."""


class TokenChanged(Exception):
    """The token's item was not as read when the transaction ran: another request got there first.

    `current` is the item as the winner left it (None when it is gone).
    """

    def __init__(self, current: StoredToken | None) -> None:
        super().__init__("token changed concurrently")
        self.current = current


class TokenStore(Protocol):
    def get_tokens(self, digests: Collection[str]) -> Mapping[str, StoredToken]:
        """One batched key lookup on the digests; missing ones are absent from the result.

        An item is decoded only when the result is indexed: reading costs the same whatever it found.
        """

    def get_records(self, keys: Collection[RecordKey]) -> Mapping[RecordKey, Mapping[str, Any]]:
        """One batched key lookup of users and runners; missing ones are absent; decoded when read."""

    def apply(self, change: Change, audit: AuditRecord, tombstone: Tombstone | None = None) -> None:
        """Apply the change and write the audit record in one transaction, or raise `TokenChanged`.

        With a tombstone (for a change that makes the token unknown), the same transaction leaves
        it under the token's old digest.
        """

    def tombstone(self, token: StoredToken) -> Tombstone | None:
        """The tombstone this item is, or None for a live token."""
