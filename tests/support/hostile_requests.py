"""Hostile requests for property tests: hypothesis strategies for REST v1 proxy events (bodies,
content types, headers, credentials and query strings of every shape), and `send`, which runs one
through a real handler and counts what came back for the module's report."""

from __future__ import annotations

import base64
import json
import os
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import hypothesis
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from admin_token.token_types import PREFIXES as REGISTRY_PREFIXES
from admin_token_local.seed import DEMO_SEED_PATH
from tests.integration.conftest import ApiResponse, call
from tests.support import demo
from tests.support.events import proxy_event

LOOKUP, REVOKE = "LookupFunction", "RevokeFunction"
METHODS = {LOOKUP: "POST", REVOKE: "DELETE"}
MAX_BODY_BYTES = 64 * 1024
TOO_LARGE = {"error": "request body too large"}
UNAUTHORIZED = {"message": "401 Unauthorized"}
FORBIDDEN = {"message": "403 Forbidden"}
IN_QUERY = {"error": "token must be sent in the request body"}

EXAMPLES: Counter[str] = Counter()
OUTCOMES: Counter[str] = Counter()


# Every generated-input test's budget is multiplied by HOSTILE_SCALE (`make soak` sets 4): one
# knob for the hostile inputs, bulk bodies, findings, audit queries, schemathesis and the barrage.
SCALE = float(os.environ.get("HOSTILE_SCALE", "1"))


def scaled(budget: int) -> int:
    """A budget (examples, requests) times HOSTILE_SCALE; at least 1."""
    return max(1, round(budget * SCALE))


def hostile_settings(max_examples: int, *, derandomize: bool = False) -> settings:
    """Hypothesis' settings for a hostile-input test: a scaled budget, no deadline (a handler call
    through moto has no stable duration), and none of the health checks that large or
    fixture-driven examples trip. `derandomize`: the same examples every run, no database."""
    return settings(
        max_examples=scaled(max_examples),
        deadline=None,
        derandomize=derandomize,
        database=None if derandomize else settings.default.database,
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
PREFIXES = sorted(set(REGISTRY_PREFIXES) | {"gloas-"})
CREDENTIAL_HEADERS = ("private-token", "authorization")


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


def huge(piece: str, extra: int) -> str:
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
        st.builds(huge, st.text(min_size=1, max_size=20), st.integers(0, 5_000)),
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
