"""The bulk revoke under hostile requests: never a 5xx, never a change.

Hypothesis builds bulk revoke events (lists of fake tokens and arbitrary JSON, any JSON document,
any text) with the administrator's credential; the strategies and checks are those of
request_checks/test_hostile_input.py (tests/support/hostile_requests.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.support.events import bulk_event
from tests.support.hostile_requests import (
    JSON_TYPES,
    REVOKE,
    admin_credentials,
    assert_well_formed,
    content_types,
    extra_headers,
    fake_tokens,
    hostile_settings,
    queries,
    send,
    text_bodies,
    weighted,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@st.composite
def bulk_events(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["list", "list", "list", "anything", "text"]))
    if kind == "list":
        elements = draw(st.lists(weighted((4, fake_tokens), (1, json_values)), min_size=0, max_size=40))
        document: Any = {"tokens": elements}
        if draw(st.booleans()):
            document["dry_run"] = draw(weighted((3, st.booleans()), (1, json_values)))
        body: str | None = json.dumps(document)
    elif kind == "anything":
        body = json.dumps(draw(json_values))
    else:
        body = draw(text_bodies(fake_tokens))
    headers = {**draw(extra_headers), **draw(admin_credentials())}
    content_type = draw(weighted((4, st.sampled_from([None, *JSON_TYPES])), (1, content_types)))
    if content_type is not None:
        headers["Content-Type"] = content_type
    return bulk_event(None, None, raw_body=body, headers=headers, query=draw(queries))


@hostile_settings(max_examples=100)
@given(event=bulk_events())
def test_bulk_revoke_as_an_administrator_never_fails_and_revokes_nothing(
    event: dict[str, Any], unchanged: Callable[[], None]
) -> None:
    response = send(REVOKE, event)
    assert_well_formed(response)
    assert response.status not in (401, 403), response.body
    if response.status == 200:
        # One result per element, none of them a change: no generated token is real.
        assert response.body["summary"]["failed"] == 0
        assert not {"revoked", "reset", "deleted", "expired"} & {r["outcome"] for r in response.body["results"]}
    unchanged()
