"""The local DynamoDB: what it adds to moto's, and the template's tables in it.

moto models DynamoDB's operations; three behaviours the service relies on it lacks, and each is
added here as a small shim over moto's public handler and backend methods, with its own test in
tests/local/test_dynamodb_local.py against AWS's documented behaviour:

- isolation: a transaction is serializable with every other request (`serialize_dynamodb_requests`);
- `ClientRequestToken`: a `TransactWriteItems` retried with the same token within 10 minutes
  succeeds without being applied twice (`remember_client_request_tokens`);
- a cancelled transaction leaves no stream record, and a stream reader goes on reading later
  writes (`keep_tables_through_cancellations`);
- DynamoDB Streams: a shard iterator expires 15 minutes after it is issued (`expire_shard_iterators`).

Transactions themselves are moto's own.
"""

from __future__ import annotations

import collections
import json
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3

from admin_token_local.template import Template, table_definitions

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import WaiterConfigTypeDef


_added = False


def add_dynamodb_behaviours() -> None:
    """Give moto's DynamoDB (in this process, for its life) the behaviours listed above."""
    global _added
    if _added:
        return
    serialize_dynamodb_requests()
    remember_client_request_tokens()
    keep_tables_through_cancellations()
    expire_shard_iterators()
    _added = True


def serialize_dynamodb_requests() -> None:
    """Make moto's DynamoDB handle one request at a time, as real DynamoDB's isolation implies.

    DynamoDB's transactions are serializable with every other write and read. moto's threaded
    server runs requests concurrently, and its TransactWriteItems is not thread-safe: it copies
    the tables it touches and puts the copies back when the transaction is cancelled, undoing
    any other request's write in between. One lock around each request restores isolation; the
    service's own conditions still decide every race (a revoke without them would commit twice,
    one after the other).
    """
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.Lock()
    call_action = DynamoHandler.call_action

    def serialized_call_action(self: Any) -> Any:
        with lock:
            return call_action(self)

    DynamoHandler.call_action = serialized_call_action  # type: ignore[method-assign]


# "A client request token is valid for 10 minutes after the first request that uses it is completed."
IDEMPOTENCY_WINDOW_SECONDS = 10 * 60


class ClientRequestTokens:
    """The `ClientRequestToken`s of committed transactions, each with what it was sent with.

    Only a committed transaction is remembered: one that was cancelled changed nothing, so its
    retry runs again. Tokens are dropped 10 minutes after their commit, oldest first."""

    clock = staticmethod(time.monotonic)

    def __init__(self) -> None:
        self._committed: dict[tuple[str, str, str], tuple[float, str]] = {}

    def committed(self, token: tuple[str, str, str], request: str) -> bool:
        """Whether a transaction with this token committed in the window; raises if `request` differs."""
        now = self.clock()
        while self._committed:
            oldest = next(iter(self._committed))
            if now - self._committed[oldest][0] <= IDEMPOTENCY_WINDOW_SECONDS:
                break
            del self._committed[oldest]
        entry = self._committed.get(token)
        if entry is None:
            return False
        if entry[1] != request:
            from moto.dynamodb.exceptions import DynamodbException

            raise DynamodbException(
                "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
                "Request token was reused with different parameters",
            )
        return True

    def remember(self, token: tuple[str, str, str], request: str) -> None:
        self._committed.pop(token, None)  # re-inserted last: the dict stays in commit order
        self._committed[token] = (self.clock(), request)


client_request_tokens = ClientRequestTokens()


def remember_client_request_tokens() -> None:
    """Make a `TransactWriteItems` with a `ClientRequestToken` idempotent for 10 minutes, as on AWS.

    The same token with the same parameters answers success and writes nothing again; the same
    token with other parameters is `IdempotentParameterMismatchException`. moto ignores the token,
    so a retry whose first answer was lost re-ran the transaction against its own committed
    change (a conflict, or a second write without conditions). Runs under the request lock, so a
    token is checked and remembered atomically with its transaction.
    """
    from moto.dynamodb.responses import DynamoHandler

    transact_write_items = DynamoHandler.transact_write_items

    def idempotent_transact_write_items(self: Any) -> Any:
        token = self.body.get("ClientRequestToken")
        if token is None:
            return transact_write_items(self)
        key = (self.current_account, self.region, str(token))
        parameters = {name: value for name, value in self.body.items() if name != "ClientRequestToken"}
        request = json.dumps(parameters, sort_keys=True)
        if client_request_tokens.committed(key, request):
            from moto.core.responses import ActionResult

            return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
        answer = transact_write_items(self)  # raises, and so is not remembered, if it did not commit
        client_request_tokens.remember(key, request)
        return answer

    DynamoHandler.transact_write_items = idempotent_transact_write_items  # type: ignore[method-assign]


def keep_tables_through_cancellations() -> None:
    """A cancelled transaction leaves each table, and its stream, the object readers already hold.

    On DynamoDB a cancelled transaction writes nothing, to a table or to its stream. moto applies
    a transaction's writes one by one and, when one fails, puts back copies of the tables taken
    before: the writes are undone, but a stream reader's iterator still points into the live
    table's shard, which holds the cancelled write's record and receives nothing after it (every
    revoke writes its audit record in its transaction, so `serve` would announce a revoke that
    never happened and none after). Here the live table and shard take the copies' state instead.
    """
    from moto.dynamodb.models import DynamoDBBackend

    transact_write_items = DynamoDBBackend.transact_write_items

    def transact_write_items_in_place(self: Any, transact_items: list[dict[str, Any]]) -> None:
        live = dict(self.tables)
        try:
            transact_write_items(self, transact_items)
        except Exception:
            for name, table in live.items():
                restored = self.tables.get(name)
                if restored is None or restored is table:
                    continue
                shard = table.stream_shard
                table.__dict__.update(restored.__dict__)
                if shard is not None and table.stream_shard is not None:
                    shard.__dict__.update(table.stream_shard.__dict__)
                    shard.table = table
                    table.stream_shard = shard
                self.tables[name] = table
            raise

    DynamoDBBackend.transact_write_items = transact_write_items_in_place  # type: ignore[method-assign]


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


def expire_shard_iterators() -> None:
    """Give moto's DynamoDB Streams AWS's iterator lifetime (`ExpiringShardIterators`); a
    `GetRecords` with an expired one answers `ExpiredIteratorException`, as AWS does."""
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
