"""Benchmark: cold start, warm path and memory of each function, as ratios to a floor measured in the same run.

What Lambda runs: python3.13 with boto3 (the runtime's), the layer `make build` made, copied
read-only as /opt/python, each function's code read-only as /var/task, the environment
template.yaml and Lambda set (X-Ray active tracing included). Falls back to this interpreter and
the layer's sources when either is missing, and says so in the first and the last line.

1. Record: with moto's DynamoDB and the AppConfig stand-in serving the demo seed, each scenario
   runs once in a fresh process; every botocore call's parameters and every HTTP response's
   bytes are kept. A revoke is recorded once, as the real 204 it is.
2. Measure, in rounds of fresh processes, interleaved: the floor (`import boto3;
   boto3.client("dynamodb")`), a scenario, the floor, the next scenario, ... A scenario's process
   imports the handler module (init), makes the first request, then warm requests paired with
   the raw botocore calls they make, both answered from the recording (no network, no moto in
   anything timed), then reads its VmHWM.
3. Every time figure is CPU (`process_time`) and a ratio: init and first invoke to the mean of
   the floors either side, a warm request to its raw calls in the same process. Medians, with
   min-max.

    make bench     # or: .venv/bin/python scripts/bench.py [--rounds 7] [--pairs 12] [--json out.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_runtime import (
    LAYER_PYC_CHOICES,
    ROOT,
    Runtime,
    find_runtime,
    lambda_environment,
    lay_out,
    make_writable,
    runtime_description,
    stale_build,
    this_python,
)

CHILD = Path(__file__).with_name("bench_lambda.py")
WORKER_TOKEN = "glpat-aliceLaptopTk3Nq7Xe1"  # the demo seed's alice: a live personal access token


@dataclass(frozen=True)
class Scenario:
    name: str
    function_id: str
    event: dict[str, Any]
    expect: dict[str, Any]
    repeatable: bool  # False: the first request changes the data (a revoke), so it is recorded once
    goals: bool = False  # counted in the goals (lookup and revoke)


def _event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((ROOT / "events" / f"{name}.json").read_text(encoding="utf-8"))
    return event


def _worker_event() -> dict[str, Any]:
    body = json.dumps(
        {
            "digest": hashlib.sha256(WORKER_TOKEN.encode()).hexdigest(),
            "token_type": "personal_access_token",
            "location": "https://gitlab.example.com/g/p/-/blob/a1/.env#L3",
        }
    )
    record = {
        "messageId": "7b2f6c1e-bench-0001",
        "receiptHandle": "bench",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1767225600000"},
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:RevocationQueue",
        "awsRegion": "us-east-1",
    }
    return {"Records": [record]}


# In recording order: each revokes a different token of the demo seed, the audit trail lists them.
SCENARIOS = [
    Scenario("lookup", "LookupFunction", _event("lookup-runner-token"), {"statusCode": 200}, True, goals=True),
    Scenario("revoke", "RevokeFunction", _event("revoke-runner-token"), {"statusCode": 204}, False, goals=True),
    Scenario("bulk", "RevokeFunction", _event("bulk-revoke"), {"statusCode": 200}, False),
    Scenario("worker", "RevocationWorkerFunction", _worker_event(), {"batchItemFailures": []}, False),
    Scenario("audit", "AuditEventsFunction", _event("audit-events-runners"), {"statusCode": 200}, True),
]
TIMES, DASH = "\N{MULTIPLICATION SIGN}", "\N{EN DASH}"
GOALS = {"cold": 1.3, "warm": 2.0, "first": 1.6, "rss": 96.0}
ROUND_TRIPS = {"lookup": 2, "revoke": 3}


@dataclass
class Figures:
    floor: list[float] = field(default_factory=list)  # seconds of CPU
    floor_mib: list[float] = field(default_factory=list)
    cold: dict[str, list[float]] = field(default_factory=dict)  # init / the mean of the floors either side
    first: dict[str, list[float]] = field(default_factory=dict)  # (init + first request) / floor
    warm: dict[str, list[float]] = field(default_factory=dict)  # per process: median of its pairs
    warm_ms: dict[str, list[float]] = field(default_factory=dict)  # handler CPU per request, ms
    round_trips: dict[str, set[int]] = field(default_factory=dict)
    raw_calls: dict[str, set[int]] = field(default_factory=dict)
    peak_mib: dict[str, list[float]] = field(default_factory=dict)
    notes: set[str] = field(default_factory=set)  # anything that would make a figure mean something else


def _run_child(python: str, environment: dict[str, str], *arguments: str, scratch: Path) -> dict[str, Any]:
    out = scratch / f"result-{time.monotonic_ns()}.json"
    # stdout is the function's log and EMF stream, as on Lambda: not ours to keep.
    result = subprocess.run(  # noqa: S603 - our own script, with the runtime's interpreter
        [python, "-P", str(CHILD), arguments[0], str(out), *arguments[1:]],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"bench: {' '.join(arguments[:1])} child failed:\n{result.stderr[-4000:]}")
    figures: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    if result.stderr.strip():
        figures["stderr"] = result.stderr.strip().splitlines()[-1][:200]
    return figures


def _spec(scenario: Scenario, template: Any, args: argparse.Namespace) -> dict[str, Any]:
    from admin_token_local.template import function_handler, function_setting

    _, module, function = function_handler(template, scenario.function_id)
    return {
        "module": module,
        "handler": function,
        "event": scenario.event,
        "expect": scenario.expect,
        "repeatable": scenario.repeatable,
        "context": {
            "function_name": scenario.function_id,
            "memory_mb": int(function_setting(template, scenario.function_id, "MemorySize", 128)),
            "timeout_seconds": float(function_setting(template, scenario.function_id, "Timeout", 3)),
        },
        "pairs": args.pairs,
        "requests_per_block": args.requests_per_block,
    }


def _record(runtime: Runtime, environments: dict[str, dict[str, str]], specs: dict[str, Path], scratch: Path) -> None:
    """Each scenario once against the local backends; its recording is written beside its spec."""
    from bench_backends import local_backends

    from admin_token_local.seed import DEMO_SEED_PATH, load_seed_file, write_seed

    with local_backends("LookupFunction") as backends:
        write_seed(load_seed_file(DEMO_SEED_PATH), endpoint_url=backends.dynamodb_endpoint,
                   table_names=backends.table_names)  # fmt: skip
        endpoints = {
            name: backends.environment[name] for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_APPCONFIGDATA")
        }
        for scenario in SCENARIOS:
            environment = environments[scenario.function_id] | endpoints
            recording = _run_child(runtime.python, environment, "record", str(specs[scenario.name]), scratch=scratch)
            operations = [call["operation"] for request in recording["requests"] for call in request["calls"]]
            if not scenario.repeatable and "TransactWriteItems" not in operations:
                raise SystemExit(f"bench: the {scenario.name} recording revoked nothing: {operations}")
            specs[scenario.name].with_suffix(".recording.json").write_text(json.dumps(recording), encoding="utf-8")


def _measure(
    runtime: Runtime, environments: dict[str, dict[str, str]], specs: dict[str, Path], rounds: int, scratch: Path
) -> Figures:
    figures = Figures()

    def floor() -> float:
        measured = _run_child(runtime.python, environments["LookupFunction"], "floor", scratch=scratch)
        figures.floor.append(measured["floor"])
        figures.floor_mib.append(measured["peak_mib"])
        if "stderr" in measured:
            figures.notes.add(f"the floor wrote to stderr: {measured['stderr']}")
        return float(measured["floor"])

    for number in range(rounds):
        # floor, lookup, floor, revoke, floor, ...: each run is divided by the mean of the floors
        # either side of it, seconds apart, so a machine that slows down or speeds up cancels out.
        before = floor()
        for scenario in SCENARIOS:
            spec = specs[scenario.name]
            run = _run_child(runtime.python, environments[scenario.function_id], "measure", str(spec),
                             str(spec.with_suffix(".recording.json")), scratch=scratch)  # fmt: skip
            after = floor()
            paired_floor = (before + after) / 2
            before = after
            name = scenario.name
            figures.cold.setdefault(name, []).append(run["init"] / paired_floor)
            figures.first.setdefault(name, []).append((run["init"] + run["first"]) / paired_floor)
            figures.warm.setdefault(name, []).append(statistics.median(run["warm_ratios"]))
            figures.warm_ms.setdefault(name, []).append(statistics.median(run["handler_cpu"]) * 1000)
            figures.round_trips.setdefault(name, set()).add(run["dynamodb_calls"])
            figures.raw_calls.setdefault(name, set()).add(run["raw_calls"])
            figures.peak_mib.setdefault(name, []).append(run["peak_mib"])
            if run["xray_sdk_imported"]:
                figures.notes.add(f"{name}: the X-Ray SDK was imported, although the functions have no Tracer")
            if not run["http_layer_imported_by_init"]:
                figures.notes.add(f"{name}: init did not import botocore's HTTP layer (the first request lacks it)")
            if "stderr" in run:
                figures.notes.add(f"{name} wrote to stderr: {run['stderr']}")
        print(f"  round {number + 1}/{rounds} done", file=sys.stderr)
    return figures


def _ratio(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}{TIMES} ({min(values):.2f}{DASH}{max(values):.2f})"


def _trips(values: set[int]) -> str:
    return "/".join(str(value) for value in sorted(values))


def report(figures: Figures, runtime: Runtime, rounds: int, pairs: int) -> tuple[list[str], str]:
    """The issue's table (Measure | Figure | Goal), and the one summary line."""
    goal_names = [scenario.name for scenario in SCENARIOS if scenario.goals]
    others = [scenario.name for scenario in SCENARIOS if not scenario.goals]

    def row(kind: dict[str, list[float]], names: list[str]) -> str:
        return ", ".join(f"{name} {_ratio(kind[name])}" for name in names)

    def worst(kind: dict[str, list[float]]) -> float:
        return max(statistics.median(kind[name]) for name in goal_names)

    peak = max(max(figures.peak_mib[name]) for name in figures.peak_mib)
    trips_ok = all(figures.round_trips[name] == {ROUND_TRIPS[name]} for name in ROUND_TRIPS)
    met = {
        "cold": worst(figures.cold) <= GOALS["cold"],
        "warm": worst(figures.warm) <= GOALS["warm"],
        "first": worst(figures.first) <= GOALS["first"],
        "round trips": trips_ok,
        "rss": peak <= GOALS["rss"],
    }
    mark = {True: "met", False: "NOT met"}
    rss = ", ".join(f"{name} {statistics.median(values):.0f}" for name, values in figures.peak_mib.items())
    lines = [
        "| Measure | Figure | Goal |",
        "|---|---|---|",
        f"| Cold init of each function module, CPU, ÷ the floor, fresh processes, paired medians "
        f"| {row(figures.cold, goal_names)} | ≤ {GOALS['cold']}{TIMES} ({mark[met['cold']]}) |",
        f"| Warm handler CPU per request ÷ the raw botocore calls it makes (same recorded responses, paired) "
        f"| {row(figures.warm, goal_names)} | ≤ {GOALS['warm']}{TIMES} ({mark[met['warm']]}) |",
        f"| First invoke (init + first request) ÷ floor "
        f"| {row(figures.first, goal_names)} | ≤ {GOALS['first']}{TIMES} ({mark[met['first']]}) |",
        f"| DynamoDB round trips (lookup / revoke) "
        f"| {_trips(figures.round_trips['lookup'])} / {_trips(figures.round_trips['revoke'])} "
        f"| keep {ROUND_TRIPS['lookup']} / {ROUND_TRIPS['revoke']} ({mark[trips_ok]}) |",
        f"| Peak RSS, warm (VmHWM of the function's process), MiB, median | {rss}; max {peak:.0f} "
        f"| keep ≤ {GOALS['rss']:.0f} MiB ({mark[met['rss']]}) |",
        f"| Also covered (no goal): cold ÷ floor | {row(figures.cold, others)} | |",
        f"| Also covered: warm ÷ raw botocore | {row(figures.warm, others)} | |",
        f"| Also covered: first invoke ÷ floor | {row(figures.first, others)} | |",
        "| Also covered: DynamoDB round trips | "
        + ", ".join(f"{name} {_trips(figures.round_trips[name])}" for name in others)
        + " | |",
    ]
    context = [
        "",
        f"floor: {statistics.median(figures.floor) * 1000:.0f} ms CPU "
        f"({min(figures.floor) * 1000:.0f}{DASH}{max(figures.floor) * 1000:.0f}), "
        f"{statistics.median(figures.floor_mib):.0f} MiB; warm handler CPU per request, ms: "
        + ", ".join(f"{name} {statistics.median(values):.2f}" for name, values in figures.warm_ms.items()),
        f"{rounds} rounds of fresh processes (floor, scenario, floor, scenario, ...), {pairs} warm pairs per process; "
        f"absolute figures are this machine's, only the ratios carry over",
    ]
    context += [f"NOTE {note}" for note in sorted(figures.notes)]
    if not runtime.is_lambdas:
        context.append("NOT WHAT LAMBDA RUNS: " + "; ".join(runtime.notes))

    def pair(kind: dict[str, list[float]]) -> str:
        return "/".join(f"{statistics.median(kind[name]):.2f}x" for name in goal_names)

    summary = (
        f"bench: cold {pair(figures.cold)} (goal {GOALS['cold']}) warm {pair(figures.warm)} (goal {GOALS['warm']}) "
        f"first {pair(figures.first)} (goal {GOALS['first']}) round trips "
        f"{_trips(figures.round_trips['lookup'])}/{_trips(figures.round_trips['revoke'])} (keep 2/3) "
        f"RSS {peak:.0f} MiB (goal {GOALS['rss']:.0f}): {sum(met.values())} of {len(met)} goals met"
        + ("" if runtime.is_lambdas else " [NOT python3.13 + the SAM-built layer: see above]")
    )
    return lines + context, summary


def _runtime(args: argparse.Namespace) -> Runtime:
    from bench_runtime import BUILT_LAYER

    notes = []
    found = None if args.this_python else find_runtime(args.runtime_python, allow_install=True)
    if found is None:
        found = this_python()
        notes.append(f"python {found[1]}, not 3.13 (no python3.13 with boto3 found; --runtime-python to name one)")
    built = BUILT_LAYER.is_dir() and not args.source_layer
    if not built:
        notes.append("the layer's sources compiled here, not the SAM build (run `make build` first)")
    elif found[1].startswith("3.13") and not args.working_tree and (stale := stale_build()):
        notes.append(f"the SAM build is older than {len(stale)} source files ({stale[0]}, ...): run `make build`")
    if not built and found[1].startswith("3.13"):
        # Third-party packages then come from this venv, built for another Python: cannot mix.
        found = this_python()
        notes.append(f"so python {found[1]} with this venv's packages")
    return Runtime(found[0], found[1], found[2], built, notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="fresh processes per scenario (and floors)")
    parser.add_argument("--pairs", type=int, default=12, help="warm (handler, raw) pairs per process")
    parser.add_argument("--requests-per-block", type=int, default=10, help="requests timed together in a pair")
    parser.add_argument("--runtime-python", help="a python3.13 with boto3 (default: found, or .venv/runtime-3.13)")
    parser.add_argument("--this-python", action="store_true", help="run on this interpreter (not what Lambda runs)")
    parser.add_argument("--source-layer", action="store_true", help="the layer's sources, not .aws-sam/build")
    parser.add_argument("--working-tree", action="store_true",
                        help="the SAM build's packages with this checkout's admin_token and functions")  # fmt: skip
    parser.add_argument("--layer-pyc", choices=LAYER_PYC_CHOICES, default="shipped",
                        help="the layer's bytecode: as built, none, or recompiled checked-hash")  # fmt: skip
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="an experiment: set this variable in every function's environment")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()

    from admin_token_local.template import load_template

    runtime = _runtime(args)
    template = load_template(ROOT / "template.yaml")
    print(f"bench: {runtime_description(runtime)}; layer bytecode: {args.layer_pyc}")
    if args.working_tree:
        print("bench: admin_token and the functions from this checkout, compiled here (--working-tree)")
    if args.set:
        print(f"bench: EXPERIMENT {' '.join(args.set)}")
    for note in runtime.notes:
        print(f"bench: WARNING {note}")
    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        scratch = Path(directory)
        try:
            layer, tasks = lay_out(scratch / "lambda", runtime.python, built=runtime.built_layer,
                                   layer_pyc=args.layer_pyc, working_tree=args.working_tree)  # fmt: skip
            home = scratch / "home"
            home.mkdir()
            environments = {
                function_id: lambda_environment(
                    template, function_id, task=task, layer=layer, home=home, python_version=runtime.version
                )
                for function_id, task in tasks.items()
            }
            for setting in args.set:
                name, _, value = setting.partition("=")
                for environment in environments.values():
                    environment[name] = value
            specs = {}
            for scenario in SCENARIOS:
                specs[scenario.name] = scratch / f"{scenario.name}.spec.json"
                specs[scenario.name].write_text(json.dumps(_spec(scenario, template, args)), encoding="utf-8")
            _record(runtime, environments, specs, scratch)
            figures = _measure(runtime, environments, specs, args.rounds, scratch)
        finally:
            make_writable(scratch)
    lines, summary = report(figures, runtime, args.rounds, args.pairs)
    print("\n".join(lines))
    print(summary)
    if args.json:
        args.json.write_text(json.dumps({"runtime": runtime_description(runtime), "layer_pyc": args.layer_pyc,
                                         "figures": _plain(figures), "summary": summary}, indent=1))  # fmt: skip


def _plain(figures: Figures) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, set):
            return sorted(value)
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value

    return {name: plain(value) for name, value in vars(figures).items()}


if __name__ == "__main__":
    main()
