"""Domain errors become GitLab's statuses and bodies in one place."""

from __future__ import annotations

from typing import Any

import pytest

from admin_token.api import error_response
from admin_token.errors import (
    ConcurrentModification,
    ConfigurationUnavailable,
    DomainError,
    FeatureDisabled,
    Forbidden,
    InvalidRequest,
    PayloadTooLarge,
    RevokeRefused,
    StorageUnavailable,
    TokenNotFound,
    Unauthenticated,
    UnsupportedMediaType,
    UnsupportedTokenType,
)
from admin_token.json_body import RepeatedKey


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (Unauthenticated(), 401, {"message": "401 Unauthorized"}),
        (Forbidden(), 403, {"message": "403 Forbidden"}),
        (InvalidRequest("token is missing"), 400, {"error": "token is missing"}),
        (PayloadTooLarge("request body too large"), 413, {"error": "request body too large"}),
        (UnsupportedMediaType("content type must be x"), 415, {"error": "content type must be x"}),
        (
            FeatureDisabled("api_admin_token_revoke"),
            404,
            {"message": "'api_admin_token_revoke' feature flag is disabled"},
        ),
        (UnsupportedTokenType(), 422, {"message": "Token type not supported."}),
        (TokenNotFound(), 404, {"message": {"error": "Not found"}}),
        (RevokeRefused("Unsupported token type"), 400, {"message": {"error": "Unsupported token type"}}),
        (ConfigurationUnavailable(), 503, {"message": "Configuration unavailable"}),
        (StorageUnavailable(), 503, {"message": "Storage temporarily unavailable, retry later"}),
        (ConcurrentModification(), 409, {"message": "The token changed during the request, retry"}),
    ],
)
def test_each_error_has_its_status_and_body(error: DomainError, status: int, body: dict[str, Any]) -> None:
    response = error_response(error)
    assert response.status_code == status
    assert response.body == body


@pytest.mark.parametrize("error", [StorageUnavailable(), ConfigurationUnavailable()])
def test_unavailable_says_when_to_retry(error: DomainError) -> None:
    assert error_response(error).headers["Retry-After"] == "1"


def test_every_domain_error_is_mapped() -> None:
    def leaves(cls: type) -> set[type]:
        subclasses = set(cls.__subclasses__())
        return subclasses.union(*(leaves(sub) for sub in subclasses))

    for error_class in leaves(DomainError):
        arguments = ("x",) if error_class in (FeatureDisabled, RevokeRefused, RepeatedKey) else ()
        assert error_response(error_class(*arguments)).status_code != 500, error_class
