"""`TokenStore` on DynamoDB: batched key lookups and one conditioned transaction per revoke."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from boto3.dynamodb.types import TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from admin_token import budget
from admin_token.errors import ConcurrentModification, StorageUnavailable
from admin_token.observability import logger
from admin_token.restore import kept_client
from admin_token.storage.base import (
    TOMBSTONE,
    AuditIdTaken,
    AuditRecord,
    Change,
    DeleteRunner,
    DeleteToken,
    RecordKey,
    ReplaceTokenSecret,
    StoredToken,
    TokenChanged,
    Tombstone,
    UpdateToken,
)
from admin_token.storage.items import (
    RUNNER_SK,
    TOKEN_BOOKKEEPING,
    audit_item,
    runner_link_sk,
    token_item,
    tombstone_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

T = TypeVar("T")

TABLE_ENVIRONMENT = {
    "tokens": "TOKENS_TABLE_NAME",
    "users": "USERS_TABLE_NAME",
    "runners": "RUNNERS_TABLE_NAME",
    "audit": "AUDIT_TABLE_NAME",
}
# Errors worth another try: capacity, DynamoDB's own faults, and transactions that collided.
TRANSIENT_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)
TRANSIENT_CANCELLATIONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
# Every retry is ours (botocore makes one attempt): bounded in number, and each one only if it
# can still finish inside the request's time budget.
MAX_ATTEMPTS = 4
BACKOFF_BASE_SECONDS = 0.05
# Settings: AWS answers well inside these, a local DynamoDB serving many racing processes
# (moto handles one request at a time) may not, and its tests raise them through the environment.
CONNECT_TIMEOUT_VARIABLE = "DYNAMODB_CONNECT_TIMEOUT_SECONDS"
READ_TIMEOUT_VARIABLE = "DYNAMODB_READ_TIMEOUT_SECONDS"
CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 2.0
RETRY_AFTER_SECONDS = 1
BATCH_GET_LIMIT = 100

_serializer = TypeSerializer()


def _to_dynamodb(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in item.items() if value is not None}


def _decode(value: Mapping[str, Any]) -> Any:
    """One attribute value, straight to plain Python: every number this service stores is an integer."""
    ((kind, raw),) = value.items()
    if kind == "S" or kind == "BOOL" or kind == "B":
        return raw
    if kind == "N":
        return _number(raw)
    if kind == "NULL":
        return None
    if kind == "L":
        return [_decode(element) for element in raw]
    if kind == "M":
        return {key: _decode(element) for key, element in raw.items()}
    if kind == "SS" or kind == "BS":
        return set(raw)
    if kind == "NS":
        return {_number(number) for number in raw}
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def _number(text: str) -> int | Decimal:
    try:
        return int(text)
    except ValueError:
        return Decimal(text)


class _Item(Mapping[str, Any]):
    """An item as DynamoDB returned it, each attribute decoded on first read.

    Nothing of an item is decoded until the domain reads it, so the target of a refused caller
    costs no decoding at all (the work must not depend on whether the target exists).
    """

    __slots__ = ("_decoded", "_hidden", "_raw")

    def __init__(self, raw: Mapping[str, Any], hidden: frozenset[str] = frozenset()) -> None:
        self._raw = raw
        self._hidden = hidden
        self._decoded: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        try:
            return self._decoded[name]
        except KeyError:
            if name in self._hidden:
                raise
            value = self._decoded[name] = _decode(self._raw[name])
            return value

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._raw if name not in self._hidden)

    def __len__(self) -> int:
        return len(self._raw) - len(self._hidden.intersection(self._raw))

    def __repr__(self) -> str:
        return f"_Item({sorted(self)!r})"  # names only: values stay out of logs and tracebacks


def _stored_token(raw: Mapping[str, Any]) -> StoredToken:
    return StoredToken(
        digest=raw["digest"]["S"],
        token_type=raw["token_type"]["S"],
        version=int(raw["version"]["N"]) if "version" in raw else 1,
        attributes=_Item(raw, hidden=TOKEN_BOOKKEEPING),
    )


class _Tokens(Mapping[str, StoredToken]):
    """Token items by digest, each made a `StoredToken` only when asked for."""

    def __init__(self, raw_items: Iterable[Mapping[str, Any]]) -> None:
        self._raw = {item["digest"]["S"]: item for item in raw_items}
        self._built: dict[str, StoredToken] = {}

    def __getitem__(self, digest: str) -> StoredToken:
        token = self._built.get(digest)
        if token is None:
            token = self._built[digest] = _stored_token(self._raw[digest])
        return token

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


@cache
def timeouts() -> tuple[float, float]:
    """(connect, read) seconds for one DynamoDB call, from the environment or the defaults."""
    return (
        float(os.environ.get(CONNECT_TIMEOUT_VARIABLE, CONNECT_TIMEOUT_SECONDS)),
        float(os.environ.get(READ_TIMEOUT_VARIABLE, READ_TIMEOUT_SECONDS)),
    )


def _retry_or_give_up(attempt: int, failure: Exception) -> None:
    """Sleep before another attempt, or raise StorageUnavailable when none is left in the budget."""
    if attempt + 1 >= MAX_ATTEMPTS or not budget.pause_before_retry(
        attempt, BACKOFF_BASE_SECONDS, then_seconds=sum(timeouts())
    ):
        logger.warning("DynamoDB unavailable, giving up", extra={"attempts": attempt + 1, "reason": _reason(failure)})
        raise StorageUnavailable from failure


def _transient(error: ClientError) -> bool:
    """Capacity and DynamoDB's own faults, including a 5xx whose body did not even parse."""
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return error.response.get("Error", {}).get("Code", "") in TRANSIENT_ERRORS or status >= 500


def _reason(failure: Exception) -> str:
    if isinstance(failure, ClientError):
        return str(failure.response.get("Error", {}).get("Code", "ClientError"))
    return type(failure).__name__


# The bulk revoke keeps up to 16 transactions in flight (bulk.PARALLEL_REVOKES), each on its own
# connection. With botocore's default pool of 10, urllib3 discards the extra connections as
# requests finish ("Connection pool is full"), and each discard is a new TLS handshake later.
POOL_CONNECTIONS = 16


@kept_client
def _client() -> DynamoDBClient:
    import boto3  # deferred: the import is the costliest part of a cold start, paid on first use only

    # Requests are built here from typed records, never from raw input: botocore's own check of
    # every parameter against the model repeats what the types guarantee (0.16 ms for a revoke
    # transaction, measured with ParamValidator on this machine).
    connect_timeout, read_timeout = timeouts()
    config = Config(
        parameter_validation=False,
        retries={"mode": "standard", "total_max_attempts": 1},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_pool_connections=POOL_CONNECTIONS,
    )
    return boto3.client("dynamodb", config=config)


class DynamoDBTokenStore:
    def __init__(self, client: DynamoDBClient | None = None, tables: dict[str, str] | None = None) -> None:
        self._given_client = client
        self._tables = tables or {role: os.environ[variable] for role, variable in TABLE_ENVIRONMENT.items()}

    @property
    def client(self) -> DynamoDBClient:
        return self._given_client or _client()

    def table(self, role: str) -> str:
        return self._tables[role]

    # -- reads -------------------------------------------------------------------------------

    def get_tokens(self, digests: Collection[str]) -> Mapping[str, StoredToken]:
        keys = [{"digest": {"S": digest}} for digest in dict.fromkeys(digests)]
        if not keys:
            return {}
        found = self._batch_get({self.table("tokens"): keys})
        return _Tokens(found.get(self.table("tokens"), []))

    def get_records(self, keys: Collection[RecordKey]) -> Mapping[RecordKey, Mapping[str, Any]]:
        wanted = list(dict.fromkeys(keys))
        request: dict[str, list[dict[str, Any]]] = {}
        for key in wanted:
            if key.kind == "user":
                request.setdefault(self.table("users"), []).append({"user_id": {"N": str(key.id)}})
            else:
                request.setdefault(self.table("runners"), []).append(
                    {"runner_id": {"N": str(key.id)}, "sk": {"S": RUNNER_SK}}
                )
        if not request:
            return {}
        found = self._batch_get(request)
        records: dict[RecordKey, Mapping[str, Any]] = {}
        for item in found.get(self.table("users"), []):
            records[RecordKey("user", int(item["user_id"]["N"]))] = _Item(item)
        for item in found.get(self.table("runners"), []):
            records[RecordKey("runner", int(item["runner_id"]["N"]))] = _Item(item)
        return records

    def _batch_get(self, keys_by_table: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        """All the items, in calls of at most 100 keys (BatchGetItem's limit), in order."""
        pairs = [(table, key) for table, keys in keys_by_table.items() for key in keys]
        found: dict[str, list[dict[str, Any]]] = {}
        for start in range(0, len(pairs), BATCH_GET_LIMIT):
            chunk: dict[str, list[dict[str, Any]]] = {}
            for table, key in pairs[start : start + BATCH_GET_LIMIT]:
                chunk.setdefault(table, []).append(key)
            for table, items in self._batch_get_once(chunk).items():
                found.setdefault(table, []).extend(items)
        return found

    def _batch_get_once(self, keys_by_table: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        # Strongly consistent: right after a 204, a lookup must already see the revoke.
        pending: dict[str, Any] = {
            table: {"Keys": keys, "ConsistentRead": True} for table, keys in keys_by_table.items()
        }
        found: dict[str, list[dict[str, Any]]] = {}
        attempt = 0
        while True:
            response = self._call(self.client.batch_get_item, RequestItems=pending)
            for table, items in response.get("Responses", {}).items():
                found.setdefault(table, []).extend(items)  # decoded only when read: see _Item
            pending = dict(response.get("UnprocessedKeys") or {})
            if not pending:
                return found
            _retry_or_give_up(attempt, StorageUnavailable("unprocessed keys"))
            attempt += 1

    # -- the one write path ----------------------------------------------------------------

    def apply(self, change: Change, audit: AuditRecord, tombstone: Tombstone | None = None) -> None:
        items = [*self._transact_items(change, tombstone), self._audit_put(audit)]
        # The same token on every attempt: if an attempt committed but its answer was lost, the
        # retry is told it succeeded instead of finding its own change and calling it a conflict.
        # Random, not the audit id: two processes may mint one id (see audit_ids), and a token
        # reused with other items is IdempotentParameterMismatch, not the condition that says so.
        request_token = str(uuid.uuid4())
        attempt = 0
        while True:
            try:
                self._call(self.client.transact_write_items, TransactItems=items, ClientRequestToken=request_token)
                return
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
                reasons = error.response.get("CancellationReasons") or []
                codes = [reason.get("Code", "None") for reason in reasons]
                if codes and codes[0] == "ConditionalCheckFailed":
                    current = reasons[0].get("Item")
                    raise TokenChanged(_stored_token(current) if current else None) from error
                if codes[-1:] == ["ConditionalCheckFailed"]:  # the audit put, always last
                    raise AuditIdTaken from error
                if "ConditionalCheckFailed" in codes:
                    raise ConcurrentModification from error
                if not TRANSIENT_CANCELLATIONS.intersection(codes):
                    raise
                logger.info("Transaction cancelled, retrying", extra={"reasons": codes, "attempt": attempt})
                _retry_or_give_up(attempt, error)
                attempt += 1

    def tombstone(self, token: StoredToken) -> Tombstone | None:
        if token.token_type != TOMBSTONE:
            return None
        attributes = token.attributes
        target = attributes.get("target")
        return Tombstone(
            token_type=attributes["revoked_token_type"],
            action=attributes["action"],
            revoked_at=attributes["revoked_at"],
            audit_event_id=attributes["audit_event_id"],
            target=(target["type"], int(target["id"])) if target else None,
            cascade=tuple((part["type"], int(part["id"])) for part in attributes.get("cascade", [])),
        )

    def _transact_items(self, change: Change, tombstone: Tombstone | None = None) -> list[dict[str, Any]]:
        tokens = self.table("tokens")
        token = change.token
        key = {"digest": {"S": token.digest}}
        # The token's own operation comes first, so cancellation reason 0 says whether it moved.
        read_version = {":read_version": {"N": str(token.version)}}
        version_check = {
            "ConditionExpression": "version = :read_version",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if isinstance(change, UpdateToken):
            names = {f"#a{index}": name for index, name in enumerate(change.values)}
            values = {f":v{index}": _serializer.serialize(value) for index, value in enumerate(change.values.values())}
            assignments = ", ".join(f"{name} = {value}" for name, value in zip(names, values, strict=True))
            update = {
                "TableName": tokens,
                "Key": key,
                "UpdateExpression": f"SET {assignments}, version = version + :one",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {**read_version, **values, ":one": {"N": "1"}},
                **version_check,
            }
            return [{"Update": update}]
        delete_token: dict[str, Any] = {
            "Delete": {"TableName": tokens, "Key": key, "ExpressionAttributeValues": read_version, **version_check}
        }
        if tombstone is not None:
            # The old digest is not deleted but overwritten by the tombstone: one operation on the
            # item, under the same version check, so a racing revoke still loses cleanly.
            delete_token = {
                "Put": {
                    "TableName": tokens,
                    "Item": _to_dynamodb(tombstone_item(token.digest, token.version + 1, tombstone)),
                    "ExpressionAttributeValues": read_version,
                    **version_check,
                }
            }
        if isinstance(change, DeleteToken):
            return [delete_token]
        if isinstance(change, ReplaceTokenSecret):
            moved = token_item(change.new_digest, token.token_type, dict(token.attributes))
            operations: list[dict[str, Any]] = [
                delete_token,
                {
                    "Put": {
                        "TableName": tokens,
                        "Item": _to_dynamodb(moved),
                        "ConditionExpression": "attribute_not_exists(digest)",
                    }
                },
            ]
            if change.owner_user_id is not None and change.owner_attribute:
                operations.append(
                    {
                        "Update": {
                            "TableName": self.table("users"),
                            "Key": {"user_id": {"N": str(change.owner_user_id)}},
                            "UpdateExpression": "SET #digest = :new",
                            "ConditionExpression": "#digest = :old",
                            "ExpressionAttributeNames": {"#digest": change.owner_attribute},
                            "ExpressionAttributeValues": {
                                ":new": {"S": change.new_digest},
                                ":old": {"S": token.digest},
                            },
                        }
                    }
                )
            return operations
        if isinstance(change, DeleteRunner):
            runners = self.table("runners")
            runner_key = {"runner_id": {"N": str(change.runner_id)}}
            links = [runner_link_sk("PROJECT", project_id) for project_id in change.project_ids]
            links += [runner_link_sk("GROUP", group_id) for group_id in change.group_ids]
            return [
                delete_token,
                {
                    "Delete": {
                        "TableName": runners,
                        "Key": {**runner_key, "sk": {"S": RUNNER_SK}},
                        "ConditionExpression": "version = :runner_version",
                        "ExpressionAttributeValues": {":runner_version": {"N": str(change.runner_version)}},
                    }
                },
                *({"Delete": {"TableName": runners, "Key": {**runner_key, "sk": {"S": sk}}}} for sk in links),
            ]
        raise TypeError(f"unknown change {type(change).__name__}")

    def _audit_put(self, audit: AuditRecord) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table("audit"),
                "Item": _to_dynamodb(audit_item(audit)),
                "ConditionExpression": "attribute_not_exists(audit_id)",
            }
        }

    # -- seeding (the local runner and tests; the service itself never bulk-writes) ----------

    def put_items(self, role: str, items: Iterable[dict[str, Any]]) -> None:
        batch = [{"PutRequest": {"Item": _to_dynamodb(item)}} for item in items]
        for start in range(0, len(batch), 25):
            pending: dict[str, Any] = {self.table(role): batch[start : start + 25]}
            while pending:
                response = self._call(self.client.batch_write_item, RequestItems=pending)
                pending = dict(response.get("UnprocessedItems") or {})

    @staticmethod
    def _call(operation: Callable[..., T], **arguments: Any) -> T:
        """One DynamoDB operation, retried on capacity errors, DynamoDB's own faults and lost connections."""
        attempt = 0
        while True:
            try:
                return operation(**arguments)
            except ClientError as error:
                if not _transient(error):
                    raise
                _retry_or_give_up(attempt, error)
            except (ConnectionError, HTTPClientError) as error:
                _retry_or_give_up(attempt, error)
            attempt += 1


@cache
def default_store() -> DynamoDBTokenStore:
    return DynamoDBTokenStore()
