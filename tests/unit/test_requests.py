"""Reading a request: credentials from headers, the token from a JSON or form body."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.common import CaseInsensitiveDict

from admin_token.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType
from admin_token.models.requests import ABSENT, MAX_BODY_BYTES, credential_from, parse_token_request


def parse(body: str | None, content_type: str | None = "application/json", **kwargs: Any) -> Any:
    headers = CaseInsensitiveDict({"Content-Type": content_type} if content_type else {})
    return parse_token_request(
        headers=headers,
        query=kwargs.get("query", {}),
        body=body,
        base64_encoded=kwargs.get("base64_encoded", False),
        request_id="r",
    )


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"PRIVATE-TOKEN": "glpat-a"}, "glpat-a"),
        ({"private-token": "glpat-a"}, "glpat-a"),
        ({"Authorization": "Bearer glpat-b"}, "glpat-b"),
        ({"authorization": "bearer glpat-b"}, "glpat-b"),
        ({"Authorization": "Basic glpat-b"}, None),
        ({"Authorization": "Bearer "}, None),
        ({"PRIVATE-TOKEN": "glpat-a", "Authorization": "Bearer glpat-b"}, "glpat-a"),
        ({}, None),
    ],
)
def test_credentials(headers: dict[str, str], expected: str | None) -> None:
    assert credential_from(CaseInsensitiveDict(headers)) == expected


def test_json_token() -> None:
    request = parse('{"token": "glpat-x"}')
    assert (request.token, request.candidate, request.problem) == ("glpat-x", "glpat-x", None)


def test_form_token_with_charset() -> None:
    request = parse("token=glpat-x%2By", "application/x-www-form-urlencoded; charset=utf-8")
    assert request.token == "glpat-x+y"


@pytest.mark.parametrize("body", [None, "", "   "])
def test_an_empty_body_has_no_token(body: str | None) -> None:
    request = parse(body)
    assert request.token is ABSENT
    with pytest.raises(InvalidRequest, match="token is missing"):
        request.check_body()


@pytest.mark.parametrize("value", ["null", "1", "[]", "{}", "true"])
def test_a_non_string_token_is_kept_for_its_turn(value: str) -> None:
    request = parse(f'{{"token": {value}}}')
    assert request.candidate is None
    request.check_body()  # present: fine at step 2
    with pytest.raises(InvalidRequest, match="token is invalid"):
        request.check_token()


@pytest.mark.parametrize("digits", [5_000, 60_000])
def test_an_integer_too_long_for_python_is_a_non_string_token(digits: int) -> None:
    request = parse('{"token": 1' + "0" * digits + "}")
    assert request.problem is None
    request.check_body()
    with pytest.raises(InvalidRequest, match=r"^token is invalid$"):
        request.check_token()


def test_query_token_is_a_deferred_problem() -> None:
    request = parse('{"token": "glpat-x"}', query={"token": "glpat-x"})
    assert request.candidate is None
    with pytest.raises(InvalidRequest, match="token must be sent in the request body"):
        request.check_body()


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        ("x" * (MAX_BODY_BYTES + 1), "application/json", PayloadTooLarge),
        ("{", "application/json", InvalidRequest),
        ("[" * 100_00 + "]" * 100_00, "application/json", InvalidRequest),
        ("token=x", "text/plain", UnsupportedMediaType),
        ("&".join(f"f{i}=1" for i in range(200)), "application/x-www-form-urlencoded", InvalidRequest),
    ],
    ids=["too large", "broken", "deep", "text/plain", "too many fields"],
)
def test_malformed_bodies_become_problems_not_exceptions(body: str, content_type: str, error: type) -> None:
    request = parse(body, content_type)
    assert isinstance(request.problem, error)


def test_base64_bodies() -> None:
    encoded = base64.b64encode(b'{"token": "glpat-x"}').decode()
    assert parse(encoded, base64_encoded=True).token == "glpat-x"
    assert isinstance(parse("not base64!!", base64_encoded=True).problem, InvalidRequest)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"PRIVATE-TOKEN": " glpat-a\t"}, "glpat-a"),  # optional whitespace around a field value
        ({"Authorization": "Bearer  glpat-b "}, "glpat-b"),
        ({"Authorization": "Bearer \u3000glpat-b"}, "\u3000glpat-b"),  # not HTTP whitespace: part of the value
        ({"PRIVATE-TOKEN": "\u3000glpat-a"}, "\u3000glpat-a"),
        ({"PRIVATE-TOKEN": " \t "}, None),
    ],
)
def test_credentials_are_trimmed_of_http_whitespace_only(headers: dict[str, str], expected: str | None) -> None:
    assert credential_from(CaseInsensitiveDict(headers)) == expected


@pytest.mark.parametrize(
    ("headers", "multi", "expected"),
    [
        ({"PRIVATE-TOKEN": "glpat-b"}, {"PRIVATE-TOKEN": ["glpat-a", "glpat-b"]}, None),
        ({"PRIVATE-TOKEN": "glpat-a"}, {"PRIVATE-TOKEN": ["glpat-a", "glpat-a"]}, None),
        ({"Authorization": "Bearer b"}, {"Authorization": ["Bearer a", "Bearer b"]}, None),
        ({"PRIVATE-TOKEN": "glpat-a", "private-token": "glpat-b"}, None, None),
        ({"Authorization": "Bearer a", "AUTHORIZATION": "Bearer b"}, None, None),
        ({"PRIVATE-TOKEN": "glpat-a"}, {"PRIVATE-TOKEN": ["glpat-b"]}, None),
        ({"PRIVATE-TOKEN": "glpat-a"}, {"Host": ["x"]}, None),
        ({}, {"PRIVATE-TOKEN": ["glpat-a"]}, None),
        ({"PRIVATE-TOKEN": "glpat-a"}, {"private-token": ["glpat-a"]}, "glpat-a"),
        ({"PRIVATE-TOKEN": "glpat-a"}, None, "glpat-a"),
        (
            {"PRIVATE-TOKEN": "glpat-a", "X-Other": "1"},
            {"PRIVATE-TOKEN": ["glpat-a"], "X-Other": ["1", "1"]},
            "glpat-a",
        ),
    ],
    ids=[
        "repeated",
        "repeated, same value",
        "repeated bearer",
        "two spellings",
        "two spellings of authorization",
        "maps disagree",
        "only in headers",
        "only in multiValueHeaders",
        "names spelled differently in the two maps",
        "no multi-value map",
        "another header repeated",
    ],
)
def test_more_than_one_credential_value_is_no_credential(
    headers: dict[str, str], multi: dict[str, list[str]] | None, expected: str | None
) -> None:
    assert credential_from(headers, multi) == expected


def test_every_input_error_reads_alike() -> None:
    # The API's own `{"error": ...}` texts: lower case, no final full stop, as "token is missing".
    problems = [
        parse("x" * (MAX_BODY_BYTES + 1)).problem,
        parse("not base64!!", base64_encoded=True).problem,
        parse(base64.b64encode(b"\xff").decode(), base64_encoded=True).problem,
        parse("{").problem,
        parse("[]").problem,
        parse("token=x", "text/plain").problem,
        parse("&".join(f"f{i}=1" for i in range(200)), "application/x-www-form-urlencoded").problem,
        parse("{}", query={"token": "x"}).problem,
    ]
    for check in (parse("{}").check_body, parse('{"token": 1}').check_token):
        with pytest.raises(InvalidRequest) as raised:
            check()
        problems.append(raised.value)
    messages = [str(problem) for problem in problems]
    assert len(set(messages)) == len(messages)  # each problem its own text
    for message in messages:
        assert message[0].islower(), message
        assert not message.endswith("."), message


@pytest.mark.parametrize("value", ['"true"', '"false"'])
def test_dry_run_as_a_json_string_is_invalid_never_a_revoke(value: str) -> None:
    request = parse(f'{{"token": "glpat-x", "dry_run": {value}}}')
    with pytest.raises(InvalidRequest, match=r"^dry_run is invalid$"):
        request.check_dry_run()


@pytest.mark.parametrize(("value", "flag"), [("true", True), ("false", False)])
def test_dry_run_as_a_string_is_read_in_a_form(value: str, flag: bool) -> None:
    assert parse(f"token=glpat-x&dry_run={value}", "application/x-www-form-urlencoded").check_dry_run() is flag


@pytest.mark.parametrize("value", ['"true"', '"false"'])
def test_a_bulk_dry_run_as_a_json_string_is_invalid(value: str) -> None:
    from admin_token.models.requests import parse_bulk_revoke_request

    request = parse_bulk_revoke_request(
        headers={"Content-Type": "application/json"},
        query={},
        body=f'{{"tokens": ["glpat-x"], "dry_run": {value}}}',
        base64_encoded=False,
        request_id="r",
    )
    with pytest.raises(InvalidRequest, match=r"^dry_run is invalid$"):
        request.check_dry_run()
