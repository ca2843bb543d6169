"""The tests read tables from moto's backend in this process (`Tables.all_items`): what they read
is what a consistent Scan through the DynamoDB API returns, every attribute type included."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import Binary

from tests.integration.conftest import Api, Tables
from tests.support import demo


def _by_key(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: repr(sorted(item.items())))


def test_a_backend_read_is_what_a_consistent_scan_returns(db: Tables, api: Api) -> None:
    assert api.revoke(demo.ALICE_PAT).status == 204  # an audit record, and a changed token
    db.resource.Table(db.names["TokensTable"]).put_item(
        Item={
            "digest": "every-type",
            "text": "x",
            "number": Decimal("1.5"),
            "flag": True,
            "nothing": None,
            "binary": Binary(b"\x00\xff"),
            "binaries": {Binary(b"a"), Binary(b"b")},
            "numbers": {Decimal(1), Decimal(2)},
            "texts": {"a", "b"},
            "nested": {"list": [1, "two", {"binary": Binary(b"\x01")}], "map": {"n": Decimal(3)}},
        }
    )
    for logical_id in db.names:
        scanned = db.resource.Table(db.names[logical_id]).scan(ConsistentRead=True)["Items"]
        assert scanned, f"{logical_id} is empty: nothing compared"
        assert _by_key(db.all_items(logical_id)) == _by_key(scanned), logical_id
