"""What GitLab's secret detection sends `POST /v1/revoke_tokens`: a JSON array of findings.

GitLab's `Security::TokenRevocationService` posts `[{"type", "token", "location", "vulnerability"}]`
with the pre-shared token bare in `Authorization`. Parsing never answers by itself: the contract
orders the checks (401, 413, the flag, then 400), so each problem waits for its turn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from admin_token.errors import InvalidRequest, PayloadTooLarge
from admin_token.json_body import parse_json
from admin_token.models.requests import HTTP_WHITESPACE, body_text

# Lambda's synchronous payload limit, and the most findings one request may carry.
MAX_FINDINGS_BODY_BYTES: Final = 6_291_456
MAX_FINDINGS: Final = 10_000


@dataclass(frozen=True)
class Finding:
    """One finding as validated: the plaintext lives only in memory, for this request."""

    rule_type: str
    token: str
    location: str | None


@dataclass(frozen=True)
class FindingsRequest:
    credential: str | None
    document: Any  # the parsed body; None when `problem` is set
    request_id: str
    problem: InvalidRequest | None = None

    def check_size(self) -> None:
        """413: too many bytes (found while reading) or too many findings."""
        if isinstance(self.problem, PayloadTooLarge):
            raise self.problem
        if self.problem is None and isinstance(self.document, list) and len(self.document) > MAX_FINDINGS:
            raise PayloadTooLarge(f"at most {MAX_FINDINGS} findings per request")

    def check_findings(self, known_types: Sequence[str]) -> list[Finding]:
        """400, all or nothing: the first bad finding rejects the request, and says which."""
        if self.problem is not None:
            raise self.problem
        if not isinstance(self.document, list):
            raise InvalidRequest("request body must be a JSON array of findings")
        findings = []
        for index, element in enumerate(self.document):
            if not isinstance(element, dict):
                raise InvalidRequest(f"finding {index} must be an object")
            token, rule_type, location = element.get("token"), element.get("type"), element.get("location")
            if not isinstance(token, str) or not token:
                raise InvalidRequest(f"finding {index}: token must be a non-empty string")
            if not isinstance(rule_type, str) or rule_type not in known_types:
                raise InvalidRequest(f"finding {index}: type is not one of GET /v1/revocable_token_types")
            if location is not None and not isinstance(location, str):
                raise InvalidRequest(f"finding {index}: location must be a string or null")
            # GitLab sends "" when the finding has no commit: that is no location.
            findings.append(Finding(rule_type, token, location or None))
        return findings


def revocation_credential(headers: Mapping[str, str], multi_value_headers: Mapping[str, Sequence[str]]) -> str | None:
    """`Authorization: <token>` (as GitLab sends it) or `Authorization: Bearer <token>`.

    Repeated `Authorization` headers (or two maps that disagree) are no credential, as elsewhere.
    """
    single = [value for key, value in headers.items() if key.lower() == "authorization"]
    multi = [value for key, values in (multi_value_headers or {}).items() if key.lower() == "authorization"
             for value in values]  # fmt: skip
    values = multi if multi_value_headers else single
    if len(values) != 1 or (multi_value_headers and multi[-1:] != single):
        return None
    value = values[0].strip(HTTP_WHITESPACE)
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer" and rest.strip(HTTP_WHITESPACE):
        value = rest.strip(HTTP_WHITESPACE)
    return value or None


def parse_findings_request(
    *,
    headers: Mapping[str, str],
    multi_value_headers: Mapping[str, Sequence[str]],
    body: str | None,
    base64_encoded: bool,
    request_id: str,
) -> FindingsRequest:
    credential = revocation_credential(headers, multi_value_headers)
    try:
        text = body_text(body, base64_encoded, MAX_FINDINGS_BODY_BYTES)
        document = parse_json(text)
    except InvalidRequest as problem:
        return FindingsRequest(credential, None, request_id, problem)
    return FindingsRequest(credential, document, request_id)
