"""`AuditLog` on DynamoDB: a GetItem by id, or a Query on one of the audit table's indexes.

Every index sorts on `audit_id`, so a time range (already an id range) is the key condition's
sort-key part, and "newest first" is `ScanIndexForward=False`. The index is chosen by the most
selective filter given; any other filter is a FilterExpression on the same Query. Nothing here
scans a table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from admin_token.audit_ids import MAX_ID
from admin_token.storage.audit_log import AuditPage, AuditQuery
from admin_token.storage.base import AuditRecord
from admin_token.storage.dynamodb import TABLE_ENVIRONMENT, DynamoDBTokenStore, _client, _Item, _serializer
from admin_token.storage.items import (
    AUDIT_ALL_VALUE,
    AUDIT_INDEXES,
    audit_entity_key,
    audit_record_from_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Events one request may examine when a FilterExpression drops some: past this, the page is
# returned short, with a cursor where the examination stopped. A request's cost stays bounded
# whatever the filter, and a client that follows `rel="next"` still reads everything.
MAX_EXAMINED: Final = 1000
EXAMINED_PER_QUERY: Final = 250


def plan(query: AuditQuery) -> tuple[str, Any, dict[str, Any]]:
    """The index to query, its partition value, and the filters left for a FilterExpression."""
    filters: dict[str, Any] = {
        name: value
        for name, value in (
            ("entity_type", query.entity_type),
            ("entity_id", query.entity_id),
            ("author_id", query.author_id),
            ("token_type", query.token_type),
        )
        if value is not None
    }
    if query.entity_type is not None and query.entity_id is not None:
        del filters["entity_type"], filters["entity_id"]
        return "entity-by-id", audit_entity_key(query.entity_type, query.entity_id), filters
    for index, field in (
        ("author-by-id", "author_id"),
        ("token-type-by-id", "token_type"),
        ("entity-type-by-id", "entity_type"),
    ):
        if field in filters:
            return index, filters.pop(field), filters
    return "all-events-by-id", AUDIT_ALL_VALUE, filters


class DynamoDBAuditLog:
    def __init__(self, client: DynamoDBClient | None = None, table: str | None = None) -> None:
        self._given_client = client
        self._table = table or os.environ[TABLE_ENVIRONMENT["audit"]]

    @property
    def client(self) -> DynamoDBClient:
        return self._given_client or _client()

    def get_event(self, audit_id: int) -> AuditRecord | None:
        if not 0 < audit_id <= MAX_ID:
            return None  # no event has such an id: no need to ask
        response = DynamoDBTokenStore._call(
            self.client.get_item,
            TableName=self._table,
            Key={"audit_id": {"N": str(audit_id)}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return audit_record_from_item(_Item(item)) if item else None

    def find_events(self, query: AuditQuery, limit: int) -> AuditPage:
        if query.min_id > query.max_id:
            return AuditPage((), None)  # an empty range (DynamoDB refuses BETWEEN with lo > hi)
        index, partition, filters = plan(query)
        names = {"#p": AUDIT_INDEXES[index], **{f"#f{i}": name for i, name in enumerate(filters)}}
        values = {
            ":p": _serializer.serialize(partition),
            ":lo": {"N": str(query.min_id)},
            ":hi": {"N": str(query.max_id)},
            **{f":f{i}": _serializer.serialize(value) for i, value in enumerate(filters.values())},
        }
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": "#p = :p AND audit_id BETWEEN :lo AND :hi",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            # One more than a page says whether more remain; with a filter, read in larger steps.
            "Limit": EXAMINED_PER_QUERY if filters else limit + 1,
        }
        if filters:
            arguments["FilterExpression"] = " AND ".join(f"#f{i} = :f{i}" for i in range(len(filters)))
        records: list[AuditRecord] = []
        examined = 0
        while True:
            response = DynamoDBTokenStore._call(self.client.query, **arguments)
            records.extend(audit_record_from_item(_Item(item)) for item in response.get("Items", []))
            examined += response.get("ScannedCount", 0)
            last: Mapping[str, Any] | None = response.get("LastEvaluatedKey")
            if len(records) > limit:
                return AuditPage(tuple(records[:limit]), records[limit - 1].audit_id)
            if not last:
                return AuditPage(tuple(records), None)
            if examined >= MAX_EXAMINED:
                # Every event with an id >= the last one examined has been looked at.
                return AuditPage(tuple(records), int(last["audit_id"]["N"]))
            arguments["ExclusiveStartKey"] = last


@cache
def default_audit_log() -> DynamoDBAuditLog:
    return DynamoDBAuditLog()
