"""The AppConfig stand-in, driven by a real boto3 appconfigdata client and by Powertools."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.feature_flags import AppConfigStore
from aws_lambda_powertools.utilities.feature_flags.exceptions import ConfigurationStoreError
from botocore.exceptions import ClientError

from admin_token_local.appconfig_standin import AppConfigStandIn

DOCUMENT = {"api_admin_token_revoke": {"default": True}}
NAMES = {"application": "App", "environment": "Env", "profile": "Profile"}


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[AppConfigStandIn, str]]:
    server = AppConfigStandIn(dict(DOCUMENT), **NAMES)
    url = server.start()
    # One attempt: a simulated outage must fail now, not after botocore's retries and backoff.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_APPCONFIGDATA", url)
    yield server, url
    server.stop()


def _client(url: str) -> Any:
    return boto3.client("appconfigdata", endpoint_url=url, region_name="us-east-1")


def _session(client: Any, **names: str) -> str:
    identifiers = {
        "ApplicationIdentifier": names.get("application", "App"),
        "EnvironmentIdentifier": names.get("environment", "Env"),
        "ConfigurationProfileIdentifier": names.get("profile", "Profile"),
    }
    return str(client.start_configuration_session(**identifiers)["InitialConfigurationToken"])


def test_session_and_poll_speak_the_appconfigdata_wire_format(standin: tuple[AppConfigStandIn, str]) -> None:
    client = _client(standin[1])
    started = client.start_configuration_session(
        ApplicationIdentifier="App", EnvironmentIdentifier="Env", ConfigurationProfileIdentifier="Profile"
    )
    assert started["ResponseMetadata"]["HTTPStatusCode"] == 201
    response = client.get_latest_configuration(ConfigurationToken=started["InitialConfigurationToken"])
    assert json.loads(response["Configuration"].read()) == DOCUMENT
    assert response["ContentType"] == "application/json"
    assert response["VersionLabel"] == "1"
    assert response["NextPollIntervalInSeconds"] == 60
    assert response["NextPollConfigurationToken"] not in ("", started["InitialConfigurationToken"])


def test_an_unchanged_configuration_polls_empty_like_appconfig(standin: tuple[AppConfigStandIn, str]) -> None:
    client = _client(standin[1])
    first = client.get_latest_configuration(ConfigurationToken=_session(client))
    first["Configuration"].read()
    again = client.get_latest_configuration(ConfigurationToken=first["NextPollConfigurationToken"])
    assert again["Configuration"].read() == b""
    assert "VersionLabel" not in again


def test_tokens_are_single_use(standin: tuple[AppConfigStandIn, str]) -> None:
    client = _client(standin[1])
    token = _session(client)
    client.get_latest_configuration(ConfigurationToken=token)
    with pytest.raises(client.exceptions.BadRequestException):
        client.get_latest_configuration(ConfigurationToken=token)
    with pytest.raises(client.exceptions.BadRequestException):
        client.get_latest_configuration(ConfigurationToken="never-issued")


@pytest.mark.parametrize("wrong", ["application", "environment", "profile"])
def test_unknown_identifiers_are_resource_not_found(standin: tuple[AppConfigStandIn, str], wrong: str) -> None:
    client = _client(standin[1])
    with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
        _session(client, **{wrong: "Other"})
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "Other" in raised.value.response["Error"]["Message"]


def test_set_document_reaches_new_sessions_and_open_ones(standin: tuple[AppConfigStandIn, str]) -> None:
    server, url = standin
    client = _client(url)
    first = client.get_latest_configuration(ConfigurationToken=_session(client))
    first["Configuration"].read()
    server.set_document({"admin_mode": {"default": True}})
    polled = client.get_latest_configuration(ConfigurationToken=first["NextPollConfigurationToken"])
    assert json.loads(polled["Configuration"].read()) == {"admin_mode": {"default": True}}
    assert polled["VersionLabel"] == "2"
    fresh = client.get_latest_configuration(ConfigurationToken=_session(client))
    assert json.loads(fresh["Configuration"].read()) == {"admin_mode": {"default": True}}


def test_unavailable_answers_internal_server_error_then_recovers(standin: tuple[AppConfigStandIn, str]) -> None:
    server, url = standin
    client = _client(url)
    token = _session(client)
    server.set_available(False)
    for call in (lambda: _session(client), lambda: client.get_latest_configuration(ConfigurationToken=token)):
        with pytest.raises(ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == "InternalServerException"
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    server.set_available(True)
    assert json.loads(client.get_latest_configuration(ConfigurationToken=token)["Configuration"].read()) == DOCUMENT


def test_concurrent_sessions_all_get_the_document(standin: tuple[AppConfigStandIn, str]) -> None:
    client = _client(standin[1])  # boto3 clients are thread-safe
    results: list[Any] = []

    def fetch() -> None:
        response = client.get_latest_configuration(ConfigurationToken=_session(client))
        results.append(json.loads(response["Configuration"].read()))

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [DOCUMENT] * 8


def test_powertools_appconfig_store_reads_through_the_standin(standin: tuple[AppConfigStandIn, str]) -> None:
    server, _ = standin
    # No endpoint here: Powertools builds its own client, found through AWS_ENDPOINT_URL_APPCONFIGDATA.
    store = AppConfigStore(environment="Env", application="App", name="Profile", max_age=0)
    assert store.get_configuration() == DOCUMENT
    assert store.get_configuration() == DOCUMENT  # the empty "unchanged" poll keeps the last copy
    server.set_document({"admin_mode": {"default": True}})
    assert store.get_configuration() == {"admin_mode": {"default": True}}
    server.set_available(False)
    with pytest.raises(ConfigurationStoreError):
        store.get_configuration()


def test_powertools_reports_a_wrong_profile(standin: tuple[AppConfigStandIn, str]) -> None:
    store = AppConfigStore(environment="Env", application="App", name="NotThere", max_age=0)
    with pytest.raises(ConfigurationStoreError):
        store.get_configuration()
