"""The request's time budget, and the one backoff every retry in the layer takes within it.

Retries stop while there is still time to answer 503 cleanly.

Lambda ends an invocation at its timeout without a response; a retry loop that ignored the
clock would turn a DynamoDB brown-out into API Gateway 504s instead of a `503 Retry-After`.
"""

from __future__ import annotations

import random
import time
from contextvars import ContextVar

# Kept back from the Lambda timeout for answering after the last attempt.
SAFETY_MARGIN_SECONDS = 1.0
DEFAULT_BUDGET_SECONDS = 5.0

_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)


def start(remaining_milliseconds: int | None) -> None:
    """Begin a request with what the Lambda context says is left (None: the default budget)."""
    seconds = DEFAULT_BUDGET_SECONDS if remaining_milliseconds is None else remaining_milliseconds / 1000
    _deadline.set(time.monotonic() + seconds - SAFETY_MARGIN_SECONDS)


def remaining() -> float:
    deadline = _deadline.get()
    return DEFAULT_BUDGET_SECONDS if deadline is None else deadline - time.monotonic()


def allows(seconds: float) -> bool:
    """Whether another step of this length still ends inside the budget."""
    return remaining() >= seconds


def pause_before_retry(retry: int, base_seconds: float, then_seconds: float) -> bool:
    """Sleep before retry number `retry` (from 0), if the budget has room for the pause and `then_seconds`.

    Full jitter (uniform in [0, base * 2**retry]): racing callers spread out instead of colliding
    again in step. False, having slept nothing, when the budget cannot afford it.
    """
    delay = random.uniform(0, base_seconds * 2**retry)  # noqa: S311 - not for secrets
    if not allows(delay + then_seconds):
        return False
    time.sleep(delay)
    return True
