"""Worker processes for race tests: each one a Lambda execution environment of its own.

Lambda never runs two invocations in one process, so concurrency here means processes: each
imports the real handlers once, then runs its invocation at an agreed instant.
"""

from __future__ import annotations

import json
import time
from typing import Any

from admin_token_local.lambda_runtime import FakeLambdaContext
from tests.support.events import bulk_event, proxy_event

_handlers: dict[str, Any] = {}


def warm_up() -> None:
    """Import both handlers and build their clients, as a cold start would, before any race."""
    from functions.lookup.app import lambda_handler as lookup
    from functions.revoke.app import lambda_handler as revoke

    _handlers.update({"POST": lookup, "DELETE": revoke})
    lookup(proxy_event("POST", body={"token": "glpat-x"}, headers={"PRIVATE-TOKEN": "glpat-warmup"}), _context())


def invoke_at(start_at: float, method: str, token: str, credential: str) -> tuple[int, Any]:
    """Wait for the shared start instant, then send one request; return status and body."""
    time.sleep(max(0.0, start_at - time.time()))
    event = proxy_event(method, body={"token": token}, headers={"PRIVATE-TOKEN": credential})
    response = _handlers[method](event, _context())
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def _context() -> FakeLambdaContext:
    return FakeLambdaContext("race-worker", memory_limit_in_mb=512, timeout_seconds=10)


def bulk_at(start_at: float, tokens: list[str], credential: str) -> tuple[int, Any]:
    """Wait for the shared start instant, then send one bulk revoke; return status and body."""
    time.sleep(max(0.0, start_at - time.time()))
    event = bulk_event({"tokens": tokens}, credential)
    response = _handlers["DELETE"](event, _context())
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None
