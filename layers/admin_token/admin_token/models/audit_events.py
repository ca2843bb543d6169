"""The audit event entity, field for field GitLab's `GET /api/v4/audit_events` shape.

Mapped explicitly from `AuditRecord`: nothing stored leaks into a response by accident (the
item's index attributes, for one, never do).
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from admin_token.audit import EVENT_NAME
from admin_token.models.entities import Entity
from admin_token.storage.base import AuditRecord

AuthorClass = Literal["User", "SecretDetection", "GitHubSecretScanning"]
AuditAction = Literal["revoked", "reset", "deleted", "expired"]


def _one_of(value: str, allowed: Any, name: str) -> Any:
    """`value`, checked against the Literal that documents it: the documented enum is a promise,
    and a stored value outside it is a fault in the data."""
    if value not in get_args(allowed):
        raise ValueError(f"audit record {name} is not one of the documented values")
    return value


class AuditEventDetails(Entity):
    event_name: Literal["token_revoked"]
    author_name: str
    author_class: AuthorClass
    target_id: int
    target_type: str
    target_details: str
    custom_message: str
    token_type: str
    action: AuditAction
    request_id: str
    ip_address: str | None
    # Where secret detection or GitHub found the token: only on their revokes, so a User's event keeps GitLab's keys.
    location: str | None = None


class AuditEventEntity(Entity):
    id: int
    author_id: int
    entity_id: int
    entity_type: str
    details: AuditEventDetails
    created_at: str

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        if self.details.author_class == "User":
            data["details"].pop("location", None)  # a User's revoke: GitLab's keys, nothing more
        return data

    @classmethod
    def of(cls, record: AuditRecord) -> AuditEventEntity:
        return cls(
            id=record.audit_id,
            author_id=record.author_id,
            entity_id=record.entity_id,
            entity_type=record.entity_type,
            details=AuditEventDetails(
                event_name=EVENT_NAME,
                author_name=record.author_name,
                author_class=_one_of(record.author_class, AuthorClass, "author_class"),
                target_id=record.entity_id,
                target_type=record.entity_type,
                target_details=record.target_details,
                custom_message=record.custom_message,
                token_type=record.token_type,
                action=_one_of(record.action, AuditAction, "action"),
                request_id=record.request_id,
                ip_address=record.ip_address,
                location=record.location,
            ),
            created_at=record.created_at,
        )
