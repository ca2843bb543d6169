"""Scanner reports are told apart by content, and each yields its findings' file, line and secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from admin_token_client.scanner_reports import GITLAB, GITLEAKS, TRUFFLEHOG, ReportError, read_report
from tests.support import demo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GHP = "ghp_exampleNotARealToken0000000000000000"
AWS = "AKIAIOSFODNN7EXAMPLE"


def found(path: Path) -> list[tuple[str, int | None, str]]:
    return [(finding.file, finding.line, finding.secret) for finding in read_report(path).findings]


def test_the_gitleaks_example_yields_each_finding_with_its_file_line_and_secret() -> None:
    assert read_report(EXAMPLES / "gitleaks.json").format == GITLEAKS
    assert found(EXAMPLES / "gitleaks.json") == [
        ("deploy/config.yml", 12, demo.ALICE_PAT),
        ("ci/runner/config.toml", 3, demo.PROJECT_RUNNER),
        (".gitlab-ci.yml", 31, demo.TRIGGER),
        (".env", 7, GHP),
        (".env", 8, AWS),
    ]


def test_the_gitlab_example_yields_each_vulnerability_with_its_location_and_extract() -> None:
    assert read_report(EXAMPLES / "gl-secret-detection-report.json").format == GITLAB
    assert found(EXAMPLES / "gl-secret-detection-report.json") == [
        ("notes/rss.md", 4, demo.ALICE_FEED),
        ("scripts/release.sh", 21, demo.ALICE_PAT),
        ("ci/debug.log", 88, demo.RUNNING_JOB),
        ("docs/support-ticket.md", 17, demo.ALICE_SESSION),
        ("infra/terraform.tfvars", 2, AWS),
    ]


def test_the_trufflehog_example_yields_each_line_with_its_filesystem_or_git_place() -> None:
    assert read_report(EXAMPLES / "trufflehog.jsonl").format == TRUFFLEHOG
    assert found(EXAMPLES / "trufflehog.jsonl") == [
        ("k8s/agent.yaml", 9, demo.AGENT),  # SourceMetadata.Data.Filesystem
        ("ci/runner/config.toml", 3, demo.PROJECT_RUNNER),  # SourceMetadata.Data.Git
        ("scripts/release.sh", 21, demo.ALICE_PAT),
        ("docs/old.md", 14, GHP),
        ("infra/terraform.tfvars", 2, AWS),
    ]


@pytest.mark.parametrize("example", ["gitleaks.json", "gl-secret-detection-report.json", "trufflehog.jsonl"])
def test_a_report_is_recognised_by_its_content_whatever_its_name(example: str, tmp_path: Path) -> None:
    renamed = tmp_path / "report.txt"
    renamed.write_bytes((EXAMPLES / example).read_bytes())
    assert read_report(renamed).format == read_report(EXAMPLES / example).format
    assert found(renamed) == found(EXAMPLES / example)


@pytest.mark.parametrize(
    ("content", "format_"),
    [
        ("[]", GITLEAKS),  # gitleaks found nothing
        ("", TRUFFLEHOG),  # trufflehog writes nothing when it finds nothing
        ("\n \n", TRUFFLEHOG),
        ('{"version": "15.0.7", "vulnerabilities": [], "scan": {"type": "secret_detection"}}', GITLAB),
    ],
)
def test_a_report_with_no_findings_is_read_as_one(content: str, format_: str, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(content, encoding="utf-8")
    report = read_report(path)
    assert (report.format, report.findings) == (format_, [])


def test_trufflehog_s_own_log_lines_mixed_in_are_ignored(tmp_path: Path) -> None:
    # `trufflehog ... --json > report 2>&1` puts its JSON log lines between the findings.
    path = tmp_path / "report.jsonl"
    log = {"level": "info-0", "ts": "2026-11-27T09:13:01Z", "logger": "trufflehog", "msg": "running source"}
    finding = {"SourceMetadata": {"Data": {"Github": {"file": "a.py", "line": 2, "link": "https://x"}}},
               "DetectorName": "Gitlab", "Raw": demo.ALICE_PAT}  # fmt: skip
    path.write_text(f"{json.dumps(log)}\n{json.dumps(finding)}\n{json.dumps(log)}\n", encoding="utf-8")
    assert found(path) == [("a.py", 2, demo.ALICE_PAT)]


def test_a_finding_with_no_place_keeps_an_empty_file_and_no_line(tmp_path: Path) -> None:
    path = tmp_path / "report.jsonl"
    path.write_text(json.dumps({"SourceMetadata": {"Data": {"Docker": {"image": "x"}}}, "Raw": demo.AGENT}))
    assert found(path) == [("", None, demo.AGENT)]


@pytest.mark.parametrize("redacted", ["REDACTED", "glpat-alic..."])  # --redact, --redact=60
def test_a_redacted_gitleaks_secret_is_read_as_no_secret(redacted: str, tmp_path: Path) -> None:
    path = tmp_path / "gitleaks.json"
    path.write_text(json.dumps([{"RuleID": "gitlab-pat", "Secret": redacted, "File": "a", "StartLine": 1}]))
    report = read_report(path)
    assert (found(path), report.redacted) == ([("a", 1, "")], 1)


def test_a_report_starting_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "gitleaks.json"
    path.write_bytes(b"\xef\xbb\xbf" + (EXAMPLES / "gitleaks.json").read_bytes())
    assert found(path) == found(EXAMPLES / "gitleaks.json")


def test_a_gitlab_report_of_another_scan_is_refused_by_name(tmp_path: Path) -> None:
    # gl-sast-report.json has the same shape; its extracts are source lines, not secrets.
    path = tmp_path / "gl-sast-report.json"
    document = {"version": "15.0.7", "scan": {"type": "sast"},
                "vulnerabilities": [{"raw_source_code_extract": "eval(x)", "location": {"file": "a.py"}}]}  # fmt: skip
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ReportError) as raised:
        read_report(path)
    assert str(raised.value) == f"{path} is a GitLab sast report, not a secret detection report"


@pytest.mark.parametrize(
    "content",
    [
        '{"not": "a report"}',
        "not json at all",
        '[{"RuleID": "no secret key"}]',
        '{"vulnerabilities": [{"category": "sast", "raw_source_code_extract": "x"}]}',
        "42",
    ],
)
def test_anything_else_is_not_a_report(content: str, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ReportError) as raised:
        read_report(path)
    assert str(raised.value) == f"{path} is not a gitleaks, GitLab secret detection or trufflehog report"


def test_an_unreadable_report_says_why(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"cannot read report .*nope\.json: no such file or directory$"):
        read_report(tmp_path / "nope.json")
    with pytest.raises(ReportError, match=r"cannot read report .*: is a directory$"):
        read_report(tmp_path)
    binary = tmp_path / "report.bin"
    binary.write_bytes(b"\xff\xfe\x00glpat-")
    with pytest.raises(ReportError, match=r"cannot read report .*report\.bin: not UTF-8 text$"):
        read_report(binary)


def test_no_secret_is_in_a_finding_s_repr() -> None:
    report = read_report(EXAMPLES / "gitleaks.json")
    assert demo.ALICE_PAT not in repr(report)


def test_a_detect_secrets_baseline_is_refused_saying_it_holds_hashes(tmp_path: Path) -> None:
    baseline = {
        "version": "1.5.0",
        "plugins_used": [{"name": "GitLabTokenDetector"}],
        "filters_used": [],
        "results": {"app.py": [{"type": "GitLab Token", "filename": "app.py", "hashed_secret": "0" * 40,
                                "is_verified": False, "line_number": 3}]},
        "generated_at": "2026-12-01T00:00:00Z",
    }  # fmt: skip
    path = tmp_path / ".secrets.baseline"
    path.write_text(json.dumps(baseline), encoding="utf-8")
    with pytest.raises(ReportError) as raised:
        read_report(path)
    assert str(raised.value) == (
        f"{path} is a detect-secrets baseline: it holds hashes of the secrets, not the secrets, so there is "
        "nothing in it to revoke (run gitleaks or trufflehog for a report with the secrets)"
    )


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ('[{"Secret": "glpat-x", "File": "a", "StartLine": 1},\n {"Secret": "glp', "line 2, column 13: unterminated"),
        ('{"vulnerabilities": [', "line 1, column 22: expecting value: the report ends there (cut short?)"),
        ('{"Raw": "glpat-x", "SourceMetadata": {}}\n{"Raw": "glpat-y", "Sour', "line 2, column 20"),
        ('{"Raw": "glpat-x"}\nnot json\n', "line 2, column 1: expecting value"),
    ],
)
def test_a_truncated_json_report_says_where_it_breaks(content: str, where: str, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ReportError) as raised:
        read_report(path)
    assert str(raised.value).startswith(f"{path} is not valid JSON at {where}")
    assert "glpat" not in str(raised.value)
