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
import stat
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from admin_token.digests import token_hint  # the bulk endpoint's own
from admin_token_client.scanner_reports import GITLEAKS, Finding, Report

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
         "unsupported", "refused", "invalid", "failed", "not_sent", "redacted", "unanswered")  # fmt: skip
# An outcome is shown only if it looks like one: the client never prints what the service sends.
OUTCOME_NAME = re.compile(r"[a-z_]{1,32}")
FEATURE_FLAG_404 = "'api_admin_token_revoke' feature flag is disabled"
NO_ROUTE_403 = "Missing Authentication Token"  # API Gateway's answer on a path it has no route for


class UsageError(Exception):
    """A wrong argument or environment; exit 2."""


class RevokeError(Exception):
    """The service refused the whole request or could not be reached; exit 1. Quotes no secret."""


@dataclass(frozen=True)
class Answer:
    """What became of one token: the outcome, why when it was not done (the service's reason,
    shown only when it reads as one, else the HTTP status), and the audit event of a change."""

    outcome: str
    reason: str | None = None
    audit_event_id: int | None = None


@dataclass(frozen=True)
class Result:
    file: str
    line: int | None
    token_hint: str
    outcome: str
    reason: str | None = None
    audit_event_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "token_hint": self.token_hint,
            "outcome": self.outcome,
            "reason": self.reason,
            "audit_event_id": self.audit_event_id,
        }

    @property
    def detail(self) -> str:
        if self.audit_event_id is not None:
            return f"audit event {self.audit_event_id}"
        return self.reason or ""


# -- tokens ---------------------------------------------------------------------------------------


def known_prefixes() -> tuple[str, ...]:
    """The layer's built-in prefixes, in its matching order. A custom personal access token
    prefix is the server's setting, unknown here: such tokens are skipped."""
    from admin_token.token_types import PREFIXES

    return PREFIXES


def looks_like_a_token(text: str) -> bool:
    """Starts with a GitLab token prefix: never echoed in a message."""
    return text.startswith(known_prefixes())


def _cost(token: str) -> int:
    return len(json.dumps(token).encode()) + 2  # the token, a comma and a space


def batches(tokens: Sequence[str]) -> Iterator[list[str]]:
    """Consecutive runs of at most BATCH_TOKENS tokens whose JSON body stays under BATCH_BYTES."""
    batch: list[str] = []
    size = 0
    for token in tokens:
        cost = _cost(token)
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

    def revoke(self, tokens: list[str], dry_run: bool) -> list[Answer]:
        """One answer per token, in order."""
        outcomes = self._post(tokens, dry_run)
        for attempt in range(1, ATTEMPTS):
            again = [index for index, answer in enumerate(outcomes) if answer.outcome == "failed"]
            if not again:
                break
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
            for index, outcome in zip(again, self._post([tokens[i] for i in again], dry_run), strict=True):
                outcomes[index] = outcome
        return outcomes

    def _post(self, tokens: list[str], dry_run: bool) -> list[Answer]:
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

    def _outcomes(self, payload: bytes, sent: int) -> list[Answer]:
        """The outcome of each token sent, a `duplicate` resolved to the outcome of its first."""
        malformed = RevokeError(f"{self.shown} answered something other than a bulk revoke result (HTTP 200)")
        try:
            answer = json.loads(payload)
        except ValueError:
            raise malformed from None
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list) or len(results) != sent:
            raise malformed
        outcomes: list[Answer] = []
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
                outcomes.append(outcomes[first])
                continue
            outcomes.append(Answer(outcome, _reason(result, outcome), _audit_event_id(result)))
        return outcomes


# A reason the service gives is shown only when it reads as one: a short sentence of plain words.
REASON = re.compile(r"[A-Za-z][A-Za-z0-9 ,.'()_-]{0,79}")
DONE = frozenset({"revoked", "reset", "deleted", "expired", "already_revoked"})


def _reason(result: dict[str, Any], outcome: str) -> str | None:
    if outcome in DONE:
        return None
    message = result.get("message")
    if isinstance(message, str) and REASON.fullmatch(message) and not looks_like_it_holds_a_token(message):
        return message
    status = result.get("status")
    return f"HTTP {status}" if isinstance(status, int) and not isinstance(status, bool) else None


def _audit_event_id(result: dict[str, Any]) -> int | None:
    value = result.get("audit_event_id")
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**53 else None


def looks_like_it_holds_a_token(text: str) -> bool:
    return any(prefix in text for prefix in known_prefixes())


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


NOT_SENT = "not_sent"  # holds a known prefix after other text: maybe a token, not one alone
REDACTED = "redacted"  # the report does not hold the secret (gitleaks --redact)


@dataclass(frozen=True)
class Plan:
    findings: list[Finding]
    prefixes: dict[str, str | None]  # secret -> its known prefix, or None: skipped
    to_send: list[str]  # each token once, in the order first found
    local: dict[str, Answer]  # secret -> the outcome decided here, without sending it


def plan(reports: Sequence[Report]) -> Plan:
    findings = [finding for report in reports for finding in report.findings]
    known = known_prefixes()
    prefixes = {
        secret: next((prefix for prefix in known if secret.startswith(prefix)), None)
        for secret in dict.fromkeys(finding.secret for finding in findings)
    }
    # `export TOKEN=glpat-…` or a URL with a token in it: not sent (the service would answer
    # not_found), and not settled either: the token inside may be live.
    local = {
        secret: Answer(NOT_SENT, "a GitLab token prefix after other text")
        for secret, prefix in prefixes.items()
        if prefix is None and any(candidate in secret for candidate in known)
    }
    for secret, prefix in prefixes.items():
        # Not text (a lone surrogate), or too long for any batch: the service would refuse the
        # whole request, every time. This element alone is invalid; the rest go on.
        if prefix and not _is_text(secret):
            local[secret] = Answer("invalid", "not valid text")
        elif prefix and _cost(secret) > BATCH_BYTES:
            local[secret] = Answer("invalid", "too long for a request")
    if "" in prefixes:  # a redacted finding: its secret is not in the report, and may be live
        local[""] = Answer(REDACTED, "the secret is not in the report")
    to_send = [secret for secret, prefix in prefixes.items() if prefix and secret not in local]
    return Plan(findings, prefixes, to_send, local)


def _is_text(secret: str) -> bool:
    try:
        secret.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


UNANSWERED = "unanswered"  # not answered: the run stopped before its batch was


def revoke_report(
    reports: Sequence[Report],
    *,
    url: str,
    credential: str,
    dry_run: bool,
    output: Path | None,
    console: Console,
    errors: Console,
    show: str = "all",
    confirm: Callable[[int], bool] | None = None,
) -> int:
    """`show`: "all" (the summary, the outcomes and every finding), "summary" (no findings table)
    or "none". `confirm`, when given, is asked with the number of tokens before any is sent.

    Exit status: 0 when every finding is settled, 1 when any was not. Raises RevokeError when
    the service refuses a request or cannot be reached (after showing and writing what was
    answered before that), UsageError when --output is unusable."""
    pending = _OutputFile(output) if output is not None else None  # before anything is sent
    try:
        work = plan(reports)
        own = credential in work.to_send
        # The administrator's own token last, on its own: revoked earlier, the next batch is a 401.
        to_send = [token for token in work.to_send if token != credential]
        sending = [*batches(to_send), *([[credential]] if own else [])]
        if confirm is not None and work.to_send and not confirm(len(work.to_send)):
            raise RevokeError("not confirmed: nothing was sent")
        outcomes, failure = _send(sending, BulkClient(url, credential), dry_run, errors)
        if failure is not None and not outcomes:
            raise failure  # nothing was done: nothing to show or keep
        answers = {**work.local, **outcomes}
        results = []
        for finding in work.findings:
            answer = answers.get(finding.secret) or (
                Answer(UNANSWERED, "the run stopped before it was sent")
                if work.prefixes[finding.secret]
                else Answer("skipped", "no GitLab token prefix")
            )
            results.append(
                Result(
                    _shown_file(finding.file),
                    finding.line,
                    _printable(token_hint(finding.secret, work.prefixes[finding.secret])),
                    answer.outcome,
                    answer.reason,
                    answer.audit_event_id,
                )
            )
        if show != "none":
            _print(reports, work, results, len(sending), dry_run, console, show == "all")
        for report in reports:
            _say_redacted(report, errors)
        embedded = sum(1 for result in results if result.outcome == NOT_SENT)
        if embedded:
            errors.print(
                Text(
                    f"admin-token-api: {_count(embedded, 'finding holds', 'findings hold')} a GitLab token prefix "
                    "after other text: not sent, and it may be a live token: revoke it by hand"
                ),
                soft_wrap=True,
            )
        if own and credential in outcomes:
            done = "a real run would revoke it last, on its own" if dry_run else "it was revoked last, on its own"
            errors.print(
                Text(
                    f"admin-token-api: GITLAB_TOKEN itself is in the reports: {done}; "
                    "set a new administrator token before the next run"
                ),
                soft_wrap=True,
            )
        if pending is not None:
            pending.write([result.to_json() for result in results])
        if failure is not None:
            raise failure
        return 0 if all(result.outcome in SETTLED for result in results) else 1
    finally:
        if pending is not None:
            pending.discard()


def _send(
    sending: list[list[str]], client: BulkClient, dry_run: bool, errors: Console
) -> tuple[dict[str, Answer], RevokeError | None]:
    """The answer for each token answered, and the error that stopped the run, if one did."""
    outcomes: dict[str, Answer] = {}
    total = sum(len(batch) for batch in sending)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("tokens"),
               TimeElapsedColumn())  # fmt: skip
    # Only on a terminal: piped or redirected, stderr gets nothing but errors.
    with Progress(*columns, console=errors, transient=True, disable=not errors.is_terminal) as progress:
        task = progress.add_task("dry run" if dry_run else "revoking", total=total)
        for batch in sending:
            try:
                answered = client.revoke(batch, dry_run)
            except RevokeError as error:
                if outcomes:
                    return outcomes, RevokeError(
                        f"{error}; {len(outcomes)} of {total} tokens were answered before that: "
                        "run the same command again to finish"
                    )
                return outcomes, error
            outcomes.update(zip(batch, answered, strict=True))
            progress.advance(task, len(batch))
    return outcomes, None


class _OutputFile:
    """--output, checked before anything is sent. A regular file (or a new one) is written whole
    or not at all: a temporary file next to it, renamed at the end. Anything else (a device,
    a FIFO, /dev/stdout) is written in place: renaming over it would replace a device (run as
    root, /dev/full became a JSON file). A directory is refused."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.temporary: Path | None = None
        target = Path(os.path.realpath(path))  # through a symbolic link, to what it names
        try:
            mode = target.stat().st_mode
        except FileNotFoundError:
            mode = None
        except OSError as error:
            raise self._error(error) from None
        if mode is not None and stat.S_ISDIR(mode):
            raise UsageError(f"cannot write --output {path}: is a directory")
        self.in_place = mode is not None and not stat.S_ISREG(mode)
        if self.in_place:
            if not os.access(target, os.W_OK):
                raise UsageError(f"cannot write --output {path}: permission denied")
            self.target = target
            return
        self.target = target
        try:
            descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as error:
            raise self._error(error) from None
        os.close(descriptor)
        self.temporary = Path(name)

    def _error(self, error: OSError) -> UsageError:
        reason = error.strerror.lower() if error.strerror else type(error).__name__
        return UsageError(f"cannot write --output {self.path}: {reason}")

    def write(self, document: list[dict[str, Any]]) -> None:
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        try:
            if self.in_place:
                with self.target.open("w", encoding="utf-8") as stream:
                    stream.write(text)
                return
            assert self.temporary is not None
            self.temporary.write_text(text, encoding="utf-8")
            os.replace(self.temporary, self.target)
        except OSError as error:  # e.g. /dev/full: no space left on device
            raise self._error(error) from None
        self.temporary = None

    def discard(self) -> None:
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)


def _print(
    reports: Sequence[Report],
    work: Plan,
    results: list[Result],
    batch_count: int,
    dry_run: bool,
    console: Console,
    every_finding: bool,
) -> None:
    count = Counter(result.outcome for result in results)
    sent = len(work.to_send)
    # soft_wrap: a sentence is not cut at 80 columns when the output is piped.
    parts = [
        f"{_count(len(results), 'finding')} in {_count(len(reports), 'report')}",
        f"{_count(sent, 'distinct token')} sent in {_count(batch_count, 'batch', 'batches')}",
    ]
    if count["skipped"] or not count[REDACTED]:
        parts.append(f"{_count(count['skipped'], 'finding')} skipped (no GitLab token prefix)")
    if count[REDACTED]:
        parts.append(f"{_count(count[REDACTED], 'finding')} redacted (no secret in the report)")
    console.print(Text("; ".join(parts) + "."), soft_wrap=True)
    if dry_run:
        console.print(Text("Dry run: nothing was changed; the outcomes say what a real run would do."), soft_wrap=True)
    summary = Table(title="Outcomes")
    summary.add_column("outcome")
    summary.add_column("findings", justify="right")
    known = [outcome for outcome in ORDER if count[outcome]]
    for outcome in known + sorted(set(count) - set(known)):
        summary.add_row(Text(outcome), str(count[outcome]))
    console.print(summary)
    if not every_finding:
        return
    findings = Table(title="Findings")
    findings.add_column("file")
    findings.add_column("line", justify="right")
    findings.add_column("token hint")
    findings.add_column("outcome")
    findings.add_column("why / audit event")
    for result in sorted(results, key=lambda r: (r.file, r.line or 0)):
        line = str(result.line) if result.line is not None else ""
        # Text, not markup: a file named "[red]x" is shown as it is.
        findings.add_row(
            Text(_printable(result.file)), line, Text(result.token_hint), Text(result.outcome), Text(result.detail)
        )
    console.print(findings)


def _say_redacted(report: Report, errors: Console) -> None:
    """Findings without their secret may be live tokens: never blamed on their prefix."""
    if not report.redacted:
        return
    how = " (gitleaks --redact)" if report.format == GITLEAKS else ""
    again = "scan again without --redact" if report.format == GITLEAKS else "scan again keeping the secrets"
    name = _printable(str(report.path))
    if report.redacted == len(report.findings):
        line = f"every finding in {name} is redacted{how}: it holds no secret to revoke; {again}"
    else:
        findings = _count(report.redacted, "finding", "findings")
        verb = "is" if report.redacted == 1 else "are"
        line = f"{findings} in {name} {verb} redacted{how}: their secrets are not in the report, so they were not sent"
    errors.print(Text(f"admin-token-api: {line}"), soft_wrap=True)


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


def _printable(text: str) -> str:
    # A report's text is not ours: no escape sequence (C0 or C1) reaches a terminal, not even
    # through `cat` of the --output file; a lone surrogate becomes `?` too.
    return "".join(character if character.isprintable() else "?" for character in text)


def _shown_file(file: str) -> str:
    """A finding's file as shown and written: printable, and any token in it (a git remote's URL
    holds one) cut to its prefix and `…`."""
    prefixes = sorted(known_prefixes(), key=len, reverse=True)
    pattern = "|".join(re.escape(prefix) for prefix in prefixes)
    return _printable(re.sub(f"({pattern})[^\\s/:@'\"?#&]*", "\\1…", file))


__all__ = ["BulkClient", "Result", "RevokeError", "UsageError", "batches", "revoke_report", "token_hint"]
