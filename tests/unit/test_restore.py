"""admin_token/restore.py: what a restored (or forked) execution environment makes its own again.

The end-to-end proof, copies of one initialised environment revoking at once, is
tests/integration/storage/test_restore_uniqueness.py; these pin each part.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from admin_token import audit_ids, restore
from tests.conftest import REPO_ROOT

T = datetime(2026, 12, 7, 10, 0, 0, tzinfo=UTC)


def test_a_copy_mints_from_its_own_clock_not_from_the_originals_last_id() -> None:
    restore.new_environment()  # whatever other tests minted in this process is forgotten
    last = audit_ids.next_audit_id(T)
    # Without a reset, an earlier clock reading counts on from the last id (ids only increase).
    assert audit_ids.moment_of(audit_ids.next_audit_id(T - timedelta(milliseconds=1))) == T
    restore.new_environment()
    fresh = audit_ids.next_audit_id(T - timedelta(milliseconds=1))
    assert audit_ids.moment_of(fresh) == T - timedelta(milliseconds=1)
    assert fresh < last
    restore.new_environment()  # and so is this test's clock


def test_a_copy_closes_the_pooled_connections_of_the_client_it_keeps() -> None:
    class Client:
        closed = 0

        def close(self) -> None:
            self.closed += 1

    built: list[Client] = []

    def build() -> Client:
        built.append(Client())
        return built[-1]

    # The layer's DynamoDB and SQS clients are made this way; a stand-in client here, as a real
    # one would outlive this test.
    client = restore.kept_client(build)
    restore.new_environment()
    assert built == []  # a copy builds no client it was not using
    first = client()
    restore.new_environment()
    assert first.closed == 1
    assert client() is first  # kept: building it is what a snapshot saves
    assert len(built) == 1


def _initialised(initialization_type: str) -> dict[str, Any]:
    probe = (
        "import json, socket, gc; import functions.revoke.app, functions.intake.app; "
        "from admin_token.storage import dynamodb; from admin_token import revocation_queue, config; "
        "print(json.dumps({'dynamodb': dynamodb._client.cache_info().currsize, "
        "'sqs': revocation_queue._client.cache_info().currsize, 'appconfig': config._source.cache_info().currsize, "
        "'sockets': sum(isinstance(o, socket.socket) for o in gc.get_objects())}))"
    )
    environment = {
        **os.environ,
        "AWS_LAMBDA_INITIALIZATION_TYPE": initialization_type,
        "REVOCATION_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "layers" / "admin_token"), str(REPO_ROOT)]),
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], env=environment, cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    found: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return found


def test_an_environment_initialised_for_a_snapshot_builds_its_clients_and_opens_no_connection() -> None:
    assert _initialised("snap-start") == {"dynamodb": 1, "sqs": 1, "appconfig": 1, "sockets": 0}


def test_an_on_demand_cold_start_builds_nothing_at_import() -> None:
    assert _initialised("on-demand") == {"dynamodb": 0, "sqs": 0, "appconfig": 0, "sockets": 0}


def test_the_runtime_is_asked_to_call_the_hook_only_where_it_exists() -> None:
    assert "snapshot_restore_py" not in sys.modules
    assert restore.register_with_runtime() is False
