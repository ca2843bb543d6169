"""The embedded DynamoDB in a process of its own, for tests that load it heavily.

In the test process, moto would share one interpreter lock with the test's own client threads;
in its own process it gets a core of its own, as a real DynamoDB would be elsewhere.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_SERVE = (
    "import sys\n"
    "from admin_token_local.moto_server import EmbeddedMotoServer\n"
    "database = EmbeddedMotoServer()\n"
    "print(database.start(), flush=True)\n"
    "sys.stdin.read()  # serves until the test closes this pipe\n"
    "database.stop()\n"
)


@contextmanager
def dynamodb_in_its_own_process() -> Iterator[str]:
    """Start it; yield its endpoint URL; stop it."""
    process = subprocess.Popen([sys.executable, "-c", _SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        endpoint = process.stdout.readline().strip()
        if not endpoint.startswith("http://"):
            raise RuntimeError("the DynamoDB process did not start")
        yield endpoint
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
