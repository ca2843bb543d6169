"""Storage behind one small interface (`TokenStore`); only `dynamodb.py` knows about boto3."""

from admin_token.storage.base import (
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
