"""`admin-token-api revoke-report`: send what secret scanners found to the bulk revoke endpoint.

Findings are de-duplicated by secret; those whose secret has no known prefix are `skipped` and
never sent; the rest go in batches of at most 1,000. The output (terminal, table, `--output`
file) names a finding by file, line and token hint: never the secret.

Why rich: it draws the progress bar on a terminal (and stays silent when output is piped) and
the summary tables, from one dependency, with no curses.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from admin_token_local.scanner_reports import Finding, ReportError, read_report

BATCH = 1000
BULK_PATH = "/api/v4/admin/tokens/revoke"
# Outcomes after which nothing is left to do: the token cannot be used any more, or was never ours.
SETTLED = frozenset({"revoked", "reset", "deleted", "expired", "already_revoked", "not_found", "skipped"})
ATTEMPTS = 4


class RevokeError(Exception):
    """The service refused the whole request or could not be reached; the message quotes no secret."""


@dataclass
class Result:
    finding: Finding
    hint: str
    outcome: str


def known_prefix(secret: str) -> str | None:
    from admin_token.token_types import REGISTRY

    return next((p for token_type in REGISTRY for p in token_type.prefixes if secret.startswith(p)), None)


def token_hint(secret: str, prefix: str | None) -> str:
    from admin_token.bulk import token_hint as hint

    return hint(secret, prefix)


def revoke_report(
    reports: Sequence[Path],
    *,
    url: str,
    credential: str,
    dry_run: bool,
    output: Path | None,
    console: Console,
    errors: Console,
) -> int:
    """Exit status: 0 when every finding is settled, 1 when any was refused or failed."""
    findings = [finding for report in reports for finding in read_report(report)]
    prefixes = {finding.secret: known_prefix(finding.secret) for finding in findings}
    to_send = [secret for secret in dict.fromkeys(finding.secret for finding in findings) if prefixes[secret]]
    outcomes: dict[str, str] = {}
    with Progress(console=errors, transient=True, disable=not errors.is_terminal) as progress:
        task = progress.add_task("revoking" if not dry_run else "dry run", total=len(to_send))
        for start in range(0, len(to_send), BATCH):
            batch = to_send[start : start + BATCH]
            answer = _send(url, credential, batch, dry_run)
            for secret, result in zip(batch, answer["results"], strict=True):
                outcomes[secret] = str(result["outcome"])
            progress.advance(task, len(batch))
    results = [
        Result(finding, token_hint(finding.secret, prefixes[finding.secret]), outcomes.get(finding.secret, "skipped"))
        for finding in findings
    ]
    _print(results, dry_run, console)
    if output is not None:
        document = [{"file": r.finding.file, "line": r.finding.line, "token_hint": r.hint, "outcome": r.outcome}
                    for r in results]  # fmt: skip
        output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0 if all(result.outcome in SETTLED for result in results) else 1


def _send(url: str, credential: str, tokens: list[str], dry_run: bool) -> dict[str, Any]:
    body = json.dumps({"tokens": tokens, "dry_run": dry_run}).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is the user's own service
        url.rstrip("/") + BULK_PATH,
        data=body,
        method="POST",
        headers={"PRIVATE-TOKEN": credential, "Content-Type": "application/json"},
    )
    for attempt in range(ATTEMPTS):
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                answer: dict[str, Any] = json.loads(response.read())
                if len(answer.get("results", [])) != len(tokens):
                    raise RevokeError("the service answered a different number of results than tokens sent")
                return answer
        except urllib.error.HTTPError as error:
            if error.code in (502, 503, 504) and attempt + 1 < ATTEMPTS:
                time.sleep(0.5 * 2**attempt)
                continue
            raise RevokeError(f"the service refused the request: HTTP {error.code}{_reason(error)}") from None
        except (urllib.error.URLError, OSError) as error:
            if attempt + 1 < ATTEMPTS:
                time.sleep(0.5 * 2**attempt)
                continue
            reason = getattr(error, "reason", error)
            raise RevokeError(f"cannot reach {url}: {reason}") from None
        except ValueError:
            raise RevokeError("the service's answer is not JSON") from None
    raise RevokeError(f"cannot reach {url}")  # pragma: no cover - the loop always returns or raises


def _reason(error: urllib.error.HTTPError) -> str:
    # Only the service's own fixed texts; it never puts a token in an error body.
    try:
        body = json.loads(error.read() or b"{}")
    except ValueError:
        return ""
    message = body.get("message") or body.get("error") if isinstance(body, dict) else None
    return f" ({message})" if isinstance(message, str) and len(message) < 200 else ""


def _print(results: list[Result], dry_run: bool, console: Console) -> None:
    counts = Counter(result.outcome for result in results)
    summary = Table(title="Outcomes (dry run: nothing was changed)" if dry_run else "Outcomes")
    summary.add_column("outcome")
    summary.add_column("findings", justify="right")
    for outcome, count in sorted(counts.items()):
        summary.add_row(Text(outcome), str(count))
    console.print(summary)
    findings = Table(title="Findings")
    for column in ("file", "line", "token", "outcome"):
        findings.add_column(column)
    for result in sorted(results, key=lambda r: (r.finding.file, r.finding.line or 0)):
        line = str(result.finding.line) if result.finding.line is not None else ""
        # Text, not markup: a file name like "[x]" is shown as it is.
        findings.add_row(Text(result.finding.file), line, Text(result.hint), Text(result.outcome))
    console.print(findings)


__all__ = ["ReportError", "RevokeError", "revoke_report"]
