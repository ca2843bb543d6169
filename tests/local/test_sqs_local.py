"""The embedded moto's SQS, as the local queue: what a sender, a poller and an operator see.

With `moto_speedups` installed (as `serve` has them): every answer is still SQS's: counts, named
attributes, visibility, deletion. tests/local/test_moto_speedups.py compares them with moto's own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from admin_token_local.moto_server import EmbeddedMotoServer


@pytest.fixture(scope="module")
def sqs() -> Iterator[Any]:
    server = EmbeddedMotoServer()  # one moto server hosts the local tables, queues and secret
    url = server.start()
    yield boto3.client("sqs", endpoint_url=url, region_name="us-east-1")
    server.stop()


def _queue(sqs: Any, **attributes: str) -> str:
    return str(sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}", Attributes=attributes)["QueueUrl"])


def _send(sqs: Any, queue: str, count: int) -> None:
    for start in range(0, count, 10):
        entries = [{"Id": str(index), "MessageBody": f"m{start + index}"} for index in range(min(10, count - start))]
        assert not sqs.send_message_batch(QueueUrl=queue, Entries=entries).get("Failed")


def test_named_attributes_agree_with_all_of_them(sqs: Any) -> None:
    # Given a queue with settings, messages waiting, in flight and delayed
    queue = _queue(sqs, VisibilityTimeout="30", MessageRetentionPeriod="3600", DelaySeconds="0")
    _send(sqs, queue, 25)
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    sqs.send_message(QueueUrl=queue, MessageBody="later", DelaySeconds=900)

    # When an operator asks for everything, and for some attributes by name
    everything = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "MessageRetentionPeriod"]
    named = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=names)["Attributes"]

    # Then the counts are SQS's, and the named ones are the same values as in "All"
    assert len(received) == 10
    assert everything["ApproximateNumberOfMessages"] == "15"
    assert everything["ApproximateNumberOfMessagesNotVisible"] == "10"
    assert everything["ApproximateNumberOfMessagesDelayed"] == "1"
    assert named == {name: everything[name] for name in names}


def test_an_unknown_attribute_name_is_still_refused(sqs: Any) -> None:
    queue = _queue(sqs)
    with pytest.raises(sqs.exceptions.ClientError, match="InvalidAttributeName"):
        sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["NoSuchAttribute"])


def test_a_received_message_is_hidden_until_deleted_once(sqs: Any) -> None:
    queue = _queue(sqs, VisibilityTimeout="30")
    _send(sqs, queue, 3)

    first = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    again = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    assert (len(first), again) == (3, [])  # in flight, so not handed out twice

    handle = first[0]["ReceiptHandle"]
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=handle)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=handle)  # SQS accepts a second delete
    with pytest.raises(sqs.exceptions.ClientError, match="ReceiptHandleIsInvalid"):
        sqs.delete_message(QueueUrl=queue, ReceiptHandle="not-a-handle-of-this-queue")

    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attributes["Attributes"] == {"ApproximateNumberOfMessagesNotVisible": "2"}


def test_an_earlier_receipt_handle_still_deletes_a_message_received_again(sqs: Any) -> None:
    # A message redelivered after its visibility timeout has a new handle; the old one still works.
    queue = _queue(sqs, VisibilityTimeout="30")
    _send(sqs, queue, 1)
    old = sqs.receive_message(QueueUrl=queue)["Messages"][0]
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=old["ReceiptHandle"], VisibilityTimeout=0)
    new = sqs.receive_message(QueueUrl=queue)["Messages"][0]
    assert new["ReceiptHandle"] != old["ReceiptHandle"]

    sqs.delete_message(QueueUrl=queue, ReceiptHandle=old["ReceiptHandle"])

    assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages", []) == []
    counts = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")


def test_a_deep_queue_drains_every_message_once(sqs: Any) -> None:
    # Given 2,000 messages (deep enough that moto's per-message passes once made this crawl)
    queue = _queue(sqs, VisibilityTimeout="60")
    _send(sqs, queue, 2000)

    # When a poller receives and deletes in batches of ten until the queue is empty
    seen: list[str] = []
    while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages"):
        seen += [message["Body"] for message in batch]
        entries = [{"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]} for index, message in enumerate(batch)]
        assert not sqs.delete_message_batch(QueueUrl=queue, Entries=entries).get("Failed")

    # Then each message came out exactly once
    assert sorted(seen) == sorted(f"m{number}" for number in range(2000))
