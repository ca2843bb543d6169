"""The audit events list's pagination: GitLab's keyset `Link` and its offset headers."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from aws_lambda_powertools.event_handler import Response, content_types

from admin_token.adapters.audit_events import query_parameters
from admin_token.models.audit_queries import CURSOR, PAGE, PER_PAGE

if TYPE_CHECKING:
    from admin_token.audit_service import AuditEventsPage

PER_PAGE_HEADER = "X-Per-Page"


# A Host header as a client may send it: a name or IPv4 address, or a bracketed IPv6 one, and a port.
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")


def audit_events_listed(page: AuditEventsPage, raw_event: Mapping[str, Any]) -> Response[Any]:
    """A page of events, with GitLab's keyset pagination headers (and its offset ones for `page=N`)."""
    headers = {PER_PAGE_HEADER: str(page.per_page)}
    if page.page is not None:
        headers["X-Page"] = str(page.page)
        headers["X-Prev-Page"] = str(page.page - 1) if page.page > 1 else ""
        headers["X-Next-Page"] = str(page.next_page) if page.next_page is not None else ""
    if page.next_cursor is not None:
        headers["Link"] = f'<{next_page_url(raw_event, page.next_cursor, page.per_page)}>; rel="next"'
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=page.events, headers=headers)


def next_page_url(raw_event: Mapping[str, Any], cursor: str, per_page: int) -> str:
    """This request's own URL with the next cursor: the API's own domain, the stage path, the path.

    The domain is `requestContext.domainName`, which API Gateway sets (the execute-api host or
    the custom domain) and `serve` sets to its listening address: never the client's `Host`,
    `X-Forwarded-Host` or `X-Forwarded-Proto`, since python-gitlab follows the link with
    `PRIVATE-TOKEN`. API Gateway answers only on host names, over HTTPS; a loopback name or an IP
    address can only be a local gateway's, which speaks HTTP.

    `requestContext.path` is the path as the client sent it (with the stage on an execute-api
    host, without it on a custom domain), so following the link works either way. Every other
    parameter is kept. Without a usable domain the link is relative to this URL.
    """
    context = raw_event.get("requestContext") or {}
    domain = context.get("domainName")
    host = domain if _valid_host(domain) else None
    path = context.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        path = raw_event.get("path") or "/"
    kept = [
        (name, value)
        for name, values in query_parameters(raw_event).items()
        if name not in (CURSOR, PER_PAGE, PAGE)  # the cursor says where the next page starts
        for value in values
    ]
    query = urlencode([(CURSOR, cursor), (PER_PAGE, str(per_page)), *kept])
    origin = f"{'http' if _local_address(host) else 'https'}://{host}" if host else ""
    return f"{origin}{quote(path, safe='/')}?{query}"


def _local_address(host: str | None) -> bool:
    """An IP address or `localhost` (any port): what a local gateway listens on, never API Gateway."""
    if host is None:
        return False
    name = host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0]
    if name.lower() == "localhost":
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _valid_host(value: Any) -> bool:
    return isinstance(value, str) and _HOST.fullmatch(value) is not None
