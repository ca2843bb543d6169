"""What a route's decorator says of it in the OpenAPI document: its tag and who may call it.

Plain strings only. The response and request-body schemas, built with pydantic, belong to
`admin_token_openapi` (outside the layer), which attaches them to the routes by operation id when
the document is generated: no function imports pydantic at a cold start (docs/performance.md).
"""

from __future__ import annotations

from typing import Final

TAG: Final = "admin token"
AUDIT_TAG: Final = "audit events"
REVOCATION_TAG: Final = "token revocation (secret detection)"
GITHUB_TAG: Final = "GitHub secret scanning"

PRIVATE_TOKEN_SCHEME: Final = "PrivateToken"
BEARER_SCHEME: Final = "BearerToken"
REVOCATION_SCHEME: Final = "RevocationToken"
GITHUB_KEY_SCHEME: Final = "GitHubKeyIdentifier"
GITHUB_SIGNATURE_SCHEME: Final = "GitHubSignature"
# Either header authenticates the caller (docs/contract.md, "Who may call"): two alternatives, not both at once.
SECURITY: Final[list[dict[str, list[str]]]] = [{PRIVATE_TOKEN_SCHEME: []}, {BEARER_SCHEME: []}]
# GitLab sends the pre-shared token bare in `Authorization` (`Bearer <token>` is accepted too).
REVOCATION_SECURITY: Final[list[dict[str, list[str]]]] = [{REVOCATION_SCHEME: []}]
# GitHub names its key and signs the raw body: both headers at once, one requirement.
GITHUB_SECURITY: Final[list[dict[str, list[str]]]] = [{GITHUB_KEY_SCHEME: [], GITHUB_SIGNATURE_SCHEME: []}]
