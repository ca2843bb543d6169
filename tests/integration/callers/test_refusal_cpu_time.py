"""A refused caller cannot tell from the handler's CPU time whether the target exists.

test_refusals_tell_nothing.py proves the same answer and the same DynamoDB calls. This proves the
same work inside the handler: DynamoDB is replaced by a client that replays responses recorded
from moto after a fixed delay (sleeping costs no CPU), so what is measured is only our code.
What still differs inside DynamoDB is described in docs/threat-model.md.
"""

from __future__ import annotations

import gc
import json
import math
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from admin_token.config import reset_configuration_cache
from admin_token.storage.dynamodb import default_store
from admin_token_local.lambda_runtime import FakeLambdaContext
from tests.support import demo
from tests.support.events import proxy_event

# Enough pairs that a busy machine's noise cannot push the interval past the tolerance: with 400,
# one run in about a dozen full `make test` runs on a loaded 2-core machine failed at +70 us against
# +68 us, while the median difference stayed about +15 us (1.5% of the handler's CPU time).
PAIRS = 1200
# How far apart the two may be, as a share of the handler's CPU time per request.
TOLERANCE = 0.05
WARM_UP = 30
FIXED_LATENCY_SECONDS = 0.0005
# The refused callers: one the first read refuses (401), one the second read refuses (403).
REFUSED_CALLERS = {"unknown caller": ("glpat-unknownCallerTk00000", 401), "non-admin": (demo.NON_ADMIN, 403)}
# A target with records behind it (a runner, its own item in another table) and one that is absent.
EXISTING, MISSING = demo.PROJECT_RUNNER, "glrt-doesNotExistRunner000"


class ReplayingClient:
    """BatchGetItem answered from recorded responses after a fixed delay: constant work per call."""

    def __init__(self, responses: dict[str, Any]) -> None:
        self._responses = responses

    def batch_get_item(self, **request: Any) -> Any:
        time.sleep(FIXED_LATENCY_SECONDS)
        return self._responses[_request_key(request)]


def _request_key(request: dict[str, Any]) -> str:
    return json.dumps(request["RequestItems"], sort_keys=True)


@pytest.fixture
def replaying_store(tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Record moto's answers to every read the measured requests make, then replay them."""
    store = default_store()
    recorded: dict[str, Any] = {}
    real_client = store.client

    class RecordingClient:
        def batch_get_item(self, **request: Any) -> Any:
            response = real_client.batch_get_item(**request)
            recorded[_request_key(request)] = response
            return response

    # One configuration read for the whole measurement: AppConfig's own work is not the subject.
    monkeypatch.setenv("APPCONFIG_MAX_AGE_SECONDS", "3600")
    reset_configuration_cache()
    monkeypatch.setattr(store, "_given_client", RecordingClient())

    def replay() -> None:
        monkeypatch.setattr(store, "_given_client", ReplayingClient(recorded))

    yield replay
    reset_configuration_cache()


def _cpu_seconds(handler: Any, event: dict[str, Any], expected_status: int) -> float:
    context = FakeLambdaContext("LookupFunction", memory_limit_in_mb=512, timeout_seconds=10)
    started = time.process_time()
    response = handler(event, context)
    elapsed = time.process_time() - started
    assert response["statusCode"] == expected_status
    return elapsed


def _median_interval(values: list[float]) -> tuple[float, float]:
    """A distribution-free 99.9% confidence interval for the median (order statistics, normal approximation)."""
    ordered = sorted(values)
    half_width = 3.29 * math.sqrt(len(ordered)) / 2
    low = max(0, math.floor(len(ordered) / 2 - half_width))
    high = min(len(ordered) - 1, math.ceil(len(ordered) / 2 + half_width))
    return ordered[low], ordered[high]


@pytest.mark.parametrize("caller", list(REFUSED_CALLERS))
def test_handler_cpu_time_does_not_depend_on_whether_the_target_exists(
    replaying_store: Callable[[], None], caller: str
) -> None:
    from functions.lookup.app import lambda_handler

    # Given a refused caller, and every read its requests make recorded from moto
    credential, status = REFUSED_CALLERS[caller]

    def event(target: str) -> dict[str, Any]:
        return proxy_event("POST", body={"token": target}, headers={"PRIVATE-TOKEN": credential})

    for target in (EXISTING, MISSING):
        _cpu_seconds(lambda_handler, event(target), status)
    replaying_store()

    # When it asks about an existing and a missing target, in random order, many times
    timings: dict[str, list[float]] = {EXISTING: [], MISSING: []}
    rng = random.Random(6)
    gc.disable()
    try:
        for index in range(WARM_UP + PAIRS):
            order = [EXISTING, MISSING]
            rng.shuffle(order)
            events = {target: event(target) for target in order}
            for target in order:
                elapsed = _cpu_seconds(lambda_handler, events[target], status)
                if index >= WARM_UP:
                    timings[target].append(elapsed)
    finally:
        gc.enable()

    # Then neither is slower: the median paired difference, with 99.9% confidence, is within 5%
    # of the handler's CPU time (before the fix it was 13-14%, far outside)
    differences = [a - b for a, b in zip(timings[EXISTING], timings[MISSING], strict=True)]
    low, high = _median_interval(differences)
    median_missing = sorted(timings[MISSING])[PAIRS // 2]
    tolerance = TOLERANCE * median_missing
    existing_slower = sum(difference > 0 for difference in differences)
    summary = (
        f"median CPU {median_missing * 1e6:.0f} us for a missing target; existing minus missing, 99.9% interval "
        f"of the median: [{low * 1e6:+.1f}, {high * 1e6:+.1f}] us, tolerance ±{tolerance * 1e6:.1f} us; "
        f"existing slower in {existing_slower} of {PAIRS} pairs"
    )
    print(f"{caller}: {summary}")  # shown with -rP: the figures behind the verdict
    assert low >= -tolerance, summary
    assert high <= tolerance, summary
