"""What a revoke did, or would do: the domain's answer, mapped explicitly to a dry run's body.

Headers (X-Token-Type, X-Token-Action, X-Audit-Event-Id) and bulk results are built from the same
object, so a single revoke, its dry run and a bulk element always say the same thing.
"""

from __future__ import annotations

from typing import Any

from admin_token.models.frozen import Frozen
from admin_token.outcomes import ALREADY_REVOKED, Action
from admin_token.token_types.base import Target


class RevokeOutcome(Frozen, kw_only=False):
    token_type: str
    action: Action
    target: Target | None
    cascade: tuple[Target, ...] = ()
    audit_event_id: int | str | None = None
    # Set when the token is unknown because an earlier revoke made it so (a tombstone).
    revoked_at: str | None = None
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return self.action != ALREADY_REVOKED

    def to_json(self) -> dict[str, Any]:
        """A dry run's body."""
        body: dict[str, Any] = {
            "dry_run": self.dry_run,
            "token_type": self.token_type,
            "action": self.action,
            "target": self.target.to_json() if self.target else None,
            "cascade": [part.to_json() for part in self.cascade],
        }
        if self.revoked_at is not None:
            body["revoked_at"] = self.revoked_at
            body["audit_event_id"] = self.audit_event_id
        return body
