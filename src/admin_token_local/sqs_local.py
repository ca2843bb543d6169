"""The template's SQS queues in the embedded moto: created with their attributes and redrive.

moto implements `RedrivePolicy` (a message received more than `maxReceiveCount` times moves to the
dead-letter queue) and visibility timeouts, so the local queue fails and redrives as SQS does.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, NamedTuple

import boto3

from admin_token_local.template import PSEUDO_PARAMETERS, Template

QUEUE_TYPE = "AWS::SQS::Queue"
# Queue properties that are CreateQueue attributes under the same name.
_ATTRIBUTES = ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds")


class QueueSource(NamedTuple):
    """One SQS event of a function: which queue feeds it, how many messages at once."""

    function_id: str
    queue_id: str
    batch_size: int
    partial_failures: bool


def sqs_client(endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=endpoint, region_name=PSEUDO_PARAMETERS["AWS::Region"])


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{PSEUDO_PARAMETERS['AWS::Region']}:{PSEUDO_PARAMETERS['AWS::AccountId']}:{name}"


def create_queues(endpoint: str, template: Template, prefix: str = "") -> dict[str, str]:
    """Create every queue of the template (dead-letter queues first); logical id -> queue URL.

    A queue is named `prefix` + its logical id, which is what a `!Ref` to it resolves to locally.
    """
    client = sqs_client(endpoint)
    queues = {
        logical_id: resource.get("Properties") or {}
        for logical_id, resource in template["Resources"].items()
        if isinstance(resource, dict) and resource.get("Type") == QUEUE_TYPE
    }
    # Queues without a redrive policy first: those with one name them by ARN.
    order = sorted(queues, key=lambda logical_id: "RedrivePolicy" in queues[logical_id])
    urls: dict[str, str] = {}
    for logical_id in order:
        properties = queues[logical_id]
        attributes = {name: str(properties[name]) for name in _ATTRIBUTES if name in properties}
        redrive = properties.get("RedrivePolicy")
        if isinstance(redrive, dict):
            target = redrive["deadLetterTargetArn"]
            target_id = target["Fn::GetAtt"][0] if isinstance(target, dict) else str(target)
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": queue_arn(prefix + target_id), "maxReceiveCount": redrive["maxReceiveCount"]}
            )
        urls[logical_id] = client.create_queue(QueueName=prefix + logical_id, Attributes=attributes)["QueueUrl"]
    return urls


def queue_sources(template: Template) -> list[QueueSource]:
    """Every SQS event of every function, as Lambda's event source mappings would poll them."""
    sources = []
    for function_id, resource in template["Resources"].items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in ((resource.get("Properties") or {}).get("Events") or {}).values():
            if not isinstance(event, dict) or event.get("Type") != "SQS":
                continue
            properties = event.get("Properties") or {}
            queue = properties.get("Queue")
            queue_id = queue["Fn::GetAtt"][0] if isinstance(queue, dict) else str(queue)
            partial = "ReportBatchItemFailures" in (properties.get("FunctionResponseTypes") or [])
            sources.append(QueueSource(function_id, queue_id, int(properties.get("BatchSize", 10)), partial))
    return sources


_fast_queues = False
_sending = threading.local()
_COUNTS = frozenset(
    {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"}
)


def use_fast_queues() -> None:
    """Keep moto's SQS linear in the work asked of it, so a flood of 10,000 findings drains.

    moto computes a queue's three message counts (one pass over every message each, reading the
    clock through datetime arithmetic per message) whenever anything reads `queue.attributes`,
    and SendMessage reads it for every message to learn whether the queue deduplicates by
    content. At 2,000 queued messages one SendMessageBatch took 0.6 s, and it grew with depth.
    DeleteMessage made two passes over every message, building a list of handles for each.
    Here a message tells its visibility from one clock reading, deletion is one plain pass, a send
    skips the counts it never looks at, and GetQueueAttributes of named attributes (the retention
    period, read for every message received) computes just those; "All" is moto's own answer.
    """
    global _fast_queues
    if _fast_queues:
        return
    from moto.core.utils import camelcase_to_underscores
    from moto.sqs.exceptions import ReceiptHandleIsInvalid
    from moto.sqs.models import Message, Queue, SQSBackend

    def now_millis() -> float:
        return time.time() * 1000.0  # what moto's unix_time_millis() computes, without datetimes

    Message.visible = property(lambda message: now_millis() > message.visible_at)  # type: ignore[method-assign,assignment]
    Message.delayed = property(lambda message: now_millis() < message.delayed_until)  # type: ignore[method-assign,assignment]

    def visible_messages(queue: Any) -> list[Any]:
        now = now_millis()  # one reading for the whole pass
        return [message for message in queue._messages if now > message.visible_at and now >= message.delayed_until]

    def delete_message(queue: Any, receipt_handle: str) -> None:
        """moto's Queue.delete_message, in one pass that compares handles without building lists."""
        if receipt_handle in queue.deleted_messages:
            return  # already deleted: SQS accepts it again
        matching = [
            message
            for message in queue._messages
            if message.receipt_handle == receipt_handle or receipt_handle in message._old_receipt_handles
        ]
        if not matching:
            raise ReceiptHandleIsInvalid()
        for message in matching:
            queue.pending_messages.discard(message)
            queue.deleted_messages.update(message.all_receipt_handles)
        deleted = {id(message) for message in matching}
        queue._messages = [message for message in queue._messages if id(message) not in deleted]

    Queue.messages = property(visible_messages)  # type: ignore[method-assign,assignment]
    Queue.delete_message = delete_message  # type: ignore[method-assign,assignment]

    attributes = Queue.attributes.fget  # type: ignore[attr-defined]

    absent = object()

    class SettingsView:
        """`queue.attributes` for a reader of named attributes: each computed alone, when asked."""

        def __init__(self, queue: Any) -> None:
            self._queue = queue
            # The names moto's property would list, but for Policy and RedrivePolicy (when set).
            self._settings = set(queue.BASE_ATTRIBUTES)
            self._settings.update(queue.FIFO_ATTRIBUTES if queue.fifo_queue else ())
            self._settings.update(queue.KMS_ATTRIBUTES if queue.kms_master_key_id else ())

        def get(self, name: str, default: Any = None) -> Any:
            if name in ("Policy", "RedrivePolicy"):
                return attributes(self._queue).get(name, default)  # moto's own answer
            if name not in self._settings:
                return default
            value = getattr(self._queue, camelcase_to_underscores(name))
            return str(value).lower() if isinstance(value, bool) else value

        def __contains__(self, name: str) -> bool:  # as `name in` moto's dict: listed, whatever its value
            return self.get(name, absent) is not absent

    def queue_attributes(queue: Any) -> Any:
        return SettingsView(queue) if getattr(_sending, "active", False) else attributes(queue)

    get_queue_attributes = SQSBackend.get_queue_attributes

    def get_named_queue_attributes(self: Any, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
        queue = self.get_queue(queue_name)
        valid = set(queue.BASE_ATTRIBUTES + queue.FIFO_ATTRIBUTES + queue.KMS_ATTRIBUTES)
        if not attribute_names or "All" in attribute_names or not set(attribute_names) <= valid:
            return get_queue_attributes(self, queue_name, attribute_names)  # moto's answer and errors
        view = SettingsView(queue)
        named = {name: view.get(name) for name in attribute_names}
        return {name: value for name, value in named.items() if value is not None}

    SQSBackend.get_queue_attributes = get_named_queue_attributes  # type: ignore[method-assign]

    send_message = SQSBackend.send_message

    def send_without_counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        _sending.active = True
        try:
            return send_message(self, *args, **kwargs)
        finally:
            _sending.active = False

    Queue.attributes = property(queue_attributes)  # type: ignore[method-assign,assignment]
    SQSBackend.send_message = send_without_counting  # type: ignore[method-assign]
    _fast_queues = True
