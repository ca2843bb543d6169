"""The race harness: many requests released at one instant.

Through the handlers, each racer is a worker process, a Lambda execution environment of its own
(Lambda never runs two invocations in one process): it imports the real handlers once, then runs
its invocation at an agreed instant. Over HTTP, each racer is a thread with its own connection,
released by a barrier once every connection is open.

Racers queue behind one another at the local DynamoDB (moto serves one request at a time), so a
racer's read may take as long as all the others' together: the workers get a DynamoDB read
timeout and a Lambda timeout that allow for that. The race proves one effect, not speed.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from admin_token.storage.dynamodb import CONNECT_TIMEOUT_VARIABLE, READ_TIMEOUT_VARIABLE
from admin_token_local.lambda_runtime import FakeLambdaContext
from tests.support.events import bulk_event, proxy_event

T = TypeVar("T")

RACE_TIMEOUT_SECONDS = 120
# What a racing worker's DynamoDB client waits for, inside RACE_TIMEOUT_SECONDS.
RACE_ENVIRONMENT = {CONNECT_TIMEOUT_VARIABLE: "10", READ_TIMEOUT_VARIABLE: "60"}
# What `serve`'s DynamoDB client waits for when racers queue behind one another, inside the
# 10 s the template gives the functions.
SERVE_ENVIRONMENT = {READ_TIMEOUT_VARIABLE: "8"}
# Far enough ahead for every racer to be waiting when it comes.
START_DELAY_SECONDS = 0.5

_handlers: dict[str, Any] = {}


# What each racer imports: loaded once, by the fork server, before it forks any racer.
RACER_MODULES = ["tests.support.races", "functions.lookup.app", "functions.revoke.app"]


@contextmanager
def worker_pool(size: int) -> Iterator[ProcessPoolExecutor]:
    """`size` warmed-up worker processes, started after the backends are up: each takes this
    process's environment as it is then (the backends' endpoints, and RACE_ENVIRONMENT).

    Forked by multiprocessing's fork server, a single-threaded process that imported the handlers
    once (this process runs moto's server threads, and forking it would copy their locks): a racer
    costs a fork, not a fresh interpreter importing boto3, Powertools and the layer. A forked
    racer is a new environment all the same (admin_token.restore runs its callbacks after fork)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(RACER_MODULES)
    environment = {**os.environ, **RACE_ENVIRONMENT}
    with ProcessPoolExecutor(size, mp_context=context, initializer=_use_environment, initargs=(environment,)) as pool:
        for future in [pool.submit(warm_up) for _ in range(size * 2)]:
            future.result(timeout=RACE_TIMEOUT_SECONDS)
        yield pool


def _use_environment(environment: dict[str, str]) -> None:
    # The fork server's own environment is the one it started with, perhaps for another pool.
    os.environ.clear()
    os.environ.update(environment)


def at_one_instant(pool: ProcessPoolExecutor, racer: Callable[..., T], arguments: Sequence[tuple[Any, ...]]) -> list[T]:
    """`racer(start_at, *each)` in the pool, all released at one instant; the results in order."""
    start_at = time.time() + START_DELAY_SECONDS
    futures: list[Future[T]] = [pool.submit(racer, start_at, *each) for each in arguments]
    return [future.result(timeout=RACE_TIMEOUT_SECONDS * 2) for future in futures]


def in_threads(count: int, racer: Callable[[Callable[[], object]], T]) -> list[T]:
    """`racer(go)` in `count` threads; each calls `go()` once ready, and all are released together
    once every one has. The results, in the order the racers finished."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    lock = threading.Lock()

    def run() -> None:
        result = racer(barrier.wait)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


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
    return FakeLambdaContext("race-worker", memory_limit_in_mb=512, timeout_seconds=RACE_TIMEOUT_SECONDS)


def bulk_at(start_at: float, tokens: list[str], credential: str) -> tuple[int, Any]:
    """Wait for the shared start instant, then send one bulk revoke; return status and body."""
    time.sleep(max(0.0, start_at - time.time()))
    event = bulk_event({"tokens": tokens}, credential)
    response = _handlers["DELETE"](event, _context())
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None
