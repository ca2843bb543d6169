"""Issue 3 item 7: what template.yaml grants and configures, read from the file itself."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import TEMPLATE

RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
READ_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "appconfig:StartConfigurationSession",
    "appconfig:GetLatestConfiguration",
}
WRITE_VERB = re.compile(r":(\*|Put|Update|Delete|Write|Create|BatchWrite|Transact|PartiQL|Restore|Import|Tag)")
# SAM policy templates that grant writes (any *Crud*/*Write* template would).
WRITE_TEMPLATE = re.compile(r"(Crud|Write|FullAccess|Put|Delete)", re.IGNORECASE)


def statements(function: str) -> list[dict[str, Any]]:
    found = []
    for policy in RESOURCES[function]["Properties"].get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            found.extend(policy["Statement"])
        else:
            name = policy if isinstance(policy, str) else next(iter(policy))
            found.append({"Effect": "Allow", "Action": [f"template:{name}"], "Resource": "*"})
    return found


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_the_lookup_function_is_granted_no_write_action() -> None:
    granted = [action for statement in statements("LookupFunction") for action in actions(statement)]
    assert granted, "LookupFunction has no policy statements to check"
    for action in granted:
        assert not WRITE_VERB.search(action), action
        assert not (action.startswith("template:") and WRITE_TEMPLATE.search(action)), action
        assert action in READ_ACTIONS, f"{action} is not a read LookupFunction needs"


def test_the_revoke_function_only_appends_audit_records() -> None:
    audit = {"Fn::GetAtt": ["AuditTable", "Arn"]}
    for statement in statements("RevokeFunction"):
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if audit in resources:
            assert actions(statement) == ["dynamodb:PutItem"]


def test_no_function_may_scan_or_query() -> None:
    for function in ("LookupFunction", "RevokeFunction"):
        for statement in statements(function):
            assert not {"dynamodb:Scan", "dynamodb:Query"} & set(actions(statement)), function


@pytest.mark.parametrize("function", ["LookupFunction", "RevokeFunction"])
def test_functions_have_a_timeout_within_api_gateway_and_reserved_concurrency(function: str) -> None:
    properties = {**TEMPLATE["Globals"]["Function"], **RESOURCES[function]["Properties"]}
    assert 0 < properties["Timeout"] <= 29  # API Gateway gives up on an integration after 29 s
    assert "ReservedConcurrentExecutions" in properties


def test_the_stage_is_throttled_and_logs_no_bodies() -> None:
    api = RESOURCES["AdminTokenApi"]["Properties"]
    [settings] = api["MethodSettings"]
    assert (settings["ResourcePath"], settings["HttpMethod"]) == ("/*", "*")
    assert settings["ThrottlingRateLimit"]
    assert settings["ThrottlingBurstLimit"]
    assert settings["DataTraceEnabled"] is False
    log_format = api["AccessLogSetting"]["Format"]
    assert "$context.requestId" in log_format
    for leak in ("$input", "body", "querystring", "$context.authorizer", "requestOverride", "$context.identity.apiKey"):
        assert leak.lower() not in log_format.lower(), leak


@pytest.mark.parametrize("table", ["TokensTable", "UsersTable", "RunnersTable", "AuditTable"])
def test_tables_are_encrypted_recoverable_and_retained(table: str) -> None:
    resource = RESOURCES[table]
    properties = resource["Properties"]
    assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True


def test_events_and_responses_are_never_logged_or_traced() -> None:
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_LOGGER_LOG_EVENT"] == "false"
    assert variables["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
