"""Inject DynamoDB faults into the service's own client with a botocore `before-send` hook.

A hook that returns a response short-circuits the HTTP call: the service sees exactly what
DynamoDB would have answered (its JSON error shapes), and nothing reaches the tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse

PREFIX = "com.amazonaws.dynamodb.v20120810#"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body

    def read(self, *_: Any, **__: Any) -> bytes:
        return self._body


def dynamodb_error(status: int, code: str, message: str = "injected", **extra: Any) -> AWSResponse:
    body = json.dumps({"__type": PREFIX + code, "message": message, **extra}).encode()
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "injected"}
    return AWSResponse("https://dynamodb.injected", status, headers, _Raw(body))


THROTTLED = ("ThrottlingException", 400)
CAPACITY = ("ProvisionedThroughputExceededException", 400)
INTERNAL = ("InternalServerError", 500)


def transaction_conflict(items: int) -> AWSResponse:
    reasons = [{"Code": "TransactionConflict", "Message": "conflict"}] + [{"Code": "None"}] * (items - 1)
    return dynamodb_error(400, "TransactionCanceledException", "Transaction cancelled", CancellationReasons=reasons)


@dataclass
class Injector:
    """Fails the first `times` calls of `operation` (None: every operation); counts every attempt."""

    operation: str | None
    fault: Any
    times: int
    attempts: dict[str, int] = field(default_factory=dict)
    injected: int = 0

    def __call__(self, request: Any, operation_name: str | None = None, **_: Any) -> AWSResponse | None:
        name = operation_name or ""
        self.attempts[name] = self.attempts.get(name, 0) + 1
        if self.operation not in (None, name) or self.injected >= self.times:
            return None
        self.injected += 1
        if callable(self.fault):
            return self.fault(json.loads(request.body or b"{}"))
        code, status = self.fault
        return dynamodb_error(status, code)


@contextmanager
def inject(client: Any, operation: str | None, fault: Any, times: int = 10**6) -> Iterator[Injector]:
    injector = Injector(operation, fault, times)

    def hook(request: Any, **kwargs: Any) -> AWSResponse | None:
        return injector(request, operation_name=kwargs["event_name"].rsplit(".", 1)[-1], **kwargs)

    client.meta.events.register_first("before-send.dynamodb", hook)
    try:
        yield injector
    finally:
        client.meta.events.unregister("before-send.dynamodb", hook)
