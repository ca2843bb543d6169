"""Benchmark: GitHub's secret scanning alert of 1,000 matches against 1,000 findings to /v1/revoke_tokens.

GitHub waits 10 seconds for an answer (30 for partners who send feedback). Each run starts from
freshly seeded tables holding 1,000 live personal access tokens, fresh queues, and a fresh process
per side; the two sides alternate. The alert is signed with a fresh P-256 key whose document the
local GitHub meta stand-in serves; both sides make one warm-up request first (clients, flags, and
for the alert the key document), as an execution environment that has served before has them.
The figures: each side's answer time, the ratio alert / findings in the same run, and the alert
against GitHub's 10 s.

    make bench          # or: .venv/bin/python scripts/bench_github.py [--runs 3] [--matches 1000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench_backends import demo_seed_with_tokens

ROOT = Path(__file__).resolve().parents[1]
GITHUB_TIMEOUT_SECONDS = 10
URL = "https://github.com/acme-oss/leaky/blob/4f1e2d/.env#L{line}"


def _tokens(count: int) -> list[str]:
    return [f"glpat-benchGitHubToken{number:06d}" for number in range(count)]


def child(kind: str, count: int) -> None:
    """In a fresh process: answer one alert of `count` matches, or one POST of `count` findings; print seconds."""
    sys.path[:0] = [str(ROOT / "layers" / "admin_token"), str(ROOT / "src"), str(ROOT)]
    import os

    from admin_token_local.github_meta import GitHubMetaStandIn
    from admin_token_local.lambda_runtime import FakeLambdaContext
    from functions.intake.app import lambda_handler
    from github_alert.client import generate_key, key_document, key_identifier, sign
    from tests.support.events import proxy_event

    key = generate_key()
    identifier = key_identifier(key)
    meta = GitHubMetaStandIn(json.dumps(key_document(key, identifier)).encode())
    os.environ["GITHUB_KEYS_URL"] = meta.start()
    pre_shared = os.environ.pop("BENCH_PRE_SHARED_TOKEN")

    def request(path: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        event = proxy_event("POST", raw_body=body.decode(), headers={"Content-Type": "application/json", **headers})
        event["path"] = event["resource"] = path
        event["requestContext"]["resourcePath"] = path
        context = FakeLambdaContext("IntakeFunction", memory_limit_in_mb=1024, timeout_seconds=28)
        return lambda_handler(event, context)  # type: ignore[no-any-return]

    def alert(tokens: list[str]) -> dict[str, Any]:
        matches = [
            {"token": token, "type": "gitlab_personal_access_token", "url": URL.format(line=n), "source": "content"}
            for n, token in enumerate(tokens)
        ]
        body = json.dumps(matches, separators=(",", ":")).encode()
        signed = {"Github-Public-Key-Identifier": identifier, "Github-Public-Key-Signature": sign(body, key)}
        return request("/v1/github/secret_scanning", body, signed)

    def findings(tokens: list[str]) -> dict[str, Any]:
        body = [
            {"type": "gitleaks_rule_id_gitlab_personal_access_token", "token": token, "location": URL.format(line=n)}
            for n, token in enumerate(tokens)
        ]
        return request("/v1/revoke_tokens", json.dumps(body).encode(), {"Authorization": pre_shared})

    send = alert if kind == "github" else findings
    warm = send(["glpat-notABenchToken0000"])
    assert warm["statusCode"] in (200, 204), warm
    tokens = _tokens(count)
    started, cpu_started = time.perf_counter(), time.process_time()
    response = send(tokens)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    meta.stop()
    if kind == "github":
        assert response["statusCode"] == 200, response
        labels = [entry["label"] for entry in json.loads(response["body"])]
        assert labels == ["true_positive"] * count, "every match is a live token of ours"
    else:
        assert response["statusCode"] == 204, response
    print(json.dumps({"seconds": seconds, "cpu": cpu}))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--matches", type=int, default=1000)
    parser.add_argument("--child", choices=["github", "findings"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.matches)
        return

    from bench_backends import fresh_tables, local_backends, revocation_environment, run_child
    from bench_backends import spread as figure

    from admin_token_local.seed import parse_seed
    from admin_token_local.template import load_template

    template = load_template(ROOT / "template.yaml")
    seed = parse_seed(demo_seed_with_tokens(_tokens(args.matches), first_id=200_000, name="bench-github"))
    seconds: dict[str, list[float]] = {"github": [], "findings": []}
    cpu: dict[str, list[float]] = {"github": [], "findings": []}
    with local_backends("IntakeFunction") as backends:
        for run in range(args.runs):
            for kind in seconds:
                fresh_tables(backends, template, seed)
                environment = revocation_environment(backends, template, f"bench-github-{run}-{kind}-")
                arguments = ["--child", kind, "--matches", str(args.matches)]
                figures = run_child(__file__, arguments, environment, f"{kind} run")
                seconds[kind].append(figures["seconds"])
                cpu[kind].append(figures["cpu"])

    n = args.matches
    ratios = [github / found for github, found in zip(seconds["github"], seconds["findings"], strict=True)]
    within = [GITHUB_TIMEOUT_SECONDS / github for github in seconds["github"]]
    print(f"GitHub alert of {n} matches against {n} findings, {args.runs} runs, fresh tables, queues and process each")
    print(f"  POST /v1/github/secret_scanning (verify, label, queue {n}): {figure(seconds['github'])}")
    print(f"  POST /v1/revoke_tokens (queue {n}):                          {figure(seconds['findings'])}")
    alert_cpu, findings_cpu = statistics.median(cpu["github"]), statistics.median(cpu["findings"])
    print(f"  function CPU: alert {alert_cpu:.2f} s, findings {findings_cpu:.2f} s")
    print(f"  ratio alert/findings: {statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})")
    worst = max(seconds["github"])
    print(
        f"  against GitHub's {GITHUB_TIMEOUT_SECONDS} s: slowest alert {worst:.2f} s, "
        f"{min(within):.1f}x inside it: " + ("OK" if worst < GITHUB_TIMEOUT_SECONDS else "FAILED")
    )
    if worst >= GITHUB_TIMEOUT_SECONDS:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
