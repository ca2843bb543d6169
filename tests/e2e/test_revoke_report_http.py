"""`admin-token-api revoke-report` on the example reports, against `serve`, as an operator runs it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from admin_token_local.template import feature_flags_document, load_template
from tests.e2e.conftest import REPO_ROOT, SCRIPT, ServeProcess, plaintexts_in, start_serve
from tests.support import demo
from tests.support.plaintexts import seed_plaintexts

pytestmark = pytest.mark.e2e
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GITLEAKS, GITLAB, TRUFFLEHOG = (
    str(EXAMPLES / name) for name in ("gitleaks.json", "gl-secret-detection-report.json", "trufflehog.jsonl")
)
TOKEN = "/api/v4/admin/token"
# The examples' other secrets: a GitHub token, an AWS key id, and the AWS secret trufflehog puts in RawV2.
OTHER_SECRETS = ["ghp_exampleNotARealToken0000000000000000", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG"]
# file:line -> outcome of a first revoke of the demo data (a place two scanners found is one key)
FIRST = {
    "deploy/config.yml:12": "revoked", "ci/runner/config.toml:3": "deleted", ".gitlab-ci.yml:31": "expired",
    ".env:7": "skipped", ".env:8": "skipped", "notes/rss.md:4": "reset", "scripts/release.sh:21": "revoked",
    "ci/debug.log:88": "refused", "docs/support-ticket.md:17": "deleted", "infra/terraform.tfvars:2": "skipped",
    "k8s/agent.yaml:9": "revoked", "docs/old.md:14": "skipped",
}  # fmt: skip
README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
REVOCABLE = [demo.ALICE_PAT, demo.PROJECT_RUNNER, demo.TRIGGER, demo.ALICE_FEED, demo.ALICE_SESSION, demo.AGENT]


class Runs:
    """Each run of the command, and everything it printed or wrote."""

    def __init__(self, serving: ServeProcess, directory: Path) -> None:
        self.serving = serving
        self.directory = directory
        self.printed: list[str] = []

    def __call__(self, *reports: str, dry_run: bool = False) -> tuple[int, dict[str, str], str]:
        output = self.directory / f"run{len(self.printed)}.json"
        result = subprocess.run(
            [str(SCRIPT), "revoke-report", *reports, "--url", self.serving.server.url, "--output", str(output)]
            + (["--dry-run"] if dry_run else []),
            env={**os.environ, "GITLAB_TOKEN": demo.ADMIN, "COLUMNS": "80"},  # as piped with no COLUMNS
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        written = output.read_text(encoding="utf-8") if output.exists() else ""
        self.printed += [result.stdout, result.stderr, written]
        assert result.stderr == "", result.stderr  # piped: no progress bar, and no error
        outcomes = {f"{r['file']}:{r['line']}": r["outcome"] for r in json.loads(written)}
        return result.returncode, outcomes, result.stdout


def readme_dry_run() -> list[str]:
    """What the README's section "Revoking what a scanner found" shows its dry run printing."""
    section = README.split("## Revoking what a scanner found", 1)[1]
    block = section.split("--dry-run\n", 1)[1].split("echo $?", 1)[0]
    return [line.removeprefix("# ").removeprefix("#") for line in block.splitlines()]


def lookup(serving: ServeProcess, token: str) -> tuple[int, Any]:
    status, _, body = serving.server.request(
        "POST", TOKEN, body={"token": token}, headers={"PRIVATE-TOKEN": demo.ADMIN}
    )
    return status, body


def test_dry_run_then_revoke_then_already_revoked(seeded_serving: ServeProcess, tmp_path: Path) -> None:
    run = Runs(seeded_serving, tmp_path)

    # A dry run says what would happen (the CI/CD job token would be refused: exit 1)...
    status, outcomes, out = run(GITLEAKS, GITLAB, TRUFFLEHOG, dry_run=True)
    assert (status, outcomes) == (1, FIRST)
    assert [line.rstrip() for line in out.splitlines()] == readme_dry_run()
    # ...and changes nothing
    assert [lookup(seeded_serving, token)[0] for token in REVOCABLE] == [200] * len(REVOCABLE)
    assert lookup(seeded_serving, demo.ALICE_PAT)[1]["revoked"] is False

    # The real run does it
    status, outcomes, out = run(GITLEAKS, GITLAB, TRUFFLEHOG)
    assert (status, outcomes) == (1, FIRST)
    assert "Dry run" not in out
    assert lookup(seeded_serving, demo.ALICE_PAT)[1]["revoked"] is True
    assert lookup(seeded_serving, demo.AGENT)[1]["status"] == "revoked"
    assert lookup(seeded_serving, demo.TRIGGER)[1]["expires_at"] is not None
    for gone in (demo.PROJECT_RUNNER, demo.ALICE_FEED, demo.ALICE_SESSION):
        assert lookup(seeded_serving, gone)[0] == 404

    # A second run finds every revocable token already revoked; the job token is still refused
    status, outcomes, _ = run(GITLEAKS, GITLAB, TRUFFLEHOG)
    assert status == 1
    assert outcomes == {
        place: "already_revoked" if outcome not in ("skipped", "refused") else outcome
        for place, outcome in FIRST.items()
    }

    # Without the report that holds the job token, nothing is left to do: exit 0
    status, outcomes, _ = run(GITLEAKS, TRUFFLEHOG)
    assert status == 0
    assert set(outcomes.values()) == {"already_revoked", "skipped"}

    # And nothing it printed or wrote holds a token or a digest
    assert plaintexts_in(run.printed, [*seed_plaintexts(), *OTHER_SECRETS]) == []


def test_a_wrong_administrator_token_or_url_is_one_line(seeded_serving: ServeProcess) -> None:
    def revoke_report(url: str, credential: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), "revoke-report", GITLEAKS, "--url", url],
            env={**os.environ, "GITLAB_TOKEN": credential},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    url = seeded_serving.server.url
    read_only = revoke_report(url, demo.ADMIN_READ_API)  # an administrator's, without the api scope
    assert (read_only.returncode, read_only.stdout) == (1, "")
    assert read_only.stderr.startswith("admin-token-api: error: GITLAB_TOKEN may not revoke tokens (HTTP 403)")
    revoked = revoke_report(url, demo.ADMIN_REVOKED)
    assert revoked.stderr.startswith("admin-token-api: error: the service did not accept GITLAB_TOKEN (HTTP 401)")
    wrong_path = revoke_report(url + "/stage", demo.ADMIN)
    assert wrong_path.stderr == (
        f"admin-token-api: error: {url}/stage has no bulk revoke endpoint (HTTP 403): "
        "is --url the service's base URL?\n"
    )
    assert plaintexts_in([p.stdout + p.stderr for p in (read_only, revoked, wrong_path)], seed_plaintexts()) == []


def test_with_the_revoke_flag_off_it_says_so_and_changes_nothing(tmp_path: Path) -> None:
    document = feature_flags_document(load_template(REPO_ROOT / "template.yaml"))
    document["api_admin_token_revoke"] = {"default": False}
    flags = tmp_path / "flags.json"
    flags.write_text(json.dumps(document), encoding="utf-8")
    serving = start_serve("--feature-flags", str(flags))
    try:
        result = subprocess.run(
            [str(SCRIPT), "revoke-report", GITLEAKS, "--url", serving.server.url],
            env={**os.environ, "GITLAB_TOKEN": demo.ADMIN},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr == (
            "admin-token-api: error: bulk revoke is turned off for this administrator "
            "(HTTP 404: feature flag api_admin_token_revoke)\n"
        )
        assert lookup(serving, demo.ALICE_PAT)[1]["revoked"] is False
    finally:
        serving.stop()


def test_the_audit_command_reads_back_the_events_revoke_report_names(
    seeded_serving: ServeProcess, tmp_path: Path
) -> None:
    report = tmp_path / "gitleaks.json"
    found = [{"Secret": demo.GROUP_RUNNER, "File": "ci/group.toml", "StartLine": 1},
             {"Secret": demo.FLAGS_CLIENT, "File": "flags.env", "StartLine": 2}]  # fmt: skip
    report.write_text(json.dumps(found), encoding="utf-8")
    output = tmp_path / "out.json"
    environment = {**os.environ, "GITLAB_TOKEN": demo.ADMIN}
    url = seeded_serving.server.url

    def command(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(SCRIPT), *arguments], env=environment, capture_output=True, text=True,
                              timeout=120, check=False)  # fmt: skip

    revoked = command("revoke-report", str(report), "--url", url, "--output", str(output))
    assert revoked.returncode == 0, revoked.stderr
    results = json.loads(output.read_text(encoding="utf-8"))
    runner_event = results[0]["audit_event_id"]
    assert isinstance(runner_event, int)
    assert f"audit event {runner_event}" in revoked.stdout

    # --json: the API's events, filtered by type and author, every page followed
    listed = command("audit", "--url", url, "--since", "1h", "--type", "runner_authentication_token",
                     "--author", "1", "--json")  # fmt: skip
    assert (listed.returncode, listed.stderr) == (0, "")
    events = json.loads(listed.stdout)
    assert runner_event in [event["id"] for event in events]
    assert {event["details"]["token_type"] for event in events} == {"runner_authentication_token"}
    # The table names the same event
    table = command("audit", "--url", url, "--since", "1h")
    assert table.returncode == 0
    row = next(line for line in table.stdout.splitlines() if str(runner_event) in line)
    assert "runner_authentication_token" in row
    assert "deleted" in row
    # Nothing from the future, and a bad --since is a usage error
    later = command("audit", "--url", url, "--since", "2999-01-01", "--json")
    assert (later.returncode, json.loads(later.stdout)) == (0, [])
    bad = command("audit", "--url", url, "--since", "yesterday")
    assert (bad.returncode, bad.stderr) == (
        2,
        "admin-token-api: error: --since must be a time ago (30m, 12h, 7d) or an ISO 8601 time or date\n",
    )
    printed = [revoked.stdout, revoked.stderr, listed.stdout, table.stdout, output.read_text(encoding="utf-8")]
    assert plaintexts_in(printed, seed_plaintexts()) == []
