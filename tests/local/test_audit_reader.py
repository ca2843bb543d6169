"""`admin-token-api audit`'s pieces: --since, and where a `Link: rel="next"` may lead."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from admin_token_client.audit_reader import AuditClient, since
from admin_token_client.report_revoker import UsageError

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "moment"),
    [("30m", "2026-12-07T11:30:00.000Z"), ("12h", "2026-12-07T00:00:00.000Z"), ("7d", "2026-11-30T12:00:00.000Z"),
     ("2026-12-01", "2026-12-01T00:00:00.000Z"), ("2026-12-01T10:00:00+02:00", "2026-12-01T08:00:00.000Z")],
)  # fmt: skip
def test_since_takes_a_time_ago_or_an_iso_time(text: str, moment: str) -> None:
    assert since(text, NOW) == moment


def test_since_refuses_anything_else() -> None:
    with pytest.raises(UsageError):
        since("yesterday", NOW)


def test_a_next_link_is_followed_on_the_url_s_own_origin_only() -> None:
    # A Link built from a forged Host header must not carry PRIVATE-TOKEN elsewhere.
    client = AuditClient("http://127.0.0.1:3000", "glpat-x")
    link = '<https://attacker.example/api/v4/audit_events?per_page=100&id_before=5>; rel="next"'
    assert client._next(link) == "http://127.0.0.1:3000/api/v4/audit_events?per_page=100&id_before=5"
    assert client._next(None) is None
    assert client._next('<http://127.0.0.1:3000/x>; rel="prev"') is None
