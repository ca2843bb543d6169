"""Integration tests: the real handlers, DynamoDB in moto's server, AppConfig in the stand-in.

Tables are built from template.yaml and re-seeded with demo/seed.json before every test.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
from moto.dynamodb.models import dynamodb_backends

from admin_token.config import reset_configuration_cache
from admin_token.digests import token_digest
from admin_token.storage.dynamodb import default_store
from admin_token_local.appconfig_standin import AppConfigStandIn
from admin_token_local.dynamodb_local import reset_tables
from admin_token_local.lambda_runtime import FakeLambdaContext
from admin_token_local.moto_server import EmbeddedMotoServer
from admin_token_local.seed import DEMO_SEED_PATH, load_seed_file, write_seed
from admin_token_local.template import feature_flags_document, function_handler, table_names
from tests.conftest import TEMPLATE
from tests.support.events import proxy_event
from tests.support.revocation import RevocationApi

DEFAULT_FLAGS = feature_flags_document(TEMPLATE)


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    server = EmbeddedMotoServer()
    endpoint = server.start()
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    yield endpoint
    server.stop()


@pytest.fixture(scope="session")
def appconfig() -> Iterator[AppConfigStandIn]:
    standin = AppConfigStandIn(
        copy.deepcopy(DEFAULT_FLAGS),
        application=os.environ["APPCONFIG_APPLICATION"],
        environment=os.environ["APPCONFIG_ENVIRONMENT"],
        profile=os.environ["APPCONFIG_CONFIGURATION"],
    )
    os.environ["AWS_ENDPOINT_URL_APPCONFIGDATA"] = standin.start()
    yield standin
    standin.stop()


def moto_tables() -> dict[str, Any]:
    """moto's tables in this process (the embedded server's), by name."""
    tables: dict[str, Any] = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables
    return tables


@pytest.fixture(scope="session")
def seeded_tables(dynamodb_endpoint: str) -> dict[str, Any]:
    """The template's tables, built through the DynamoDB API and given the demo seed, once per test
    process: moto's table objects, kept aside untouched."""
    names = table_names(TEMPLATE)
    reset_tables(dynamodb_endpoint, TEMPLATE, names)
    write_seed(load_seed_file(DEMO_SEED_PATH), endpoint_url=dynamodb_endpoint, table_names=names)
    return {name: copy.deepcopy(moto_tables()[name]) for name in names.values()}


@pytest.fixture
def tables(seeded_tables: dict[str, Any], appconfig: AppConfigStandIn) -> dict[str, str]:
    """Fresh tables holding the demo seed; default flags; no configuration cached.

    Each test gets its own copy of the seeded tables (items, indexes and streams), put in moto's
    backend as moto itself puts tables back after a cancelled transaction: 2 ms, where dropping,
    recreating and seeding them through the API took 160 ms a test."""
    live = moto_tables()
    for name, seeded in seeded_tables.items():
        live[name] = copy.deepcopy(seeded)
    appconfig.set_available(True)
    appconfig.set_document(copy.deepcopy(DEFAULT_FLAGS))
    reset_configuration_cache()
    return table_names(TEMPLATE)


@dataclass
class ApiResponse:
    status: int
    body: Any
    headers: dict[str, str]
    raw: dict[str, Any]


def call(function: str, event: dict[str, Any]) -> ApiResponse:
    """The template's function `function` (a logical id) on `event`, as API Gateway would invoke it."""
    code, module, handler = function_handler(TEMPLATE, function)
    lambda_handler = getattr(importlib.import_module(f"functions.{code.name}.{module}"), handler)
    raw = lambda_handler(event, FakeLambdaContext(function, memory_limit_in_mb=512, timeout_seconds=10))
    body = json.loads(raw["body"]) if raw.get("body") else None
    # API Gateway merges both header maps; the last value of a multi-value header wins.
    headers = {name: values[-1] for name, values in (raw.get("multiValueHeaders") or {}).items() if values}
    headers.update(raw.get("headers") or {})
    return ApiResponse(raw["statusCode"], body, headers, raw)


class Api:
    """POST and DELETE /api/v4/admin/token as an administrator would send them."""

    def __init__(self, credential: str | None) -> None:
        self.credential = credential

    def _headers(self, credential: str | None) -> dict[str, str]:
        return {"PRIVATE-TOKEN": credential} if credential else {}

    def lookup(self, token: Any = None, *, as_: str | None = None, **event: Any) -> ApiResponse:
        return self._send("LookupFunction", "POST", token, as_, event)

    def revoke(self, token: Any = None, *, as_: str | None = None, **event: Any) -> ApiResponse:
        return self._send("RevokeFunction", "DELETE", token, as_, event)

    def _send(self, function: str, method: str, token: Any, as_: str | None, event: dict[str, Any]) -> ApiResponse:
        credential = self.credential if as_ is None else as_
        if token is not None:
            event.setdefault("body", {"token": token})
        event["headers"] = {**self._headers(credential), **event.get("headers", {})}
        return call(function, proxy_event(method, **event))


@pytest.fixture
def api(tables: dict[str, str]) -> Api:
    from tests.support.demo import ADMIN

    return Api(ADMIN)


class Tables:
    """Direct reads of what the service left in DynamoDB (tests only: the service never scans)."""

    def __init__(self, endpoint: str, names: dict[str, str]) -> None:
        self.client = boto3.client("dynamodb", endpoint_url=endpoint)
        self.resource = boto3.resource("dynamodb", endpoint_url=endpoint)
        self.names = names

    def token_item(self, token: str) -> dict[str, Any] | None:
        table = self.resource.Table(self.names["TokensTable"])
        return table.get_item(Key={"digest": token_digest(token)}, ConsistentRead=True).get("Item")

    def all_items(self, logical_id: str) -> list[dict[str, Any]]:
        """Every item of a table, as a consistent Scan returns them (boto3's types), read from
        moto's backend in this process: a Scan serializes every item through moto's response
        model, a third of the time of the tests that search the tables after each step.
        tests/integration/storage/test_table_reads.py checks that the two agree."""
        return [item.to_regular_json() for item in moto_tables()[self.names[logical_id]].all_items()]

    def audit_records(self) -> list[dict[str, Any]]:
        return self.all_items("AuditTable")


@pytest.fixture
def db(tables: dict[str, str], dynamodb_endpoint: str) -> Tables:
    return Tables(dynamodb_endpoint, tables)


@pytest.fixture
def add_seed(tables: dict[str, str], dynamodb_endpoint: str) -> Any:
    """Load extra seed sections (the seed file format) on top of the demo data."""
    from admin_token_local.seed import parse_seed

    def load(document: dict[str, Any]) -> None:
        write_seed(parse_seed(document), endpoint_url=dynamodb_endpoint, table_names=tables)

    return load


@pytest.fixture
def set_flags(appconfig: AppConfigStandIn) -> Any:
    """Deploy a feature-flags document (merged over the template's) to the AppConfig stand-in."""

    def deploy(**features: dict[str, Any]) -> None:
        appconfig.set_document({**copy.deepcopy(DEFAULT_FLAGS), **features})
        reset_configuration_cache()

    return deploy


@pytest.fixture
def dynamodb_work(tables: dict[str, str]) -> Iterator[list[tuple[str, int]]]:
    """Each DynamoDB call the service makes, in order, as (operation, number of keys or items)."""
    calls: list[tuple[str, int]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        size = sum(len(request["Keys"]) for request in params.get("RequestItems", {}).values())
        calls.append((model.name, size or len(params.get("TransactItems", []))))

    # before-parameter-build is given the operation's own parameters (RequestItems, TransactItems);
    # before-call is given the serialized HTTP request, in which neither is found.
    events = default_store().client.meta.events
    events.register("before-parameter-build.dynamodb", record)
    yield calls
    events.unregister("before-parameter-build.dynamodb", record)


NOT_FOUND = {"message": {"error": "Not found"}}


def dry_run(api: Api, token: Any, value: Any = True) -> Any:
    return api.revoke(body={"token": token, "dry_run": value})


def everything(db: Tables) -> dict[str, list[dict[str, Any]]]:
    return {name: db.all_items(name) for name in ("TokensTable", "UsersTable", "RunnersTable", "AuditTable")}


@pytest.fixture
def revocation(tables: dict[str, str], dynamodb_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> RevocationApi:
    """GitLab's Token Revocation API and its queue, on this test's tables."""
    return RevocationApi(dynamodb_endpoint, monkeypatch)


# -- the tables must not change ---------------------------------------------------------------

Snapshot = dict[str, list[str]]


def backend_snapshot(names: dict[str, str]) -> Snapshot:
    """Every item of the four tables, read from moto's backend in this process (~1 ms)."""
    return {
        name: sorted(
            json.dumps(item.to_json()["Attributes"], sort_keys=True) for item in moto_tables()[name].all_items()
        )
        for name in names.values()
    }


def scan_snapshot(db: Tables) -> Snapshot:
    """The same, through the DynamoDB API: a paginated, consistent Scan of each table."""
    snapshot: Snapshot = {}
    for name in db.names.values():
        items: list[dict[str, Any]] = []
        arguments: dict[str, Any] = {"TableName": name, "ConsistentRead": True}
        while True:
            page = db.client.scan(**arguments)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        snapshot[name] = sorted(json.dumps(item, sort_keys=True) for item in items)
    return snapshot


@pytest.fixture
def unchanged(db: Tables) -> Iterator[Callable[[], None]]:
    """A check that the tables still hold exactly what they held when the test began."""
    baseline = scan_snapshot(db)
    assert baseline == backend_snapshot(db.names), "moto's backend and a Scan disagree"
    assert baseline["TokensTable"], "the tables were not seeded"

    def check() -> None:
        after = backend_snapshot(db.names)
        changed = {name: (len(baseline[name]), len(items)) for name, items in after.items() if items != baseline[name]}
        assert not changed, f"tables changed (items before, after): {changed}"

    yield check
    assert scan_snapshot(db) == baseline
