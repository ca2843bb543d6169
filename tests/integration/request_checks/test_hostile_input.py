"""Spec §3 "malformed input never gives a 5xx", as properties over hostile requests.

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
the module. HOSTILE_INPUT_SCALE=<factor> multiplies every test's example budget (the default
budget keeps the module around a minute).
"""

from __future__ import annotations

import base64
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import hypothesis
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
from moto.dynamodb.models import dynamodb_backends

from admin_token.token_types import REGISTRY
from admin_token_local.seed import DEMO_SEED_PATH
from tests.integration.conftest import ApiResponse, Tables, call
from tests.support import demo
from tests.support.events import bulk_event, proxy_event

LOOKUP, REVOKE = "LookupFunction", "RevokeFunction"
METHODS = {LOOKUP: "POST", REVOKE: "DELETE"}
MAX_BODY_BYTES = 64 * 1024
TOO_LARGE = {"error": "request body too large"}
UNAUTHORIZED = {"message": "401 Unauthorized"}
FORBIDDEN = {"message": "403 Forbidden"}
IN_QUERY = {"error": "token must be sent in the request body"}

EXAMPLES: Counter[str] = Counter()
OUTCOMES: Counter[str] = Counter()


SCALE = float(os.environ.get("HOSTILE_INPUT_SCALE", "1"))


def _settings(max_examples: int) -> settings:
    return settings(
        max_examples=max(1, round(max_examples * SCALE)),
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


def _real_tokens() -> frozenset[str]:
    seed = json.loads(DEMO_SEED_PATH.read_text(encoding="utf-8"))
    found = {
        record[key]
        for records in seed.values()
        for record in records
        for key in ("token", "secret", "feed_token", "incoming_email_token")
        if isinstance(record.get(key), str)
    }
    found.update("_gitlab_session=" + session["session_id"] for session in seed["sessions"])
    return frozenset(found)


REAL_TOKENS = _real_tokens()
PREFIXES = sorted({prefix for token_type in REGISTRY for prefix in token_type.prefixes} | {"gloas-"})
CREDENTIAL_HEADERS = ("private-token", "authorization")


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


# -- the tables must not change ---------------------------------------------------------------

Snapshot = dict[str, list[str]]


def _backend_snapshot(names: dict[str, str]) -> Snapshot:
    """Every item of the four tables, read from moto's backend in this process (~1 ms)."""
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    return {
        name: sorted(
            json.dumps(item.to_json()["Attributes"], sort_keys=True) for item in backend.tables[name].all_items()
        )
        for name in names.values()
    }


def _scan_snapshot(db: Tables) -> Snapshot:
    """The same, through the DynamoDB API: a paginated, consistent Scan of each table."""
    snapshot: Snapshot = {}
    for name in db.names.values():
        items: list[dict[str, Any]] = []
        arguments: dict[str, Any] = {"TableName": name, "ConsistentRead": True}
        while True:
            page = db.client.scan(**arguments)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        snapshot[name] = sorted(json.dumps(item, sort_keys=True) for item in items)
    return snapshot


@pytest.fixture
def unchanged(db: Tables) -> Iterator[Callable[[], None]]:
    """A check that the tables still hold exactly what they held when the test began."""
    baseline = _scan_snapshot(db)
    assert baseline == _backend_snapshot(db.names), "moto's backend and a Scan disagree"
    assert baseline["TokensTable"], "the tables were not seeded"

    def check() -> None:
        after = _backend_snapshot(db.names)
        changed = {name: (len(baseline[name]), len(items)) for name, items in after.items() if items != baseline[name]}
        assert not changed, f"tables changed (items before, after): {changed}"

    yield check
    assert _scan_snapshot(db) == baseline


# -- strategies -------------------------------------------------------------------------------

# Text of every kind, lone surrogates included (a JSON event may carry "\ud800").
any_text = st.text(max_size=60) | st.text(st.characters(categories=["Cs", "Zs", "Cc"]), max_size=10)
short_text = st.text(max_size=40)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**30, max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | short_text
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(short_text, children, max_size=4),
    max_leaves=12,
)


def _near_miss(token: str, position: int, character: str) -> str:
    position %= len(token) + 1
    return token[:position] + character + token[position + 1 :]


# A string token: anything; a known prefix and anything; a known prefix alone; a real token
# with one character changed. Never a real token.
fake_tokens = st.one_of(
    any_text,
    st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(PREFIXES), any_text),
    st.sampled_from(PREFIXES),
    st.builds(_near_miss, st.sampled_from(sorted(REAL_TOKENS)), st.integers(0, 64), st.characters()),
).filter(lambda token: token not in REAL_TOKENS)
real_tokens = st.sampled_from(sorted(REAL_TOKENS))


def _json_body(document: Any, ensure_ascii: bool) -> str:
    return json.dumps(document, ensure_ascii=ensure_ascii)


def _nested(depth: int, opener: str, token_value: str) -> str:
    closer = {"[": "]", '{"token":': "}", '{"a":': "}"}[opener]
    return opener * depth + json.dumps(token_value) + closer * depth


def _huge(piece: str, extra: int) -> str:
    """More than 64 KiB once UTF-8 encoded, cheaply: a generated piece repeated."""
    size = max(1, len(piece.encode("utf-8", "surrogatepass")))
    return piece * ((MAX_BODY_BYTES + 1 + extra) // size + 1)


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, picked in proportion to its weight."""
    return st.sampled_from([strategy for weight, strategy in choices for _ in range(weight)]).flatmap(
        lambda strategy: strategy
    )


def json_bodies(tokens: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """JSON of any shape; mostly an object with a "token" of any JSON type, mostly a string."""
    with_token = st.builds(
        lambda extra, value: {**extra, "token": value},
        st.dictionaries(short_text, json_values, max_size=4),
        weighted((3, tokens), (1, json_values)),
    )
    without_token = st.dictionaries(short_text.filter(lambda key: key != "token"), json_values, max_size=5)
    return weighted(
        (5, st.builds(_json_body, with_token, st.booleans())),
        (1, st.builds(_json_body, without_token, st.booleans())),
        (1, st.builds(_json_body, json_values, st.booleans())),
        (1, st.builds(_nested, st.integers(1, 40_000), st.sampled_from(["[", '{"token":', '{"a":']), tokens)),
        (1, st.builds(lambda value: " " * (MAX_BODY_BYTES - 40) + json.dumps({"token": value}), tokens)),
    )


def form_bodies(tokens: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Form-encoded fields, arbitrary ones and "token" ones, escaped or not; form-ish garbage."""
    names = weighted(
        (2, st.just("token")), (1, st.sampled_from(["Token", "token[]", "tok%65n", "token "])), (2, short_text)
    )
    fields = st.lists(st.tuples(names, weighted((2, tokens), (1, any_text))), max_size=6)
    return weighted(
        (4, st.builds(lambda fields: urlencode(fields, errors="surrogatepass"), fields)),
        (2, st.builds(lambda fields: "&".join(f"{key}={value}" for key, value in fields), fields)),  # unescaped
        (1, st.text(alphabet="token=&%+;[]glpat-xX0", max_size=60)),
        (1, st.builds(lambda count: "&".join(f"f{index}=v" for index in range(count)), st.integers(90, 150))),
    )


def text_bodies(tokens: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    """Any request body as API Gateway hands it over, before any base64 encoding."""
    return st.one_of(
        st.none(),
        st.just(""),
        any_text,
        json_bodies(tokens),
        form_bodies(tokens),
        st.builds(_huge, st.text(min_size=1, max_size=20), st.integers(0, 5_000)),
    )


JSON_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    " application/json ;q=1",
    "application/vnd.api+json",
    "application/merge-patch+json; x=y",
]
FORM_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=UTF-8",
    "Application/X-WWW-Form-Urlencoded",
    "application/x-www-form-urlencoded;;",
]
CONTENT_TYPES = [
    *JSON_TYPES,
    *FORM_TYPES,
    "text/plain",
    "multipart/form-data; boundary=xyz",
    "application/xml",
    "",
    ";",
    ";;application/json",
    "application/json\x00",
    "*/*",
]
content_types = st.none() | st.sampled_from(CONTENT_TYPES) | any_text
content_type_names = st.sampled_from(["Content-Type", "content-type", "CONTENT-TYPE", "Content-type"])

COMMON_HEADERS = [
    "Accept",
    "Accept-Encoding",
    "Origin",
    "Cookie",
    "User-Agent",
    "Host",
    "X-Forwarded-For",
    "X-Amzn-Trace-Id",
    "Content-Length",
    "Transfer-Encoding",
    "Access-Control-Request-Method",
    "X-HTTP-Method-Override",
    "Token",
    "X-Private-Token",
]
header_names = (st.sampled_from(COMMON_HEADERS) | any_text.filter(bool)).filter(
    lambda name: name.lower() not in (*CREDENTIAL_HEADERS, "content-type")
)
extra_headers = st.dictionaries(header_names, any_text, max_size=6)

queries = st.none() | st.dictionaries(short_text.filter(lambda key: key != "token"), any_text, max_size=4)
queries_with_token = st.builds(
    lambda query, value: {**query, "token": value}, st.dictionaries(short_text, short_text), any_text
)

# Credential header values that are no credential at all.
garbage_values = st.one_of(
    st.just(""),
    st.just("Bearer"),
    st.just("Bearer "),
    st.just("bearer\t"),
    st.text(alphabet=" \t", max_size=50),
    any_text,
    st.text(st.characters(min_codepoint=0x80), min_size=1, max_size=40),
    st.builds(lambda piece, count: piece * count, st.text(min_size=1, max_size=8), st.integers(1_000, 20_000)),
    st.builds(
        lambda scheme, value: f"{scheme} {value}", st.sampled_from(["Bearer", "bearer", "Basic", "Token"]), any_text
    ),
    fake_tokens,
).filter(lambda value: all(token not in value for token in REAL_TOKENS))
garbage_credentials = st.one_of(
    st.just({}),
    st.builds(
        lambda name, value: {name: value},
        st.sampled_from(["PRIVATE-TOKEN", "private-token", "Private-Token"]),
        garbage_values,
    ),
    st.builds(lambda name, value: {name: value}, st.sampled_from(["Authorization", "authorization"]), garbage_values),
    st.builds(lambda a, b: {"PRIVATE-TOKEN": a, "Authorization": b}, garbage_values, garbage_values),
)


def admin_credentials() -> st.SearchStrategy[dict[str, str]]:
    return st.sampled_from(
        [
            {"PRIVATE-TOKEN": demo.ADMIN},
            {"private-token": demo.ADMIN},
            {"Authorization": f"Bearer {demo.ADMIN}"},
            {"authorization": f"bearer   {demo.ADMIN}  "},
            {"PRIVATE-TOKEN": "", "Authorization": f"Bearer {demo.ADMIN}"},
        ]
    )


def events(
    method: str,
    *,
    credentials: st.SearchStrategy[dict[str, str]],
    tokens: st.SearchStrategy[str],
    query: st.SearchStrategy[dict[str, str] | None] = queries,
) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        # Mostly a well-formed envelope (so that the token itself gets examined), else anything.
        kind = draw(st.sampled_from(["json", "json", "form", "anything"]))
        body: str | None
        content_type: str | None
        if kind == "json":
            body = draw(json_bodies(tokens))
            content_type = draw(weighted((4, st.sampled_from([None, *JSON_TYPES])), (1, content_types)))
        elif kind == "form":
            body = draw(form_bodies(tokens))
            content_type = draw(weighted((4, st.sampled_from(FORM_TYPES)), (1, content_types)))
        else:
            body = draw(text_bodies(tokens))
            content_type = draw(content_types)
        headers = {**draw(extra_headers), **draw(credentials)}
        if content_type is not None:
            headers[draw(content_type_names)] = content_type
        transport = draw(st.sampled_from(["plain"] * 5 + ["base64"] * 2 + ["base64 of bytes", "bad base64"]))
        base64_encoded = transport != "plain"
        if transport == "base64" and body is not None:
            body = base64.b64encode(body.encode("utf-8", "surrogatepass")).decode()
        elif transport == "base64 of bytes":
            body = base64.b64encode(draw(st.binary(max_size=200))).decode()
        event = proxy_event(method, raw_body=body, headers=headers, query=draw(query), base64_encoded=base64_encoded)
        if not headers and draw(st.booleans()):
            event["headers"] = event["multiValueHeaders"] = None  # what API Gateway sends for none
        return event

    return build()


# -- the properties ---------------------------------------------------------------------------


def send(function: str, event: dict[str, Any]) -> ApiResponse:
    generated = hypothesis.currently_in_test_context()
    if generated:
        EXAMPLES[function] += 1
    try:
        response = call(function, event)
    except json.JSONDecodeError as error:
        pytest.fail(f"the response body is not JSON: {error}")
    outcome = f"{response.status} {json.dumps(response.body)[:60]}" if response.status != 200 else "200"
    if generated:
        OUTCOMES[outcome] += 1
        hypothesis.event(outcome)  # --hypothesis-show-statistics shows which answers were reached
    return response


def assert_well_formed(response: ApiResponse) -> None:
    assert response.status < 500, (response.status, response.body)
    if response.status == 204:
        assert not response.raw.get("body")
        return
    assert response.headers.get("Content-Type") == "application/json", response.headers
    if not 200 <= response.status < 300:
        assert isinstance(response.body, dict), response.body
        assert "message" in response.body or "error" in response.body, response.body


@_settings(max_examples=140)
@given(event=events("POST", credentials=admin_credentials(), tokens=weighted((2, fake_tokens), (1, real_tokens))))
def test_lookup_as_an_administrator_never_fails_and_changes_nothing(
    event: dict[str, Any], unchanged: Callable[[], None]
) -> None:
    response = send(LOOKUP, event)
    assert_well_formed(response)
    assert response.status not in (401, 403), response.body
    unchanged()


@_settings(max_examples=140)
@given(event=events("DELETE", credentials=admin_credentials(), tokens=fake_tokens))
def test_revoke_as_an_administrator_never_fails_and_revokes_nothing(
    event: dict[str, Any], unchanged: Callable[[], None]
) -> None:
    response = send(REVOKE, event)
    assert_well_formed(response)
    # No generated token is real: nothing can be revoked.
    assert response.status not in (204, 401, 403), response.body
    unchanged()


@_settings(max_examples=40)
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


@_settings(max_examples=140)
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


@_settings(max_examples=40)
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


@_settings(max_examples=60)
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
    st.builds(_huge, st.text(min_size=1, max_size=20), st.integers(0, 50_000)),
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


@_settings(max_examples=40)
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
    before = _backend_snapshot(db.names)
    assert before == _scan_snapshot(db)
    event = proxy_event("DELETE", body={"token": demo.AGENT}, headers={"PRIVATE-TOKEN": demo.ADMIN})
    assert call(REVOKE, event).status == 204
    after = _backend_snapshot(db.names)
    assert after != before
    assert after == _scan_snapshot(db)
    assert len(after["AuditTable"]) == len(before["AuditTable"]) + 1


# -- bulk revoke (issue 7) ---------------------------------------------------------------------

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


@_settings(max_examples=100)
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
