"""Configuration: never a silent default; the last good copy through an outage."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.utilities.feature_flags.base import StoreProvider
from aws_lambda_powertools.utilities.feature_flags.exceptions import ConfigurationStoreError

from admin_token.config import Configuration, _LastKnownGood
from admin_token.errors import ConfigurationUnavailable

DOCUMENT = {
    "api_admin_token_revoke": {"default": False},
    "token_api_expire_pipeline_triggers": {"default": True},
    "admin_mode": {"default": True},
    "personal_access_token_prefix": {"default": "acme-", "boolean_type": False},
}


class FlakyStore(StoreProvider):
    def __init__(self) -> None:
        self.document: dict[str, Any] | None = None

    @property
    def get_raw_configuration(self) -> dict[str, Any]:
        return self.get_configuration()

    def get_configuration(self) -> dict[str, Any]:
        if self.document is None:
            raise ConfigurationStoreError("unreachable")
        return self.document


def test_unreachable_with_nothing_cached_is_unavailable() -> None:
    with pytest.raises(ConfigurationUnavailable):
        _LastKnownGood(FlakyStore()).read()


def test_an_outage_after_a_good_read_serves_the_last_copy(caplog: pytest.LogCaptureFixture) -> None:
    store = FlakyStore()
    source = _LastKnownGood(store)
    store.document = DOCUMENT
    assert source.read() == DOCUMENT

    store.document = None

    assert source.read() == DOCUMENT


def test_values_come_from_the_document_not_the_defaults() -> None:
    configuration = Configuration(DOCUMENT)
    caller = {"user_id": 1, "username": "root"}
    assert configuration.revoke_enabled(caller) is False  # default argument is True
    assert configuration.admin_mode(caller) is True  # default argument is False
    assert configuration.personal_access_token_prefix == "acme-"
