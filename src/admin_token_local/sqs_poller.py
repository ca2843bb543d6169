"""Lambda's SQS event source mapping, played locally: long-poll a queue, invoke, delete what succeeded.

As the real mapping: a batch of up to `batch_size` messages becomes one SQS event; with partial
batch responses, the messages the function names in `batchItemFailures` stay in the queue (they
come back after the visibility timeout, and after `maxReceiveCount` receives moto moves them to
the dead-letter queue); every other one is deleted. A function error (an exception, a crash)
deletes nothing: the whole batch comes back.

It prints nothing but one fixed line per failed invocation: never a body, never a digest.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

from admin_token_local.sqs_local import queue_arn, sqs_client
from admin_token_local.template import PSEUDO_PARAMETERS

Invoke = Callable[[dict[str, Any]], Any]
WAIT_SECONDS = 1  # long poll: an idle poller makes one request a second


def sqs_event(messages: list[dict[str, Any]], source_arn: str) -> dict[str, Any]:
    """The event Lambda hands a function for these received messages."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
                "eventSource": "aws:sqs",
                "eventSourceARN": source_arn,
                "awsRegion": PSEUDO_PARAMETERS["AWS::Region"],
            }
            for message in messages
        ]
    }


def poll_once(
    client: Any,
    queue_url: str,
    invoke: Invoke,
    *,
    batch_size: int = 10,
    wait_seconds: int = 0,
    failed_visibility: int | None = None,
) -> int:
    """Receive one batch and hand it to the function; how many messages were received.

    `failed_visibility`, when set, makes failed messages visible again after that many seconds
    instead of the queue's visibility timeout (tests, to see redrive without waiting).
    """
    received = client.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=batch_size,
        WaitTimeSeconds=wait_seconds,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    ).get("Messages", [])
    if not received:
        return 0
    source_arn = queue_arn(queue_url.rstrip("/").rsplit("/", 1)[-1])
    try:
        result = invoke(sqs_event(received, source_arn))
        failed = {failure["itemIdentifier"] for failure in (result or {}).get("batchItemFailures", [])}
    except BaseException as error:  # the function crashed: the whole batch comes back, as on Lambda
        print(f"queue poller: invocation failed ({type(error).__name__}); the batch will be redelivered",
              file=sys.stderr, flush=True)  # fmt: skip
        failed = {message["MessageId"] for message in received}
        if not isinstance(error, Exception):
            _release(client, queue_url, received, failed_visibility)
            raise
    done = [message for message in received if message["MessageId"] not in failed]
    for start in range(0, len(done), 10):
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start : start + 10])]
        client.delete_message_batch(QueueUrl=queue_url, Entries=entries)
    _release(client, queue_url, [m for m in received if m["MessageId"] in failed], failed_visibility)
    return len(received)


def _release(client: Any, queue_url: str, messages: list[dict[str, Any]], visibility: int | None) -> None:
    if visibility is None or not messages:
        return
    for start in range(0, len(messages), 10):
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": visibility}
            for i, m in enumerate(messages[start : start + 10])
        ]
        client.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)


@contextlib.contextmanager
def polling(endpoint: str, queue_url: str, invoke: Invoke, *, batch_size: int) -> Iterator[threading.Thread]:
    """A thread polling `queue_url` until the block ends."""
    stop = threading.Event()
    client = sqs_client(endpoint)

    def run() -> None:
        while not stop.is_set():
            try:
                poll_once(client, queue_url, invoke, batch_size=batch_size, wait_seconds=WAIT_SECONDS)
            except Exception as error:  # the local SQS itself failed: say so once, keep polling
                print(f"queue poller: receive failed ({type(error).__name__})", file=sys.stderr, flush=True)
                stop.wait(1)

    thread = threading.Thread(target=run, name="sqs-poller", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(timeout=WAIT_SECONDS + 5)
