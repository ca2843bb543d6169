"""The `Token revoked` event: what subscribers of the stack's event bus learn of each revoke.

The event is not sent by the request path. Each audit item carries its detail, ready made, as
the JSON text in `event_detail`; the audit table's stream feeds an EventBridge Pipe whose input
template unwraps that one attribute (template.yaml). So the detail is decided here, once, by
`revoke_event_detail`, and an event goes out exactly when an audit item is inserted, that is
when a revoke committed. The template cannot turn a missing attribute into a JSON `null`, which
is why the detail travels whole rather than field by field.

Never a token, never a digest: the detail is built from the audit record, which holds neither.
"""

from __future__ import annotations

import json
from typing import Any, Final

from admin_token.storage.base import AuditRecord

EVENT_SOURCE: Final = "admin-token-api"
EVENT_DETAIL_TYPE: Final = "Token revoked"
# The audit item's attribute holding the detail's JSON text; the Pipe's InputTemplate names it.
EVENT_DETAIL_ATTRIBUTE: Final = "event_detail"


def revoke_event_detail(record: AuditRecord) -> dict[str, Any]:
    """The event's `detail`, exactly these keys; `owner_user_id` and `location` may be None."""
    return {
        "token_type": record.token_type,
        "action": record.action,
        "target": {"type": record.target_type, "id": record.target_id},
        "owner_user_id": record.owner_user_id,
        "author": {"id": record.author_id, "name": record.author_name, "class": record.author_class},
        "audit_event_id": record.audit_id,
        "location": record.location,
    }


def event_detail_text(record: AuditRecord) -> str:
    """The detail as stored in the audit item: compact JSON."""
    return json.dumps(revoke_event_detail(record), separators=(",", ":"), ensure_ascii=False)
