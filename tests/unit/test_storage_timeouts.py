"""DynamoDB's client timeouts are settings: AWS's defaults unless the environment says otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from admin_token.storage import dynamodb


@pytest.fixture(autouse=True)
def _fresh_client() -> Iterator[None]:
    dynamodb.timeouts.cache_clear()
    dynamodb._client.cache_clear()
    yield
    dynamodb.timeouts.cache_clear()
    dynamodb._client.cache_clear()


def test_the_defaults_are_one_second_to_connect_and_two_to_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(dynamodb.CONNECT_TIMEOUT_VARIABLE, raising=False)
    monkeypatch.delenv(dynamodb.READ_TIMEOUT_VARIABLE, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    config = dynamodb._client().meta.config

    assert (config.connect_timeout, config.read_timeout) == (1.0, 2.0)


def test_the_environment_sets_both_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(dynamodb.CONNECT_TIMEOUT_VARIABLE, "3")
    monkeypatch.setenv(dynamodb.READ_TIMEOUT_VARIABLE, "45.5")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    config = dynamodb._client().meta.config

    assert (config.connect_timeout, config.read_timeout) == (3.0, 45.5)
