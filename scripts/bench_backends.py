"""The local backends both benchmarks run against: moto's DynamoDB and the AppConfig stand-in.

The same ones `admin-token-api serve` uses, on loopback, in this (the parent) process; the
measured functions run in fresh child processes given `environment`.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Backends:
    environment: dict[str, str]  # what a child process needs to reach them, as a function would
    dynamodb_endpoint: str
    table_names: dict[str, str]


@contextlib.contextmanager
def local_backends(function_id: str) -> Iterator[Backends]:
    """Tables created from template.yaml (empty), the template's flags served; both stopped on exit."""
    from admin_token_local.appconfig_standin import AppConfigStandIn
    from admin_token_local.dynamodb_local import create_tables
    from admin_token_local.moto_server import EmbeddedMotoServer
    from admin_token_local.template import feature_flags_document, function_environment, load_template, table_names

    template = load_template(ROOT / "template.yaml")
    environment = {
        **os.environ,
        **function_environment(template, function_id, os.environ),
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    os.environ.update(environment)
    dynamodb = EmbeddedMotoServer()
    endpoint = dynamodb.start()
    names = table_names(template)
    create_tables(endpoint, template, names)
    appconfig = AppConfigStandIn(
        feature_flags_document(template),
        application=environment["APPCONFIG_APPLICATION"],
        environment=environment["APPCONFIG_ENVIRONMENT"],
        profile=environment["APPCONFIG_CONFIGURATION"],
    )
    environment["AWS_ENDPOINT_URL_APPCONFIGDATA"] = appconfig.start()
    environment["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    try:
        yield Backends(environment, endpoint, names)
    finally:
        appconfig.stop()
        dynamodb.stop()


def demo_seed_with_tokens(tokens: list[str], first_id: int, name: str) -> dict[str, Any]:
    """The demo seed plus one live personal access token of Alice's (user 2) per token, ids from first_id."""
    demo = json.loads((ROOT / "demo" / "seed.json").read_text(encoding="utf-8"))
    demo["personal_access_tokens"] = demo.get("personal_access_tokens", []) + [
        {
            "id": first_id + number,
            "user_id": 2,
            "name": f"{name}-{number}",
            "description": "",
            "token": token,
            "scopes": ["api"],
            "expires_at": None,
            "revoked": False,
            "impersonation": False,
            "created_at": "2026-01-01T00:00:00Z",
            "last_used_at": None,
        }
        for number, token in enumerate(tokens)
    ]
    return demo


def fresh_tables(backends: Backends, template: Any, seed: Any) -> None:
    """Drop and recreate the tables, then load `seed` (a parsed seed): every run starts alike."""
    from admin_token_local.dynamodb_local import reset_tables
    from admin_token_local.seed import write_seed

    reset_tables(backends.dynamodb_endpoint, template, backends.table_names)
    write_seed(seed, endpoint_url=backends.dynamodb_endpoint, table_names=backends.table_names)


def revocation_environment(backends: Backends, template: Any, queue_prefix: str) -> dict[str, str]:
    """The environment of a child running the intake or the worker: fresh, empty queues, the
    pre-shared token's secret, all in the embedded moto server (which hosts SQS and Secrets
    Manager too). The child reads BENCH_PRE_SHARED_TOKEN and drops it from its environment."""
    from admin_token_local.secrets_local import create_secrets
    from admin_token_local.sqs_local import create_queues

    endpoint = backends.dynamodb_endpoint
    pre_shared = create_secrets(endpoint, template)["RevocationTokenSecret"]
    queues = create_queues(endpoint, template, prefix=queue_prefix)
    return {
        **backends.environment,
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": endpoint,
        "AWS_ENDPOINT_URL_SQS": endpoint,
        "REVOCATION_QUEUE_URL": queues["RevocationQueue"],
        "BENCH_DEAD_LETTER_QUEUE_URL": queues["RevocationDeadLetterQueue"],
        "REVOCATION_TOKEN_SECRET_ARN": "RevocationTokenSecret",
        "BENCH_PRE_SHARED_TOKEN": pre_shared,
    }


def run_child(script: str, arguments: list[str], environment: dict[str, str], what: str) -> dict[str, Any]:
    """Run `script` with our interpreter in a fresh process; the JSON object its last line prints."""
    output = subprocess.run(  # noqa: S603 - our own script, with our own interpreter
        [sys.executable, script, *arguments], env=environment, capture_output=True, text=True, check=False
    )
    if output.returncode != 0:
        raise SystemExit(f"{what} failed:\n{output.stdout[-3000:]}\n{output.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return figures


def spread(values: list[float], unit: str = "s", digits: int = 2) -> str:
    """A median with its min-max, as every benchmark here reports a time."""
    if len(values) == 1:
        return f"{values[0]:.{digits}f} {unit}"
    return f"{statistics.median(values):.{digits}f} {unit} ({min(values):.{digits}f}-{max(values):.{digits}f})"
