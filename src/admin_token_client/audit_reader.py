"""`admin-token-api audit`: read the audit trail from a terminal, through the audit events API.

Pages of `GET /api/v4/audit_events` (newest first) are followed through their `Link: rel="next"`
header, only ever on the origin of `--url`: the administrator's token goes nowhere else.
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from admin_token_client.report_revoker import (
    _OPENER,
    TIMEOUT_SECONDS,
    RevokeError,
    UsageError,
    _network_reason,
    _printable,
    shown_url,
)

AUDIT_PATH = "/api/v4/audit_events"
PER_PAGE = 100  # the API's largest page
RELATIVE = re.compile(r"(\d{1,6})([mhd])")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
TOKEN_TYPE = re.compile(r"[a-z_]{1,64}")
NEXT = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')


def since(text: str, now: datetime | None = None) -> str:
    """`--since`: `30m`, `12h`, `7d` ago, or an ISO 8601 time or date (UTC unless it says)."""
    now = now or datetime.now(UTC)
    relative = RELATIVE.fullmatch(text.strip())
    if relative:
        moment = now - timedelta(**{UNITS[relative.group(2)]: int(relative.group(1))})
    else:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise UsageError("--since must be a time ago (30m, 12h, 7d) or an ISO 8601 time or date") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def query(*, created_after: str | None, token_type: str | None, author_id: int | None) -> dict[str, str]:
    parameters = {"per_page": str(PER_PAGE)}
    if created_after is not None:
        parameters["created_after"] = created_after
    if token_type is not None:
        if not TOKEN_TYPE.fullmatch(token_type):
            raise UsageError("--type must be a token type such as runner_authentication_token")
        parameters["token_type"] = token_type
    if author_id is not None:
        parameters["author_id"] = str(author_id)
    return parameters


class AuditClient:
    def __init__(self, url: str, credential: str) -> None:
        self.url = url
        self.origin = urllib.parse.urlsplit(url)
        self.shown = shown_url(url)
        self.credential = credential

    def events(self, parameters: dict[str, str]) -> Iterator[dict[str, Any]]:
        """Every event the filters select, newest first, page after page."""
        page: str | None = f"{self.url}{AUDIT_PATH}?{urllib.parse.urlencode(parameters)}"
        while page is not None:
            events, page = self._get(page)
            yield from events

    def _get(self, url: str) -> tuple[list[dict[str, Any]], str | None]:
        headers = {"PRIVATE-TOKEN": self.credential, "Accept": "application/json"}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http(s): base_url checked it
        try:
            with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
                payload = response.read()
                link = response.headers.get("Link")
        except urllib.error.HTTPError as error:
            raise RevokeError(self._refusal(error.code)) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            raise RevokeError(f"cannot reach {self.shown}: {_network_reason(error)}") from None
        try:
            events = json.loads(payload)
        except ValueError:
            events = None
        if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
            raise RevokeError(f"{self.shown} answered something other than a list of audit events (HTTP 200)")
        return events, self._next(link)

    def _next(self, link: str | None) -> str | None:
        match = NEXT.search(link or "")
        if match is None:
            return None
        target = urllib.parse.urlsplit(match.group(1))
        # Only the path and query of the link, on --url's own origin: a Link built from a Host
        # header could point anywhere, and PRIVATE-TOKEN would go along.
        return urllib.parse.urlunsplit((self.origin.scheme, self.origin.netloc, target.path, target.query, ""))

    def _refusal(self, status: int) -> str:
        if status == 401:
            return "the service did not accept GITLAB_TOKEN (HTTP 401): unknown, revoked or expired"
        if status == 403:
            return "GITLAB_TOKEN may not read the audit trail (HTTP 403): it must be an active administrator's"
        if status == 400:
            return "the service refused the filters (HTTP 400)"
        if status == 404:
            return f"{self.shown} has no audit events API (HTTP 404): is --url the service's base URL?"
        if 300 <= status < 400:
            return f"{self.shown} answered with a redirect (HTTP {status}): give --url as the address it redirects to"
        return f"the service failed (HTTP {status}): try again later"


def print_events(events: list[dict[str, Any]], console: Console, as_json: bool) -> None:
    if as_json:
        # ASCII only: no control character from the service reaches a terminal.
        console.file.write(json.dumps(events, indent=2) + "\n")
        return
    table = Table(title=f"Audit events ({len(events)})")
    for column in ("id", "created at", "author", "token type", "action", "target", "message"):
        table.add_column(column, justify="right" if column == "id" else "left")
    for event in events:
        details = event.get("details") if isinstance(event.get("details"), dict) else {}
        assert isinstance(details, dict)
        author = details.get("author_name") or event.get("author_id")
        target = f"{event.get('entity_type', '')} {event.get('entity_id', '')}".strip()
        cells = (event.get("id"), event.get("created_at"), author, details.get("token_type"), details.get("action"),
                 target, details.get("custom_message"))  # fmt: skip
        table.add_row(*(Text(_printable("" if cell is None else str(cell))) for cell in cells))
    console.print(table)


__all__ = ["AuditClient", "print_events", "query", "since"]
