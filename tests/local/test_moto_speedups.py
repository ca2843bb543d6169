"""`moto_speedups` changes how fast moto's SQS answers, never what it answers, on the moto uv.lock pins.

The same requests are sent to moto with and without the patches, and the answers compared. The
patches rest on moto's private names: when moto moves one, these tests say which.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import re
import tomllib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from admin_token_local import moto_speedups
from admin_token_local.moto_server import EmbeddedMotoServer
from tests.local.conftest import REPO_ROOT


def test_moto_is_the_version_the_speedups_were_proven_against() -> None:
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    (locked,) = [package["version"] for package in lock["package"] if package["name"] == "moto"]
    assert importlib.metadata.version("moto") == locked == moto_speedups.MOTO_VERSION, (
        "moto changed: check every name in moto_speedups.PRIVATE_NAMES, run this file, then set MOTO_VERSION"
    )


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = EmbeddedMotoServer()  # installs the speedups
    yield server.start()
    server.stop()


@pytest.fixture(scope="module")
def sqs(endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")


@pytest.fixture(scope="module")
def dynamodb(endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")


def test_every_private_name_the_speedups_rely_on_is_still_there(sqs: Any, dynamodb: Any) -> None:
    from moto.dynamodb.models import dynamodb_backends
    from moto.sqs.models import sqs_backends

    # Live objects for the names that are instance attributes: a queue holding a received message,
    # a table with a stream.
    url = sqs.create_queue(QueueName=f"names-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    sqs.receive_message(QueueUrl=url)
    queue = sqs_backends["123456789012"]["us-east-1"].get_queue(url.rsplit("/", 1)[1])
    table_name = _tables(dynamodb, f"names-{uuid.uuid4().hex[:8]}")[0]
    backend = dynamodb_backends["123456789012"]["us-east-1"]
    table = backend.tables[table_name]
    live = {
        "Queue": queue,
        "Message": queue._messages[0],
        "SQSBackend": sqs_backends["123456789012"]["us-east-1"],
        "DynamoDBBackend": backend,
        "Table": table,
        "StreamShard": table.stream_shard,
    }

    moved = []
    for name in moto_speedups.PRIVATE_NAMES:
        module_name, _, path = name.partition(":")
        owner: Any = importlib.import_module(module_name)
        *owners, attribute = path.split(".")
        for part in owners:
            owner = getattr(owner, part, None)
        instance = live.get(owners[0]) if owners else None
        if owner is None or not (hasattr(owner, attribute) or hasattr(instance, attribute)):
            moved.append(name)
    assert moved == [], f"moto moved what moto_speedups relies on: {moved}"


# The replaced methods are called with moto's own arguments: their signatures must not move.
SIGNATURES = {
    "Queue.delete_message": "(self, receipt_handle: str) -> None",
    "SQSBackend.send_message": "(self, queue_name: str, message_body: str, message_attributes: dict[str, "
    "typing.Any] | None = None, delay_seconds: int | None = None, deduplication_id: str | None = None, "
    "group_id: str | None = None, system_attributes: dict[str, typing.Any] | None = None, validate_group_id: "
    "bool = True) -> moto.sqs.models.Message",
    "SQSBackend.get_queue_attributes": "(self, queue_name: str, attribute_names: list[str]) -> dict[str, typing.Any]",
}


def test_the_methods_the_speedups_replace_keep_moto_s_signatures() -> None:
    from moto.sqs import models

    with moto_speedups.without_speedups():
        found = {}
        for name in SIGNATURES:
            owner, attribute = name.split(".")
            found[name] = re.sub(r"\s+", " ", str(inspect.signature(getattr(getattr(models, owner), attribute))))
    assert found == SIGNATURES


def _scenario(sqs: Any) -> list[Any]:
    """Requests a sender, the poller and an operator make, each answer (or error) in order."""
    suffix = uuid.uuid4().hex[:8]
    answers: list[Any] = []

    def ask(operation: Callable[..., Any], **arguments: Any) -> Any:
        try:
            answer = operation(**arguments)
        except sqs.exceptions.ClientError as error:
            answers.append(("error", error.response["Error"]))
            return None
        answer.pop("ResponseMetadata", None)
        answers.append(answer)
        return answer

    dead = ask(sqs.create_queue, QueueName=f"dead-{suffix}")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = f'{{"deadLetterTargetArn": "{dead_arn}", "maxReceiveCount": "2"}}'
    queue = ask(
        sqs.create_queue,
        QueueName=f"live-{suffix}",
        Attributes={"VisibilityTimeout": "30", "MessageRetentionPeriod": "3600", "RedrivePolicy": redrive},
    )["QueueUrl"]
    fifo = ask(
        sqs.create_queue,
        QueueName=f"fifo-{suffix}.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]

    for start in range(0, 30, 10):
        entries = [{"Id": str(index), "MessageBody": f"m{start + index}"} for index in range(10)]
        ask(sqs.send_message_batch, QueueUrl=queue, Entries=entries)
    ask(sqs.send_message, QueueUrl=queue, MessageBody="later", DelaySeconds=900)
    ask(sqs.send_message, QueueUrl=fifo, MessageBody="same", MessageGroupId="g")
    ask(sqs.send_message, QueueUrl=fifo, MessageBody="same", MessageGroupId="g")  # deduplicated

    attributes = ["All"], ["ApproximateNumberOfMessages", "MessageRetentionPeriod", "RedrivePolicy"], ["Policy"]
    for names in attributes:
        ask(sqs.get_queue_attributes, QueueUrl=queue, AttributeNames=names)
    ask(sqs.get_queue_attributes, QueueUrl=fifo, AttributeNames=["ContentBasedDeduplication", "FifoQueue"])
    ask(sqs.get_queue_attributes, QueueUrl=queue, AttributeNames=["FifoQueue"])
    ask(sqs.get_queue_attributes, QueueUrl=queue, AttributeNames=["NoSuchAttribute"])

    first = ask(sqs.receive_message, QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    ask(sqs.receive_message, QueueUrl=queue, MaxNumberOfMessages=10)
    ask(sqs.change_message_visibility, QueueUrl=queue, ReceiptHandle=first[0]["ReceiptHandle"], VisibilityTimeout=0)
    again = ask(sqs.receive_message, QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    ask(sqs.delete_message, QueueUrl=queue, ReceiptHandle=first[0]["ReceiptHandle"])  # an earlier handle
    ask(sqs.delete_message, QueueUrl=queue, ReceiptHandle=first[0]["ReceiptHandle"])  # deleted twice
    ask(sqs.delete_message, QueueUrl=queue, ReceiptHandle="not-a-handle")
    entries = [{"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]} for index, message in enumerate(again)]
    ask(sqs.delete_message_batch, QueueUrl=queue, Entries=[*entries, {"Id": "bad", "ReceiptHandle": "nope"}])
    # One message received past maxReceiveCount goes to the dead-letter queue.
    for _ in range(3):
        received = ask(sqs.receive_message, QueueUrl=queue, MaxNumberOfMessages=1).get("Messages", [])
        for message in received:
            ask(sqs.change_message_visibility, QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=0)  # fmt: skip
    ask(sqs.receive_message, QueueUrl=dead, MaxNumberOfMessages=10)
    for url in (queue, dead, fifo):
        ask(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["All"])
    ask(sqs.receive_message, QueueUrl=fifo, MaxNumberOfMessages=10)
    return _normalised(answers, suffix)


_TIMES = {"SentTimestamp", "ApproximateFirstReceiveTimestamp", "CreatedTimestamp", "LastModifiedTimestamp"}


def _normalised(answers: list[Any], suffix: str) -> list[Any]:
    """Random ids and handles become their order of appearance; clock readings are dropped."""
    seen: dict[str, str] = {}

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {name: walk(inner, name) for name, inner in value.items() if name not in _TIMES}
        if isinstance(value, list | tuple):
            return [walk(inner) for inner in value]
        if isinstance(value, str):
            if key in ("MessageId", "ReceiptHandle", "SequenceNumber"):
                return seen.setdefault(value, f"{key}#{len(seen)}")
            return value.replace(suffix, "<run>")
        return value

    return [walk(answer) for answer in answers]


def test_the_same_requests_get_the_same_answers_with_and_without_the_speedups(sqs: Any) -> None:
    with moto_speedups.without_speedups():
        moto_s_own = _scenario(sqs)
    with_speedups = _scenario(sqs)

    assert with_speedups == moto_s_own
    assert any("Messages" in answer for answer in moto_s_own if isinstance(answer, dict))  # it did receive


def _tables(dynamodb: Any, prefix: str) -> tuple[str, str]:
    """A table with a range key and a stream, and one with a hash key only."""
    ranged, plain = f"{prefix}-ranged", f"{prefix}-plain"
    dynamodb.create_table(
        TableName=ranged,
        KeySchema=[{"AttributeName": "h", "KeyType": "HASH"}, {"AttributeName": "r", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "h", "AttributeType": "S"},
            {"AttributeName": "r", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    dynamodb.create_table(
        TableName=plain,
        KeySchema=[{"AttributeName": "h", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "h", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return ranged, plain


def _transactions(dynamodb: Any, endpoint: str) -> list[Any]:
    """Transactions that commit, are cancelled before and after writes, or refused; then every item
    and stream record, as a reader would see them."""
    suffix = uuid.uuid4().hex[:8]
    ranged, plain = _tables(dynamodb, f"tx-{suffix}")
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name="us-east-1")
    (stream,) = streams.list_streams(TableName=ranged)["Streams"]
    shard = streams.describe_stream(StreamArn=stream["StreamArn"])["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream["StreamArn"], ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    answers: list[Any] = []

    def transact(*items: dict[str, Any]) -> None:
        try:
            answer = dynamodb.transact_write_items(TransactItems=list(items))
            answer.pop("ResponseMetadata", None)
            answers.append(answer)
        except dynamodb.exceptions.ClientError as error:
            answers.append((error.response["Error"], error.response.get("CancellationReasons")))

    def r_key(h: str, r: int) -> dict[str, Any]:
        return {"h": {"S": h}, "r": {"N": str(r)}}

    nested = {"M": {"inner": {"L": [{"N": "1"}]}}}
    for n in range(3):
        dynamodb.put_item(TableName=ranged, Item={**r_key("a", n), "v": {"N": "1"}, "doc": nested})
        dynamodb.put_item(TableName=plain, Item={"h": {"S": f"p{n}"}, "v": {"N": "1"}})
    add_one = {
        "UpdateExpression": "SET v = v + :one, #d.#i[0] = :two",
        "ExpressionAttributeNames": {"#d": "doc", "#i": "inner"},
        "ExpressionAttributeValues": {":one": {"N": "1"}, ":two": {"N": "2"}},
    }
    version_is = {"ConditionExpression": "v = :v", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}

    # Commits: an update in place (nested too), a put, a delete, across both tables.
    transact(
        {"Update": {"TableName": ranged, "Key": r_key("a", 0), **add_one}},
        {"Put": {"TableName": plain, "Item": {"h": {"S": "new"}, "v": {"N": "9"}}}},
        {"Delete": {"TableName": plain, "Key": {"h": {"S": "p1"}}}},
    )
    # Cancelled after an update in place and a put were applied: both undone.
    transact(
        {"Update": {"TableName": ranged, "Key": r_key("a", 1), **add_one}},
        {"Put": {"TableName": ranged, "Item": {**r_key("b", 1), "v": {"N": "1"}}}},
        {"Delete": {"TableName": plain, "Key": {"h": {"S": "p2"}}}},
        {"Update": {"TableName": plain, "Key": {"h": {"S": "p0"}}, **add_one, **version_is,
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":two": {"N": "2"}, ":v": {"N": "5"}}}},
    )  # fmt: skip
    # Cancelled by an update moto cannot apply (adding to a string), after a delete.
    transact(
        {"Delete": {"TableName": ranged, "Key": r_key("a", 2)}},
        {"Update": {"TableName": plain, "Key": {"h": {"S": "p0"}}, "UpdateExpression": "SET v = v + :s",
                    "ExpressionAttributeValues": {":s": {"S": "x"}}}},
    )  # fmt: skip
    # Refused before anything: the same item twice, and a table that does not exist.
    transact(
        {"Update": {"TableName": ranged, "Key": r_key("a", 1), **add_one}},
        {"Delete": {"TableName": ranged, "Key": r_key("a", 1)}},
    )
    transact({"Delete": {"TableName": f"missing-{suffix}", "Key": {"h": {"S": "x"}}}})
    # A key that is not the table's, then a commit after all of it.
    transact({"Delete": {"TableName": ranged, "Key": {"h": {"S": "a"}}}})
    transact({"Update": {"TableName": ranged, "Key": r_key("a", 1), **add_one}})

    for name in (ranged, plain):
        items = dynamodb.scan(TableName=name, ConsistentRead=True)["Items"]
        answers.append(sorted(items, key=lambda item: (item["h"]["S"], item.get("r", {}).get("N", ""))))
    records = streams.get_records(ShardIterator=iterator)["Records"]
    answers.append([(record["eventName"], record["dynamodb"].get("Keys"), record["dynamodb"].get("NewImage"),
                     record["dynamodb"].get("OldImage")) for record in records])  # fmt: skip
    return _normalised(answers, suffix)


def test_transactions_get_the_same_answers_and_leave_the_same_tables_with_and_without_the_speedups(
    dynamodb: Any, endpoint: str
) -> None:
    with moto_speedups.without_speedups():
        moto_s_own = _transactions(dynamodb, endpoint)
    with_speedups = _transactions(dynamodb, endpoint)

    assert with_speedups == moto_s_own
    refusals = [answer for answer in moto_s_own if isinstance(answer, list) and answer and "Code" in answer[0]]
    assert len(refusals) == 5  # five transactions refused or cancelled


def test_a_table_backup_is_still_moto_s_deep_copy(dynamodb: Any) -> None:
    # Outside a transaction (CreateBackup), a copy of a table must not share its items.
    table, _ = _tables(dynamodb, f"backup-{uuid.uuid4().hex[:8]}")
    dynamodb.put_item(TableName=table, Item={"h": {"S": "a"}, "r": {"N": "1"}, "v": {"N": "1"}})
    backup = dynamodb.create_backup(TableName=table, BackupName="before")["BackupDetails"]["BackupArn"]
    dynamodb.update_item(TableName=table, Key={"h": {"S": "a"}, "r": {"N": "1"}}, UpdateExpression="SET v = :two",
                         ExpressionAttributeValues={":two": {"N": "2"}})  # fmt: skip
    restored = f"{table}-restored"
    dynamodb.restore_table_from_backup(TargetTableName=restored, BackupArn=backup)

    (item,) = dynamodb.scan(TableName=restored)["Items"]
    assert item["v"] == {"N": "1"}


def test_without_speedups_moto_s_own_methods_are_back() -> None:
    from moto.dynamodb.models.table import Table
    from moto.sqs.models import Queue

    assert Queue.__dict__["delete_message"].__module__ == moto_speedups.__name__
    with moto_speedups.without_speedups():
        assert Queue.__dict__["delete_message"].__module__ == "moto.sqs.models"
        assert "__deepcopy__" not in Table.__dict__
    assert Queue.__dict__["delete_message"].__module__ == moto_speedups.__name__
    assert "__deepcopy__" in Table.__dict__
