"""An embedded DynamoDB (moto's server on loopback) and the template's tables in it."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3

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
