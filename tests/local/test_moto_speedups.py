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
def sqs() -> Iterator[Any]:
    server = EmbeddedMotoServer()  # installs the speedups
    url = server.start()
    yield boto3.client("sqs", endpoint_url=url, region_name="us-east-1")
    server.stop()


def test_every_private_name_the_speedups_rely_on_is_still_there(sqs: Any) -> None:
    from moto.sqs.models import sqs_backends

    # Live objects for the names that are instance attributes: a queue holding a received message.
    url = sqs.create_queue(QueueName=f"names-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    sqs.receive_message(QueueUrl=url)
    queue = sqs_backends["123456789012"]["us-east-1"].get_queue(url.rsplit("/", 1)[1])
    live = {"Queue": queue, "Message": queue._messages[0], "SQSBackend": sqs_backends["123456789012"]["us-east-1"]}

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


def test_without_speedups_moto_s_own_methods_are_back() -> None:
    from moto.sqs.models import Queue

    installed = Queue.__dict__["delete_message"]
    with moto_speedups.without_speedups():
        assert Queue.__dict__["delete_message"] is not installed
        assert Queue.__dict__["delete_message"].__module__ == "moto.sqs.models"
    assert Queue.__dict__["delete_message"] is installed
