"""Storage behind two small interfaces: `TokenStore` (tokens, their owners, the revoke transaction)
and `AuditLog` (reading audit events). Only the `dynamodb*.py` modules know about boto3.
"""

from admin_token.storage.audit_log import AuditLog, AuditPage, AuditQuery
from admin_token.storage.base import (
    AuditIdTaken,
    AuditRecord,
    Change,
    DeleteRunner,
    DeleteToken,
    RecordKey,
    ReplaceTokenSecret,
    StoredToken,
    TokenChanged,
    TokenStore,
    Tombstone,
    UpdateToken,
)

__all__ = [
    "AuditIdTaken",
    "AuditLog",
    "AuditPage",
    "AuditQuery",
    "AuditRecord",
    "Change",
    "DeleteRunner",
    "DeleteToken",
    "RecordKey",
    "ReplaceTokenSecret",
    "StoredToken",
    "TokenChanged",
    "TokenStore",
    "Tombstone",
    "UpdateToken",
]
