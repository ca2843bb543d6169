"""Secret scanner reports: what they found, where. One small reader per format, told apart by content.

- gitleaks (`gitleaks detect --report-format json`): a JSON array of findings with `Secret`,
  `RuleID`, `File` and `StartLine`.
- GitLab secret detection (`gl-secret-detection-report.json`): a JSON object whose
  `vulnerabilities[]` carry `raw_source_code_extract` and `location.file` / `location.start_line`.
- trufflehog (`trufflehog ... --json`): one JSON object per line with `Raw` and
  `SourceMetadata.Data.<source>.file` / `.line`.

A finding holds the secret only in memory: it is never printed, logged or written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ReportError(ValueError):
    """A report that cannot be read or is in no format we know; the message never quotes it."""


@dataclass(frozen=True)
class Finding:
    file: str
    line: int | None
    secret: str = field(repr=False)  # never in a repr, a log line or a traceback


def read_report(path: Path) -> list[Finding]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror.lower() if isinstance(error, OSError) and error.strerror else "not UTF-8 text"
        raise ReportError(f"cannot read report {path}: {reason}") from None
    for recognise, read in _FORMATS:
        document = recognise(text)
        if document is not None:
            return list(read(document))
    raise ReportError(f"{path} is not a gitleaks, GitLab secret detection or trufflehog report")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _gitleaks(text: str) -> Any:
    document = _json(text)
    if isinstance(document, list) and all(isinstance(item, dict) and "Secret" in item for item in document):
        return document
    return None


def _read_gitleaks(findings: list[dict[str, Any]]) -> Iterator[Finding]:
    for finding in findings:
        if isinstance(finding.get("Secret"), str) and finding["Secret"]:
            yield Finding(str(finding.get("File") or ""), _line(finding.get("StartLine")), finding["Secret"])


def _gitlab(text: str) -> Any:
    document = _json(text)
    if isinstance(document, dict) and isinstance(document.get("vulnerabilities"), list):
        return document
    return None


def _read_gitlab(report: dict[str, Any]) -> Iterator[Finding]:
    for vulnerability in report["vulnerabilities"]:
        if not isinstance(vulnerability, dict):
            continue
        secret = vulnerability.get("raw_source_code_extract")
        place = vulnerability.get("location")
        location: dict[str, Any] = place if isinstance(place, dict) else {}
        if isinstance(secret, str) and secret:
            yield Finding(str(location.get("file") or ""), _line(location.get("start_line")), secret)


def _trufflehog(text: str) -> Any:
    lines = [line for line in text.splitlines() if line.strip()]
    documents = [_json(line) for line in lines]
    if documents and all(isinstance(document, dict) and "Raw" in document for document in documents):
        return documents
    return None


def _read_trufflehog(documents: list[dict[str, Any]]) -> Iterator[Finding]:
    for document in documents:
        secret = document.get("Raw")
        if isinstance(secret, str) and secret:
            file, line = _trufflehog_place(document.get("SourceMetadata"))
            yield Finding(file, line, secret)


def _trufflehog_place(metadata: Any) -> tuple[str, int | None]:
    # SourceMetadata.Data has one key per source kind (Filesystem, Git, Github, Gitlab...).
    data = metadata.get("Data") if isinstance(metadata, Mapping) else None
    if isinstance(data, Mapping):
        for source in data.values():
            if isinstance(source, Mapping):
                return str(source.get("file") or ""), _line(source.get("line"))
    return "", None


def _line(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


_FORMATS: list[tuple[Callable[[str], Any], Callable[[Any], Iterator[Finding]]]] = [
    (_gitleaks, _read_gitleaks),
    (_gitlab, _read_gitlab),
    (_trufflehog, _read_trufflehog),
]
