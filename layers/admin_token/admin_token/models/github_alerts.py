"""What GitHub's secret scanning sends `POST /v1/github/secret_scanning`: a signed JSON array of matches.

GitHub posts `[{"token", "type", "url", "source"}]` with `Github-Public-Key-Identifier` and
`Github-Public-Key-Signature` (base64 DER ECDSA over the raw body). Reading the request keeps the
raw bytes and the two headers and parses nothing: the body is only parsed once its signature
verifies (`AlertRequest.parsed`), and each problem then waits for its turn in the contract's order
(413, 401, the flag, 400).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any, Final

from admin_token.errors import InvalidRequest, PayloadTooLarge
from admin_token.json_body import InvalidJson, parse_json
from admin_token.models.frozen import Frozen
from admin_token.models.requests import HTTP_WHITESPACE

MAX_ALERT_BODY_BYTES: Final = 6_291_456  # Lambda's synchronous payload limit
MAX_MATCHES: Final = 10_000
KEY_IDENTIFIER_HEADER: Final = "Github-Public-Key-Identifier"
SIGNATURE_HEADER: Final = "Github-Public-Key-Signature"


class Match(Frozen, kw_only=False):
    """One match as validated: the plaintext lives only in memory, for this request."""

    token: str
    token_type: str  # GitHub's name of the pattern that matched, echoed in the feedback
    location: str | None  # the match's URL; "" is no location


class ParsedAlert(Frozen, kw_only=False):
    document: Any  # None when `problem` is set
    problem: InvalidRequest | None = None

    def check_count(self) -> None:
        """413: more matches than one request may carry."""
        if self.problem is None and isinstance(self.document, list) and len(self.document) > MAX_MATCHES:
            raise PayloadTooLarge(f"at most {MAX_MATCHES} matches per request")

    def check_matches(self) -> list[Match]:
        """400, all or nothing: the first bad match rejects the alert, and says which."""
        if self.problem is not None:
            raise self.problem
        if not isinstance(self.document, list):
            raise InvalidRequest("request body must be a JSON array of matches")
        matches = []
        for index, element in enumerate(self.document):
            if not isinstance(element, dict):
                raise InvalidRequest(f"match {index} must be an object")
            token, token_type, url = element.get("token"), element.get("type", ""), element.get("url")
            if not isinstance(token, str) or not token:
                raise InvalidRequest(f"match {index}: token must be a non-empty string")
            if not isinstance(token_type, str):
                raise InvalidRequest(f"match {index}: type must be a string")
            if url is not None and not isinstance(url, str):
                raise InvalidRequest(f"match {index}: url must be a string")
            if not isinstance(element.get("source", ""), str):
                raise InvalidRequest(f"match {index}: source must be a string")
            matches.append(Match(token, token_type, url or None))
        return matches


class AlertRequest(Frozen, kw_only=False):
    body: bytes | None  # the raw bytes GitHub signed; None when they cannot be had (too large, bad base64)
    key_identifier: str | None
    signature: str | None
    request_id: str
    too_large: bool = False

    def check_size(self) -> None:
        """413: a body over Lambda's payload limit (found while reading, before anything is parsed)."""
        if self.too_large:
            raise PayloadTooLarge("request body too large")

    def parsed(self) -> ParsedAlert:
        """The body as JSON: only ever called on a body whose signature verified."""
        try:
            text = (self.body or b"").decode("utf-8")
        except UnicodeDecodeError:
            return ParsedAlert(None, InvalidRequest("request body is not valid UTF-8"))
        try:
            return ParsedAlert(parse_json(text))
        except InvalidJson as problem:  # a repeated key, NaN, not JSON: the service's one rule
            return ParsedAlert(None, problem)


def one_header(name: str, headers: Mapping[str, str], multi_value_headers: Mapping[str, Sequence[str]]) -> str | None:
    """The header's one value (any case); None when absent, empty, or sent more than once."""
    single = [value for key, value in headers.items() if key.lower() == name.lower()]
    multi = [value for key, values in (multi_value_headers or {}).items() if key.lower() == name.lower()
             for value in values]  # fmt: skip
    values = multi if multi_value_headers else single
    if len(values) != 1 or (multi_value_headers and multi[-1:] != single):
        return None
    return values[0].strip(HTTP_WHITESPACE) or None


def parse_alert_request(
    *,
    headers: Mapping[str, str],
    multi_value_headers: Mapping[str, Sequence[str]],
    body: str | None,
    base64_encoded: bool,
    request_id: str,
) -> AlertRequest:
    key_identifier = one_header(KEY_IDENTIFIER_HEADER, headers, multi_value_headers)
    signature = one_header(SIGNATURE_HEADER, headers, multi_value_headers)
    if base64_encoded and body is not None and len(body) > MAX_ALERT_BODY_BYTES * 4 // 3 + 4:
        return AlertRequest(None, key_identifier, signature, request_id, too_large=True)  # whatever it decodes to
    raw = _raw_body(body, base64_encoded)
    if raw is not None and len(raw) > MAX_ALERT_BODY_BYTES:
        return AlertRequest(None, key_identifier, signature, request_id, too_large=True)
    return AlertRequest(raw, key_identifier, signature, request_id)


def _raw_body(body: str | None, base64_encoded: bool) -> bytes | None:
    """The bytes as received: API Gateway hands a text body over as the UTF-8 it decoded."""
    if body is None:
        return b""
    if not base64_encoded:
        return body.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None  # no bytes, so no signature can verify: 401
