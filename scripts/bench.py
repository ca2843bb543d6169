"""Benchmark: cold start, first and warm request latency, and peak memory of each function.

Prints figures; asserts nothing (speed targets are read, not tested). Runs against the same
embedded backends as `admin-token-api serve`: moto's DynamoDB server and the AppConfig stand-in
on loopback, so request figures include a local HTTP round trip per AWS call.

    make bench            # or: .venv/bin/python scripts/bench.py [--cold-runs 7] [--warm-requests 300]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVENTS = {"LookupFunction": ROOT / "events" / "lookup-runner-token.json",
          "RevokeFunction": ROOT / "events" / "revoke-not-found.json",
          "AuditEventsFunction": ROOT / "events" / "audit-events-runners.json"}  # fmt: skip


def _load_handler(function_id: str) -> tuple[Any, float]:
    """Import the function as Lambda's init phase does; return its handler and the time it took."""
    from admin_token_local.template import function_handler, load_template

    code_dir, module, attribute = function_handler(load_template(ROOT / "template.yaml"), function_id)
    started = time.perf_counter()
    spec = importlib.util.spec_from_file_location(f"bench_{function_id}", code_dir / f"{module}.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {function_id} from {code_dir}")
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return getattr(loaded, attribute), time.perf_counter() - started


def child(function_id: str) -> None:
    """One cold start in this fresh process: init, first request, a few warm ones, peak RSS."""
    from admin_token_local.lambda_runtime import FakeLambdaContext

    handler, init_seconds = _load_handler(function_id)
    event = json.loads(EVENTS[function_id].read_text())
    started = time.perf_counter()
    handler(event, FakeLambdaContext(function_id, memory_limit_in_mb=512, timeout_seconds=10))
    first_seconds = time.perf_counter() - started
    warm = []
    for _ in range(20):
        started = time.perf_counter()
        handler(event, FakeLambdaContext(function_id, memory_limit_in_mb=512, timeout_seconds=10))
        warm.append(time.perf_counter() - started)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"init": init_seconds, "first": first_seconds, "warm": statistics.median(warm),
                      "peak_mib": peak_mib}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-runs", type=int, default=7)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    from bench_backends import local_backends

    from admin_token_local.seed import DEMO_SEED_PATH, load_seed_file, write_seed

    with local_backends("LookupFunction") as backends:
        write_seed(load_seed_file(DEMO_SEED_PATH), endpoint_url=backends.dynamodb_endpoint,
                   table_names=backends.table_names)  # fmt: skip
        _measure(args.cold_runs, backends.environment)


def _measure(cold_runs: int, environment: dict[str, str]) -> None:
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; {cold_runs} cold starts per function")
    print(f"{'function':<20}{'init ms':>10}{'first ms':>10}{'warm ms':>10}{'peak MiB':>10}   (medians)")
    for function_id in EVENTS:
        runs = []
        for _ in range(cold_runs):
            output = subprocess.run(  # noqa: S603 - our own script, with our own interpreter
                [sys.executable, __file__, "--child", function_id],
                env=environment, capture_output=True, text=True, check=True,
            )  # fmt: skip
            runs.append(json.loads(output.stdout.strip().splitlines()[-1]))

        def median_ms(key: str, of: list[dict[str, float]] = runs) -> float:
            return statistics.median(run[key] for run in of) * 1000

        peak = statistics.median(run["peak_mib"] for run in runs)
        print(
            f"{function_id:<20}{median_ms('init'):>10.0f}{median_ms('first'):>10.1f}"
            f"{median_ms('warm'):>10.1f}{peak:>10.0f}"
        )


if __name__ == "__main__":
    main()
