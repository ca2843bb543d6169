"""DynamoDB item shapes, and the explicit mapping between them and domain records.

Table roles and keys (declared in template.yaml, documented in docs/data-model.md):
  tokens  - digest (S)                    every token, by the SHA-256 of its plaintext
  users   - user_id (N)                   what feed, incoming email and session tokens point to
  runners - runner_id (N), sk (S)         RUNNER, and the PROJECT#<id> / GROUP#<id> assignments only it owns
  audit   - audit_id (N)                  one item per successful revoke, and five indexes sorted on
                                          audit_id (see AUDIT_INDEXES)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from admin_token.events import EVENT_DETAIL_ATTRIBUTE, event_detail_text
from admin_token.models.records import Runner, User
from admin_token.storage.base import TOMBSTONE, TOMBSTONE_DAYS, AuditRecord, Tombstone

RUNNER_SK = "RUNNER"
# The tokens table's TTL attribute (template.yaml): only tombstones carry it.
TOMBSTONE_EXPIRY_ATTRIBUTE = "tombstone_expires_at"
TOKEN_BOOKKEEPING = frozenset({"digest", "token_type", "version"})


def runner_link_sk(kind: str, owner_id: int) -> str:
    return f"{kind}#{owner_id}"


def token_item(digest: str, token_type: str, attributes: dict[str, Any], version: int = 1) -> dict[str, Any]:
    return {**attributes, "digest": digest, "token_type": token_type, "version": version}


def tombstone_item(digest: str, version: int, tombstone: Tombstone) -> dict[str, Any]:
    """A token made unknown by a revoke: what happened, kept under its old digest for 400 days (TTL)."""
    revoked_at = datetime.fromisoformat(tombstone.revoked_at)
    attributes: dict[str, Any] = {
        "revoked_token_type": tombstone.token_type,
        "action": tombstone.action,
        "revoked_at": tombstone.revoked_at,
        "audit_event_id": tombstone.audit_event_id,
        "target": {"type": tombstone.target[0], "id": tombstone.target[1]} if tombstone.target else None,
        "cascade": [{"type": kind, "id": record_id} for kind, record_id in tombstone.cascade],
        TOMBSTONE_EXPIRY_ATTRIBUTE: int((revoked_at + timedelta(days=TOMBSTONE_DAYS)).timestamp()),
    }
    return token_item(digest, TOMBSTONE, attributes, version)


def token_pointer_item(
    digest: str, token_type: str, *, user_id: int | None = None, runner_id: int | None = None
) -> dict[str, Any]:
    """A token that is an attribute of a user or runner: its item only says whose it is."""
    owner = {"user_id": user_id} if user_id is not None else {"runner_id": runner_id}
    return token_item(digest, token_type, owner)


def user_item(user: User) -> dict[str, Any]:
    attributes = user.to_attributes()
    attributes["user_id"] = attributes.pop("id")
    return attributes


def user_from_item(item: Mapping[str, Any]) -> User:
    return User.from_attributes({**item, "id": item["user_id"]})


def runner_items(runner: Runner) -> list[dict[str, Any]]:
    attributes = runner.to_attributes()
    runner_id = attributes.pop("id")
    links = [runner_link_sk("PROJECT", project_id) for project_id in runner.project_ids]
    links += [runner_link_sk("GROUP", group_id) for group_id in runner.group_ids]
    return [
        {**attributes, "runner_id": runner_id, "sk": RUNNER_SK},
        *({"runner_id": runner_id, "sk": sk} for sk in links),
    ]


def runner_from_item(item: Mapping[str, Any]) -> Runner:
    return Runner.from_attributes({**item, "id": item["runner_id"]})


# -- the audit table ---------------------------------------------------------------------------

# Every audit item carries this constant: the partition of the index that holds all events, so
# "everything in a time range" is one Query on id ranges. Revokes are rare (a few per second at
# the stage's throttle), far below one partition's write limit.
AUDIT_ALL_ATTRIBUTE = "all_events"
AUDIT_ALL_VALUE = "all"
# "<entity_type>#<entity_id>": one entity's events.
AUDIT_ENTITY_KEY_ATTRIBUTE = "entity_key"
# Index name -> its partition attribute; each sorts on audit_id and projects ALL (template.yaml).
AUDIT_INDEXES = {
    "all-events-by-id": AUDIT_ALL_ATTRIBUTE,
    "entity-by-id": AUDIT_ENTITY_KEY_ATTRIBUTE,
    "entity-type-by-id": "entity_type",
    "author-by-id": "author_id",
    "token-type-by-id": "token_type",
}


def audit_entity_key(entity_type: str, entity_id: int) -> str:
    return f"{entity_type}#{entity_id}"


def audit_item(record: AuditRecord) -> dict[str, Any]:
    """The record's item: its fields, one by one, and the indexes' partition attributes."""
    return {
        "audit_id": record.audit_id,
        "created_at": record.created_at,
        "author_id": record.author_id,
        "author_username": record.author_username,
        "author_name": record.author_name,
        "token_type": record.token_type,
        "action": record.action,
        "entity_type": record.entity_type,
        "entity_id": record.entity_id,
        "target_details": record.target_details,
        "custom_message": record.custom_message,
        "request_id": record.request_id,
        "ip_address": record.ip_address,  # None is left out of the item
        "target_type": record.target_type,
        "target_id": record.target_id,
        "owner_user_id": record.owner_user_id,
        "author_class": record.author_class,
        "location": record.location,
        # The `Token revoked` event's detail, whole: the stream's Pipe sends it as is.
        EVENT_DETAIL_ATTRIBUTE: event_detail_text(record),
        AUDIT_ENTITY_KEY_ATTRIBUTE: audit_entity_key(record.entity_type, record.entity_id),
        AUDIT_ALL_ATTRIBUTE: AUDIT_ALL_VALUE,
    }


def audit_record_from_item(item: Mapping[str, Any]) -> AuditRecord:
    return AuditRecord(
        audit_id=int(item["audit_id"]),
        created_at=str(item["created_at"]),
        author_id=int(item["author_id"]),
        author_username=str(item["author_username"]),
        author_name=str(item["author_name"]),
        token_type=str(item["token_type"]),
        action=str(item["action"]),
        entity_type=str(item["entity_type"]),
        entity_id=int(item["entity_id"]),
        target_details=str(item.get("target_details", "")),
        custom_message=str(item.get("custom_message", "")),
        request_id=str(item.get("request_id", "")),
        ip_address=str(item["ip_address"]) if item.get("ip_address") is not None else None,
        target_type=str(item["target_type"]) if item.get("target_type") is not None else None,
        target_id=int(item["target_id"]) if item.get("target_id") is not None else None,
        owner_user_id=int(item["owner_user_id"]) if item.get("owner_user_id") is not None else None,
        author_class=str(item.get("author_class", "User")),
        location=str(item["location"]) if item.get("location") is not None else None,
    )
