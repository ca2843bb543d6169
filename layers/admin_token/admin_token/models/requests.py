"""What a caller sends: a credential in a header and a token in the body.

Parsing never answers by itself. Spec §3 orders the checks (caller first, then the body), so
a body problem is kept in `problem` and raised only when its turn comes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs

from admin_token.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType
from admin_token.json_body import InvalidJson, RepeatedKey, parse_json_object

MAX_BODY_BYTES: Final = 64 * 1024
MAX_FORM_FIELDS: Final = 100


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()


@dataclass(frozen=True)
class TokenRequest:
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
        """Spec §3 step 2: the token must come in the body."""
        if self.problem is not None:
            raise self.problem
        if self.token is ABSENT:
            raise InvalidRequest("token is missing")

    def check_token(self) -> str:
        """Spec §3 step 4: it must be a string."""
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


def parse_token_request(
    *,
    headers: Mapping[str, str],
    query: Mapping[str, Any],
    body: str | None,
    base64_encoded: bool,
    request_id: str,
    multi_value_headers: Mapping[str, Sequence[str]] | None = None,
    source_ip: str | None = None,
) -> TokenRequest:
    credential = credential_from(headers, multi_value_headers)
    if "token" in query:
        problem = InvalidRequest("token must be sent in the request body")
        return TokenRequest(credential, ABSENT, request_id, problem, source_ip=source_ip)
    media_type = (_header(headers, "content-type") or "").split(";", 1)[0].strip().lower()
    form = media_type == "application/x-www-form-urlencoded"
    try:
        fields = _fields_from_body(media_type, body, base64_encoded)
    except InvalidRequest as problem:
        return TokenRequest(credential, ABSENT, request_id, problem, source_ip=source_ip)
    token, dry_run = fields.get("token", ABSENT), fields.get("dry_run", ABSENT)
    return TokenRequest(credential, token, request_id, dry_run=dry_run, source_ip=source_ip, form=form)


def _fields_from_body(media_type: str, body: str | None, base64_encoded: bool) -> Mapping[str, Any]:
    text = body_text(body, base64_encoded, MAX_BODY_BYTES)
    if not text.strip():
        return {}
    if media_type == "application/x-www-form-urlencoded":
        fields = _fields_from_form(text)
        if "token" not in fields and looks_like_json(text):
            raise InvalidRequest(f"token is missing: {JSON_SENT_AS_FORM}")
        return fields
    # No content type at all: most API clients that send JSON forget it, so read it as JSON.
    if media_type in ("", "application/json") or media_type.endswith("+json"):
        return json_body_object(text, media_type)
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
    # A repeated field is a list: not a token, not a flag (spec §3 step 4).
    return {name: values[0] if len(values) == 1 else values for name, values in fields.items()}


MAX_BULK_BODY_BYTES: Final = 256 * 1024
MAX_BULK_TOKENS: Final = 1000


@dataclass(frozen=True)
class BulkRevokeRequest:
    """`POST /api/v4/admin/tokens/revoke`: JSON only, `{"tokens": [...], "dry_run": false}`."""

    credential: str | None
    tokens: Any  # ABSENT, or whatever the body held under "tokens"
    request_id: str
    problem: InvalidRequest | None = None
    dry_run: Any = ABSENT
    source_ip: str | None = None

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


def parse_bulk_revoke_request(
    *,
    headers: Mapping[str, str],
    query: Mapping[str, Any],
    body: str | None,
    base64_encoded: bool,
    request_id: str,
    multi_value_headers: Mapping[str, Sequence[str]] | None = None,
    source_ip: str | None = None,
) -> BulkRevokeRequest:
    credential = credential_from(headers, multi_value_headers)

    def refused(problem: InvalidRequest) -> BulkRevokeRequest:
        return BulkRevokeRequest(credential, ABSENT, request_id, problem, source_ip=source_ip)

    if "tokens" in query or "token" in query:
        return refused(InvalidRequest("tokens must be sent in the request body"))
    try:
        text = body_text(body, base64_encoded, MAX_BULK_BODY_BYTES)
        media_type = (_header(headers, "content-type") or "").split(";", 1)[0].strip().lower()
        if media_type == "application/x-www-form-urlencoded" and looks_like_json(text):
            raise UnsupportedMediaType(f"content type must be application/json: {JSON_SENT_AS_FORM}")
        if media_type not in ("", "application/json") and not media_type.endswith("+json"):
            raise UnsupportedMediaType("content type must be application/json")
        document = json_body_object(text, media_type) if text.strip() else {}
    except InvalidRequest as problem:
        return refused(problem)
    return BulkRevokeRequest(
        credential,
        document.get("tokens", ABSENT),
        request_id,
        dry_run=document.get("dry_run", ABSENT),
        source_ip=source_ip,
    )
