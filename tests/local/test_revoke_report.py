"""`admin-token-api revoke-report` against a stand-in for the bulk endpoint that records what it gets."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from admin_token_local.cli import main
from admin_token_local.scanner_reports import read_report

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ADMIN = "glpat-adminForTheStandIn000"


class BulkStandIn:
    """Answers POST /api/v4/admin/tokens/revoke with `outcome` for every token, or a scripted status."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.credentials: list[str | None] = []
        self.statuses: list[int] = []  # answered first, one per request, before any 200
        self.outcome = "revoked"
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stand_in.requests.append(body)
                stand_in.credentials.append(self.headers.get("PRIVATE-TOKEN"))
                if self.path != "/api/v4/admin/tokens/revoke":
                    self._answer(404, {"message": "404 Not Found"})
                elif stand_in.statuses:
                    self._answer(stand_in.statuses.pop(0), {"message": "Storage temporarily unavailable"})
                else:
                    results = [{"index": i, "outcome": stand_in.outcome} for i, _ in enumerate(body["tokens"])]
                    self._answer(200, {"dry_run": body["dry_run"], "summary": {}, "results": results})

            def _answer(self, status: int, document: dict[str, Any]) -> None:
                payload = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def sent(self) -> list[str]:
        return [token for request in self.requests for token in request["tokens"]]


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[BulkStandIn]:
    monkeypatch.setenv("GITLAB_TOKEN", ADMIN)
    monkeypatch.setattr("admin_token_local.report_revoker.time.sleep", lambda _: None)  # retries, at once
    server = BulkStandIn()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    status = main(["revoke-report", *arguments])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def gitleaks(path: Path, secrets: list[str]) -> Path:
    findings = [
        {"RuleID": "r", "Secret": s, "File": f"f{i % 7}.txt", "StartLine": i + 1} for i, s in enumerate(secrets)
    ]
    path.write_text(json.dumps(findings), encoding="utf-8")
    return path


def test_each_format_is_read_with_its_files_and_lines() -> None:
    assert [(f.file, f.line) for f in read_report(EXAMPLES / "gitleaks.json")] == [
        ("deploy/config.yml", 12), ("ci/runner/config.toml", 3), (".env", 7),
    ]  # fmt: skip
    assert [(f.file, f.line) for f in read_report(EXAMPLES / "gl-secret-detection-report.json")] == [
        ("notes/rss.md", 4), ("scripts/release.sh", 21), ("ci/debug.log", 88), ("infra/terraform.tfvars", 2),
    ]  # fmt: skip
    assert [(f.file, f.line) for f in read_report(EXAMPLES / "trufflehog.jsonl")] == [
        ("k8s/agent.yaml", 9), ("ci/runner/config.toml", 3), ("docs/old.md", 14),
    ]  # fmt: skip


def test_tokens_are_sent_once_each_in_batches_of_1000_and_unknown_prefixes_never(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given 2,500 distinct tokens, 100 of them found twice, and 10 secrets of no GitLab type
    tokens = [f"glpat-reportToken{number:05d}" for number in range(2500)]
    unknown = [f"ghp_notGitLab{number:05d}" for number in range(10)]
    report = gitleaks(tmp_path / "report.json", tokens + tokens[:100] + unknown)
    output = tmp_path / "out.json"

    status, out, err = run(capsys, str(report), "--url", stand_in.url + "/", "--output", str(output))

    assert status == 0, err
    assert [len(request["tokens"]) for request in stand_in.requests] == [1000, 1000, 500]
    assert stand_in.sent == tokens
    assert set(stand_in.credentials) == {ADMIN}
    assert all(request["dry_run"] is False for request in stand_in.requests)
    results = json.loads(output.read_text(encoding="utf-8"))
    assert len(results) == 2610
    assert [r["outcome"] for r in results].count("skipped") == 10
    assert results[0] == {"file": "f0.txt", "line": 1, "token_hint": "glpat-…0000", "outcome": "revoked"}
    # And no token, whatever happened, is in the output
    everything = out + err + output.read_text(encoding="utf-8")
    assert not [token for token in tokens + unknown if token in everything]


def test_a_dry_run_asks_for_one_and_says_so(stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, str(EXAMPLES / "gitleaks.json"), "--url", stand_in.url, "--dry-run")
    assert status == 0
    assert [request["dry_run"] for request in stand_in.requests] == [True]
    assert "dry run" in out


@pytest.mark.parametrize(("outcome", "status"), [("refused", 1), ("failed", 1), ("not_found", 0), ("reset", 0)])
def test_the_exit_status_says_whether_anything_is_left_to_do(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], outcome: str, status: int
) -> None:
    stand_in.outcome = outcome
    assert run(capsys, str(EXAMPLES / "trufflehog.jsonl"), "--url", stand_in.url)[0] == status


def test_a_busy_service_is_retried_and_a_refusing_one_is_one_line(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in.statuses = [503, 503]
    assert run(capsys, str(EXAMPLES / "gitleaks.json"), "--url", stand_in.url)[0] == 0
    assert len(stand_in.requests) == 3

    stand_in.statuses = [401]
    status, out, err = run(capsys, str(EXAMPLES / "gitleaks.json"), "--url", stand_in.url)
    assert (status, out) == (1, "")
    assert err.strip().splitlines() == ["admin-token-api: error: the service refused the request: HTTP 401"
                                        " (Storage temporarily unavailable)"]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"not": "a report"}', "is not a gitleaks, GitLab secret detection or trufflehog report"),
        ("not json at all", "is not a gitleaks, GitLab secret detection or trufflehog report"),
    ],
)
def test_an_unrecognised_report_is_a_usage_error(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    report = tmp_path / "report.json"
    report.write_text(content, encoding="utf-8")
    status, out, err = run(capsys, str(report), "--url", stand_in.url)
    assert (status, out, stand_in.requests) == (2, "", [])
    assert err == f"admin-token-api: error: {report} {message}\n"


def test_a_missing_report_or_token_is_a_usage_error(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    status, _, err = run(capsys, str(tmp_path / "nope.json"), "--url", stand_in.url)
    assert (status, err) == (
        2,
        f"admin-token-api: error: cannot read report {tmp_path / 'nope.json'}: no such file or directory\n",
    )
    monkeypatch.delenv("GITLAB_TOKEN")
    status, _, err = run(capsys, str(EXAMPLES / "gitleaks.json"), "--url", stand_in.url)
    assert (status, err) == (
        2,
        "admin-token-api: error: set GITLAB_TOKEN to the administrator's personal access token\n",
    )
    assert stand_in.requests == []
