"""Speed-only patches to moto, which a flood of findings to `serve` and its drain need.

SQS: moto computes a queue's three message counts (one pass over every message each, reading the
clock through datetime arithmetic per message) whenever anything reads `queue.attributes`, and
SendMessage reads it for every message to learn whether the queue deduplicates by content. At
2,000 queued messages one SendMessageBatch took 0.6 s, and it grew with depth: the POST of 10,000
findings (tests/e2e/test_secret_detection_flood.py) spent its sends' read timeouts and answered
503, and the local worker's drain (scripts/bench_drain.py) crawled. DeleteMessage made two passes
over every message, building a list of handles for each.

DynamoDB: before each transaction moto deep-copies every table it touches, to put the copy back
if the transaction is cancelled: 378 ms of CPU per one-item transaction at 10,000 items, so the
drain of 10,000 revokes against 10,000 tokens would take hours. The copy here shares the items
the transaction cannot change and deep-copies only those it names.

Each patch changes how fast moto answers, never what it answers: tests/local/test_moto_speedups.py
sends the same requests with and without them and compares the answers. They rest on moto's
private names (`PRIVATE_NAMES`), checked against the moto version uv.lock pins (`MOTO_VERSION`):
under any other version none is installed, moto is left as it is, and that test fails.
"""

from __future__ import annotations

import copy
import importlib.metadata
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# The version these patches were written and proven against; uv.lock pins the same.
MOTO_VERSION = "5.2.6"

# Every private name of moto read or replaced below: "module:Class.attribute" (an instance
# attribute is named on its class and checked on a live object by the test).
PRIVATE_NAMES = (
    "moto.sqs.models:Message.visible",
    "moto.sqs.models:Message.delayed",
    "moto.sqs.models:Message.visible_at",
    "moto.sqs.models:Message.delayed_until",
    "moto.sqs.models:Message.receipt_handle",
    "moto.sqs.models:Message._old_receipt_handles",
    "moto.sqs.models:Message.all_receipt_handles",
    "moto.sqs.models:Queue.messages",
    "moto.sqs.models:Queue.attributes",
    "moto.sqs.models:Queue.delete_message",
    "moto.sqs.models:Queue._messages",
    "moto.sqs.models:Queue.pending_messages",
    "moto.sqs.models:Queue.deleted_messages",
    "moto.sqs.models:Queue.BASE_ATTRIBUTES",
    "moto.sqs.models:Queue.FIFO_ATTRIBUTES",
    "moto.sqs.models:Queue.KMS_ATTRIBUTES",
    "moto.sqs.models:Queue.fifo_queue",
    "moto.sqs.models:Queue.kms_master_key_id",
    "moto.sqs.models:SQSBackend.get_queue",
    "moto.sqs.models:SQSBackend.get_queue_attributes",
    "moto.sqs.models:SQSBackend.send_message",
    "moto.sqs.exceptions:ReceiptHandleIsInvalid",
    "moto.core.utils:camelcase_to_underscores",
    "moto.dynamodb.models:DynamoDBBackend.transact_write_items",
    "moto.dynamodb.models:DynamoDBBackend.get_keys_value",
    "moto.dynamodb.models:DynamoDBBackend.tables",
    "moto.dynamodb.models.table:Table.items",
    "moto.dynamodb.models.table:Table.stream_shard",
    "moto.dynamodb.models.table:Table.hash_key_attr",
    "moto.dynamodb.models.table:Table.range_key_attr",
    "moto.dynamodb.models.table:StreamShard.items",
    "moto.dynamodb.models.table:StreamShard.table",
)


@dataclass(frozen=True)
class Patch:
    """One attribute of one moto class, replaced."""

    owner: Any
    attribute: str
    replacement: Any


_installed: dict[tuple[int, str], tuple[Any, str, Any]] = {}  # -> (owner, attribute, moto's own)
_sending = threading.local()
_transaction = threading.local()


def install() -> None:
    """Install every patch (once), if moto is the version they were proven against.

    Each wraps what is there when it is installed: `dynamodb_local`'s shims first, then these."""
    moto_version = importlib.metadata.version("moto")
    if moto_version != MOTO_VERSION:
        warnings.warn(
            f"moto {moto_version} is not {MOTO_VERSION}: it is left unpatched (slow under a flood)",
            stacklevel=2,
        )
        return
    if _installed:
        return
    for patch in patches():
        _installed[(id(patch.owner), patch.attribute)] = (
            patch.owner,
            patch.attribute,
            patch.owner.__dict__.get(patch.attribute, _ABSENT),
        )
        setattr(patch.owner, patch.attribute, patch.replacement)


def uninstall() -> None:
    """Put moto's own attributes back (tests compare answers with and without the patches)."""
    for owner, attribute, original in _installed.values():
        if original is _ABSENT:
            delattr(owner, attribute)
        else:
            setattr(owner, attribute, original)
    _installed.clear()


_ABSENT = object()


@contextmanager
def without_speedups() -> Iterator[None]:
    """moto as it is, for the block; the patches installed before are installed again after."""
    was_installed = bool(_installed)
    uninstall()
    try:
        yield
    finally:
        if was_installed:
            install()


def _now_millis() -> float:
    return time.time() * 1000.0  # what moto's unix_time_millis() computes, without datetimes


def patches() -> tuple[Patch, ...]:
    """Every patch, each wrapping the attribute it replaces as it is now."""
    return (*_transaction_backups(), *_sqs())


def _sqs() -> tuple[Patch, ...]:
    from moto.core.utils import camelcase_to_underscores
    from moto.sqs.exceptions import ReceiptHandleIsInvalid
    from moto.sqs.models import Message, Queue, SQSBackend

    def visible_messages(queue: Any) -> list[Any]:
        now = _now_millis()  # one reading for the whole pass
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

    attributes = Queue.__dict__["attributes"].fget
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

    get_queue_attributes = SQSBackend.__dict__["get_queue_attributes"]

    def get_named_queue_attributes(self: Any, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
        queue = self.get_queue(queue_name)
        valid = set(queue.BASE_ATTRIBUTES + queue.FIFO_ATTRIBUTES + queue.KMS_ATTRIBUTES)
        if not attribute_names or "All" in attribute_names or not set(attribute_names) <= valid:
            return dict(get_queue_attributes(self, queue_name, attribute_names))  # moto's answer and errors
        view = SettingsView(queue)
        named = {name: view.get(name) for name in attribute_names}
        return {name: value for name, value in named.items() if value is not None}

    send_message = SQSBackend.__dict__["send_message"]

    def send_without_counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        _sending.active = True
        try:
            return send_message(self, *args, **kwargs)
        finally:
            _sending.active = False

    return (
        # A message tells its visibility from one clock reading.
        Patch(Message, "visible", property(lambda message: _now_millis() > message.visible_at)),
        Patch(Message, "delayed", property(lambda message: _now_millis() < message.delayed_until)),
        Patch(Queue, "messages", property(visible_messages)),
        # Deletion is one plain pass.
        Patch(Queue, "delete_message", delete_message),
        # A send skips the counts it never looks at.
        Patch(Queue, "attributes", property(queue_attributes)),
        Patch(SQSBackend, "send_message", send_without_counting),
        # GetQueueAttributes of named attributes (moto reads the retention period for every
        # message received) computes just those; "All" is moto's own answer.
        Patch(SQSBackend, "get_queue_attributes", get_named_queue_attributes),
    )


def _transaction_backups() -> tuple[Patch, ...]:
    """moto's backup of a transaction's tables, made of what the transaction can change.

    moto writes an item by replacing it (Put), removing it (Delete) or changing it in place
    (Update): a backup that shares every item but those the transaction names, each deep-copied,
    and copies the containers that hold them (the items' dicts, the stream's record list) is the
    state before the transaction, as moto's deep copy of the whole table is."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    transact_write_items = DynamoDBBackend.__dict__["transact_write_items"]

    def named_items(backend: Any, transact_items: list[dict[str, Any]]) -> dict[int, list[Any]]:
        """The items each table's operations name, by the id of the table (none if unreadable)."""
        named: dict[int, list[Any]] = {}
        for entry in transact_items:
            for operation in entry.values() if isinstance(entry, dict) else ():
                table = backend.tables.get(operation.get("TableName")) if isinstance(operation, dict) else None
                if table is None:
                    continue
                key = operation.get("Key") or {
                    name: operation.get("Item", {}).get(name)
                    for name in (table.hash_key_attr, table.range_key_attr)
                    if name is not None
                }
                try:
                    hash_value, range_value = backend.get_keys_value(table, key)
                    item = table.get_item(hash_value, range_value)
                except Exception:  # noqa: S112 - moto refuses the operation itself, writing nothing
                    continue
                if item is not None:
                    named.setdefault(id(table), []).append(item)
        return named

    def transact_write_items_backed_up_by_item(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        _transaction.named = named_items(self, transact_items)
        try:
            return transact_write_items(self, transact_items)
        finally:
            _transaction.named = None

    def backup(table: Any, memo: dict[int, Any]) -> Any:
        named = getattr(_transaction, "named", None)
        if named is None:  # a table backup or restore: moto's own deep copy
            cls = type(table)
            del cls.__deepcopy__
            try:
                return copy.deepcopy(table, memo)
            finally:
                cls.__deepcopy__ = backup
        copied = {id(item): copy.deepcopy(item) for item in named.get(id(table), ())}
        clone = object.__new__(type(table))
        clone.__dict__.update(table.__dict__)
        items = type(table.items)(dict) if hasattr(table.items, "default_factory") else {}
        for hash_value, held in table.items.items():
            if isinstance(held, dict):  # a table with a range key: range value -> item
                items[hash_value] = {key: copied.get(id(item), item) for key, item in held.items()}
            else:
                items[hash_value] = copied.get(id(held), held)
        clone.items = items
        if table.stream_shard is not None:
            shard = object.__new__(type(table.stream_shard))
            shard.__dict__.update(table.stream_shard.__dict__)
            shard.items = list(table.stream_shard.items)
            shard.table = clone
            clone.stream_shard = shard
        return clone

    return (
        Patch(DynamoDBBackend, "transact_write_items", transact_write_items_backed_up_by_item),
        Patch(Table, "__deepcopy__", backup),
    )
