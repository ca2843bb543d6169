"""Which data `serve` loads: a seed's timestamps as written, and never the demo data over a user's DynamoDB."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from admin_token_local.moto_server import EmbeddedMotoServer
from tests.local.serving import COMMAND, REPO_ROOT, serving
from tests.support.demo import ADMIN, SHARED_RUNNER

# -- timestamps without a UTC offset are UTC ------------------------------------------------------

NAIVE_ADMIN = "glpat-naiveAdminTk1Ab2Cd3"
NAIVE_RUNNER = "glrt-t1_naiveRunnerTk5Ef6Gh"
NAIVE_TRIGGER = "glptt-naiveTriggerTk7Ij8Kl"
NAIVE_SEED = {
    "users": [
        {"id": 1, "username": "root", "name": "Administrator", "admin": True, "created_at": "2024-01-01T00:00:00"}
    ],
    "personal_access_tokens": [
        {
            "id": 1,
            "user_id": 1,
            "name": "admin",
            "token": NAIVE_ADMIN,
            "scopes": ["api", "admin_mode"],
            "expires_at": "2099-01-01",
            "created_at": "2024-01-01",
        },
    ],
    "runners": [
        {
            "id": 7,
            "token": NAIVE_RUNNER,
            "runner_type": "instance_type",
            "contacted_at": "2026-11-28T12:00:00",
            "created_at": "2024-01-01",
        },
    ],
    "pipeline_triggers": [
        {
            "id": 3,
            "project_id": 10,
            "owner_id": 1,
            "token": NAIVE_TRIGGER,
            "created_at": "2024-01-01T00:00:00",
            "expires_at": "2030-01-01",
            "last_used": "2025-06-01T08:30:00",
        },
    ],
}


def test_timestamps_without_an_offset_are_read_as_utc(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(NAIVE_SEED))
    auth = {"PRIVATE-TOKEN": NAIVE_ADMIN}
    with serving(tmp_path / "serve", "--seed", str(seed)) as served:
        runner_status, runner = served.request("POST", body={"token": NAIVE_RUNNER}, headers=auth)
        trigger_status, trigger = served.request("POST", body={"token": NAIVE_TRIGGER}, headers=auth)
        revokes = [
            served.request("DELETE", body={"token": token}, headers=auth)[0] for token in (NAIVE_TRIGGER, NAIVE_RUNNER)
        ]
        after = served.request("POST", body={"token": NAIVE_TRIGGER}, headers=auth)
        assert served.stop() == 0
    assert (runner_status, trigger_status, revokes) == (200, 200, [204, 204])
    assert runner["id"] == 7
    assert runner["created_at"] == "2024-01-01T00:00:00.000Z"
    assert trigger["expires_at"] == "2030-01-01T00:00:00.000Z"
    assert trigger["last_used"] == "2025-06-01T08:30:00.000Z"
    # Revoking a trigger expires it now: its expiry is no longer the seeded one.
    assert after[0] == 200
    assert after[1]["expires_at"] != "2030-01-01T00:00:00.000Z"


def test_seeded_timestamps_are_stored_with_their_offset(dynamodb: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    endpoint, names = dynamodb
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(NAIVE_SEED))
    assert _seed_command(seed, endpoint, names).returncode == 0
    client: Any = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    stored = {
        name: item[name]["S"]
        for table in names.values()
        for item in client.scan(TableName=table)["Items"]
        for name in ("created_at", "contacted_at", "expires_at", "last_used")
        if name in item and "S" in item[name] and "T" in item[name]["S"]
    }
    assert stored["contacted_at"] == "2026-11-28T12:00:00Z"
    assert stored["expires_at"] == "2030-01-01T00:00:00Z"
    assert stored["last_used"] == "2025-06-01T08:30:00Z"
    assert all(value.endswith(("Z", "+00:00")) for value in stored.values()), stored


# -- --dynamodb-endpoint: the tables there are the user's data ------------------------------------


@pytest.fixture
def dynamodb() -> Iterator[tuple[str, dict[str, str]]]:
    """A DynamoDB outside `serve`, and table names of this test's own."""
    server = EmbeddedMotoServer()
    endpoint = server.start()
    suffix = uuid.uuid4().hex[:8]
    names = {
        variable: f"data-{variable.split('_')[0].lower()}-{suffix}"
        for variable in ("TOKENS_TABLE_NAME", "USERS_TABLE_NAME", "RUNNERS_TABLE_NAME", "AUDIT_TABLE_NAME")
    }
    try:
        yield endpoint, names
    finally:
        server.stop()


def test_serve_keeps_the_data_of_a_dynamodb_endpoint_across_restarts(
    dynamodb: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    endpoint, names = dynamodb
    seeded = _seed_command(REPO_ROOT / "demo" / "seed.json", endpoint, names)
    assert seeded.returncode == 0, seeded.stderr
    auth = {"PRIVATE-TOKEN": ADMIN}
    with serving(tmp_path / "first", "--dynamodb-endpoint", endpoint, env=names) as served:
        revoked = served.request("DELETE", body={"token": SHARED_RUNNER}, headers=auth)[0]
        assert served.stop() == 0
        first_output = served.stdout.read_text()
    with serving(tmp_path / "second", "--dynamodb-endpoint", endpoint, env=names) as served:
        after_restart = served.request("POST", body={"token": SHARED_RUNNER}, headers=auth)[0]
        assert served.stop() == 0
    assert (revoked, after_restart) == (204, 404)  # the revoked runner stays unregistered
    banner = "demo administrator token" in first_output or "curl" in first_output
    assert not banner, "serve printed the demo banner for the user's DynamoDB"


def test_serve_creates_missing_tables_at_an_endpoint_and_loads_only_a_given_seed(
    dynamodb: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    endpoint, names = dynamodb
    auth = {"PRIVATE-TOKEN": NAIVE_ADMIN}
    with serving(tmp_path / "empty", "--dynamodb-endpoint", endpoint, env=names) as served:
        empty = served.request("POST", body={"token": NAIVE_RUNNER}, headers=auth)[0]
        demo = served.request("POST", body={"token": SHARED_RUNNER}, headers={"PRIVATE-TOKEN": ADMIN})[0]
        assert served.stop() == 0
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(NAIVE_SEED))
    with serving(tmp_path / "seeded", "--dynamodb-endpoint", endpoint, "--seed", str(seed), env=names) as served:
        seeded = served.request("POST", body={"token": NAIVE_RUNNER}, headers=auth)[0]
        assert served.stop() == 0
    assert (empty, demo, seeded) == (401, 401, 200)  # empty tables, no demo data, then the seed


def _seed_command(seed: Path, endpoint: str, names: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COMMAND), "seed", str(seed), "--dynamodb-endpoint", endpoint],
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_MAX_ATTEMPTS": "1", **names},
        timeout=120,
        check=False,
    )
