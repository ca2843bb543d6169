"""The embedded DynamoDB and the template's tables in it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from admin_token_local.dynamodb_local import EmbeddedDynamoDB, create_tables, reset_tables
from admin_token_local.template import load_template, table_definitions
from tests.local.conftest import REAL_TEMPLATE

TEMPLATE = load_template(REAL_TEMPLATE)
# Unique per run: moto's state is per process, shared with any other server in the session.
SUFFIX = uuid.uuid4().hex[:8]
NAMES = {logical_id: f"local-{logical_id}-{SUFFIX}" for logical_id in table_definitions(TEMPLATE)}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = EmbeddedDynamoDB()
    url = server.start()
    yield url
    server.stop()


def _client(endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")


def test_the_server_listens_on_loopback(endpoint: str) -> None:
    assert endpoint.startswith("http://127.0.0.1:")
    assert not endpoint.endswith(":0")


def test_create_tables_builds_the_template_tables_once(endpoint: str) -> None:
    assert sorted(create_tables(endpoint, TEMPLATE, NAMES)) == sorted(NAMES.values())
    assert create_tables(endpoint, TEMPLATE, NAMES) == []  # idempotent
    table = _client(endpoint).describe_table(TableName=NAMES["RunnersTable"])["Table"]
    assert table["KeySchema"] == [
        {"AttributeName": "runner_id", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_create_tables_adds_only_the_missing_ones(endpoint: str) -> None:
    names = {logical_id: f"partial-{logical_id}-{SUFFIX}" for logical_id in NAMES}
    client = _client(endpoint)
    client.create_table(
        TableName=f"partial-AuditTable-{SUFFIX}",
        AttributeDefinitions=[{"AttributeName": "audit_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "audit_id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.put_item(TableName=f"partial-AuditTable-{SUFFIX}", Item={"audit_id": {"S": "kept"}})
    assert f"partial-AuditTable-{SUFFIX}" not in create_tables(endpoint, TEMPLATE, names)
    assert client.get_item(TableName=f"partial-AuditTable-{SUFFIX}", Key={"audit_id": {"S": "kept"}}).get("Item")


def test_reset_tables_empties_them(endpoint: str) -> None:
    create_tables(endpoint, TEMPLATE, NAMES)
    client = _client(endpoint)
    client.put_item(TableName=NAMES["TokensTable"], Item={"digest": {"S": "abc"}})
    reset_tables(endpoint, TEMPLATE, NAMES)
    assert client.scan(TableName=NAMES["TokensTable"])["Items"] == []
    assert set(NAMES.values()) <= set(client.list_tables()["TableNames"])


def _token(digest: str, version: int) -> dict[str, Any]:
    return {"digest": {"S": digest}, "token_type": {"S": "t"}, "version": {"N": str(version)}}


def test_a_transaction_whose_condition_fails_writes_nothing_and_says_why(endpoint: str) -> None:
    # Given two items, in a table with other items the transaction does not touch
    create_tables(endpoint, TEMPLATE, NAMES)
    client, table = _client(endpoint), NAMES["TokensTable"]
    for digest in ("tx-a", "tx-b", "tx-other"):
        client.put_item(TableName=table, Item=_token(digest, 1))

    # When one transaction updates the first and deletes the second on a stale version
    with pytest.raises(client.exceptions.TransactionCanceledException) as cancelled:
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"digest": {"S": "tx-a"}},
                        "UpdateExpression": "SET version = :v",
                        "ExpressionAttributeValues": {":v": {"N": "2"}},
                    }
                },
                {
                    "Delete": {
                        "TableName": table,
                        "Key": {"digest": {"S": "tx-b"}},
                        "ConditionExpression": "version = :r",
                        "ExpressionAttributeValues": {":r": {"N": "7"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )

    # Then DynamoDB's answer: a reason per item, the failed one with its item as it is
    reasons = cancelled.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"]["version"] == {"N": "1"}
    # And nothing was written
    for digest in ("tx-a", "tx-b", "tx-other"):
        item = client.get_item(TableName=table, Key={"digest": {"S": digest}}, ConsistentRead=True)["Item"]
        assert item["version"] == {"N": "1"}


def test_a_transaction_whose_conditions_hold_writes_every_item(endpoint: str) -> None:
    create_tables(endpoint, TEMPLATE, NAMES)
    client, table = _client(endpoint), NAMES["TokensTable"]
    client.put_item(TableName=table, Item=_token("tx-c", 1))

    client.transact_write_items(
        TransactItems=[
            {
                "Delete": {
                    "TableName": table,
                    "Key": {"digest": {"S": "tx-c"}},
                    "ConditionExpression": "version = :r",
                    "ExpressionAttributeValues": {":r": {"N": "1"}},
                }
            },
            {
                "Put": {
                    "TableName": table,
                    "Item": _token("tx-d", 1),
                    "ConditionExpression": "attribute_not_exists(digest)",
                }
            },
        ]
    )

    assert "Item" not in client.get_item(TableName=table, Key={"digest": {"S": "tx-c"}}, ConsistentRead=True)
    assert "Item" in client.get_item(TableName=table, Key={"digest": {"S": "tx-d"}}, ConsistentRead=True)
    with pytest.raises(client.exceptions.ClientError, match="ValidationException"):
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": _token("tx-e", 1)}},
                {"Put": {"TableName": table, "Item": _token("tx-e", 2)}},
            ]
        )


def _update_in_transaction(client: Any, table: str, digest: str, expression: str, **extra: Any) -> None:
    client.transact_write_items(
        TransactItems=[
            {"Update": {"TableName": table, "Key": {"digest": {"S": digest}}, "UpdateExpression": expression, **extra}}
        ]
    )


def test_a_plain_set_in_a_transaction_leaves_the_item_update_item_would(endpoint: str) -> None:
    # Given two equal items: one updated by UpdateItem (moto's own parser), one in a transaction
    create_tables(endpoint, TEMPLATE, NAMES)
    client, table = _client(endpoint), NAMES["TokensTable"]
    for digest in ("set-moto", "set-tx"):
        client.put_item(TableName=table, Item=_token(digest, 41))
    expression = "SET #a0 = :v0, #a1 = :v1, version = version + :one"
    arguments: dict[str, Any] = {
        "ExpressionAttributeNames": {"#a0": "revoked", "#a1": "note"},
        "ExpressionAttributeValues": {
            ":v0": {"BOOL": True},
            ":v1": {"L": [{"S": "a"}, {"N": "1.5"}]},
            ":one": {"N": "1"},
        },
    }

    # When both get the same SET, the way the service's revoke writes it
    client.update_item(TableName=table, Key={"digest": {"S": "set-moto"}}, UpdateExpression=expression, **arguments)
    _update_in_transaction(client, table, "set-tx", expression, **arguments)

    # Then the two items are the same, and the next read (a JSON body moto did not build) agrees
    def read(digest: str) -> dict[str, Any]:
        item = client.get_item(TableName=table, Key={"digest": {"S": digest}}, ConsistentRead=True)["Item"]
        return {name: value for name, value in item.items() if name != "digest"}

    assert read("set-tx") == read("set-moto")
    assert read("set-tx")["version"] == {"N": "42"}
    assert read("set-tx")["note"] == {"L": [{"S": "a"}, {"N": "1.5"}]}


@pytest.mark.parametrize(
    ("expression", "extra"),
    [
        # the key itself: DynamoDB refuses, and so must the shortcut
        ("SET digest = :v", {"ExpressionAttributeValues": {":v": {"S": "other"}}}),
        # adding to a string
        (
            "SET #n = #n + :one",
            {"ExpressionAttributeNames": {"#n": "token_type"}, "ExpressionAttributeValues": {":one": {"N": "1"}}},
        ),
        # a value that was never given
        ("SET #n = :missing", {"ExpressionAttributeNames": {"#n": "token_type"}}),
    ],
)
def test_an_update_the_shortcut_does_not_cover_gets_moto_s_own_refusal(
    endpoint: str, expression: str, extra: dict[str, Any]
) -> None:
    create_tables(endpoint, TEMPLATE, NAMES)
    client, table = _client(endpoint), NAMES["TokensTable"]
    client.put_item(TableName=table, Item=_token("refused", 1))

    with pytest.raises(client.exceptions.ClientError):
        _update_in_transaction(client, table, "refused", expression, **extra)

    item = client.get_item(TableName=table, Key={"digest": {"S": "refused"}}, ConsistentRead=True)["Item"]
    assert item == _token("refused", 1)


def test_binary_attributes_come_back_as_they_went_in(endpoint: str) -> None:
    # A result holding bytes is one the JSON shortcut must leave to moto's serializer.
    create_tables(endpoint, TEMPLATE, NAMES)
    client, table = _client(endpoint), NAMES["TokensTable"]
    client.put_item(TableName=table, Item={**_token("binary", 1), "blob": {"B": b"\x00\xffbytes"}})

    read = client.batch_get_item(RequestItems={table: {"Keys": [{"digest": {"S": "binary"}}]}})["Responses"][table]

    assert read[0]["blob"] == {"B": b"\x00\xffbytes"}


def test_stream_iterators_expire_after_15_minutes_as_on_aws(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the audit table's stream, polled as serve's stream reader polls it: each GetRecords
    # issues a new iterator, and moto used to keep every one (serve grew ~30 MB an hour).
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    from admin_token_local.dynamodb_local import ExpiringShardIterators

    now = [time.monotonic()]  # from the real clock on: iterators issued before this test are older
    monkeypatch.setattr(ExpiringShardIterators, "clock", staticmethod(lambda: now[0]))
    create_tables(endpoint, TEMPLATE, NAMES)
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name="us-east-1")
    (stream,) = streams.list_streams(TableName=NAMES["AuditTable"])["Streams"]
    shard = streams.describe_stream(StreamArn=stream["StreamArn"])["StreamDescription"]["Shards"][0]
    first = streams.get_shard_iterator(
        StreamArn=stream["StreamArn"], ShardId=shard["ShardId"], ShardIteratorType="LATEST"
    )["ShardIterator"]
    iterator = first
    # When it is polled once a minute for two hours
    for _ in range(120):
        now[0] += 60
        iterator = streams.get_records(ShardIterator=iterator)["NextShardIterator"]
    # Then only the last 15 minutes' iterators are kept, the latest still works, the first is expired
    held = dynamodbstreams_backends["123456789012"]["us-east-1"].shard_iterators
    assert isinstance(held, ExpiringShardIterators)
    assert len(held) <= 16
    assert streams.get_records(ShardIterator=iterator)["Records"] == []
    with pytest.raises(streams.exceptions.ExpiredIteratorException):
        streams.get_records(ShardIterator=first)
