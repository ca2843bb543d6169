"""Malformed input never gives a 5xx, as properties over hostile requests (docs/contract.md, "Order of checks").

Hypothesis builds REST v1 proxy events (tests/support/events.py) and sends them through the
real handlers (LookupFunction and RevokeFunction, via the integration harness): arbitrary
bodies (text; binary, base64-encoded; JSON of any shape, with and without a "token" of any
JSON type; form-encoded with arbitrary fields; huge and deeply nested), arbitrary content
types (missing, with parameters, garbage), arbitrary extra headers, odd credential headers
and arbitrary query strings, both with the administrator's credential and without one or
with garbage.

For every example:

- the status is never >= 500;
- every non-2xx answer has a JSON object body with a "message" or "error" key, and every
  answer with a body says `Content-Type: application/json`;
- nothing changed in the four tables. Generated token values are never a real token (the
  demo plaintexts are filtered out; a lookup may use a real one, and a lookup changes
  nothing), so no revoke driven here may succeed; with the revoke flag off, real tokens are
  sent to revoke too, and still nothing may change.

A body over 64 KiB gets exactly 413 {"error": "request body too large"} from an administrator.

The tables are reseeded per test function, not per example, so each example compares the
tables with the snapshot taken when its test began. The per-example snapshot reads moto's
in-process backend (a DynamoDB Scan of four tables costs ~100 ms); that it shows exactly
what a Scan shows is checked at the start and at the end of every test.

The number of examples run, and how often each answer came back, are reported at the end of
the module. HOSTILE_SCALE=<factor> multiplies every test's example budget (tests/support/hostile_requests.py).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.integration.conftest import Tables, backend_snapshot, call, scan_snapshot
from tests.support import demo
from tests.support.events import proxy_event
from tests.support.hostile_requests import (
    EXAMPLES,
    FORBIDDEN,
    IN_QUERY,
    LOOKUP,
    MAX_BODY_BYTES,
    METHODS,
    OUTCOMES,
    REVOKE,
    TOO_LARGE,
    UNAUTHORIZED,
    admin_credentials,
    assert_well_formed,
    content_types,
    events,
    extra_headers,
    fake_tokens,
    garbage_credentials,
    hostile_settings,
    huge,
    queries,
    queries_with_token,
    real_tokens,
    send,
    short_text,
    weighted,
)

# -- reporting --------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capturing = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capturing is None or not EXAMPLES:
        return
    detail = ", ".join(f"{name}: {count}" for name, count in sorted(EXAMPLES.items()))
    with capturing.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(f"hypothesis examples run: {sum(EXAMPLES.values())} ({detail})")
        reporter.write_line(f"answers: {len(OUTCOMES)} distinct")
        for outcome, count in OUTCOMES.most_common():
            reporter.write_line(f"  {count:5d}  {outcome}")


# -- the properties ---------------------------------------------------------------------------


@hostile_settings(max_examples=140)
@given(event=events("POST", credentials=admin_credentials(), tokens=weighted((2, fake_tokens), (1, real_tokens))))
def test_lookup_as_an_administrator_never_fails_and_changes_nothing(
    event: dict[str, Any], unchanged: Callable[[], None]
) -> None:
    response = send(LOOKUP, event)
    assert_well_formed(response)
    assert response.status not in (401, 403), response.body
    unchanged()


@hostile_settings(max_examples=140)
@given(event=events("DELETE", credentials=admin_credentials(), tokens=fake_tokens))
def test_revoke_as_an_administrator_never_fails_and_revokes_nothing(
    event: dict[str, Any], unchanged: Callable[[], None]
) -> None:
    response = send(REVOKE, event)
    assert_well_formed(response)
    # No generated token is real: nothing can be revoked.
    assert response.status not in (204, 401, 403), response.body
    unchanged()


@hostile_settings(max_examples=40)
@given(
    function=st.sampled_from([LOOKUP, REVOKE]),
    data=st.data(),
)
def test_a_token_in_the_query_string_is_refused_whatever_the_body(
    function: str, data: st.DataObject, unchanged: Callable[[], None]
) -> None:
    event = data.draw(
        events(
            METHODS[function],
            credentials=admin_credentials(),
            tokens=fake_tokens | real_tokens,
            query=queries_with_token,
        )
    )
    response = send(function, event)
    assert (response.status, response.body) == (400, IN_QUERY)
    assert_well_formed(response)
    unchanged()


@hostile_settings(max_examples=140)
@given(function=st.sampled_from([LOOKUP, REVOKE]), data=st.data())
def test_without_a_usable_credential_the_answer_is_always_401(
    function: str, data: st.DataObject, unchanged: Callable[[], None]
) -> None:
    query = queries | queries_with_token
    tokens = fake_tokens | real_tokens
    event = data.draw(events(METHODS[function], credentials=garbage_credentials, tokens=tokens, query=query))
    response = send(function, event)
    assert (response.status, response.body) == (401, UNAUTHORIZED)
    assert_well_formed(response)
    unchanged()


BODY_PROBLEMS = (400, 413, 415)
FLAG_OFF = {"message": "'api_admin_token_revoke' feature flag is disabled"}


@pytest.fixture
def revoke_flag_off(tables: dict[str, str], set_flags: Any) -> None:
    # After `tables`, which deploys the default flags.
    set_flags(api_admin_token_revoke={"default": False})


@hostile_settings(max_examples=40)
@given(data=st.data())
def test_with_the_revoke_flag_off_nothing_is_revoked_whatever_the_request(
    data: st.DataObject, revoke_flag_off: None, unchanged: Callable[[], None]
) -> None:
    # Real tokens too: with the flag off not even they may be revoked.
    event = data.draw(events("DELETE", credentials=admin_credentials(), tokens=fake_tokens | real_tokens))
    response = send(REVOKE, event)
    assert_well_formed(response)
    if response.status not in BODY_PROBLEMS:
        assert (response.status, response.body) == (404, FLAG_OFF)
    unchanged()


UNFIT_CALLERS = {
    demo.ADMIN_EXPIRED: (401, UNAUTHORIZED),
    demo.ADMIN_REVOKED: (401, UNAUTHORIZED),
    demo.AGENT: (401, UNAUTHORIZED),  # not a personal access token
    demo.ALICE_SESSION: (401, UNAUTHORIZED),
    demo.ADMIN_READ_API: (403, FORBIDDEN),
    demo.NON_ADMIN: (403, FORBIDDEN),
    demo.BLOCKED_ADMIN: (403, FORBIDDEN),
    demo.PROJECT_BOT_PAT: (403, FORBIDDEN),
}


@hostile_settings(max_examples=60)
@given(
    function=st.sampled_from([LOOKUP, REVOKE]),
    credential=st.sampled_from(sorted(UNFIT_CALLERS)),
    header=st.sampled_from(["PRIVATE-TOKEN", "private-token", "Authorization", "authorization"]),
    scheme=st.sampled_from(["Bearer ", "bearer ", "BEARER ", "Bearer    "]),
    padding=st.text(alphabet=" ", max_size=3),
    data=st.data(),
)
def test_unfit_callers_are_refused_whatever_the_request(
    function: str,
    credential: str,
    header: str,
    scheme: str,
    padding: str,
    data: st.DataObject,
    unchanged: Callable[[], None],
) -> None:
    value = credential if header.lower() == "private-token" else scheme + credential + padding
    event = data.draw(events(METHODS[function], credentials=st.just({header: value}), tokens=fake_tokens | real_tokens))
    response = send(function, event)
    assert (response.status, response.body) == UNFIT_CALLERS[credential]
    assert_well_formed(response)
    unchanged()


# -- 64 KiB -----------------------------------------------------------------------------------

large_bodies = st.one_of(
    st.builds(huge, st.text(min_size=1, max_size=20), st.integers(0, 50_000)),
    st.builds(
        lambda value, pad: json.dumps({"token": value, "pad": "x" * pad}),
        fake_tokens,
        st.integers(MAX_BODY_BYTES, 90_000),
    ),
    st.builds(
        lambda value, pad: urlencode({"token": value, "pad": "x" * pad}, errors="surrogatepass"),
        fake_tokens,
        st.integers(MAX_BODY_BYTES, 90_000),
    ),
    st.builds(lambda depth: "[" * depth + "]" * depth, st.integers(MAX_BODY_BYTES // 2 + 1, 60_000)),
    st.builds(lambda piece: "é" * (MAX_BODY_BYTES // 2 + 1) + piece, short_text),  # over in bytes, not characters
)


@hostile_settings(max_examples=40)
@given(
    function=st.sampled_from([LOOKUP, REVOKE]),
    body=large_bodies,
    encode=st.booleans(),
    credentials=admin_credentials(),
    content_type=content_types,
    headers=extra_headers,
)
@example(
    function=LOOKUP,
    body="x" * (MAX_BODY_BYTES + 1),
    encode=False,
    credentials={"PRIVATE-TOKEN": demo.ADMIN},
    content_type=None,
    headers={},
)
@example(
    function=REVOKE,
    body="x" * (MAX_BODY_BYTES + 1),
    encode=True,
    credentials={"PRIVATE-TOKEN": demo.ADMIN},
    content_type="text/plain",
    headers={},
)
def test_a_body_over_64_kib_is_413(
    function: str,
    body: str,
    encode: bool,
    credentials: dict[str, str],
    content_type: str | None,
    headers: dict[str, str],
    unchanged: Callable[[], None],
) -> None:
    assert len(body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES
    all_headers = {**headers, **credentials}
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    raw = base64.b64encode(body.encode("utf-8", "surrogatepass")).decode() if encode else body
    response = send(function, proxy_event(METHODS[function], raw_body=raw, headers=all_headers, base64_encoded=encode))
    assert (response.status, response.body) == (413, TOO_LARGE)
    assert_well_formed(response)
    unchanged()


@pytest.mark.parametrize("function", [LOOKUP, REVOKE])
@pytest.mark.parametrize("encode", [False, True], ids=["plain", "base64"])
def test_64_kib_exactly_is_read_and_one_byte_more_is_413(
    function: str, encode: bool, unchanged: Callable[[], None]
) -> None:
    def body_of(size: int) -> str:
        document = json.dumps({"token": "glpat-noSuchTokenAnywhere00", "pad": ""})
        text = document[:-2] + "x" * (size - len(document)) + '"}'
        assert len(text.encode()) == size
        return base64.b64encode(text.encode()).decode() if encode else text

    headers = {"PRIVATE-TOKEN": demo.ADMIN, "Content-Type": "application/json"}
    at_limit = send(
        function,
        proxy_event(METHODS[function], raw_body=body_of(MAX_BODY_BYTES), headers=headers, base64_encoded=encode),
    )
    assert (at_limit.status, at_limit.body) == (404, {"message": {"error": "Not found"}})
    over = send(
        function,
        proxy_event(METHODS[function], raw_body=body_of(MAX_BODY_BYTES + 1), headers=headers, base64_encoded=encode),
    )
    assert (over.status, over.body) == (413, TOO_LARGE)
    unchanged()


def test_the_table_check_sees_a_revoke(db: Tables) -> None:
    """The per-example snapshot is not blind: a real revoke shows in it, as it does in a Scan."""
    before = backend_snapshot(db.names)
    assert before == scan_snapshot(db)
    event = proxy_event("DELETE", body={"token": demo.AGENT}, headers={"PRIVATE-TOKEN": demo.ADMIN})
    assert call(REVOKE, event).status == 204
    after = backend_snapshot(db.names)
    assert after != before
    assert after == scan_snapshot(db)
    assert len(after["AuditTable"]) == len(before["AuditTable"]) + 1
