"""DynamoDB item shapes, and the explicit mapping between them and domain records.

Table roles and keys (declared in template.yaml, documented in docs/data-model.md):
  tokens  - digest (S)                    every token, by the SHA-256 of its plaintext
  users   - user_id (N)                   what feed, incoming email and session tokens point to
  runners - runner_id (N), sk (S)         RUNNER, and the PROJECT#<id> / GROUP#<id> assignments only it owns
  audit   - audit_id (S)                  one item per successful revoke
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from admin_token.models.records import Record, Runner, User
from admin_token.storage.base import TOMBSTONE, TOMBSTONE_DAYS, Tombstone

RUNNER_SK = "RUNNER"
# The tokens table's TTL attribute (template.yaml): only tombstones carry it.
TOMBSTONE_EXPIRY_ATTRIBUTE = "tombstone_expires_at"
TOKEN_BOOKKEEPING = frozenset({"digest", "token_type", "version"})


def runner_link_sk(kind: str, owner_id: int) -> str:
    return f"{kind}#{owner_id}"


def record_attributes(record: Record) -> dict[str, Any]:
    # None is stored as an absent attribute: it keeps items small and conditions simple.
    return record.model_dump(mode="json", exclude_none=True)


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
    attributes = record_attributes(user)
    attributes["user_id"] = attributes.pop("id")
    return attributes


def user_from_item(item: Mapping[str, Any]) -> User:
    return User.model_validate({**item, "id": item["user_id"]})


def runner_items(runner: Runner) -> list[dict[str, Any]]:
    attributes = record_attributes(runner)
    runner_id = attributes.pop("id")
    links = [runner_link_sk("PROJECT", project_id) for project_id in runner.project_ids]
    links += [runner_link_sk("GROUP", group_id) for group_id in runner.group_ids]
    return [
        {**attributes, "runner_id": runner_id, "sk": RUNNER_SK},
        *({"runner_id": runner_id, "sk": sk} for sk in links),
    ]


def runner_from_item(item: Mapping[str, Any]) -> Runner:
    return Runner.model_validate({**item, "id": item["runner_id"]})
