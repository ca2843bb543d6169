"""Configuration: never a silent default; the last good copy through an outage."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.utilities.feature_flags.base import StoreProvider
from aws_lambda_powertools.utilities.feature_flags.exceptions import ConfigurationStoreError

from admin_token.config import (
    CallerContext,
    Configuration,
    InvalidConfiguration,
    _LastKnownGood,
    validate_configuration,
)
from admin_token.errors import ConfigurationUnavailable

DOCUMENT = {
    "api_admin_token_revoke": {"default": False},
    "token_api_expire_pipeline_triggers": {"default": True},
    "admin_mode": {"default": True},
    "secret_detection_auto_revoke": {"default": True},
    "github_secret_scanning_auto_revoke": {"default": True},
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
    assert source.read().document == DOCUMENT

    store.document = None

    assert source.read().document == DOCUMENT


def test_values_come_from_the_document_not_the_defaults() -> None:
    configuration = Configuration(DOCUMENT)
    caller = {"user_id": 1, "username": "root"}
    assert configuration.revoke_enabled(caller) is False  # default argument is True
    assert configuration.admin_mode(caller) is True  # default argument is False
    assert configuration.personal_access_token_prefix == "acme-"


# -- one validator for the runtime and the CLI: Powertools' schema plus our types -----------


def rules(when_match: Any) -> dict[str, Any]:
    return {"root": {"when_match": when_match, "conditions": [{"action": "EQUALS", "key": "user_id", "value": 1}]}}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"api_admin_token_revoke": {"default": "false", "boolean_type": False}},
            """flag 'api_admin_token_revoke': default must be true or false, not "false\"""",
        ),
        (
            {"token_api_expire_pipeline_triggers": {"default": "no", "boolean_type": False}},
            """flag 'token_api_expire_pipeline_triggers': default must be true or false, not "no\"""",
        ),
        (
            {"admin_mode": {"default": 1, "boolean_type": False}},
            "flag 'admin_mode': default must be true or false, not 1",
        ),
        (
            {"api_admin_token_revoke": {"default": True, "boolean_type": False}},
            "flag 'api_admin_token_revoke': boolean_type must be true or absent, not false",
        ),
        (
            {"api_admin_token_revoke": {"default": False, "rules": rules("true")}},
            """flag 'api_admin_token_revoke': rule 'root': when_match must be true or false, not "true\"""",
        ),
        (
            {
                "api_admin_token_revoke": {
                    "default": False,
                    "rules": {"root": {"conditions": []}},
                }
            },
            "flag 'api_admin_token_revoke': rule 'root': when_match must be true or false, not missing",
        ),
        (
            {"personal_access_token_prefix": {"default": 5, "boolean_type": False}},
            "flag 'personal_access_token_prefix': default must be a string, not 5",
        ),
        (
            {"personal_access_token_prefix": {"default": True}},
            "flag 'personal_access_token_prefix': default must be a string, not true",
        ),
        (
            {"personal_access_token_prefix": {"default": "acme-"}},
            "flag 'personal_access_token_prefix': boolean_type must be false, not missing",
        ),
        (
            {"personal_access_token_prefix": {"default": "", "boolean_type": False, "rules": rules(None)}},
            "flag 'personal_access_token_prefix': rule 'root': when_match must be a string, not null",
        ),
        (
            {"api_admin_token_revoke": []},
            "flag 'api_admin_token_revoke': must be an object with a default, not an array",
        ),
        ([DOCUMENT], "the document must be a JSON object, not an array"),
        # Powertools' own schema, for any flag, ours or not
        ({"other": {"default": "yes"}}, "flag 'other': feature 'default' boolean key must be present, feature=other"),
        (
            {"other": {"default": True, "rules": {"r": {"when_match": True, "conditions": [{"action": ["x"]}]}}}},
            "flag 'other': not in the feature-flags schema (TypeError)",
        ),
    ],
)
def test_an_untrustworthy_document_is_refused_with_a_one_line_reason(document: Any, message: str) -> None:
    with pytest.raises(InvalidConfiguration) as refused:
        validate_configuration(document)
    assert str(refused.value) == message
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize(
    "document",
    [
        DOCUMENT,
        {},  # every boolean flag off, no extra prefix
        {"api_admin_token_revoke": {"default": False, "boolean_type": True, "rules": rules(True)}},
        {"personal_access_token_prefix": {"default": "", "boolean_type": False, "rules": rules("acme-")}},
        {"someone_elses_flag": {"default": {"any": "json"}, "boolean_type": False}},
    ],
)
def test_a_well_typed_document_is_valid_as_it_is(document: Any) -> None:
    assert validate_configuration(document) is document


def test_a_document_missing_boolean_flags_turns_them_off() -> None:
    configuration = Configuration({"personal_access_token_prefix": {"default": "acme-", "boolean_type": False}})
    caller: CallerContext = {"user_id": 1, "username": "root"}
    assert configuration.personal_access_token_prefix == "acme-"  # the document was read
    assert configuration.revoke_enabled(caller) is False
    assert configuration.expire_pipeline_triggers(caller) is False
    assert configuration.admin_mode(caller) is False


def test_an_invalid_fetch_after_a_good_read_serves_the_last_copy(caplog: pytest.LogCaptureFixture) -> None:
    store = FlakyStore()
    source = _LastKnownGood(store)
    store.document = DOCUMENT
    source.read()

    store.document = {**DOCUMENT, "api_admin_token_revoke": {"default": "false", "boolean_type": False}}

    assert source.read().document == DOCUMENT
    [warning] = [record for record in caplog.records if record.levelname == "WARNING"]
    assert warning.reason == "InvalidConfiguration"
    assert warning.problem.startswith("flag 'api_admin_token_revoke': default must be")


def test_an_invalid_fetch_with_nothing_cached_is_unavailable() -> None:
    store = FlakyStore()
    store.document = {"api_admin_token_revoke": {"default": "false", "boolean_type": False}}
    with pytest.raises(ConfigurationUnavailable):
        _LastKnownGood(store).read()


def test_a_document_is_validated_once_per_fetch(monkeypatch: pytest.MonkeyPatch) -> None:
    import admin_token.config as config

    validations: list[object] = []
    real = config.validate_configuration

    def counting(document: Any) -> dict[str, Any]:
        validations.append(document)
        return real(document)

    monkeypatch.setattr(config, "validate_configuration", counting)
    store = FlakyStore()
    store.document = dict(DOCUMENT)
    source = _LastKnownGood(store)
    caller: CallerContext = {"user_id": 1, "username": "root"}
    for _ in range(3):  # the store hands back the same object until it fetches again
        configuration = source.read()
        configuration.revoke_enabled(caller)
        configuration.admin_mode(caller)
    assert len(validations) == 1

    store.document = dict(DOCUMENT)  # a new fetch
    source.read()
    assert len(validations) == 2
