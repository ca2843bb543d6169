"""`token_hint`: what a result may show of a token, never enough of it to matter."""

from __future__ import annotations

import pytest

from admin_token.digests import token_hint


@pytest.mark.parametrize(
    ("token", "prefix", "hint"),
    [
        # 12 characters: the tail would be everything after the prefix.
        ("glagent-abcd", "glagent-", "glagent-…"),
        # 7 characters hidden between prefix and tail: still too few.
        ("glpat-1234567abcd", "glpat-", "glpat-…"),
        # 8 hidden: the tail may show.
        ("glpat-12345678abcd", "glpat-", "glpat-…abcd"),
        # No prefix matched: the first 4 stand for it, 8 must stay hidden besides.
        ("ghp_12345678abcd", None, "ghp_…abcd"),
        ("ghp_1234567abcd", None, "ghp_…"),
        ("", None, "…"),
    ],
)
def test_the_tail_shows_only_when_at_least_8_characters_stay_hidden(token: str, prefix: str | None, hint: str) -> None:
    assert token_hint(token, prefix) == hint


def test_the_bulk_endpoint_and_revoke_report_share_the_one_hint() -> None:
    from admin_token import bulk
    from admin_token_client import report_revoker

    assert bulk.token_hint is token_hint
    assert report_revoker.token_hint is token_hint
