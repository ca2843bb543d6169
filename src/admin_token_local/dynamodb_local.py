"""An embedded DynamoDB (moto's server on loopback) and the template's tables in it."""

from __future__ import annotations

import collections
import functools
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3

from admin_token_local.sqs_local import use_fast_queues
from admin_token_local.template import Template, table_definitions

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import WaiterConfigTypeDef


_serialized = False


def serialize_dynamodb_requests() -> None:
    """Make moto's DynamoDB handle one request at a time, as real DynamoDB's isolation implies.

    moto's threaded server runs requests concurrently, but its TransactWriteItems is not
    thread-safe: it snapshots whole tables and restores them when a transaction is cancelled,
    which can undo another request's committed write. DynamoDB itself gives serializable
    transactions and atomic single-item writes; one lock around each request restores that.
    The service's own conditions still decide every race (a revoke without them would commit
    twice, one after the other).
    """
    global _serialized
    if _serialized:
        return
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.Lock()
    call_action = DynamoHandler.call_action

    def serialized_call_action(self: Any) -> Any:
        with lock:
            return call_action(self)

    DynamoHandler.call_action = serialized_call_action  # type: ignore[method-assign]
    _serialized = True


_checked_first = False


def check_conditions_before_writing() -> None:
    """Make moto's TransactWriteItems cost what its items cost, not what its tables hold.

    moto deep-copies every table a transaction touches, to restore it if the transaction is
    cancelled: with a thousand tokens in a table, each revoke copied all of them (about 15 ms),
    which made every local transaction, and the bulk revoke benchmark, measure moto rather than
    us. DynamoDB evaluates all of a transaction's conditions against the state before it, and one
    transaction touches an item at most once, so checking every condition first and writing only
    if all hold is the same semantics with nothing to roll back. Only the touched items are
    copied, for the case where a write itself fails after the checks.
    """
    global _checked_first
    if _checked_first:
        return
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models import DynamoDBBackend

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        if len(transact_items) > 100:
            raise TooManyTransactionsException()
        operations: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        touched: set[tuple[str, str]] = set()
        for entry in transact_items:
            if len(entry) > 1:
                raise TransactWriteSingleOpException
            op_type, op = next(iter(entry.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            if op_type == "Put":
                table = self.get_table(table_name)
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            identity = (str(table_name), str(dict(sorted(key.items()))))
            if identity in touched:
                raise MultipleTransactionsException()
            touched.add(identity)
            operations.append((op_type, op, key))

        # Phase 1: every condition, against the state before the transaction.
        reasons: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
        originals: list[Any] = []
        for _, op, key in operations:
            current = self.get_item(op["TableName"], key)
            originals.append(current.to_json()["Attributes"] if current is not None else None)
            expression = op.get("ConditionExpression")
            if expression is not None:
                condition = get_filter_expression(
                    expression, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
                )
                if not condition.expr(current):
                    wants_item = op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current
                    old = current.to_json()["Attributes"] if wants_item else None
                    reasons.append(("ConditionalCheckFailed", ConditionalCheckFailed().message, old))
                    continue
            reasons.append((None, None, None))
        if any(code is not None for code, _, _ in reasons):
            raise TransactionCanceledException(reasons)

        # Phase 2: the writes; should one fail, the items written so far are put back.
        written: list[int] = []
        try:
            for index, (op_type, op, key) in enumerate(operations):
                names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
                if op_type == "Put":
                    self.put_item(op["TableName"], op["Item"])
                elif op_type == "Delete":
                    self.delete_item(op["TableName"], key)
                elif op_type == "Update":
                    if apply_simple_update(self, op, key):
                        written.append(index)
                        continue
                    self.update_item(
                        op["TableName"],
                        key,
                        update_expression=op["UpdateExpression"],
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                written.append(index)
        except Exception:
            for index in reversed(written):
                _, op, key = operations[index]
                if originals[index] is None:
                    self.delete_item(op["TableName"], key)
                else:
                    self.put_item(op["TableName"], originals[index])
            raise

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _checked_first = True


_fast_paths = False

# The data-plane operations whose moto results are already DynamoDB's JSON wire format.
_WIRE_FORMAT_RESULTS = frozenset(
    {
        "GetItem",
        "BatchGetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "TransactWriteItems",
        "TransactGetItems",
        "BatchWriteItem",
    }
)
# `SET #a0 = :v0, #a1 = :v1, version = version + :one`: the only update shape the service writes
# to a table without a stream. Anything else takes moto's own parser.
_ASSIGNMENT = re.compile(r"\s*([#\w]+)\s*=\s*(?:(:\w+)|([#\w]+)\s*\+\s*(:\w+))\s*")


def use_fast_paths() -> None:
    """Spend moto's CPU on DynamoDB's semantics, not on re-deriving what it already has.

    Profiled under the bulk revoke benchmark, moto's server spent a quarter of its time walking
    the botocore output shape of results that are already wire format (3.5 ms per item read by
    BatchGetItem), a third parsing and validating the one update expression a revoke sends, and
    much of the rest re-summing an item's size once per attribute as it is built (quadratic).
    Each shortcut below gives the answer moto gives, and falls back to moto where it might not.
    Per request, whatever the operation, moto also listed its own package directory (about 170
    `isdir` calls, to learn the host named a service) and its handler's methods by introspection:
    both fixed for the life of the process, so they are computed once.
    """
    global _fast_paths
    if _fast_paths:
        return
    import moto.backends
    import moto.core.responses
    import moto.core.utils

    moto_modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: moto_modules
    method_names = functools.cache(moto.core.utils.method_names_from_class)
    moto.core.responses.method_names_from_class = lambda clazz: list(method_names(clazz))  # type: ignore[attr-defined]
    from moto.core.responses import ActionResult
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    serialized = DynamoHandler.serialized

    def wire_format_serialized(self: Any, action_result: Any) -> Any:
        result = action_result.result
        plain = type(action_result) in (ActionResult, DynamoResult) and isinstance(result, dict)
        if plain and self._get_action() in _WIRE_FORMAT_RESULTS:
            try:
                body = json.dumps(result)
            except (TypeError, ValueError):  # something moto's serializer must convert
                return serialized(self, action_result)
            headers = {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}
            return 200, headers, body
        return serialized(self, action_result)

    DynamoHandler.serialized = wire_format_serialized  # type: ignore[method-assign]
    _check_expressions_once()

    def item_init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        converted = {name: DynamoType(value) for name, value in attrs.items()}
        # The same 400 KB limit LimitedSizeDict checks per assignment, summed once.
        if sum(bytesize(name) + value.size() for name, value in converted.items()) > 405000:
            raise ItemSizeTooLarge
        self.attrs = LimitedSizeDict()
        dict.update(self.attrs, converted)

    Item.__init__ = item_init  # type: ignore[method-assign]
    _fast_paths = True


class _CheckedCondition:
    """What moto's request handlers read from a condition parser: the placeholders it used."""

    def __init__(self, key: tuple[str | None, str, str]) -> None:
        self._key = key
        self.expr_attr_names_found: list[str] = []
        self.expr_attr_values_found: list[str] = []

    def parse(self) -> None:
        names, values = _placeholders_used(*self._key)
        self.expr_attr_names_found, self.expr_attr_values_found = list(names), list(values)


@functools.lru_cache(maxsize=4096)
def _placeholders_used(expression: str | None, names: str, values: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    from moto.dynamodb.comparisons import create_condition_expression_parser

    parser = create_condition_expression_parser(expression, json.loads(names), json.loads(values))
    parser.parse()  # raises moto's validation error, which is not cached
    return tuple(parser.expr_attr_names_found), tuple(parser.expr_attr_values_found)


def _check_expressions_once() -> None:
    """moto's handlers parse each request's expressions only to check the placeholders they use.

    The check is a pure function of the expression, names and values, so the same request shape
    (every revoke sends the same few) is parsed once. The backend still parses what it evaluates."""
    import moto.dynamodb.responses as handlers
    from moto.dynamodb.comparisons import create_condition_expression_parser
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    def condition_parser(expression: str | None, names: Any, values: Any) -> Any:
        try:
            key = (expression, json.dumps(names, sort_keys=True), json.dumps(values, sort_keys=True))
        except (TypeError, ValueError):
            return create_condition_expression_parser(expression, names, values)
        return _CheckedCondition(key)

    class ReadOnlyUpdateExpressions:  # the handlers only search the tree for placeholders
        make = staticmethod(functools.lru_cache(maxsize=1024)(UpdateExpressionParser.make))

    handlers.create_condition_expression_parser = condition_parser  # type: ignore[attr-defined,assignment]
    handlers.UpdateExpressionParser = ReadOnlyUpdateExpressions  # type: ignore[attr-defined]


def apply_simple_update(backend: Any, op: dict[str, Any], key: dict[str, Any]) -> bool:
    """Apply a plain SET update to an existing item of a table without a stream; False if not one.

    What moto's update_item does for it (`a = :v` stores the value, `a = a + :n` adds numbers),
    without parsing and validating the expression into a tree for every call."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    expression = op.get("UpdateExpression", "")
    if not expression.startswith("SET "):
        return False
    table = backend.get_table(op["TableName"])
    if table.stream_shard is not None:
        return False
    names: dict[str, str] = op.get("ExpressionAttributeNames") or {}
    values: dict[str, Any] = op.get("ExpressionAttributeValues") or {}
    assignments: list[tuple[str, Any]] = []
    for clause in expression[4:].split(","):
        match = _ASSIGNMENT.fullmatch(clause)
        if match is None:
            return False
        target, value, left, addend = match.group(1), match.group(2), match.group(3), match.group(4)
        target = names.get(target, target)
        if target in (table.hash_key_attr, table.range_key_attr) or target.startswith(("#", ":")):
            return False
        if value is not None:
            if value not in values:
                return False
            assignments.append((target, values[value]))
        else:
            if names.get(left, left) != target or addend not in values or "N" not in values[addend]:
                return False
            assignments.append((target, addend))
    hash_value, range_value = backend.get_keys_value(table, key)
    item = table.get_item(hash_value, range_value)
    if item is None:
        return False
    new_values: dict[str, Any] = {}
    for target, operand in assignments:
        if isinstance(operand, str):  # `target = target + :n`
            current = item.attrs.get(target)
            if current is None or not current.is_number():
                return False  # moto's own error, from moto
            new_values[target] = current + DynamoType(values[operand])
        else:
            new_values[target] = DynamoType(operand)
    for target, new_value in new_values.items():  # nothing is written until every part is known good
        item.attrs[target] = new_value
    return True


# DynamoDB Streams: a shard iterator expires 15 minutes after it is returned.
SHARD_ITERATOR_LIFETIME_SECONDS = 15 * 60


class ExpiringShardIterators(dict[str, Any]):
    """moto's shard iterators by ARN, each dropped 15 minutes after it was issued, as on AWS.

    moto keeps every iterator it ever issued, and each `GetRecords` issues one (a 472-byte
    random id, its ~750-character ARN as the key): `serve`'s stream reader polls four times a
    second, so a `serve` left running grew by about 30 MB an hour. Iterators arrive in the order
    they were issued, so the expired ones are always the oldest: dropping them is a pop from the
    front on each insert."""

    clock = staticmethod(time.monotonic)

    def __init__(self) -> None:
        super().__init__()
        self._issued: collections.deque[tuple[float, str]] = collections.deque()

    def __setitem__(self, arn: str, iterator: Any) -> None:
        now = self.clock()
        while self._issued and now - self._issued[0][0] > SHARD_ITERATOR_LIFETIME_SECONDS:
            self.pop(self._issued.popleft()[1], None)
        super().__setitem__(arn, iterator)
        self._issued.append((now, arn))


_expiring = False


def expire_shard_iterators() -> None:
    """Give moto's DynamoDB Streams AWS's iterator lifetime (`ExpiringShardIterators`); a
    `GetRecords` with an expired one answers `ExpiredIteratorException`, as AWS does."""
    global _expiring
    if _expiring:
        return
    from moto.core.exceptions import JsonRESTError
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    backend_init = DynamoDBStreamsBackend.__init__
    get_records = DynamoDBStreamsBackend.get_records

    def init_with_expiry(self: Any, region_name: str, account_id: str) -> None:
        backend_init(self, region_name, account_id)
        self.shard_iterators = ExpiringShardIterators()

    def get_records_or_expired(self: Any, iterator_arn: str, limit: int) -> Any:
        if iterator_arn not in self.shard_iterators:
            raise JsonRESTError("ExpiredIteratorException", "Iterator expired")
        return get_records(self, iterator_arn, limit)

    DynamoDBStreamsBackend.__init__ = init_with_expiry  # type: ignore[method-assign]
    DynamoDBStreamsBackend.get_records = get_records_or_expired  # type: ignore[method-assign]
    _expiring = True


class EmbeddedDynamoDB:
    """moto's ThreadedMotoServer on 127.0.0.1 and a free port, in this process."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        # Imported here: moto's server pulls in Flask and every backend, which `seed` never needs.
        from moto.server import ThreadedMotoServer

        # werkzeug logs every request at INFO on stderr; the functions' logs are what matter.
        werkzeug_logger = logging.getLogger("werkzeug")
        if werkzeug_logger.level == logging.NOTSET:
            werkzeug_logger.setLevel(logging.WARNING)
        serialize_dynamodb_requests()
        check_conditions_before_writing()
        use_fast_paths()
        expire_shard_iterators()
        use_fast_queues()  # the same moto server hosts the local queues (sqs_local creates them)
        self._server: Any = ThreadedMotoServer(ip_address=host, port=0, verbose=False)
        self.endpoint_url = ""

    def start(self) -> str:
        """Start serving; return the endpoint URL."""
        self._server.start()
        _set_nodelay(self._server._server)
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        return self.endpoint_url

    def stop(self) -> None:
        self._server.stop()


def _set_nodelay(server: Any) -> None:
    """TCP_NODELAY on each connection werkzeug's server accepts, as on every local server here.

    Patched on the instance before anyone knows its port, so no connection is accepted without."""
    accept = server.get_request

    def get_request() -> tuple[socket.socket, Any]:
        connection, address = accept()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    server.get_request = get_request


def dynamodb_client(endpoint_url: str | None) -> DynamoDBClient:
    """The local runner's one DynamoDB client per endpoint (None: AWS's) and credentials.

    Building one costs ~0.1 s, and tables are reset and seeded before every integration test.
    boto3 clients are thread-safe.
    """
    session = boto3.session.Session()
    credentials = session.get_credentials()
    key = (endpoint_url, session.region_name, credentials.access_key if credentials else None)
    with _clients_lock:
        if key not in _clients:
            # An explicit region so a machine without AWS configuration still gets a client.
            region = session.region_name or "us-east-1"
            _clients[key] = session.client("dynamodb", endpoint_url=endpoint_url, region_name=region)
        return _clients[key]


_clients: dict[tuple[str | None, str | None, str | None], DynamoDBClient] = {}
_clients_lock = threading.Lock()
_WAIT: WaiterConfigTypeDef = {"Delay": 1, "MaxAttempts": 60}


def _existing(client: DynamoDBClient) -> set[str]:
    pages = client.get_paginator("list_tables").paginate()
    return {name for page in pages for name in page.get("TableNames", [])}


def create_tables(endpoint_url: str, template: Template, names: Mapping[str, str]) -> list[str]:
    """Create every template table missing at endpoint_url; return the names it created."""
    client = dynamodb_client(endpoint_url)
    existing = _existing(client)
    created = []
    for logical_id, definition in table_definitions(template).items():
        name = names.get(logical_id, logical_id)
        if name in existing:
            continue
        status = client.create_table(TableName=name, **definition)["TableDescription"].get("TableStatus")
        # moto and DynamoDB Local create tables at once; only a real service needs the wait.
        if status != "ACTIVE":
            client.get_waiter("table_exists").wait(TableName=name, WaiterConfig=_WAIT)
        created.append(name)
    return created


def reset_tables(endpoint_url: str, template: Template, names: Mapping[str, str]) -> None:
    """Drop and recreate the template's tables, so each test starts from empty tables."""
    client = dynamodb_client(endpoint_url)
    existing = _existing(client)
    for logical_id in table_definitions(template):
        name = names.get(logical_id, logical_id)
        if name in existing:
            status = client.delete_table(TableName=name)["TableDescription"].get("TableStatus")
            if status == "DELETING":  # a real service deletes in the background
                client.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig=_WAIT)
    create_tables(endpoint_url, template, names)
