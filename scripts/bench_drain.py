"""Benchmark: a flood of 10,000 findings in one POST /v1/revoke_tokens, drained by the local worker.

Each run starts from freshly seeded tables holding 10,000 live personal access tokens (plus a few
hundred more for the baseline), an empty queue and a fresh process. In that process the real
IntakeFunction handler takes one request of 10,000 GitLab-shaped findings (queued as digests by
the real SendMessageBatch code), then the local poller (src/admin_token_local/sqs_poller.py, as
Lambda's event source mapping: batches of 10, deletes what succeeded) runs the real
RevocationWorkerFunction until the queue is empty. The figure is how long that drain took, as a
rate, and per token against a baseline measured in the same process on the same backend: the
worker invoked directly with one-message events (no queue), one token each. Every run then checks
that each of the 10,000 tokens is revoked, with exactly one audit record, and that nothing is left
in the queue, in flight or failed.

DynamoDB, the secret, the queue and the flags are the local ones `serve` uses: moto's server on
loopback (with sqs_local's fixes that keep its SQS linear in the work asked of it: before them one
SendMessageBatch took 0.6 s at 2,000 queued messages, and the POST of 10,000 timed out into a
503) and the AppConfig stand-in. One process serves those requests one at a time: the figures are
this machine's, not AWS's (where the event source mapping runs up to 5 workers at once).

    make bench          # or: .venv/bin/python scripts/bench_drain.py [--runs 1] [--findings 10000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from bench_backends import demo_seed_with_tokens

ROOT = Path(__file__).resolve().parents[1]
FIRST_ID = 200_000  # personal access token ids of the bench's tokens, clear of the demo's
RULE = "gitleaks_rule_id_gitlab_personal_access_token"


def _tokens(count: int, offset: int = 0) -> list[str]:
    return [f"glpat-benchDrainToken{number:06d}" for number in range(offset, offset + count)]


def _seed(count: int) -> dict[str, Any]:
    return demo_seed_with_tokens(_tokens(count), first_id=FIRST_ID, name="bench-drain")


def child(findings: int, singles: int) -> None:
    """In a fresh process: the baseline, the POST, the drain, the checks; print the figures as JSON."""
    import os

    sys.path[:0] = [str(ROOT / "layers" / "admin_token"), str(ROOT)]
    import boto3

    from admin_token.digests import token_digest
    from admin_token_local.lambda_runtime import FakeLambdaContext
    from admin_token_local.sqs_local import queue_arn
    from admin_token_local.sqs_poller import poll_once, sqs_event
    from functions.intake.app import lambda_handler as intake
    from functions.revocation_worker.app import lambda_handler as worker
    from tests.support.events import proxy_event

    queue_url = os.environ["REVOCATION_QUEUE_URL"]
    pre_shared = os.environ.pop("BENCH_PRE_SHARED_TOKEN")
    sqs = boto3.client("sqs")  # the local queue, as the POST's SendMessageBatch reaches it

    def run_worker(event: dict[str, Any]) -> Any:
        return worker(event, FakeLambdaContext("RevocationWorkerFunction", memory_limit_in_mb=512, timeout_seconds=30))

    def one_message_event(token: str) -> dict[str, Any]:
        body = json.dumps(
            {"digest": token_digest(token), "token_type": "personal_access_token", "location": None},
            separators=(",", ":"),
        )
        message = {"MessageId": str(uuid.uuid4()), "ReceiptHandle": uuid.uuid4().hex, "Body": body}
        return sqs_event([message], queue_arn("bench"))

    # Both handlers' first calls build their clients and read the secret and the flags: paid here.
    types = proxy_event("GET", headers={"Authorization": pre_shared})
    types["path"] = types["resource"] = types["requestContext"]["resourcePath"] = "/v1/revocable_token_types"
    assert intake(types, FakeLambdaContext("IntakeFunction", 1024, 28))["statusCode"] == 200
    assert run_worker(one_message_event("glpat-notABenchToken0000")) == {"batchItemFailures": []}

    # Baseline: the worker alone, one token per invocation, no queue.
    started = time.perf_counter()
    for token in _tokens(singles, offset=findings):
        assert run_worker(one_message_event(token)) == {"batchItemFailures": []}
    single_seconds = time.perf_counter() - started

    body = [
        {"type": RULE, "token": token, "location": f"https://gitlab.example.com/acme/shop/-/blob/main/leak.txt#L{n}",
         "vulnerability": {"id": n, "report_type": "secret_detection", "severity": "critical"}}
        for n, token in enumerate(_tokens(findings))
    ]  # fmt: skip
    post = proxy_event("POST", body=body, headers={"Authorization": pre_shared})
    post["path"] = post["resource"] = post["requestContext"]["resourcePath"] = "/v1/revoke_tokens"
    started = time.perf_counter()
    answer = intake(post, FakeLambdaContext("IntakeFunction", 1024, 28))
    post_seconds = time.perf_counter() - started
    assert answer["statusCode"] == 204, answer

    started = time.perf_counter()
    received = batches = 0
    while True:
        got = poll_once(sqs, queue_url, run_worker, batch_size=10)
        if not got:
            break
        received, batches = received + got, batches + 1
    drain_seconds = time.perf_counter() - started

    # Everything revoked once, nothing left behind (a failed message would stay in flight).
    for url in (queue_url, os.environ["BENCH_DEAD_LETTER_QUEUE_URL"]):
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        left = int(counts["ApproximateNumberOfMessages"]) + int(counts["ApproximateNumberOfMessagesNotVisible"])
        assert left == 0, f"{left} messages left in {url}"
    dynamodb = boto3.resource("dynamodb")
    tokens_table = os.environ["TOKENS_TABLE_NAME"]
    digests = [token_digest(token) for token in _tokens(findings)]
    revoked = 0
    for start in range(0, len(digests), 100):
        keys = [{"digest": digest} for digest in digests[start : start + 100]]
        request: dict[str, Any] = {tokens_table: {"Keys": keys, "ConsistentRead": True}}
        while request:
            page = dynamodb.batch_get_item(RequestItems=request)
            revoked += sum(1 for item in page["Responses"][tokens_table] if item.get("revoked") is True)
            request = page.get("UnprocessedKeys") or {}
    audit_table = dynamodb.Table(os.environ["AUDIT_TABLE_NAME"])
    per_token: Counter[int] = Counter()
    scan: dict[str, Any] = {"ConsistentRead": True, "ProjectionExpression": "entity_id, token_type"}
    while True:
        page = audit_table.scan(**scan)
        per_token.update(int(item["entity_id"]) for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    flood = {FIRST_ID + number for number in range(findings)}
    audited_once = sum(1 for entity_id in flood if per_token[entity_id] == 1)
    audited_more = sum(1 for entity_id in flood if per_token[entity_id] > 1)
    print(
        json.dumps(
            {
                "post": post_seconds,
                "drain": drain_seconds,
                "single": single_seconds,
                "received": received,
                "batches": batches,
                "revoked": revoked,
                "audited_once": audited_once,
                "audited_more": audited_more,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs, each on fresh tables and queues (default: 1)")
    parser.add_argument("--findings", type=int, default=10_000, help="findings in the one POST (default: 10000)")
    parser.add_argument("--singles", type=int, default=300, help="tokens of the one-per-invocation baseline")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.findings, args.singles)
        return

    from bench_backends import fresh_tables, local_backends, revocation_environment, run_child, spread

    from admin_token_local.seed import parse_seed
    from admin_token_local.template import load_template

    template = load_template(ROOT / "template.yaml")
    seed = parse_seed(_seed(args.findings + args.singles))
    figures: list[dict[str, Any]] = []
    with local_backends("IntakeFunction") as backends:
        for run in range(args.runs):
            fresh_tables(backends, template, seed)
            environment = revocation_environment(backends, template, f"bench-{run}-")  # fresh, empty queues
            arguments = ["--child", "--findings", str(args.findings), "--singles", str(args.singles)]
            figures.append(run_child(__file__, arguments, environment, f"run {run + 1}"))

    n = args.findings
    drains = [f["drain"] for f in figures]
    per_drained = [f["drain"] / n * 1000 for f in figures]
    per_single = [f["single"] / args.singles * 1000 for f in figures]
    ratios = [drained / single for drained, single in zip(per_drained, per_single, strict=True)]
    print(f"drain of one POST of {n} findings by the local worker, {args.runs} run(s), fresh tables, queue, process")
    print(f"  POST /v1/revoke_tokens (queue {n}):  {spread([f['post'] for f in figures], 's', 2)}")
    print(f"  drain (poller + worker, batches of 10): {spread(drains, 's', 1)}")
    print(f"  rate:                                 {spread([n / d for d in drains], 'tokens/s', 0)}")
    print(f"  per token drained:                    {spread(per_drained, 'ms', 2)}")
    print(f"  per token, worker alone ({args.singles} x 1):    {spread(per_single, 'ms', 2)}")
    print(f"  ratio drained/alone:                  {spread(ratios, '', 2).strip()}")
    for number, f in enumerate(figures, 1):
        ok = f["revoked"] == n and f["audited_once"] == n and f["audited_more"] == 0 and f["received"] == n
        print(
            f"  run {number}: {f['received']} messages in {f['batches']} batches; {f['revoked']}/{n} revoked, "
            f"{f['audited_once']} with one audit record, {f['audited_more']} with more; queues empty: "
            + ("OK" if ok else "FAILED")
        )
        if not ok:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
