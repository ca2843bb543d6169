"""`admin-token-api revoke-report` against a stand-in for the bulk endpoint that records what it gets.

The stand-in answers as the contract's bulk revoke does (a result per element, in order, with
`index`, `token_hint`, `outcome`, `status`; `duplicate` for a token met earlier in the request)
and enforces its limits (1,000 tokens, 256 KiB), so a batching mistake fails here.
"""

from __future__ import annotations

import json
import os
import pty
import select
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from admin_token.digests import token_digest
from admin_token_client.report_revoker import token_hint
from admin_token_local.cli import build_parser, main
from tests.support import demo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REPORTS = [str(EXAMPLES / name) for name in ("gitleaks.json", "gl-secret-detection-report.json", "trufflehog.jsonl")]
COMMAND = Path(sys.executable).with_name("admin-token-api")
ADMIN = "glpat-adminForTheStandIn000"
GHP = "ghp_exampleNotARealToken0000000000000000"
AWS = "AKIAIOSFODNN7EXAMPLE"
# What the service would do with each demo token of the examples.
DEMO_OUTCOMES = {
    demo.ALICE_PAT: "revoked", demo.PROJECT_RUNNER: "deleted", demo.TRIGGER: "expired", demo.ALICE_FEED: "reset",
    demo.RUNNING_JOB: "refused", demo.ALICE_SESSION: "deleted", demo.AGENT: "revoked",
}  # fmt: skip
# Every secret the examples hold, plus the stand-in's administrator token: none may be printed.
SECRETS = [*DEMO_OUTCOMES, GHP, AWS, ADMIN]
MAX_BODY = 256 * 1024
CUT_SHORT = b'{"results": ['
LOOKS_LIKE_A_TOKEN = "a REPORT argument looks like a token (not shown), not a file"


class BulkStandIn:
    """POST /api/v4/admin/tokens/revoke as the contract answers it; scripted statuses come first."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.statuses: list[tuple[int, Any] | None] = []  # answered first, one per request; None: as usual
        self.outcomes: dict[str, str] = {}  # token -> outcome; "revoked" otherwise
        self.failures: dict[str, int] = {}  # token -> how many more times it is answered `failed`
        self.answer: Callable[[list[Any]], Any] | None = None  # replaces the whole 200 answer
        self.location: str | None = None  # a Location header on every answer
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                stand_in.paths.append(self.path)
                stand_in.headers.append({name.lower(): value for name, value in self.headers.items()})
                if len(raw) > MAX_BODY:
                    stand_in.requests.append({"tokens": [], "too_large": True})
                    self._answer(413, {"message": "413 Request Entity Too Large"})
                    return
                body = json.loads(raw)
                stand_in.requests.append(body)
                scripted = stand_in.statuses.pop(0) if stand_in.statuses else None
                if scripted is not None:
                    self._answer(*scripted)
                elif self.path != "/api/v4/admin/tokens/revoke":
                    self._answer(403, {"message": "Missing Authentication Token"})
                elif not 1 <= len(body["tokens"]) <= 1000:
                    self._answer(400, {"error": "tokens must be a list of 1 to 1000 tokens"})
                elif stand_in.answer is not None:
                    self._answer(200, stand_in.answer(body["tokens"]))
                else:
                    self._answer(200, stand_in.results(body))

            def _answer(self, status: int, document: Any) -> None:
                payload = document if isinstance(document, bytes) else json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                # CUT_SHORT: the connection drops halfway through the body.
                self.send_header("Content-Length", str(len(payload) * (2 if payload == CUT_SHORT else 1)))
                if stand_in.location:
                    self.send_header("Location", stand_in.location)
                self.end_headers()
                self.wfile.write(payload)
                self.close_connection = payload == CUT_SHORT

            def log_message(self, *args: Any) -> None:
                pass

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                # A client that gives up on an error status may close before the body is written:
                # the broken pipe is the stand-in's, and must not land in the stderr the tests read.
                stand_in.server_errors.append(sys.exc_info()[1])

        self.server_errors: list[BaseException | None] = []
        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def results(self, body: dict[str, Any]) -> dict[str, Any]:
        first: dict[str, int] = {}
        results = []
        for index, token in enumerate(body["tokens"]):
            result: dict[str, Any] = {"index": index, "token_hint": token_hint(token, None), "token_type": None}
            if token in first:
                result.update(outcome="duplicate", duplicate_of=first[token])
            elif self.failures.get(token):
                self.failures[token] -= 1
                result.update(outcome="failed", status=503, retryable=True)
            else:
                outcome = self.outcomes.get(token, "revoked")
                result.update(outcome=outcome, status=204)
                if outcome in ("revoked", "reset", "deleted", "expired"):
                    result["audit_event_id"] = 893116783400000 + index
                elif outcome == "refused":
                    result.update(status=400, message="Unsupported token type")
            first.setdefault(token, index)
            results.append(result)
        return {"dry_run": body["dry_run"], "summary": {}, "results": results}

    @property
    def sent(self) -> list[str]:
        return [token for request in self.requests for token in request["tokens"]]


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[BulkStandIn]:
    monkeypatch.setenv("GITLAB_TOKEN", ADMIN)
    server = BulkStandIn()
    thread = threading.Thread(target=server.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The back-off pauses, recorded instead of waited."""
    paused: list[float] = []
    monkeypatch.setattr("admin_token_client.report_revoker.time.sleep", paused.append)
    return paused


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


def leaked(texts: list[str], secrets: list[str] = SECRETS) -> list[str]:
    """The secrets (or their digests) found in the texts: what must never be printed or written."""
    text = "\n".join(texts)
    return [secret for secret in secrets if secret in text or token_digest(secret) in text]


# -- what is sent ---------------------------------------------------------------------------------


def test_tokens_are_sent_once_each_in_batches_of_1000_and_unknown_prefixes_never(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given 2,500 distinct tokens, 100 of them found twice, and 10 secrets of no GitLab type
    tokens = [f"glpat-reportToken{number:05d}" for number in range(2500)]
    unknown = [f"ghp_notGitLab{number:05d}" for number in range(10)]
    report = gitleaks(tmp_path / "report.json", tokens + tokens[:100] + unknown)
    output = tmp_path / "out.json"

    status, out, err = run(capsys, str(report), "--url", stand_in.url + "/", "--output", str(output))

    # Then three requests carry every token once, with the administrator's token
    assert (status, err) == (0, "")
    assert [len(request["tokens"]) for request in stand_in.requests] == [1000, 1000, 500]
    assert stand_in.sent == tokens
    assert stand_in.paths == ["/api/v4/admin/tokens/revoke"] * 3
    assert {(h["private-token"], h["content-type"]) for h in stand_in.headers} == {(ADMIN, "application/json")}
    assert all(request["dry_run"] is False for request in stand_in.requests)
    # And --output has a result per finding, the duplicates' and the skipped ones' included
    results = json.loads(output.read_text(encoding="utf-8"))
    assert len(results) == 2610
    assert results[0] == {"file": "f0.txt", "line": 1, "token_hint": "glpat-…0000", "outcome": "revoked",
                          "reason": None, "audit_event_id": 893116783400000}  # fmt: skip
    assert results[2500] == {"file": "f1.txt", "line": 2501, "token_hint": "glpat-…0000", "outcome": "revoked",
                             "reason": None, "audit_event_id": 893116783400000}  # fmt: skip
    assert results[2600] == {"file": "f3.txt", "line": 2601, "token_hint": "ghp_…0000", "outcome": "skipped",
                             "reason": "no GitLab token prefix", "audit_event_id": None}  # fmt: skip
    assert [r["outcome"] for r in results].count("skipped") == 10
    assert out.startswith("2610 findings in 1 report; 2500 distinct tokens sent in 3 batches; 10 findings skipped")
    assert leaked([out, err, output.read_text(encoding="utf-8")], tokens + unknown) == []


def test_batches_also_stay_under_the_endpoint_s_body_limit(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # 1,000 tokens of 400 characters: one batch of them would be a 400 KiB body (413)
    tokens = [f"glpat-{number:04d}" + "x" * 390 for number in range(1000)]
    status, _, err = run(capsys, str(gitleaks(tmp_path / "r.json", tokens)), "--url", stand_in.url)
    assert (status, err) == (0, "")
    assert len(stand_in.requests) == 2
    assert stand_in.sent == tokens
    assert not any(request.get("too_large") for request in stand_in.requests)


def test_the_examples_give_one_result_per_finding_in_report_order(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    stand_in.outcomes = DEMO_OUTCOMES
    output = tmp_path / "results.json"

    status, out, err = run(capsys, *REPORTS, "--url", stand_in.url, "--output", str(output))

    # The job token is refused: exit 1
    assert (status, err) == (1, "")
    # Each GitLab token once, in the order first found; the GitHub token and the AWS key never
    assert stand_in.sent == [demo.ALICE_PAT, demo.PROJECT_RUNNER, demo.TRIGGER, demo.ALICE_FEED,
                             demo.RUNNING_JOB, demo.ALICE_SESSION, demo.AGENT]  # fmt: skip
    assert [tuple(r.values())[:4] for r in json.loads(output.read_text(encoding="utf-8"))] == [
        ("deploy/config.yml", 12, "glpat-…7Xe1", "revoked"),
        ("ci/runner/config.toml", 3, "glrt-…s9Fy", "deleted"),
        (".gitlab-ci.yml", 31, "glptt-…a1b2", "expired"),
        (".env", 7, "ghp_…0000", "skipped"),
        (".env", 8, "AKIA…MPLE", "skipped"),
        ("notes/rss.md", 4, "glft-…z8Jq", "reset"),
        ("scripts/release.sh", 21, "glpat-…7Xe1", "revoked"),  # duplicate: its token's outcome
        ("ci/debug.log", 88, "glcbt-…q7Ez", "refused"),
        ("docs/support-ticket.md", 17, "_gitlab_session=…8d0d", "deleted"),
        ("infra/terraform.tfvars", 2, "AKIA…MPLE", "skipped"),
        ("k8s/agent.yaml", 9, "glagent-…2Vx8", "revoked"),
        ("ci/runner/config.toml", 3, "glrt-…s9Fy", "deleted"),
        ("scripts/release.sh", 21, "glpat-…7Xe1", "revoked"),
        ("docs/old.md", 14, "ghp_…0000", "skipped"),  # a duplicate of a skipped one is skipped too
        ("infra/terraform.tfvars", 2, "AKIA…MPLE", "skipped"),
    ]
    # The tables: outcome counts, then findings by file and line
    lines = out.splitlines()
    assert lines[0] == "15 findings in 3 reports; 7 distinct tokens sent in 1 batch; 5 findings skipped " \
                       "(no GitLab token prefix)."  # fmt: skip
    counts = {row.split("│")[1].strip(): int(row.split("│")[2]) for row in lines if row.count("│") == 3}
    assert counts == {"revoked": 4, "reset": 1, "deleted": 3, "expired": 1, "skipped": 5, "refused": 1}
    rows = [[cell.strip() for cell in row.split("│")[1:-1]] for row in lines if row.count("│") == 6]
    assert rows[:4] == [[".env", "7", "ghp_…0000", "skipped", "no GitLab token prefix"],
                        [".env", "8", "AKIA…MPLE", "skipped", "no GitLab token prefix"],
                        [".gitlab-ci.yml", "31", "glptt-…a1b2", "expired", "audit event 893116783400002"],
                        ["ci/debug.log", "88", "glcbt-…q7Ez", "refused", "Unsupported token type"]]  # fmt: skip
    assert len(rows) == 15
    assert leaked([out, err, output.read_text(encoding="utf-8")]) == []


def test_a_dry_run_asks_for_one_and_says_so(stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, REPORTS[0], "--url", stand_in.url, "--dry-run")
    assert status == 0
    assert [request["dry_run"] for request in stand_in.requests] == [True]
    assert "Dry run: nothing was changed" in out

    run(capsys, REPORTS[0], "--url", stand_in.url)
    assert [request["dry_run"] for request in stand_in.requests] == [True, False]


def test_a_report_of_only_unknown_secrets_sends_nothing(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, _ = run(capsys, str(gitleaks(tmp_path / "r.json", [GHP, AWS, "glrtr-notARunnerPrefix0"])),
                         "--url", stand_in.url)  # fmt: skip
    assert (status, stand_in.requests) == (0, [])
    assert out.startswith("3 findings in 1 report; 0 distinct tokens sent in 0 batches; 3 findings skipped")


# -- exit status ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "status"),
    [("revoked", 0), ("reset", 0), ("deleted", 0), ("expired", 0), ("already_revoked", 0), ("not_found", 0),
     ("refused", 1), ("unsupported", 1), ("invalid", 1), ("failed", 1), ("some_new_outcome", 1)],
)  # fmt: skip
def test_the_exit_status_says_whether_anything_is_left_to_do(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], sleeps: list[float], outcome: str, status: int
) -> None:
    stand_in.outcomes = {demo.AGENT: outcome}
    exit_status, out, err = run(capsys, REPORTS[2], "--url", stand_in.url)
    assert (exit_status, err) == (status, "")
    assert f"│ {outcome}" in out


def test_a_token_the_service_calls_a_duplicate_gets_the_outcome_of_its_first(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The service may judge two distinct strings one token; it answers `duplicate` for the second.
    stand_in.answer = lambda tokens: {"results": [
        {"index": 0, "outcome": "refused", "status": 400},
        {"index": 1, "outcome": "duplicate", "duplicate_of": 0},
    ]}  # fmt: skip
    output = tmp_path / "out.json"
    report = gitleaks(tmp_path / "r.json", [demo.RUNNING_JOB, demo.FINISHED_JOB])
    status, _, _ = run(capsys, str(report), "--url", stand_in.url, "--output", str(output))
    assert status == 1
    assert [r["outcome"] for r in json.loads(output.read_text(encoding="utf-8"))] == ["refused", "refused"]


def test_tokens_answered_failed_are_sent_again_until_they_settle(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], sleeps: list[float]
) -> None:
    stand_in.failures = {demo.AGENT: 2}
    status, _, err = run(capsys, REPORTS[2], "--url", stand_in.url)
    assert (status, err) == (0, "")
    assert [request["tokens"] for request in stand_in.requests][1:] == [[demo.AGENT], [demo.AGENT]]
    assert sleeps == [0.5, 1.0]


# -- the service refusing or failing --------------------------------------------------------------


def test_a_busy_service_is_retried_with_backoff(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], sleeps: list[float]
) -> None:
    stand_in.statuses = [(503, {"message": "Configuration unavailable"}), (429, {"message": "Too Many Requests"})]
    assert run(capsys, REPORTS[0], "--url", stand_in.url)[0] == 0
    assert len(stand_in.requests) == 3
    assert stand_in.requests[0] == stand_in.requests[2]
    assert sleeps == [0.5, 1.0]


def test_a_connection_lost_mid_answer_is_retried(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], sleeps: list[float]
) -> None:
    stand_in.statuses = [(200, CUT_SHORT), (200, CUT_SHORT)]
    assert run(capsys, REPORTS[0], "--url", stand_in.url)[:3:2] == (0, "")
    assert (len(stand_in.requests), sleeps) == (3, [0.5, 1.0])
    stand_in.statuses = [(200, CUT_SHORT)] * 4
    status, out, err = run(capsys, REPORTS[0], "--url", stand_in.url)
    assert (status, out) == (1, "")
    assert err == f"admin-token-api: error: cannot reach {stand_in.url}: connection lost (4 attempts)\n"


def test_a_service_that_stays_busy_is_one_line_and_exit_1(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], sleeps: list[float], tmp_path: Path
) -> None:
    stand_in.statuses = [(503, {"message": "Configuration unavailable"})] * 4
    output = tmp_path / "out.json"
    status, out, err = run(capsys, REPORTS[0], "--url", stand_in.url, "--output", str(output))
    assert (status, out) == (1, "")
    assert err == "admin-token-api: error: the service failed (HTTP 503) (4 attempts): try again later\n"
    assert (len(stand_in.requests), sleeps) == (4, [0.5, 1.0, 2.0])
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


URL_SHOWN = "http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ((401, {"message": "401 Unauthorized"}),
         "the service did not accept GITLAB_TOKEN (HTTP 401): unknown, revoked or expired"),
        ((403, {"message": "403 Forbidden"}),
         "GITLAB_TOKEN may not revoke tokens (HTTP 403): it must be an active administrator's, with the api scope "
         "(and admin_mode when admin mode is on)"),
        ((403, {"message": "Missing Authentication Token"}),
         "{url} has no bulk revoke endpoint (HTTP 403): is --url the service's base URL?"),
        ((404, {"message": "'api_admin_token_revoke' feature flag is disabled"}),
         "bulk revoke is turned off for this administrator (HTTP 404: feature flag api_admin_token_revoke)"),
        ((404, {"message": "404 Not Found"}),
         "{url} has no bulk revoke endpoint (HTTP 404): is --url the service's base URL?"),
        ((413, {"message": "413 Request Entity Too Large"}), "the service refused a batch as too large (HTTP 413)"),
        ((500, {"message": "Internal server error"}), "the service failed (HTTP 500): try again later"),
        ((400, {"error": "tokens must be a list of 1 to 1000 tokens"}), "the service refused the request (HTTP 400)"),
    ],
)  # fmt: skip
def test_a_refused_request_is_one_line_and_exit_1(
    stand_in: BulkStandIn,
    capsys: pytest.CaptureFixture[str],
    sleeps: list[float],
    tmp_path: Path,
    answer: tuple[int, Any],
    message: str,
) -> None:
    output = tmp_path / "out.json"
    output.write_text("the previous run's\n", encoding="utf-8")
    stand_in.statuses = [answer]
    status, out, err = run(capsys, REPORTS[0], "--url", stand_in.url, "--output", str(output))
    assert (status, out) == (1, "")
    assert err == f"admin-token-api: error: {message.format(url=stand_in.url)}\n"
    assert len(stand_in.requests) == 1  # not retried: it would be refused again
    assert output.read_text(encoding="utf-8") == "the previous run's\n"  # written whole or not at all


def test_a_redirect_is_not_followed_so_the_token_goes_nowhere_else(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = BulkStandIn()
    threading.Thread(target=elsewhere.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        stand_in.statuses = [(301, {"message": "moved"})]
        stand_in.location = elsewhere.url + "/api/v4/admin/tokens/revoke"
        status, out, err = run(capsys, REPORTS[0], "--url", stand_in.url)
        assert (status, out) == (1, "")
        assert err == (
            f"admin-token-api: error: {stand_in.url} answered with a redirect (HTTP 301): "
            "give --url as the address it redirects to\n"
        )
        assert (len(stand_in.requests), elsewhere.requests) == (1, [])
    finally:
        elsewhere.server.shutdown()
        elsewhere.server.server_close()


def test_what_the_service_says_in_an_error_is_never_printed(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], sleeps: list[float]
) -> None:
    # A proxy or a broken service might echo the request: its body goes nowhere.
    echo = {"message": f"bad token {demo.ALICE_PAT}", "error": demo.ALICE_PAT, "tokens": [demo.ALICE_PAT]}
    stand_in.statuses = [(400, echo), (500, json.dumps(echo).encode())]
    for _ in range(2):
        status, out, err = run(capsys, REPORTS[0], "--url", stand_in.url)
        assert status == 1
        assert leaked([out, err]) == []
    # Nor is an outcome that is not an outcome's name
    stand_in.answer = lambda tokens: {"results": [{"index": i, "outcome": t} for i, t in enumerate(tokens)]}
    status, out, err = run(capsys, REPORTS[0], "--url", stand_in.url)
    assert (status, out) == (1, "")
    assert (
        err == f"admin-token-api: error: {stand_in.url} answered something other than a bulk revoke result (HTTP 200)\n"
    )
    assert leaked([out, err]) == []


@pytest.mark.parametrize(
    "answer",
    [
        b"<html>not json</html>",
        {"results": []},  # not one result per token
        {"results": "revoked"},
        {"results": [{"index": 1, "outcome": "revoked"}] * 5},  # out of order
        {"results": [{"index": i, "outcome": "duplicate", "duplicate_of": i} for i in range(5)]},
    ],
)
def test_an_answer_that_is_not_a_bulk_result_is_one_line_and_exit_1(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], answer: Any
) -> None:
    stand_in.answer = lambda tokens: answer
    status, out, err = run(capsys, REPORTS[0], "--url", stand_in.url)
    assert (status, out) == (1, "")
    assert (
        err == f"admin-token-api: error: {stand_in.url} answered something other than a bulk revoke result (HTTP 200)\n"
    )


def test_a_failure_after_some_batches_says_how_far_it_got_and_keeps_the_partial_results(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The first batch is answered; the second is refused
    stand_in.statuses = [None, (401, {"message": "401 Unauthorized"})]
    tokens = [f"glpat-reportToken{number:05d}" for number in range(1500)]
    output = tmp_path / "out.json"
    report = gitleaks(tmp_path / "r.json", tokens)
    status, out, err = run(capsys, str(report), "--url", stand_in.url, "--output", str(output))
    assert status == 1
    assert err == (
        "admin-token-api: error: the service did not accept GITLAB_TOKEN (HTTP 401): unknown, revoked or expired; "
        "1000 of 1500 tokens were answered before that: run the same command again to finish\n"
    )
    # What was answered is shown and kept; the rest says it was not
    outcomes = [r["outcome"] for r in json.loads(output.read_text(encoding="utf-8"))]
    assert outcomes == ["revoked"] * 1000 + ["unanswered"] * 500
    assert "│ unanswered" in out
    assert leaked([out, err, output.read_text(encoding="utf-8")], tokens) == []


def test_the_administrator_s_own_token_in_a_report_is_revoked_last_and_alone(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Once GITLAB_TOKEN is revoked, every later request is a 401: it must come last
    original = stand_in.results

    def results(body: dict[str, Any]) -> dict[str, Any]:
        if any(request["tokens"] == [ADMIN] for request in stand_in.requests[:-1]):
            raise AssertionError("a request after GITLAB_TOKEN was revoked")
        return original(body)

    stand_in.results = results  # type: ignore[method-assign]
    tokens = [f"glpat-reportToken{number:05d}" for number in range(1200)]
    output = tmp_path / "out.json"
    report = gitleaks(tmp_path / "r.json", [tokens[0], ADMIN, *tokens[1:]])
    status, out, err = run(capsys, str(report), "--url", stand_in.url, "--output", str(output))
    assert status == 0
    assert [request["tokens"] for request in stand_in.requests][-1] == [ADMIN]
    assert [len(request["tokens"]) for request in stand_in.requests] == [1000, 200, 1]
    assert out.startswith("1201 findings in 1 report; 1201 distinct tokens sent in 3 batches;")
    assert err == (
        "admin-token-api: GITLAB_TOKEN itself is in the reports: it was revoked last, on its own; "
        "set a new administrator token before the next run\n"
    )
    assert json.loads(output.read_text(encoding="utf-8"))[1]["outcome"] == "revoked"
    assert leaked([out, err, output.read_text(encoding="utf-8")], [ADMIN, *tokens]) == []


def test_a_service_that_cannot_be_reached_is_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", ADMIN)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    status, out, err = run(capsys, REPORTS[0], "--url", f"http://127.0.0.1:{port}")
    assert (status, out) == (1, "")
    assert err == f"admin-token-api: error: cannot reach http://127.0.0.1:{port}: connection refused (4 attempts)\n"
    assert sleeps == [0.5, 1.0, 2.0]


# -- usage errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--url", "127.0.0.1:3000"], "--url must be the service's base URL, such as http://127.0.0.1:3000"),
        (["--url", "ftp://127.0.0.1"], "--url must be the service's base URL, such as http://127.0.0.1:3000"),
        (["--url", "http://127.0.0.1:3000/api/v4/"],
         "--url is the service's base URL, without /api/v4: http://127.0.0.1:3000"),
        (["--url", "http://127.0.0.1:3000/?x=1"], "--url must not have a query or a fragment"),
        (["--url", "http://127.0.0.1:3000", "--output", "/nonexistent/dir/out.json"],
         "cannot write --output /nonexistent/dir/out.json: no such file or directory"),
    ],
)  # fmt: skip
def test_a_bad_argument_is_a_usage_error_before_anything_is_sent(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    status, out, err = run(capsys, REPORTS[0], *arguments)
    assert (status, out, err) == (2, "", f"admin-token-api: error: {message}\n")


def test_the_administrator_s_token_comes_from_gitlab_token_only(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITLAB_TOKEN")
    status, out, err = run(capsys, REPORTS[0], "--url", stand_in.url)
    assert (status, out) == (2, "")
    assert err == "admin-token-api: error: set GITLAB_TOKEN to an administrator's personal access token\n"
    # There is no option to pass it, and a token passed anyway is not echoed in the usage error
    monkeypatch.setenv("GITLAB_TOKEN", ADMIN)
    status, _, err = run(capsys, REPORTS[0], "--url", stand_in.url, "--token", ADMIN)
    assert (status, err) == (2, "admin-token-api: error: unrecognized arguments: --token … (see --help)\n")
    status, _, err = run(capsys, ADMIN, REPORTS[0], "--url", stand_in.url)
    assert (status, err) == (
        2,
        "admin-token-api: error: a REPORT argument looks like a token (not shown), not a file\n",
    )
    status, _, err = run(capsys, REPORTS[0], "--url", f"http://root:{ADMIN}@127.0.0.1:3000")
    assert (status, err) == (2, "admin-token-api: error: --url must not hold a user name or password\n")
    assert stand_in.requests == []


def test_an_unreadable_or_unrecognised_report_is_a_usage_error_naming_it(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nope.json"
    status, out, err = run(capsys, REPORTS[0], str(missing), "--url", stand_in.url)
    assert (status, out) == (2, "")
    assert err == f"admin-token-api: error: cannot read report {missing}: no such file or directory\n"
    other = tmp_path / "notes.txt"
    other.write_text(f"the runner token is {demo.PROJECT_RUNNER}\n", encoding="utf-8")
    status, out, err = run(capsys, REPORTS[0], str(other), "--url", stand_in.url)
    assert (status, out) == (2, "")
    assert err == f"admin-token-api: error: {other} is not a gitleaks, GitLab secret detection or trufflehog report\n"
    assert stand_in.requests == []  # no report is sent while another cannot be read


def test_redacted_findings_are_said_so_and_fail_the_run(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = gitleaks(tmp_path / "r.json", ["REDACTED", "glpat-ab...", demo.AGENT])
    status, out, err = run(capsys, str(report), "--url", stand_in.url)
    # They may be live tokens: not settled
    assert status == 1
    assert stand_in.sent == [demo.AGENT]
    assert err == (
        f"admin-token-api: 2 findings in {report} are redacted (gitleaks --redact): their secrets are not in the "
        "report, so they were not sent\n"
    )
    assert out.startswith("3 findings in 1 report; 1 distinct token sent in 1 batch; 2 findings redacted")
    assert "│ redacted" in out


def test_a_fully_redacted_report_exits_1_saying_so_not_blaming_prefixes(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = gitleaks(tmp_path / "r.json", ["REDACTED", "REDACTED"])
    status, out, err = run(capsys, str(report), "--url", stand_in.url)
    assert (status, stand_in.requests) == (1, [])
    assert err == (
        f"admin-token-api: every finding in {report} is redacted (gitleaks --redact): it holds no secret to revoke; "
        "scan again without --redact\n"
    )
    assert "(no GitLab token prefix)" not in out


# -- the terminal ---------------------------------------------------------------------------------


def test_no_progress_bar_when_stderr_is_not_a_terminal(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(variable, raising=False)
    status, out, err = run(capsys, *REPORTS, "--url", stand_in.url)
    assert (status, err) == (0, "")
    assert "revoking" not in out
    assert "\x1b[" not in out  # no colour codes either when piped


def test_a_progress_bar_on_a_terminal(stand_in: BulkStandIn, tmp_path: Path) -> None:
    # Standard error on a pseudo-terminal, standard output piped: the bar goes to the terminal only.
    tokens = [f"glpat-reportToken{number:05d}" for number in range(1500)]
    report = gitleaks(tmp_path / "r.json", tokens)
    controller, terminal = pty.openpty()
    environment = {**os.environ, "GITLAB_TOKEN": ADMIN, "COLUMNS": "100", "TERM": "xterm"}
    with (tmp_path / "out.txt").open("w+", encoding="utf-8") as stdout:  # a file: the tables fill a pipe
        process = subprocess.Popen(
            [str(COMMAND), "revoke-report", str(report), "--url", stand_in.url],
            stdout=stdout,
            stderr=terminal,
            env=environment,
        )
        os.close(terminal)
        shown = b""
        while True:  # until the command exits and its end of the terminal closes
            ready, _, _ = select.select([controller], [], [], 60)
            assert ready, "the command wrote nothing to its terminal for 60 s"
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: no process holds the terminal any more
                break
            if not chunk:
                break
            shown += chunk
        assert process.wait(timeout=30) == 0
        os.close(controller)
        stdout.seek(0)
        out = stdout.read()
    screen = shown.decode(errors="replace")
    assert "revoking" in screen
    assert "1500/1500" in screen  # the bar counts tokens
    assert "revoking" not in out
    assert leaked([screen, out], tokens) == []


# -- pieces ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [demo.ALICE_PAT, demo.OAUTH_SECRET, demo.ALICE_SESSION, "_gitlab_session=", "glpat-short", "glpat-12chars",
     GHP, AWS, "ghp_", "", "glrtr-abcdefghijk", demo.PROJECT_RUNNER, demo.TRIGGER],
)  # fmt: skip
def test_token_hints_are_computed_as_the_bulk_endpoint_computes_them(token: str) -> None:
    from admin_token.bulk import token_hint as endpoint_hint
    from admin_token.config import Configuration
    from admin_token.token_types import match_token_type
    from admin_token_client.report_revoker import known_prefixes

    # No custom prefix: the client knows only the built-in ones.
    configuration = Configuration({"personal_access_token_prefix": {"default": "", "boolean_type": False}})
    token_type = match_token_type(token, configuration)
    endpoint_prefix = token_type.matched_prefix(token, configuration) if token_type else None
    prefix = next((p for p in known_prefixes() if token.startswith(p)), None)
    assert prefix == (endpoint_prefix or None)
    assert token_hint(token, prefix) == endpoint_hint(token, endpoint_prefix)


def test_every_argument_of_the_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["revoke-report", "--help"]) == 0
    text = capsys.readouterr().out
    for name in ("REPORT", "--url", "--dry-run", "--output FILE", "GITLAB_TOKEN", "without /api/v4"):
        assert name in " ".join(text.split())
    parser = build_parser()
    subcommands = next(a for a in parser._actions if a.dest == "command")
    revoke = subcommands.choices["revoke-report"]  # type: ignore[index]
    assert [a.dest for a in revoke._actions if not a.help] == []


# -- secrets as reports hold them -----------------------------------------------------------------


def test_surrounding_whitespace_is_stripped_and_a_prefix_inside_other_text_exits_1(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = gitleaks(tmp_path / "r.json", [demo.AGENT + "\n", " " + demo.ALICE_PAT, f"RUNNER={demo.PROJECT_RUNNER}"])
    output = tmp_path / "out.json"
    status, out, err = run(capsys, str(report), "--url", stand_in.url, "--output", str(output))
    # The first two are sent as the tokens they are; the third is not a token alone: not sent
    assert stand_in.sent == [demo.AGENT, demo.ALICE_PAT]
    assert [r["outcome"] for r in json.loads(output.read_text(encoding="utf-8"))] == ["revoked", "revoked", "not_sent"]
    assert status == 1
    assert err == (
        "admin-token-api: 1 finding holds a GitLab token prefix after other text: not sent, and it may be a live "
        "token: revoke it by hand\n"
    )
    assert leaked([out, err, output.read_text(encoding="utf-8")]) == []


# -- --output -------------------------------------------------------------------------------------


def test_an_output_directory_is_refused_before_anything_is_sent(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, err = run(capsys, REPORTS[0], "--url", stand_in.url, "--output", str(tmp_path))
    assert (status, out, err) == (2, "", f"admin-token-api: error: cannot write --output {tmp_path}: is a directory\n")
    assert stand_in.requests == []


def test_an_output_that_is_not_a_regular_file_is_written_in_place_never_replaced(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A FIFO stands for any such file (/dev/stdout, a device): replaced by a regular file, a
    # device run as root (/dev/full, /dev/null) would be gone.
    fifo = tmp_path / "results.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        status, _, err = run(capsys, REPORTS[0], "--url", stand_in.url, "--output", str(fifo))
        assert (status, err) == (0, "")
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
        written = b""
        while chunk := os.read(reader, 65536):
            written += chunk
    finally:
        os.close(reader)
    assert json.loads(written)[0]["outcome"] == "revoked"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["results.fifo"]  # no temporary file left


def test_what_a_report_holds_never_drives_the_terminal_nor_leaks_from_its_file_field(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    escape = "\x1b]0;pwned\x07\x1b[2J\x9b31m"
    findings = [
        {"Secret": f"glpat-{escape}tail{escape}", "File": f"src/{escape}.py", "StartLine": 1},
        {"Secret": f"{escape}ghp_x{escape}", "File": "a.txt", "StartLine": 2},
        # A URL with a token in it, as trufflehog and git remotes write it
        {"Secret": demo.AGENT, "File": f"https://oauth2:{demo.ALICE_PAT}@gitlab.example/x.git", "StartLine": 3},
        {"Secret": demo.TRIGGER, "File": f"logs/{demo.PROJECT_RUNNER}.log", "StartLine": 4},
    ]
    report = tmp_path / "r.json"
    report.write_text(json.dumps(findings), encoding="utf-8")
    output = tmp_path / "out.json"
    status, out, err = run(capsys, str(report), "--url", stand_in.url, "--output", str(output))
    written = output.read_text(encoding="utf-8")
    for text in (out, err, written):
        assert not any(character in text for character in "\x1b\x07\x9b")
    assert leaked([out, err, written], [demo.ALICE_PAT, demo.PROJECT_RUNNER, demo.AGENT, demo.TRIGGER]) == []
    files = [r["file"] for r in json.loads(written)]
    # Up to a character no token has: a dot may be one (routable tokens have them)
    assert files[2:] == ["https://oauth2:glpat-…@gitlab.example/x.git", "logs/glrt-…"]
    assert status == 0


def test_a_secret_that_is_not_text_or_is_too_long_to_send_is_invalid_and_the_rest_goes_on(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    surrogate = "glpat-lone\ud800surrogate0"
    huge = "glpat-" + "x" * 300_000
    report = tmp_path / "r.json"
    # json.dumps escapes the lone surrogate, as a report may hold it
    report.write_text(json.dumps([{"Secret": s, "File": "f", "StartLine": 1} for s in (surrogate, huge, demo.AGENT)]))
    output = tmp_path / "out.json"
    status, out, _ = run(capsys, str(report), "--url", stand_in.url, "--output", str(output))
    assert stand_in.sent == [demo.AGENT]
    assert [r["outcome"] for r in json.loads(output.read_text(encoding="utf-8"))] == ["invalid", "invalid", "revoked"]
    assert status == 1
    assert "│ invalid" in out


def test_a_report_that_is_not_a_regular_file_is_refused_not_waited_on(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)  # no writer: opening it to read would wait forever
    status, out, err = run(capsys, str(fifo), "--url", stand_in.url)
    assert (status, out) == (2, "")
    assert err == f"admin-token-api: error: cannot read report {fifo}: not a regular file (save the report first)\n"
    assert stand_in.requests == []


# -- for people using it --------------------------------------------------------------------------


def test_summary_and_quiet_print_less_and_change_nothing_else(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "out.json"
    status, out, err = run(capsys, *REPORTS, "--url", stand_in.url, "--summary", "--output", str(output))
    assert (status, err) == (0, "")
    assert out.startswith("15 findings in 3 reports;")
    assert "Outcomes" in out
    assert "Findings" not in out
    status, out, err = run(capsys, *REPORTS, "--url", stand_in.url, "--quiet", "--output", str(output))
    assert (status, out, err) == (0, "", "")
    assert len(json.loads(output.read_text(encoding="utf-8"))) == 15
    assert len(stand_in.requests) == 2
    status, _, err = run(capsys, *REPORTS, "--url", stand_in.url, "--quiet", "--summary")
    assert status == 2
    assert "not allowed with argument" in err


def _on_a_terminal(arguments: list[str], answer: bytes) -> tuple[int, str]:
    """The command with standard input and error on a pseudo-terminal, `answer` typed."""
    controller, terminal = pty.openpty()
    environment = {**os.environ, "GITLAB_TOKEN": ADMIN, "TERM": "dumb"}
    process = subprocess.Popen(
        [str(COMMAND), "revoke-report", *arguments], stdin=terminal, stderr=terminal,
        stdout=subprocess.DEVNULL, env=environment,
    )  # fmt: skip
    os.close(terminal)
    shown = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 60)
        assert ready, "the command wrote nothing to its terminal for 60 s"
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
        if b"[y/N]" in shown and answer:
            os.write(controller, answer)
            answer = b""
    status = process.wait(timeout=60)
    os.close(controller)
    return status, shown.decode(errors="replace")


def test_a_real_run_on_a_terminal_asks_first(stand_in: BulkStandIn) -> None:
    status, screen = _on_a_terminal([REPORTS[0], "--url", stand_in.url], b"n\n")
    assert f"Revoke 3 distinct tokens at {stand_in.url}? This cannot be undone. [y/N]" in screen
    assert "not confirmed: nothing was sent" in screen
    assert (status, stand_in.requests) == (1, [])
    status, _ = _on_a_terminal([REPORTS[0], "--url", stand_in.url], b"y\n")
    assert (status, len(stand_in.requests)) == (0, 1)
    # --yes, and a dry run, do not ask
    for extra in ("--yes", "--dry-run"):
        status, screen = _on_a_terminal([REPORTS[0], "--url", stand_in.url, extra], b"")
        assert "[y/N]" not in screen
        assert status == 0
    assert len(stand_in.requests) == 3


# SCIM tokens (glsoat-): the client's prefixes are the layer's registry, so they are sent.
def test_a_reports_scim_tokens_are_sent_and_their_resets_reported(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given a report holding the instance's and a group's SCIM token, as gitleaks finds them
    report = gitleaks(tmp_path / "report.json", [demo.GROUP_SCIM, demo.INSTANCE_SCIM])
    stand_in.outcomes = {demo.GROUP_SCIM: "reset", demo.INSTANCE_SCIM: "reset"}
    output = tmp_path / "out.json"

    status, out, err = run(capsys, str(report), "--url", stand_in.url, "--output", str(output))

    # Then both are sent (not skipped as of no GitLab type), and both are settled
    assert (status, err) == (0, "")
    assert stand_in.sent == [demo.GROUP_SCIM, demo.INSTANCE_SCIM]
    results = json.loads(output.read_text(encoding="utf-8"))
    assert [(result["token_hint"], result["outcome"]) for result in results] == [
        ("glsoat-…q5Hy", "reset"),
        ("glsoat-…b7Nw", "reset"),
    ]
    assert leaked([out, err, output.read_text(encoding="utf-8")], [demo.GROUP_SCIM, demo.INSTANCE_SCIM]) == []
