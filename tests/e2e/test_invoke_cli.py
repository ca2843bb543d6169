"""`admin-token-api invoke FUNCTION --event FILE`: the Docker-free `sam local invoke` (local-run.md).

Each case runs the installed console script in a fresh process, on a file from events/, against
the embedded backends and the demo seed, and checks the proxy response it prints on standard
output. The expected answers are the ones of tests/integration/sample_events/test_replay.py.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from admin_token_local.template import feature_flags_document
from tests.conftest import REPO_ROOT, TEMPLATE
from tests.integration.sample_events.test_replay import EXPECTED, PRE_SHARED_TOKEN, WORKER_EXPECTED

pytestmark = pytest.mark.e2e

SCRIPT = Path(sys.executable).with_name("admin-token-api")
REPRESENTATIVE = ["lookup-runner-token.json", "revoke-not-found.json", "lookup-no-credential.json"]


def invoke(
    function: str, event_file: str, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "invoke", function, "--event", f"events/{event_file}", *extra],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=None if env is None else {**os.environ, **env},
    )


def response_in(stdout: str) -> dict[str, Any]:
    """The proxy response: the last line of standard output that is a JSON object with a statusCode."""
    for line in reversed(stdout.splitlines()):
        try:
            candidate = json.loads(line)
        except ValueError:
            continue
        if isinstance(candidate, dict) and "statusCode" in candidate:
            return candidate
    raise AssertionError(f"no proxy response on standard output:\n{stdout}")


def assert_answers(result: subprocess.CompletedProcess[str], status: int, body: Any) -> None:
    assert result.returncode == 0, result.stderr
    response = response_in(result.stdout)
    assert response["statusCode"] == status
    assert (json.loads(response["body"]) if response.get("body") else None) == body
    assert response["isBase64Encoded"] is False
    assert "Content-Type" in response.get("multiValueHeaders", {}) or status == 204


@pytest.fixture(scope="module", autouse=True)
def _script_installed() -> None:
    if not SCRIPT.exists():
        pytest.fail(f"console script not installed next to the interpreter: {SCRIPT}")


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_invoke_prints_the_proxy_response_and_only_that_on_standard_output(name: str) -> None:
    """Like `sam local invoke`: logs go to stderr, so stdout can be piped straight into `jq`."""
    expected = EXPECTED[name]

    result = invoke(expected.function, name)

    assert_answers(result, expected.status, expected.body)
    assert json.loads(result.stdout) == response_in(result.stdout), "stdout holds more than the response"


def test_invoke_with_a_feature_flags_file(tmp_path: Path) -> None:
    name = "revoke-flag-off.json"
    expected = EXPECTED[name]
    assert expected.flags is not None
    flags_file = tmp_path / "flags.json"
    flags_file.write_text(
        json.dumps({**copy.deepcopy(feature_flags_document(TEMPLATE)), **expected.flags}), encoding="utf-8"
    )

    result = invoke(expected.function, name, "--feature-flags", str(flags_file))

    assert_answers(result, expected.status, expected.body)


@pytest.mark.parametrize("name", ["revocable-token-types.json", "revoke-tokens.json"])
def test_invoke_the_token_revocation_api_with_the_pre_shared_token_the_events_send(name: str) -> None:
    expected = EXPECTED[name]

    result = invoke(expected.function, name, env={"ADMIN_TOKEN_API_REVOCATION_TOKEN": PRE_SHARED_TOKEN})

    assert_answers(result, expected.status, expected.body)
    assert PRE_SHARED_TOKEN not in result.stdout + result.stderr


def test_invoke_without_it_the_secret_is_fresh_and_the_events_token_is_refused() -> None:
    result = invoke("IntakeFunction", "revocable-token-types.json", env={"ADMIN_TOKEN_API_REVOCATION_TOKEN": ""})

    assert_answers(result, 401, {"message": "401 Unauthorized"})


def test_invoke_answers_the_signed_github_alert_with_the_key_document_it_verifies_against() -> None:
    expected = EXPECTED["github-secret-scanning-alert.json"]
    assert expected.github_keys is not None

    result = invoke(
        expected.function, "github-secret-scanning-alert.json", "--github-keys", f"events/{expected.github_keys}"
    )

    assert_answers(result, expected.status, expected.body)
    assert "gldt-projectDeployTk4Qz8" not in result.stdout + result.stderr


def test_invoke_without_the_key_document_the_github_alert_is_refused() -> None:
    # The key generated for the run is not the one that signed the event.
    result = invoke("IntakeFunction", "github-secret-scanning-alert.json")

    assert_answers(result, 401, {"message": "401 Unauthorized"})


@pytest.mark.parametrize("name", sorted(WORKER_EXPECTED))
def test_invoke_runs_the_worker_on_an_sqs_event_and_prints_its_partial_batch_response(name: str) -> None:
    result = invoke("RevocationWorkerFunction", name)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == WORKER_EXPECTED[name].response  # standard output is only the response
