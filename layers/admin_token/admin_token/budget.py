"""The request's time budget: retries stop while there is still time to answer 503 cleanly.

Lambda ends an invocation at its timeout without a response; a retry loop that ignored the
clock would turn a DynamoDB brown-out into API Gateway 504s instead of a `503 Retry-After`.
"""

from __future__ import annotations

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
