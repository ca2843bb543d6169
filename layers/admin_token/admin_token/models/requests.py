"""What a caller sends: a credential in a header and a token in the body.

Parsing never answers by itself. docs/contract.md orders the checks (caller first, then the body), so
a body problem is kept in `problem` and raised only when its turn comes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any, Final, NotRequired, TypedDict, TypeVar, Unpack
from urllib.parse import parse_qs

from admin_token.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType
from admin_token.json_body import InvalidJson, RepeatedKey, parse_json_object
from admin_token.models.frozen import Frozen

MAX_BODY_BYTES: Final = 64 * 1024
MAX_FORM_FIELDS: Final = 100


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()


class TokenRequest(Frozen, kw_only=False):
    credential: str | None
    token: Any  # ABSENT, or whatever the body held under "token": only a str is a token
    request_id: str
    problem: InvalidRequest | None = None
    dry_run: Any = ABSENT  # ABSENT, or whatever the body held under "dry_run"
    source_ip: str | None = None  # API Gateway's requestContext.identity.sourceIp, for the audit trail
    form: bool = False  # the body was form-encoded, where every value is a string

    @property
    def candidate(self) -> str | None:
        """The token to look up, if the request carries one that could be looked up."""
        return self.token if self.problem is None and isinstance(self.token, str) else None

    def check_body(self) -> None:
        """Order of checks, step 2: the token must come in the body."""
        if self.problem is not None:
            raise self.problem
        if self.token is ABSENT:
            raise InvalidRequest("token is missing")

    def check_token(self) -> str:
        """Order of checks, step 4: it must be a string."""
        if not isinstance(self.token, str):
            raise InvalidRequest("token is invalid")
        return self.token

    def check_dry_run(self) -> bool:
        """Checked with the token: absent is a real revoke; JSON booleans, or "true"/"false" in a form."""
        return dry_run_flag(self.dry_run, form=self.form)


def dry_run_flag(value: Any, *, form: bool = False) -> bool:
    """A JSON boolean; the strings "true"/"false" only in a form, which has no other way to say it.

    In JSON, `"false"` is a string where a boolean belongs: ambiguous, so refused, never a revoke.
    """
    if value is ABSENT:
        return False
    if isinstance(value, bool):
        return value
    if form and value in ("true", "false"):
        return bool(value == "true")
    raise InvalidRequest("dry_run is invalid")


HTTP_WHITESPACE: Final = " \t"
CREDENTIAL_HEADERS: Final = ("private-token", "authorization")


def credential_from(
    headers: Mapping[str, str], multi_value_headers: Mapping[str, Sequence[str]] | None = None
) -> str | None:
    """`PRIVATE-TOKEN: <t>` or `Authorization: Bearer <t>`; header names are case-insensitive.

    `headers` and `multi_value_headers` are the event's two maps as API Gateway sends them.
    A request carrying more than one value for a credential header (repeated, or under two
    spellings of its name), or whose two maps disagree about one, has no credential: which one
    counted would otherwise depend on order, and a caller could slip one past the other.

    Only HTTP's optional whitespace (space, tab) around a value is dropped: anything else,
    Unicode spaces included, is part of the credential and simply will not match.
    """
    found: dict[str, str] = {}
    for name in CREDENTIAL_HEADERS:
        values = _header_values(name, headers, multi_value_headers)
        if values is None or len(values) > 1:
            return None
        if values:
            found[name] = values[0]
    private_token = found.get("private-token", "").strip(HTTP_WHITESPACE)
    if private_token:
        return private_token
    scheme, _, value = found.get("authorization", "").strip(HTTP_WHITESPACE).partition(" ")
    bearer = value.strip(HTTP_WHITESPACE)
    return bearer if scheme.lower() == "bearer" and bearer else None


def _header_values(
    name: str, headers: Mapping[str, str], multi_value_headers: Mapping[str, Sequence[str]] | None
) -> list[str] | None:
    """Every value sent for `name`, or None when the two maps disagree about them."""
    single = [value for key, value in headers.items() if key.lower() == name]
    if not multi_value_headers:
        return single  # an event without the multi-value map (built by hand): only one to read
    multi = [value for key, values in multi_value_headers.items() if key.lower() == name for value in values]
    # API Gateway puts the last value in `headers` and all of them in `multiValueHeaders`.
    if multi[-1:] != single:
        return None
    return multi


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)


class RequestParts(TypedDict):
    """What the token routes read from an event (adapters.token builds it)."""

    headers: Mapping[str, str]
    query: Mapping[str, Any]
    body: str | None
    base64_encoded: bool
    request_id: str
    multi_value_headers: NotRequired[Mapping[str, Sequence[str]] | None]
    source_ip: NotRequired[str | None]


def parse_token_request(**parts: Unpack[RequestParts]) -> TokenRequest:
    return _parse(TokenRequest, SINGLE_BODY, "token", parts)


def parse_bulk_revoke_request(**parts: Unpack[RequestParts]) -> BulkRevokeRequest:
    return _parse(BulkRevokeRequest, BULK_BODY, "tokens", parts)


ParsedRequest = TypeVar("ParsedRequest", "TokenRequest", "BulkRevokeRequest")


def _parse(kind: type[ParsedRequest], rules: BodyRules, field: str, parts: RequestParts) -> ParsedRequest:
    """The request: its credential, and its body's `field` and `dry_run`, or the body's problem."""
    credential = credential_from(parts["headers"], parts.get("multi_value_headers"))
    try:
        fields, form = _body_fields(parts["headers"], parts["query"], parts["body"], parts["base64_encoded"], rules)
    except InvalidRequest as problem:
        return kind(credential, ABSENT, parts["request_id"], problem, source_ip=parts.get("source_ip"))
    return kind(
        credential,
        fields.get(field, ABSENT),
        parts["request_id"],
        dry_run=fields.get("dry_run", ABSENT),
        source_ip=parts.get("source_ip"),
        form=form,
    )


FORM: Final = "application/x-www-form-urlencoded"


class BodyRules(Frozen, kw_only=False):
    """How a route reads its body: the one reading path, with what differs per route."""

    query_refuses: tuple[str, ...]  # names that must not be sent in the query; the first names the 400
    max_bytes: int
    forms: bool  # a form-encoded body is read (else 415)


def _body_fields(
    headers: Mapping[str, str], query: Mapping[str, Any], body: str | None, base64_encoded: bool, rules: BodyRules
) -> tuple[Mapping[str, Any], bool]:
    """The body's fields, and whether they came as a form; `InvalidRequest` for a body not to be read."""
    if any(name in query for name in rules.query_refuses):
        raise InvalidRequest(f"{rules.query_refuses[0]} must be sent in the request body")
    media_type = (_header(headers, "content-type") or "").split(";", 1)[0].strip().lower()
    text = body_text(body, base64_encoded, rules.max_bytes)
    # No content type at all: most API clients that send JSON forget it, so read it as JSON.
    json_media = media_type in ("", "application/json") or media_type.endswith("+json")
    if not rules.forms:
        if media_type == FORM and looks_like_json(text):
            raise UnsupportedMediaType(f"content type must be application/json: {JSON_SENT_AS_FORM}")
        if not json_media:
            raise UnsupportedMediaType("content type must be application/json")
        return (json_body_object(text, media_type) if text.strip() else {}), False
    if not text.strip():
        return {}, media_type == FORM
    if media_type == FORM:
        fields = _fields_from_form(text)
        if "token" not in fields and looks_like_json(text):
            raise InvalidRequest(f"token is missing: {JSON_SENT_AS_FORM}")
        return fields, True
    if json_media:
        return json_body_object(text, media_type), False
    raise UnsupportedMediaType("content type must be application/json or application/x-www-form-urlencoded")


# What a 400 adds when the Content-Type is the likely mistake (`curl -d` sends a form's).
JSON_SENT_AS_FORM: Final = (
    "the body looks like JSON but was sent as a form (curl -d sends Content-Type: "
    "application/x-www-form-urlencoded); send the header Content-Type: application/json"
)
NO_CONTENT_TYPE: Final = (
    "no Content-Type was sent, so the body was read as JSON; a form needs Content-Type: "
    "application/x-www-form-urlencoded"
)


def looks_like_json(text: str) -> bool:
    return text.lstrip().startswith(("{", "["))


def json_body_object(text: str, media_type: str) -> dict[str, Any]:
    """The body's JSON object; a body sent without a Content-Type that fails says so in its 400."""
    try:
        return parse_json_object(text)
    except RepeatedKey:
        raise
    except InvalidJson as error:
        if media_type:
            raise
        raise InvalidJson(f"{error} ({NO_CONTENT_TYPE})") from error


def body_text(body: str | None, base64_encoded: bool, limit: int) -> str:
    """The body as text, refused when over `limit` bytes or not UTF-8."""
    raw = _body_bytes(body, base64_encoded, limit)
    if len(raw) > limit:
        raise PayloadTooLarge("request body too large")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidRequest("request body is not valid UTF-8") from error


def _body_bytes(body: str | None, base64_encoded: bool, limit: int) -> bytes:
    if body is None:
        return b""
    if not base64_encoded:
        return body.encode("utf-8", "surrogatepass")
    if len(body) > limit * 4 // 3 + 4:
        raise PayloadTooLarge("request body too large")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidRequest("request body is not valid base64") from error


def _fields_from_form(text: str) -> dict[str, Any]:
    try:
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError as error:
        raise InvalidRequest("request body is not valid form data") from error
    # A repeated field is a list: not a token, not a flag (order of checks, step 4).
    return {name: values[0] if len(values) == 1 else values for name, values in fields.items()}


MAX_BULK_BODY_BYTES: Final = 256 * 1024
MAX_BULK_TOKENS: Final = 1000
SINGLE_BODY: Final = BodyRules(("token",), MAX_BODY_BYTES, forms=True)
BULK_BODY: Final = BodyRules(("tokens", "token"), MAX_BULK_BODY_BYTES, forms=False)


class BulkRevokeRequest(Frozen, kw_only=False):
    """`POST /api/v4/admin/tokens/revoke`: JSON only, `{"tokens": [...], "dry_run": false}`."""

    credential: str | None
    tokens: Any  # ABSENT, or whatever the body held under "tokens"
    request_id: str
    problem: InvalidRequest | None = None
    dry_run: Any = ABSENT
    source_ip: str | None = None
    form: bool = False  # never: a bulk body is JSON only

    def check_body(self) -> None:
        """Step 2: the list must come in the body."""
        if self.problem is not None:
            raise self.problem
        if self.tokens is ABSENT:
            raise InvalidRequest("tokens is missing")

    def check_tokens(self) -> list[Any]:
        """Step 4: a list of 1 to 1000 elements (each is judged on its own later), and dry_run."""
        if not isinstance(self.tokens, list) or not 1 <= len(self.tokens) <= MAX_BULK_TOKENS:
            raise InvalidRequest(f"tokens must be a list of 1 to {MAX_BULK_TOKENS} tokens")
        return self.tokens

    def check_dry_run(self) -> bool:
        return dry_run_flag(self.dry_run)
