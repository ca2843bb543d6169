"""`admin-token-api revoke-report`: send what secret scanners found to the bulk revoke endpoint.

Findings are de-duplicated by secret; those whose secret has no known prefix are `skipped` and
never sent; the rest go in batches of at most 1,000 tokens (and 250 KiB). The output (terminal,
tables, `--output` file, error lines) names a finding by file, line and token hint: never the
secret, and never a text the service sent back.

Why rich rather than tqdm: the command needs a progress bar on a terminal (none when piped) *and*
two tables; rich draws both from one dependency, tqdm only the bar.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from admin_token.digests import token_hint  # the bulk endpoint's own
from admin_token_local.scanner_reports import Finding, Report

BULK_PATH = "/api/v4/admin/tokens/revoke"
BATCH_TOKENS = 1000  # the endpoint's limit
BATCH_BYTES = 250 * 1024  # the endpoint refuses bodies over 256 KiB (413); room for the envelope
ATTEMPTS = 4  # a batch is sent at most this often when the service is busy or unreachable
BACKOFF_SECONDS = 0.5  # then 1 s, 2 s
TIMEOUT_SECONDS = 60
RETRIED_STATUSES = frozenset({429, 502, 503, 504})
# Outcomes after which nothing is left to do: the token cannot be used any more, or is not one
# this service knows. `unsupported` is not among them: the client sends only tokens with a
# GitLab prefix it knows, so a 422 means client and service disagree on the types, and the
# token may still work. `invalid` cannot happen for strings; if it does, someone must look.
SETTLED = frozenset({"revoked", "reset", "deleted", "expired", "already_revoked", "not_found", "skipped"})
ORDER = ("revoked", "reset", "deleted", "expired", "already_revoked", "not_found", "skipped",
         "unsupported", "refused", "invalid", "failed")  # fmt: skip
# An outcome is shown only if it looks like one: the client never prints what the service sends.
OUTCOME_NAME = re.compile(r"[a-z_]{1,32}")
FEATURE_FLAG_404 = "'api_admin_token_revoke' feature flag is disabled"
NO_ROUTE_403 = "Missing Authentication Token"  # API Gateway's answer on a path it has no route for


class UsageError(Exception):
    """A wrong argument or environment; exit 2."""


class RevokeError(Exception):
    """The service refused the whole request or could not be reached; exit 1. Quotes no secret."""


@dataclass(frozen=True)
class Result:
    file: str
    line: int | None
    token_hint: str
    outcome: str

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "token_hint": self.token_hint, "outcome": self.outcome}


# -- tokens ---------------------------------------------------------------------------------------


def known_prefixes() -> tuple[str, ...]:
    """The layer's built-in prefixes, in its matching order. A custom personal access token
    prefix is the server's setting, unknown here: such tokens are skipped."""
    from admin_token.token_types import REGISTRY

    return tuple(prefix for token_type in REGISTRY for prefix in token_type.prefixes)


def looks_like_a_token(text: str) -> bool:
    """Starts with a GitLab token prefix: never echoed in a message."""
    return text.startswith(known_prefixes())


def batches(tokens: Sequence[str]) -> Iterator[list[str]]:
    """Consecutive runs of at most BATCH_TOKENS tokens whose JSON body stays under BATCH_BYTES."""
    batch: list[str] = []
    size = 0
    for token in tokens:
        cost = len(json.dumps(token).encode()) + 2  # the token, a comma and a space
        if batch and (len(batch) == BATCH_TOKENS or size + cost > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(token)
        size += cost
    if batch:
        yield batch


# -- the service ----------------------------------------------------------------------------------


def base_url(text: str) -> str:
    """The service's base URL as typed (`http://127.0.0.1:3000`), checked, without a final `/`."""
    parts = urllib.parse.urlsplit(text.strip())
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        parts = parts._replace(scheme="")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError("--url must be the service's base URL, such as http://127.0.0.1:3000")
    if parts.query or parts.fragment:
        raise UsageError("--url must not have a query or a fragment")
    if parts.username is not None or parts.password is not None:
        raise UsageError("--url must not hold a user name or password")
    path = parts.path.rstrip("/")
    if path.endswith("/api/v4"):
        without = urllib.parse.urlunsplit((parts.scheme, parts.netloc, path.removesuffix("/api/v4"), "", ""))
        raise UsageError(f"--url is the service's base URL, without /api/v4: {shown_url(without)}")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def shown_url(url: str) -> str:
    """The URL for a message: no user name or password (base_url refuses them; belt and braces)."""
    parts = urllib.parse.urlsplit(url.strip().rstrip("/"))
    netloc = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer (HTTPError), not followed: urllib would send PRIVATE-TOKEN along to
    wherever it points, another host included, and turn the POST into a GET."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


class BulkClient:
    """POSTs batches to the bulk endpoint: retries a busy or unreachable service, then re-sends
    the tokens the service answered `failed` (its storage was failing: retryable)."""

    def __init__(self, url: str, credential: str) -> None:
        self.endpoint = url + BULK_PATH
        self.shown = shown_url(url)
        self.credential = credential

    def revoke(self, tokens: list[str], dry_run: bool) -> list[str]:
        """One outcome per token, in order."""
        outcomes = self._post(tokens, dry_run)
        for attempt in range(1, ATTEMPTS):
            again = [index for index, outcome in enumerate(outcomes) if outcome == "failed"]
            if not again:
                break
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
            for index, outcome in zip(again, self._post([tokens[i] for i in again], dry_run), strict=True):
                outcomes[index] = outcome
        return outcomes

    def _post(self, tokens: list[str], dry_run: bool) -> list[str]:
        body = json.dumps({"tokens": tokens, "dry_run": dry_run}).encode()
        headers = {"PRIVATE-TOKEN": self.credential, "Content-Type": "application/json", "Accept": "application/json"}
        for attempt in range(1, ATTEMPTS + 1):
            # http(s) only: base_url checked the scheme.
            request = urllib.request.Request(self.endpoint, data=body, method="POST", headers=headers)  # noqa: S310
            last = attempt == ATTEMPTS
            try:
                with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
                    payload = response.read()
            except urllib.error.HTTPError as error:
                if error.code in RETRIED_STATUSES and not last:
                    time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
                    continue
                raise RevokeError(self._refusal(error, ATTEMPTS if error.code in RETRIED_STATUSES else 1)) from None
            except (urllib.error.URLError, OSError, http.client.HTTPException) as error:  # refused, lost, DNS, TLS...
                if not last:
                    time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
                    continue
                reason = _network_reason(error)
                raise RevokeError(f"cannot reach {self.shown}: {reason} ({ATTEMPTS} attempts)") from None
            return self._outcomes(payload, len(tokens))
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _refusal(self, error: urllib.error.HTTPError, attempts: int) -> str:
        status = error.code
        message = _message(error)  # compared with known texts, never printed
        tried = f" ({attempts} attempts)" if attempts > 1 else ""
        if status == 401:
            return "the service did not accept GITLAB_TOKEN (HTTP 401): unknown, revoked or expired"
        if status == 403 and message == NO_ROUTE_403:
            return f"{self.shown} has no bulk revoke endpoint (HTTP 403): is --url the service's base URL?"
        if status == 403:
            return (
                "GITLAB_TOKEN may not revoke tokens (HTTP 403): it must be an active administrator's, "
                "with the api scope (and admin_mode when admin mode is on)"
            )
        if status == 404 and message == FEATURE_FLAG_404:
            return "bulk revoke is turned off for this administrator (HTTP 404: feature flag api_admin_token_revoke)"
        if status == 404:
            return f"{self.shown} has no bulk revoke endpoint (HTTP 404): is --url the service's base URL?"
        if 300 <= status < 400:
            return f"{self.shown} answered with a redirect (HTTP {status}): give --url as the address it redirects to"
        if status == 413:
            return "the service refused a batch as too large (HTTP 413)"
        if status == 429:
            return f"the service is throttling requests (HTTP 429){tried}: try again later"
        if status >= 500:
            return f"the service failed (HTTP {status}){tried}: try again later"
        return f"the service refused the request (HTTP {status})"

    def _outcomes(self, payload: bytes, sent: int) -> list[str]:
        """The outcome of each token sent, a `duplicate` resolved to the outcome of its first."""
        malformed = RevokeError(f"{self.shown} answered something other than a bulk revoke result (HTTP 200)")
        try:
            answer = json.loads(payload)
        except ValueError:
            raise malformed from None
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list) or len(results) != sent:
            raise malformed
        outcomes: list[str] = []
        for index, result in enumerate(results):
            if not isinstance(result, dict) or result.get("index", index) != index:
                raise malformed
            outcome = result.get("outcome")
            if not isinstance(outcome, str) or not OUTCOME_NAME.fullmatch(outcome):
                raise malformed
            if outcome == "duplicate":
                first = result.get("duplicate_of")
                # The service found two of our distinct strings to be one token.
                if not isinstance(first, int) or not 0 <= first < index:
                    raise malformed
                outcome = outcomes[first]
            outcomes.append(outcome)
        return outcomes


def _message(error: urllib.error.HTTPError) -> str | None:
    try:
        body = json.loads(error.read(4096) or b"null")
    except (ValueError, OSError):
        return None
    message = body.get("message") if isinstance(body, dict) else None
    return message if isinstance(message, str) else None


def _network_reason(error: BaseException) -> str:
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError):
        return f"no answer within {TIMEOUT_SECONDS} s"
    if isinstance(reason, socket.gaierror):
        return "unknown host"
    if isinstance(reason, ConnectionError | http.client.HTTPException):
        return "connection lost"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return type(reason).__name__


# -- the command ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    findings: list[Finding]
    prefixes: dict[str, str | None]  # secret -> its known prefix, or None: skipped
    to_send: list[str]  # each token once, in the order first found


def plan(reports: Sequence[Report]) -> Plan:
    findings = [finding for report in reports for finding in report.findings]
    known = known_prefixes()
    prefixes = {
        secret: next((prefix for prefix in known if secret.startswith(prefix)), None)
        for secret in dict.fromkeys(finding.secret for finding in findings)
    }
    return Plan(findings, prefixes, [secret for secret, prefix in prefixes.items() if prefix])


def revoke_report(
    reports: Sequence[Report],
    *,
    url: str,
    credential: str,
    dry_run: bool,
    output: Path | None,
    console: Console,
    errors: Console,
) -> int:
    """Exit status: 0 when every finding is settled, 1 when any was not. Raises RevokeError when
    the service refuses a request or cannot be reached, UsageError when --output is unusable."""
    pending = _OutputFile(output) if output is not None else None  # before anything is sent
    try:
        work = plan(reports)
        outcomes = _send(work.to_send, BulkClient(url, credential), dry_run, errors)
        results = [
            Result(
                finding.file,
                finding.line,
                token_hint(finding.secret, work.prefixes[finding.secret]),
                outcomes.get(finding.secret, "skipped"),
            )
            for finding in work.findings
        ]
        _print(reports, work, results, dry_run, console, errors)
        if pending is not None:
            pending.write([result.to_json() for result in results])
        return 0 if all(result.outcome in SETTLED for result in results) else 1
    finally:
        if pending is not None:
            pending.discard()


def _send(tokens: list[str], client: BulkClient, dry_run: bool, errors: Console) -> dict[str, str]:
    outcomes: dict[str, str] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("tokens"),
               TimeElapsedColumn())  # fmt: skip
    # Only on a terminal: piped or redirected, stderr gets nothing but errors.
    with Progress(*columns, console=errors, transient=True, disable=not errors.is_terminal) as progress:
        task = progress.add_task("dry run" if dry_run else "revoking", total=len(tokens))
        for batch in batches(tokens):
            try:
                answered = client.revoke(batch, dry_run)
            except RevokeError as error:
                if outcomes:
                    raise RevokeError(
                        f"{error}; {len(outcomes)} of {len(tokens)} tokens were answered before that: "
                        "run the same command again to finish"
                    ) from None
                raise
            outcomes.update(zip(batch, answered, strict=True))
            progress.advance(task, len(batch))
    return outcomes


class _OutputFile:
    """--output, written whole or not at all: a temporary file next to it, renamed at the end.
    Created first, so an unusable path stops the command before any token is sent."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        except OSError as error:
            reason = error.strerror.lower() if error.strerror else type(error).__name__
            raise UsageError(f"cannot write --output {path}: {reason}") from None
        os.close(descriptor)
        self.temporary: Path | None = Path(name)

    def write(self, document: list[dict[str, Any]]) -> None:
        assert self.temporary is not None
        self.temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        try:
            os.replace(self.temporary, self.path)
        except OSError as error:  # e.g. --output names a directory
            reason = error.strerror.lower() if error.strerror else type(error).__name__
            raise UsageError(f"cannot write --output {self.path}: {reason}") from None
        self.temporary = None

    def discard(self) -> None:
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)


def _print(
    reports: Sequence[Report], work: Plan, results: list[Result], dry_run: bool, console: Console, errors: Console
) -> None:
    for report in reports:
        if report.redacted:
            errors.print(
                Text(
                    f"warning: {_count(report.redacted, 'finding')} in {_printable(str(report.path))} "
                    "without the secret (a redacted report?): skipped"
                ),
                soft_wrap=True,
            )
    count = Counter(result.outcome for result in results)
    sent = len(work.to_send)
    batch_count = sum(1 for _ in batches(work.to_send))
    # soft_wrap: a sentence is not cut at 80 columns when the output is piped.
    console.print(
        Text(f"{_count(len(results), 'finding')} in {_count(len(reports), 'report')}; "
             f"{_count(sent, 'distinct token')} sent in {_count(batch_count, 'batch', 'batches')}; "
             f"{_count(count['skipped'], 'finding')} skipped (no GitLab token prefix)."),
        soft_wrap=True,
    )  # fmt: skip
    if dry_run:
        console.print(Text("Dry run: nothing was changed; the outcomes say what a real run would do."), soft_wrap=True)
    summary = Table(title="Outcomes")
    summary.add_column("outcome")
    summary.add_column("findings", justify="right")
    known = [outcome for outcome in ORDER if count[outcome]]
    for outcome in known + sorted(set(count) - set(known)):
        summary.add_row(Text(outcome), str(count[outcome]))
    console.print(summary)
    findings = Table(title="Findings")
    findings.add_column("file")
    findings.add_column("line", justify="right")
    findings.add_column("token hint")
    findings.add_column("outcome")
    for result in sorted(results, key=lambda r: (r.file, r.line or 0)):
        line = str(result.line) if result.line is not None else ""
        # Text, not markup: a file named "[red]x" is shown as it is.
        findings.add_row(Text(_printable(result.file)), line, Text(result.token_hint), Text(result.outcome))
    console.print(findings)


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


def _printable(text: str) -> str:
    # A report's file name is not ours: no escape sequence reaches the terminal.
    return "".join(character if character.isprintable() else "?" for character in text)


__all__ = ["BulkClient", "Result", "RevokeError", "UsageError", "batches", "revoke_report", "token_hint"]
