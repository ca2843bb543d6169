"""Secret scanner reports: what they found, where. One small reader per format, told apart by content.

- gitleaks (`gitleaks detect --report-format json`): a JSON array of findings with `Secret`,
  `RuleID`, `File` and `StartLine`. It writes `[]` when it finds nothing.
- GitLab secret detection (`gl-secret-detection-report.json`): a JSON object whose
  `scan.type` is `secret_detection` and whose `vulnerabilities[]` carry
  `raw_source_code_extract`, `location.file` and `location.start_line`.
- trufflehog (`trufflehog ... --json`): one JSON object per line with `Raw` and
  `SourceMetadata.Data.<source>.file` / `.line` (`Filesystem`, `Git`, `Github`...). It writes
  nothing when it finds nothing, so an empty file is a report with no findings.

A finding holds the secret only in memory: it is never printed, logged or written. A finding
whose report does not carry the secret (redacted) keeps an empty one: it is skipped, never sent.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GITLEAKS = "gitleaks"
GITLAB = "GitLab secret detection"
TRUFFLEHOG = "trufflehog"
# gitleaks --redact writes this instead of the secret (--redact=N keeps a part, then "...").
GITLEAKS_REDACTED = "REDACTED"


class ReportError(ValueError):
    """A report that cannot be read or is in no format we know; the message never quotes it."""


@dataclass(frozen=True)
class Finding:
    file: str
    line: int | None
    secret: str = field(repr=False)  # never in a repr, a log line or a traceback; "" if not in the report


@dataclass(frozen=True)
class Report:
    path: Path
    format: str
    findings: list[Finding]

    @property
    def redacted(self) -> int:
        """Findings whose secret the report does not hold."""
        return sum(1 for finding in self.findings if not finding.secret)


def read_report(path: Path) -> Report:
    try:
        # A FIFO or a device would be waited on (forever, with no writer): only a regular file,
        # checked without opening it.
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        if not stat.S_ISREG(mode):
            raise ReportError(f"cannot read report {path}: not a regular file (save the report first)")
        # utf-8-sig: a report saved by some Windows tools starts with a byte order mark.
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ReportError(f"cannot read report {path}: not UTF-8 text") from None
    except OSError as error:
        reason = error.strerror.lower() if error.strerror else type(error).__name__
        raise ReportError(f"cannot read report {path}: {reason}") from None
    _refuse_a_detect_secrets_baseline(path, text)
    for read in _READERS:
        found = read(path, text)
        if found is not None:
            return found
    problem = _json_problem(text)
    if problem is not None:
        raise ReportError(f"{path} is not valid JSON at {problem}")
    raise ReportError(f"{path} is not a gitleaks, GitLab secret detection or trufflehog report")


def _refuse_a_detect_secrets_baseline(path: Path, text: str) -> None:
    document = _document(text)
    if isinstance(document, dict) and isinstance(document.get("results"), dict) and "plugins_used" in document:
        raise ReportError(
            f"{path} is a detect-secrets baseline: it holds hashes of the secrets, not the secrets, so there is "
            "nothing in it to revoke (run gitleaks or trufflehog for a report with the secrets)"
        )


def _json_problem(text: str) -> str | None:
    """Where a report that starts as JSON stops being JSON (a report cut short, most often);
    json's messages name a position, never the text."""
    start = text.lstrip()[:1]
    if start not in ("[", "{"):
        return None
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        lines = text.strip().splitlines()
        if start == "{" and len(lines) > 1:  # JSON lines (trufflehog): the first line that is not JSON
            for number, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    json.loads(line)
                except json.JSONDecodeError as line_error:
                    last = line.strip() == lines[-1].strip()
                    cut = last and line_error.pos >= len(line.rstrip()) - 1
                    return _where(number, line_error.colno, line_error.msg, cut)
        cut = error.pos >= len(text.rstrip()) - 1
        return _where(error.lineno, error.colno, error.msg, cut)
    return None


def _where(line: int, column: int, message: str, cut: bool) -> str:
    ending = ": the report ends there (cut short?)" if cut else ""
    return f"line {line}, column {column}: {message[:1].lower()}{message[1:]}{ending}"


# -- one reader per format: a Report when the text is in its format, else None --------------------


def _document(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _read_gitleaks(path: Path, text: str) -> Report | None:
    document = _document(text)
    if not (isinstance(document, list) and all(isinstance(item, dict) and "Secret" in item for item in document)):
        return None
    findings = [
        Finding(_file(item.get("File")), _line(item.get("StartLine")), _gitleaks_secret(item.get("Secret")))
        for item in document
    ]
    return Report(path, GITLEAKS, findings)


def _gitleaks_secret(value: Any) -> str:
    secret = _secret(value)
    return "" if secret == GITLEAKS_REDACTED or secret.endswith("...") else secret


def _secret(value: Any) -> str:
    # Scanners keep what surrounds a match (a line's end, a space): no token has it, and sent
    # with it, a live token would be answered `not_found`.
    return value.strip() if isinstance(value, str) else ""


def _read_gitlab(path: Path, text: str) -> Report | None:
    document = _document(text)
    if not (isinstance(document, dict) and isinstance(document.get("vulnerabilities"), list)):
        return None
    vulnerabilities = [item for item in document["vulnerabilities"] if isinstance(item, dict)]
    scan = document.get("scan")
    kind = scan.get("type") if isinstance(scan, dict) else None
    if kind is None:
        # Older reports have no `scan`; each vulnerability still names its category.
        if not vulnerabilities or any(item.get("category") != "secret_detection" for item in vulnerabilities):
            return None
    elif kind != "secret_detection":
        # A SAST or dependency scanning report has the same shape; its extracts are code, not secrets.
        shown = kind if isinstance(kind, str) and kind.replace("_", "").isalnum() else "other"
        raise ReportError(f"{path} is a GitLab {shown} report, not a secret detection report")
    findings = []
    for item in vulnerabilities:
        place = item.get("location")
        location: Mapping[str, Any] = place if isinstance(place, dict) else {}
        secret = item.get("raw_source_code_extract")
        findings.append(
            Finding(
                _file(location.get("file")),
                _line(location.get("start_line")),
                _secret(secret),
            )
        )
    return Report(path, GITLAB, findings)


def _read_trufflehog(path: Path, text: str) -> Report | None:
    document = _document(text)
    if isinstance(document, dict):
        documents: list[Any] = [document]  # one finding, or one pretty-printed
    elif isinstance(document, list):
        documents = document  # lines gathered into an array (`jq -s`)
    else:
        documents = [_document(line) for line in text.splitlines() if line.strip()]
    findings = []
    for item in documents:
        if isinstance(item, dict) and "Raw" in item and "SourceMetadata" in item:
            file, line = _trufflehog_place(item["SourceMetadata"])
            findings.append(Finding(file, line, _secret(item["Raw"])))
        elif not (isinstance(item, dict) and "level" in item and "msg" in item):
            return None  # neither a finding nor one of trufflehog's own log lines (2>&1)
    if not findings and text.strip():
        return None
    return Report(path, TRUFFLEHOG, findings)


def _trufflehog_place(metadata: Any) -> tuple[str, int | None]:
    # SourceMetadata.Data has one key, the source kind (Filesystem, Git, Github, Gitlab, ...).
    data = metadata.get("Data") if isinstance(metadata, Mapping) else None
    if isinstance(data, Mapping):
        for source in data.values():
            if isinstance(source, Mapping):
                return _file(source.get("file")), _line(source.get("line"))
    return "", None


def _file(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _line(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


# In this order: a gitleaks array and a GitLab object are whole JSON documents; trufflehog's
# lines are tried last.
_READERS: tuple[Callable[[Path, str], Report | None], ...] = (_read_gitleaks, _read_gitlab, _read_trufflehog)
