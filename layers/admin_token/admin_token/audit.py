"""Audit events in GitLab's vocabulary: what a revoke writes, named as GitLab names things.

A revoke that changes something writes one `AuditRecord` in its own transaction; the audit
events API reads them back. This module decides every word of a record: the GitLab class name of
what changed, the action, the message. It never sees a token or a digest.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Final

from admin_token.audit_ids import next_audit_id, timestamp_of
from admin_token.models.frozen import Frozen
from admin_token.models.records import User
from admin_token.outcomes import CHANGES
from admin_token.storage.base import AuditRecord

if TYPE_CHECKING:
    from admin_token.token_types.base import Revocation

# Token type -> the GitLab class of the record a revoke of it changes (`entity_type`).
ENTITY_TYPES: Final[dict[str, str]] = {
    "personal_access_token": "PersonalAccessToken",  # personal, impersonation, project and group tokens
    "deploy_token": "DeployToken",
    "feed_token": "User",
    "incoming_email_token": "User",
    "gitlab_session": "User",
    "oauth_application_secret": "Doorkeeper::Application",
    "cluster_agent_token": "Clusters::AgentToken",
    "runner_authentication_token": "Ci::Runner",
    "pipeline_trigger_token": "Ci::Trigger",
    "feature_flags_client_token": "Operations::FeatureFlagsClient",
    "scim_access_token": "ScimOauthAccessToken",  # the instance's; a group's is named by its target
}
# A type whose records are of more than one GitLab class: the class by target (`Target.type`).
TARGET_ENTITY_TYPES: Final[dict[str, str]] = {"group_scim_auth_access_token": "GroupScimAuthAccessToken"}
ENTITY_CLASS_NAMES: Final = frozenset(ENTITY_TYPES.values()) | frozenset(TARGET_ENTITY_TYPES.values())

# What an audit record says was done: a change, never `already_revoked` (nothing is written then).
ACTIONS: Final = CHANGES
# The same actions named as verbs, which a caller of `audit_record` may pass instead.
_ACTION_ALIASES: Final = {"revoke": "revoked", "reset": "reset", "delete": "deleted", "expire": "expired"}

EVENT_NAME: Final = "token_revoked"
AUTHOR_CLASS: Final = "User"

# "<Action> <what> <id>...": the sentence GitLab would show in its audit log.
_MESSAGES: Final[dict[str, str]] = {
    "personal_access_token": "{action} personal access token {id}",
    "deploy_token": "{action} deploy token {id}",
    "feed_token": "{action} feed token of user {id}",
    "incoming_email_token": "{action} incoming email token of user {id}",
    "gitlab_session": "{action} session of user {id}",
    "oauth_application_secret": "{action} secret of OAuth application {id}",
    "cluster_agent_token": "{action} cluster agent token {id}",
    "runner_authentication_token": "{action} runner {id} (runner authentication token revoked)",
    "pipeline_trigger_token": "{action} pipeline trigger token {id}",
    "feature_flags_client_token": "{action} feature flags client token {id}",
    "scim_access_token": "{action} SCIM token {id}",
}


def audit_action(action: str) -> str:
    """The record's action word (`revoked`, `reset`, `deleted`, `expired`)."""
    word = action if action in ACTIONS else _ACTION_ALIASES.get(action)
    if word is None:
        raise ValueError(f"{action!r} is not an action an audit record names")
    return word


def describe_change(token_type: str, action: str, entity_id: int) -> str:
    """E.g. `Deleted runner 7 (runner authentication token revoked)`."""
    return _MESSAGES[token_type].format(action=audit_action(action).capitalize(), id=entity_id)


def audit_record(
    *,
    caller_user: User,
    token_type: str,
    action: str,
    entity_id: int,
    target_details: str,
    request_id: str,
    ip_address: str | None,
    target: tuple[str, int],
    owner_user_id: int | None = None,
    author_class: str = AUTHOR_CLASS,
    location: str | None = None,
    custom_message: str | None = None,
    now: datetime | None = None,
) -> AuditRecord:
    """The record of one revoke by `caller_user`, with a new event id (minted at `now`, default now).

    `target` is what changed as our API names it (`("runner", 7)`); `owner_user_id` the user the
    token belonged to (personal access, feed, incoming email and session tokens), else None.

    `created_at` is the id's own millisecond, so filtering on time and on id ranges agree exactly.
    """
    if token_type not in ENTITY_TYPES:
        raise ValueError(f"{token_type!r} is not revocable, so it is never audited")
    word = audit_action(action)
    audit_id = next_audit_id(now)
    return AuditRecord(
        audit_id=audit_id,
        created_at=timestamp_of(audit_id),
        author_id=caller_user.id,
        author_username=caller_user.username,
        author_name=caller_user.name,
        token_type=token_type,
        action=word,
        entity_type=TARGET_ENTITY_TYPES.get(target[0], ENTITY_TYPES[token_type]),
        entity_id=entity_id,
        target_details=target_details,
        custom_message=custom_message or describe_change(token_type, word, entity_id),
        request_id=request_id,
        ip_address=ip_address,
        target_type=target[0],
        target_id=target[1],
        owner_user_id=owner_user_id,
        author_class=author_class,
        location=location,
    )


class Author(Frozen, kw_only=False):
    """Who a revoke's audit record names as its author, and the request that asked for it."""

    user: User
    request_id: str
    ip_address: str | None
    author_class: str = AUTHOR_CLASS
    # Where the token was found (secret detection's findings), else None.
    location: str | None = None

    def record(self, token_type: str, plan: Revocation) -> AuditRecord:
        """The audit record of carrying out `plan` on a token of `token_type`."""
        return audit_record(
            caller_user=self.user,
            token_type=token_type,
            action=plan.action,
            entity_id=plan.target.id,
            target_details=plan.details,
            request_id=self.request_id,
            ip_address=self.ip_address,
            target=(plan.target.type, plan.target.id),
            owner_user_id=plan.owner_user_id,
            author_class=self.author_class,
            location=self.location,
        )
