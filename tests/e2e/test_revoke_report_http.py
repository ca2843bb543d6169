"""`admin-token-api revoke-report` on the example reports, against `serve`, as an operator runs it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import SCRIPT, ServeProcess, plaintexts_in
from tests.support import demo
from tests.support.plaintexts import seed_plaintexts

pytestmark = pytest.mark.e2e
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REPORTS = [str(EXAMPLES / name) for name in ("gitleaks.json", "gl-secret-detection-report.json", "trufflehog.jsonl")]
TOKEN = "/api/v4/admin/token"


def revoke_report(seeded_serving: ServeProcess, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "revoke-report", *arguments, "--url", seeded_serving.server.url],
        env={**os.environ, "GITLAB_TOKEN": demo.ADMIN},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def lookup(seeded_serving: ServeProcess, token: str) -> int:
    return seeded_serving.server.request("POST", TOKEN, body={"token": token}, headers={"PRIVATE-TOKEN": demo.ADMIN})[0]


def outcomes(output: Path) -> dict[str, str]:
    return {f"{r['file']}:{r['line']}": r["outcome"] for r in json.loads(output.read_text(encoding="utf-8"))}


def test_dry_run_then_revoke_then_already_revoked(seeded_serving: ServeProcess, tmp_path: Path) -> None:
    printed: list[str] = []

    # A dry run changes nothing, and says the CI/CD job token would be refused (exit 1)
    dry = revoke_report(seeded_serving, *REPORTS, "--dry-run", "--output", str(tmp_path / "dry.json"))
    printed += [dry.stdout, dry.stderr, (tmp_path / "dry.json").read_text(encoding="utf-8")]
    assert dry.returncode == 1, dry.stderr
    assert outcomes(tmp_path / "dry.json")["ci/runner/config.toml:3"] == "deleted"
    assert lookup(seeded_serving, demo.PROJECT_RUNNER) == 200

    # The real run revokes what it found
    real = revoke_report(seeded_serving, *REPORTS, "--output", str(tmp_path / "real.json"))
    printed += [real.stdout, real.stderr, (tmp_path / "real.json").read_text(encoding="utf-8")]
    assert real.returncode == 1
    assert outcomes(tmp_path / "real.json") == {
        "deploy/config.yml:12": "revoked", "ci/runner/config.toml:3": "deleted", ".env:7": "skipped",
        "notes/rss.md:4": "reset", "scripts/release.sh:21": "revoked", "ci/debug.log:88": "refused",
        "infra/terraform.tfvars:2": "skipped", "k8s/agent.yaml:9": "revoked", "docs/old.md:14": "skipped",
    }  # fmt: skip
    assert lookup(seeded_serving, demo.PROJECT_RUNNER) == 404
    assert lookup(seeded_serving, demo.ALICE_FEED) == 404

    # A second run finds them already revoked; without the job token's report it exits 0
    again = revoke_report(seeded_serving, REPORTS[0], REPORTS[2], "--output", str(tmp_path / "again.json"))
    printed += [again.stdout, again.stderr, (tmp_path / "again.json").read_text(encoding="utf-8")]
    assert again.returncode == 0, again.stdout
    assert set(outcomes(tmp_path / "again.json").values()) == {"already_revoked", "skipped"}

    # And nothing it printed or wrote holds a token or a digest
    secrets = [*seed_plaintexts(), "ghp_exampleNotARealToken0000000000000000", "AKIAIOSFODNN7EXAMPLE"]
    assert plaintexts_in(printed, secrets) == []
