"""The local DynamoDB: the template's tables in it, and what `dynamodb_local` adds to moto's.

Each added behaviour is tested here against what AWS documents for DynamoDB: a transaction's
isolation, `ClientRequestToken` idempotency, and shard iterators that expire.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from admin_token_local.dynamodb_local import create_tables, reset_tables
from admin_token_local.moto_server import EmbeddedMotoServer
from admin_token_local.template import load_template, table_definitions
from tests.local.conftest import REAL_TEMPLATE

TEMPLATE = load_template(REAL_TEMPLATE)
# Unique per run: moto's state is per process, shared with any other server in the session.
SUFFIX = uuid.uuid4().hex[:8]
NAMES = {logical_id: f"local-{logical_id}-{SUFFIX}" for logical_id in table_definitions(TEMPLATE)}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = EmbeddedMotoServer()
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


# -- isolation: "transactions are serializable" with every other write --------------------------


def test_a_cancelled_transaction_never_undoes_a_write_made_while_it_ran(endpoint: str) -> None:
    # Given a table with enough items that a transaction takes a while (moto copies the tables
    # a transaction touches, and puts the copies back when it is cancelled)
    create_tables(endpoint, TEMPLATE, NAMES)
    client, table = _client(endpoint), NAMES["TokensTable"]
    for start in range(0, 150, 25):
        fillers = [{"PutRequest": {"Item": _token(f"filler-{n}", 1)}} for n in range(start, start + 25)]
        client.batch_write_item(RequestItems={table: fillers})
    client.put_item(TableName=table, Item=_token("guarded", 1))
    stop = threading.Event()

    def cancelled_transactions() -> int:
        count = 0
        while not stop.is_set():
            with pytest.raises(client.exceptions.TransactionCanceledException):
                client.transact_write_items(
                    TransactItems=[
                        {"Put": {"TableName": table, "Item": _token("never", 1)}},
                        {
                            "ConditionCheck": {
                                "TableName": table,
                                "Key": {"digest": {"S": "guarded"}},
                                "ConditionExpression": "version = :other",
                                "ExpressionAttributeValues": {":other": {"N": "2"}},
                            }
                        },
                    ]
                )
            count += 1
        return count

    # When other clients write while transactions keep being cancelled
    with ThreadPoolExecutor(3) as pool:
        cancelling = [pool.submit(cancelled_transactions) for _ in range(2)]
        written = [f"written-{n}" for n in range(60)]
        for digest in written:
            client.put_item(TableName=table, Item=_token(digest, 1))
        stop.set()
        assert all(future.result() > 0 for future in cancelling)

    # Then every acknowledged write is there, and nothing of the cancelled transactions is
    missing = [
        digest
        for digest in written
        if "Item" not in client.get_item(TableName=table, Key={"digest": {"S": digest}}, ConsistentRead=True)
    ]
    assert missing == []
    assert "Item" not in client.get_item(TableName=table, Key={"digest": {"S": "never"}}, ConsistentRead=True)


# -- ClientRequestToken: "multiple identical calls have the same effect as one single call" ------


def _count_up(client: Any, table: str, digest: str, token: str, by: str = "1") -> None:
    """A transaction that is not idempotent by itself: it adds to a counter, without a condition."""
    client.transact_write_items(
        ClientRequestToken=token,
        TransactItems=[
            {
                "Update": {
                    "TableName": table,
                    "Key": {"digest": {"S": digest}},
                    "UpdateExpression": "SET version = version + :by",
                    "ExpressionAttributeValues": {":by": {"N": by}},
                }
            }
        ],
    )


def _version(client: Any, table: str, digest: str) -> int:
    item = client.get_item(TableName=table, Key={"digest": {"S": digest}}, ConsistentRead=True)["Item"]
    return int(item["version"]["N"])


def test_a_transaction_retried_with_its_token_succeeds_without_applying_twice(endpoint: str) -> None:
    create_tables(endpoint, TEMPLATE, NAMES)
    client, table = _client(endpoint), NAMES["TokensTable"]
    client.put_item(TableName=table, Item=_token("counted", 1))
    token = str(uuid.uuid4())

    _count_up(client, table, "counted", token)
    _count_up(client, table, "counted", token)  # the retry of a call whose answer was lost
    _count_up(client, table, "counted", token)

    assert _version(client, table, "counted") == 2
    _count_up(client, table, "counted", str(uuid.uuid4()))  # another token is another transaction
    assert _version(client, table, "counted") == 3


def test_a_token_reused_with_other_parameters_is_idempotent_parameter_mismatch(endpoint: str) -> None:
    create_tables(endpoint, TEMPLATE, NAMES)
    client, table = _client(endpoint), NAMES["TokensTable"]
    client.put_item(TableName=table, Item=_token("mismatch", 1))
    token = str(uuid.uuid4())
    _count_up(client, table, "mismatch", token)

    with pytest.raises(client.exceptions.IdempotentParameterMismatchException):
        _count_up(client, table, "mismatch", token, by="5")

    assert _version(client, table, "mismatch") == 2


def test_a_token_is_a_new_request_10_minutes_after_its_transaction(
    endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from admin_token_local.dynamodb_local import ClientRequestTokens

    now = [time.monotonic()]
    monkeypatch.setattr(ClientRequestTokens, "clock", staticmethod(lambda: now[0]))
    create_tables(endpoint, TEMPLATE, NAMES)
    client, table = _client(endpoint), NAMES["TokensTable"]
    client.put_item(TableName=table, Item=_token("window", 1))
    token = str(uuid.uuid4())
    _count_up(client, table, "window", token)

    now[0] += 9 * 60
    _count_up(client, table, "window", token)
    assert _version(client, table, "window") == 2
    now[0] += 61  # 10 minutes and a second after the transaction completed
    _count_up(client, table, "window", token)
    assert _version(client, table, "window") == 3


def test_a_cancelled_transaction_s_token_runs_again_when_retried(endpoint: str) -> None:
    # A cancelled transaction changed nothing: its retry with the same token is carried out.
    create_tables(endpoint, TEMPLATE, NAMES)
    client, table = _client(endpoint), NAMES["TokensTable"]
    token = str(uuid.uuid4())
    put = {"Put": {"TableName": table, "Item": _token("late", 1), "ConditionExpression": "attribute_exists(digest)"}}
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(ClientRequestToken=token, TransactItems=[put])
    client.put_item(TableName=table, Item=_token("late", 7))

    client.transact_write_items(ClientRequestToken=token, TransactItems=[put])

    assert _version(client, table, "late") == 1


# -- DynamoDB Streams ----------------------------------------------------------------------------


def test_a_stream_reader_sees_writes_made_after_a_cancelled_transaction(endpoint: str) -> None:
    # DynamoDB: a cancelled transaction writes nothing to the table or to its stream, and a reader
    # following the stream goes on reading the records of later writes.
    create_tables(endpoint, TEMPLATE, NAMES)
    client, table = _client(endpoint), NAMES["AuditTable"]
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name="us-east-1")
    (stream,) = streams.list_streams(TableName=table)["Streams"]
    shard = streams.describe_stream(StreamArn=stream["StreamArn"])["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream["StreamArn"], ShardId=shard["ShardId"], ShardIteratorType="LATEST"
    )["ShardIterator"]
    audit_id = 10**15 + int(uuid.uuid4().int % 10**9)
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"audit_id": {"N": str(audit_id)}}}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"audit_id": {"N": "1"}},
                        "ConditionExpression": "attribute_exists(audit_id)",
                    }
                },
            ]
        )

    client.put_item(TableName=table, Item={"audit_id": {"N": str(audit_id + 1)}})

    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [record["dynamodb"]["Keys"]["audit_id"]["N"] for record in records] == [str(audit_id + 1)]
