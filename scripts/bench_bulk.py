"""Benchmark: one bulk revoke of 1,000 tokens against 1,000 single DELETEs, same local backend.

Each run starts from freshly seeded tables holding 1,000 live personal access tokens, and runs
in a fresh process (so neither side inherits the other's warm caches). Runs alternate, bulk
first then single, and each figure is the median of the runs, with min-max. The figure that
matters is the ratio bulk / single, measured in the same run on the same backend (moto's
DynamoDB server on loopback, which serialises requests: transactions gain nothing from running
in parallel here, so the ratio is a ceiling of what DynamoDB itself gives).

    make bench          # or: .venv/bin/python scripts/bench_bulk.py [--runs 3] [--tokens 1000]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench_backends import demo_seed_with_tokens

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "glpat-rootAdminTk2Vn8Qe5Lm3"  # the demo seed's administrator


def _tokens(count: int) -> list[str]:
    return [f"glpat-benchBulkToken{number:06d}" for number in range(count)]


def _seed(count: int) -> dict[str, Any]:
    return demo_seed_with_tokens(_tokens(count), first_id=100_000, name="bench")


def child(kind: str, count: int) -> None:
    """In a fresh process: revoke every token, by one bulk call or by single DELETEs; print seconds."""
    sys.path[:0] = [str(ROOT / "layers" / "admin_token"), str(ROOT)]
    from admin_token_local.lambda_runtime import FakeLambdaContext
    from functions.revoke.app import lambda_handler
    from tests.support.events import bulk_event, proxy_event

    def context() -> FakeLambdaContext:
        return FakeLambdaContext("RevokeFunction", memory_limit_in_mb=1024, timeout_seconds=28)

    tokens = _tokens(count)
    # The first call builds the clients and reads the configuration: both sides pay it once, outside.
    warm = proxy_event("DELETE", body={"token": "glpat-notABenchToken0000"}, headers={"PRIVATE-TOKEN": ADMIN})
    assert lambda_handler(warm, context())["statusCode"] == 404
    started, cpu_started = time.perf_counter(), time.process_time()
    if kind == "bulk":
        response = lambda_handler(bulk_event({"tokens": tokens}, ADMIN), context())
        assert response["statusCode"] == 200, response
        assert json.loads(response["body"])["summary"]["revoked"] == count
    else:
        for token in tokens:
            event = proxy_event("DELETE", body={"token": token}, headers={"PRIVATE-TOKEN": ADMIN})
            assert lambda_handler(event, context())["statusCode"] == 204
    print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu_started}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--child", choices=["bulk", "single"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.tokens)
        return

    from bench_backends import fresh_tables, local_backends, run_child
    from bench_backends import spread as figure

    from admin_token_local.seed import parse_seed
    from admin_token_local.template import load_template

    template = load_template(ROOT / "template.yaml")
    seed = parse_seed(_seed(args.tokens))
    seconds: dict[str, list[float]] = {"bulk": [], "single": []}
    cpu: dict[str, list[float]] = {"bulk": [], "single": []}
    # The backend's CPU is this process's (moto and the AppConfig stand-in serve from threads
    # here) while the child runs: what each side costs moto, beside what it costs the function.
    backend_cpu: dict[str, list[float]] = {"bulk": [], "single": []}
    with local_backends("RevokeFunction") as backends:
        for _ in range(args.runs):
            for kind in seconds:
                fresh_tables(backends, template, seed)
                before = resource.getrusage(resource.RUSAGE_SELF)
                arguments = ["--child", kind, "--tokens", str(args.tokens)]
                figures = run_child(__file__, arguments, backends.environment, f"{kind} run")
                after = resource.getrusage(resource.RUSAGE_SELF)
                seconds[kind].append(figures["seconds"])
                cpu[kind].append(figures["cpu"])
                backend_cpu[kind].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)

    ratios = [bulk / single for bulk, single in zip(seconds["bulk"], seconds["single"], strict=True)]
    # Both sides' CPU, function and backend: what the ratio would be with no core to spare, the
    # one figure of the three that the machine's other work barely moves.
    total = {kind: [a + b for a, b in zip(cpu[kind], backend_cpu[kind], strict=True)] for kind in cpu}
    cpu_ratios = [bulk / single for bulk, single in zip(total["bulk"], total["single"], strict=True)]
    print(f"bulk revoke of {args.tokens} tokens, {args.runs} runs, fresh tables and process each, interleaved")
    print(f"  one bulk call:      {figure(seconds['bulk'])}")
    print(f"  {args.tokens} single DELETEs: {figure(seconds['single'])}")
    print(
        f"  function CPU: bulk {statistics.median(cpu['bulk']):.2f} s, single {statistics.median(cpu['single']):.2f} s"
    )
    print(
        f"  backend CPU (moto): bulk {statistics.median(backend_cpu['bulk']):.2f} s, "
        f"single {statistics.median(backend_cpu['single']):.2f} s"
    )
    cpu_ratio = f"{statistics.median(cpu_ratios):.3f} ({min(cpu_ratios):.3f}-{max(cpu_ratios):.3f})"
    print(f"  CPU ratio (function + moto): {cpu_ratio}")
    print(f"  ratio bulk/single:  {statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f}); goal <= 0.2")


if __name__ == "__main__":
    main()
