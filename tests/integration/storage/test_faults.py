"""DynamoDB throttling, 5xx and transaction conflicts; AppConfig outages.

Bounded retries with backoff inside the time budget, then `503` with `Retry-After`, and
nothing partly written. Counted in attempts, never timed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from admin_token.config import reset_configuration_cache
from admin_token.observability import logger as powertools_logger
from admin_token.storage.dynamodb import MAX_ATTEMPTS, default_store
from admin_token_local.appconfig_standin import AppConfigStandIn
from admin_token_local.lambda_runtime import FakeLambdaContext
from tests.integration.conftest import Api, Tables, call
from tests.support import demo
from tests.support.events import proxy_event
from tests.support.faults import CAPACITY, INTERNAL, THROTTLED, inject, transaction_conflict

service_logger = powertools_logger._logger
UNAVAILABLE = (503, {"message": "Storage temporarily unavailable, retry later"})


def snapshot(db: Tables) -> dict[str, Any]:
    return {
        name: sorted(json.dumps(item, default=str, sort_keys=True) for item in db.all_items(name)) for name in db.names
    }


def conflict(params: dict[str, Any]) -> Any:
    return transaction_conflict(len(params["TransactItems"]))


@pytest.mark.parametrize("fault", [THROTTLED, CAPACITY, INTERNAL], ids=["throttled", "capacity", "5xx"])
@pytest.mark.parametrize("operation", ["BatchGetItem", "TransactWriteItems"])
def test_a_passing_fault_is_retried_and_the_revoke_completes(api: Api, db: Tables, fault: Any, operation: str) -> None:
    with inject(default_store().client, operation, fault, times=2) as injector:
        response = api.revoke(demo.PROJECT_RUNNER)

    assert response.status == 204
    assert injector.injected == 2
    assert api.lookup(demo.PROJECT_RUNNER).status == 404
    assert len(db.audit_records()) == 1


def test_a_passing_transaction_conflict_is_retried(api: Api, db: Tables) -> None:
    with inject(default_store().client, "TransactWriteItems", conflict, times=2):
        assert api.revoke(demo.ALICE_PAT).status == 204
    assert api.lookup(demo.ALICE_PAT).body["revoked"] is True
    assert len(db.audit_records()) == 1


@pytest.mark.parametrize(
    ("operation", "fault"),
    [
        ("BatchGetItem", THROTTLED),
        ("BatchGetItem", INTERNAL),
        ("TransactWriteItems", THROTTLED),
        ("TransactWriteItems", INTERNAL),
        ("TransactWriteItems", conflict),
    ],
    ids=["reads throttled", "reads 5xx", "transaction throttled", "transaction 5xx", "transaction conflicts"],
)
@pytest.mark.parametrize("token", [demo.PROJECT_RUNNER, demo.ALICE_FEED, demo.ALICE_PAT])
def test_a_lasting_fault_is_503_with_retry_after_and_nothing_written(
    api: Api, db: Tables, operation: str, fault: Any, token: str
) -> None:
    before = snapshot(db)

    with inject(default_store().client, operation, fault) as injector:
        response = api.revoke(token)

    assert (response.status, response.body) == UNAVAILABLE
    assert response.headers["Retry-After"] == "1"
    assert injector.attempts[operation] <= MAX_ATTEMPTS
    assert snapshot(db) == before


def test_a_lookup_under_a_lasting_fault_is_503(api: Api) -> None:
    with inject(default_store().client, None, THROTTLED):
        response = api.lookup(demo.AGENT)
    assert (response.status, response.body) == UNAVAILABLE


def test_retries_stop_when_the_time_budget_is_spent(tables: dict[str, str]) -> None:
    # Given a Lambda with 1.5 s left: after the safety margin, no retry fits (each may take 3 s)
    context = FakeLambdaContext("LookupFunction", memory_limit_in_mb=512, timeout_seconds=1.5)
    event = proxy_event("POST", body={"token": demo.AGENT}, headers={"PRIVATE-TOKEN": demo.ADMIN})

    from functions.lookup.app import lambda_handler

    with inject(default_store().client, None, THROTTLED) as injector:
        raw = lambda_handler(event, context)

    assert raw["statusCode"] == 503
    assert injector.attempts == {"BatchGetItem": 1}


# -- AppConfig ---------------------------------------------------------------------------------


def test_appconfig_outage_after_a_good_read_keeps_serving_the_last_configuration(
    api: Api, appconfig: AppConfigStandIn, set_flags: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the revoke flag was read as off (not the default)
    set_flags(api_admin_token_revoke={"default": False})
    assert api.revoke(demo.AGENT).status == 404
    capsys.readouterr()

    # When AppConfig becomes unreachable
    appconfig.set_available(False)
    with recorded_logs() as logs:
        response = api.revoke(demo.AGENT)

    # Then the last configuration read still answers (flag still off), with a warning and a metric
    assert response.body == {"message": "'api_admin_token_revoke' feature flag is disabled"}
    assert [(level, message) for level, message in logs if level == "WARNING"] == [
        ("WARNING", "Configuration unavailable; serving the last copy read")
    ]
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any("ConfigurationStale" in document for document in metrics)


@contextmanager
def recorded_logs() -> Iterator[list[tuple[str, str]]]:
    """What the service logged, from the logger itself (its stream was bound before capture began)."""
    records: list[tuple[str, str]] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append((record.levelname, record.getMessage()))

    handler = Recorder()
    service_logger.addHandler(handler)
    try:
        yield records
    finally:
        service_logger.removeHandler(handler)


def test_appconfig_unreachable_at_a_cold_start_is_503(
    tables: dict[str, str], appconfig: AppConfigStandIn, db: Tables
) -> None:
    reset_configuration_cache()
    appconfig.set_available(False)
    response = call("RevokeFunction", proxy_event("DELETE", body={"token": demo.AGENT},
                                                 headers={"PRIVATE-TOKEN": demo.ADMIN}))  # fmt: skip
    assert (response.status, response.body) == (503, {"message": "Configuration unavailable"})
    assert response.headers["Retry-After"] == "1"
    assert db.token_item(demo.AGENT)["status"] == "active"


def test_a_5xx_whose_body_is_not_dynamodb_json_is_still_transient(api: Api, db: Tables) -> None:
    # What a load balancer or a crashed front end answers: HTML, no DynamoDB error code.
    from botocore.awsrequest import AWSResponse

    from tests.support.faults import _Raw

    def html_500(_: dict[str, Any]) -> AWSResponse:
        return AWSResponse("https://dynamodb.injected", 500, {"Content-Type": "text/html"}, _Raw(b"<h1>500</h1>"))

    with inject(default_store().client, "TransactWriteItems", html_500, times=1):
        assert api.revoke(demo.ALICE_PAT).status == 204
    with inject(default_store().client, "TransactWriteItems", html_500):
        assert api.revoke(demo.PROJECT_DEPLOY).status == 503
    assert len(db.audit_records()) == 1
