"""What the stack creates besides grants: logs, the account singleton, names, alarms, keys, SnapStart.

Read from the template as CloudFormation would create it (SAM's transform, conditions applied for
the given parameters; tests.support.cloudformation), so what is checked is what gets deployed.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support.cloudformation import deployed_template
from tests.unit.test_template_policy import role_statements

DEPLOYED = deployed_template()
KEY = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
TOPIC = "arn:aws:sns:us-east-1:123456789012:on-call"


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


FUNCTIONS = of_type(DEPLOYED, "AWS::Lambda::Function")
API_INTEGRATIONS = json.dumps(DEPLOYED["Resources"]["AdminTokenApi"]["Properties"]["Body"]["paths"])
API_FUNCTIONS = [function for function in FUNCTIONS if f"${{{function}" in API_INTEGRATIONS]


def test_the_api_functions_are_the_ones_behind_routes() -> None:
    assert set(API_FUNCTIONS) == {
        "LookupFunction",
        "RevokeFunction",
        "IntakeFunction",
        "AuditEventsFunction",
        "ConsoleFunction",
    }
    assert set(FUNCTIONS) - set(API_FUNCTIONS) == {"RevocationWorkerFunction"}


# -- logs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_function_logs_to_its_own_group_which_expires(function: str) -> None:
    group = FUNCTIONS[function]["LoggingConfig"]["LogGroup"]["Ref"]
    properties = DEPLOYED["Resources"][group]["Properties"]
    assert properties["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    assert "${AWS::StackName}" in properties["LogGroupName"]["Fn::Sub"]
    others = [f for f in FUNCTIONS if f != function]
    assert all(FUNCTIONS[other]["LoggingConfig"]["LogGroup"]["Ref"] != group for other in others)


def test_every_log_group_expires_after_the_retention_parameter() -> None:
    groups = of_type(DEPLOYED, "AWS::Logs::LogGroup")
    assert len(groups) == len(FUNCTIONS) + 2  # the API's access log and the Token revoked events
    for properties in groups.values():
        assert properties["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    assert DEPLOYED["__parameters__"]["LogRetentionInDays"] == "365"


# -- the account-wide API Gateway role ---------------------------------------------------------------


def test_the_api_gateway_account_role_is_set_only_when_asked() -> None:
    assert not of_type(DEPLOYED, "AWS::ApiGateway::Account")
    assert "ApiGatewayCloudWatchRole" not in DEPLOYED["Resources"]
    asked = deployed_template(ConfigureApiGatewayAccount="true")
    [account] = of_type(asked, "AWS::ApiGateway::Account").values()
    assert account["CloudWatchRoleArn"] == {"Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]}
    # When it is there, the API (whose stage logs need it) is created after it.
    assert asked["Resources"]["AdminTokenApi"]["DependsOn"] == "ApiGatewayAccountReady"
    ready = asked["Resources"]["ApiGatewayAccountReady"]["Metadata"]
    assert ready == {"ApiGatewayAccount": {"Ref": "ApiGatewayAccount"}}
    assert DEPLOYED["Resources"]["ApiGatewayAccountReady"]["Metadata"] == {"ApiGatewayAccount": ""}


# -- two stacks in one account ----------------------------------------------------------------------

NAMED = {
    "AWS::ApiGateway::RestApi": "Name",
    "AWS::Lambda::LayerVersion": "LayerName",
    "AWS::AppConfig::Application": "Name",
    "AWS::AppConfig::ConfigurationProfile": "Name",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Logs::ResourcePolicy": "PolicyName",
    "AWS::Events::EventBus": "Name",
}


@pytest.mark.parametrize("resource_type", sorted(NAMED))
def test_physical_names_are_scoped_by_the_stack_name(resource_type: str) -> None:
    named = of_type(DEPLOYED, resource_type)
    assert named, resource_type
    for logical_id, properties in named.items():
        name = properties.get(NAMED[resource_type])
        if name is None:
            continue  # CloudFormation generates a unique one
        assert isinstance(name, dict), f"{logical_id} has the fixed name {name!r}"
        assert "${AWS::StackName}" in name["Fn::Sub"], logical_id


def test_no_function_has_a_fixed_name() -> None:
    for function in FUNCTIONS.values():
        assert "FunctionName" not in function


# -- alarms ------------------------------------------------------------------------------------------


def alarms(template: dict[str, Any]) -> list[dict[str, Any]]:
    return list(of_type(template, "AWS::CloudWatch::Alarm").values())


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_has_an_alarm_on_its_errors_and_throttles(function: str, metric: str) -> None:
    [alarm] = [
        a
        for a in alarms(DEPLOYED)
        if a["Namespace"] == "AWS/Lambda"
        and a["MetricName"] == metric
        and a["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]
    ]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert alarm["Statistic"] == "Sum"


def test_the_api_has_an_alarm_on_5xx_answers_of_its_stage() -> None:
    [alarm] = [a for a in alarms(DEPLOYED) if a["Namespace"] == "AWS/ApiGateway"]
    assert alarm["MetricName"] == "5XXError"
    api_name = DEPLOYED["Resources"]["AdminTokenApi"]["Properties"]["Name"]
    stage = DEPLOYED["Resources"]["AdminTokenApiStage"]["Properties"]["StageName"]
    assert alarm["Dimensions"] == [{"Name": "ApiName", "Value": api_name}, {"Name": "Stage", "Value": stage}]


def test_alarms_notify_the_topic_when_one_is_given() -> None:
    assert all("AlarmActions" not in alarm for alarm in alarms(DEPLOYED))
    notified = alarms(deployed_template(AlarmTopicArn=TOPIC))
    assert len(notified) == len(FUNCTIONS) * 2 + 1 + 2  # and the two dead-letter queue alarms
    assert all(alarm["AlarmActions"] == [{"Ref": "AlarmTopicArn"}] for alarm in notified)


# -- IAM written once ------------------------------------------------------------------------------


def test_no_policy_statement_is_written_twice() -> None:
    written: list[str] = []
    for resource in DEPLOYED["Resources"].values():
        properties = resource.get("Properties", {})
        policies = properties.get("Policies", [])
        documents = [policy["PolicyDocument"] for policy in policies if "PolicyDocument" in policy]
        if resource["Type"] == "AWS::IAM::ManagedPolicy":
            documents.append(properties["PolicyDocument"])
        for document in documents:
            for statement in document["Statement"]:
                body = {key: value for key, value in statement.items() if key != "Sid"}
                written.append(json.dumps(body, sort_keys=True))
    repeated = {statement for statement in written if written.count(statement) > 1}
    assert not repeated


# -- a customer-managed key, when policy requires one ------------------------------------------------


def test_without_a_key_parameter_nothing_names_a_key_and_no_role_may_use_one() -> None:
    text = json.dumps([resource.get("Properties") for resource in DEPLOYED["Resources"].values()])
    assert '{"Ref": "KmsKeyArn"}' not in text
    assert "kms:" not in text


def test_with_a_key_parameter_every_store_of_data_is_encrypted_with_it_and_every_role_may_use_it() -> None:
    keyed = deployed_template(KmsKeyArn=KEY)
    key = {"Ref": "KmsKeyArn"}
    for properties in of_type(keyed, "AWS::DynamoDB::Table").values():
        assert properties["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": key}
    for properties in of_type(keyed, "AWS::SQS::Queue").values():
        assert properties["KmsMasterKeyId"] == key
        assert "SqsManagedSseEnabled" not in properties
    for properties in of_type(keyed, "AWS::Logs::LogGroup").values():
        assert properties["KmsKeyId"] == key
    for properties in of_type(keyed, "AWS::SecretsManager::Secret").values():
        assert properties["KmsKeyId"] == key
    for properties in of_type(keyed, "AWS::Lambda::Function").values():
        assert properties["KmsKeyArn"] == key
    for role in [*of_type(keyed, "AWS::IAM::Role")]:
        granted = [s for s in role_statements(role, keyed) if any(a.startswith("kms:") for a in s["Action"])]
        assert granted == [
            {"Sid": "UseStackKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": key}
        ], role


# -- SnapStart ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_api_functions_run_published_versions_with_snapstart_behind_an_alias(function: str) -> None:
    assert FUNCTIONS[function]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    aliases = {
        logical_id: properties
        for logical_id, properties in of_type(DEPLOYED, "AWS::Lambda::Alias").items()
        if properties["FunctionName"] == {"Ref": function}
    }
    [(alias, properties)] = aliases.items()
    version = properties["FunctionVersion"]["Fn::GetAtt"][0]
    assert DEPLOYED["Resources"][version]["Type"] == "AWS::Lambda::Version"
    # API Gateway invokes the alias (the published, snapshotted version), never $LATEST.
    assert f"${{{alias}}}" in API_INTEGRATIONS
    assert f"${{{function}.Arn}}" not in API_INTEGRATIONS


# -- checkov's exceptions ------------------------------------------------------------------------


def test_every_checkov_exception_names_its_check_and_says_why() -> None:
    from tests.conftest import TEMPLATE

    skips = [
        (logical_id, skip)
        for logical_id, resource in TEMPLATE["Resources"].items()
        for skip in ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip", [])
    ]
    assert skips
    for logical_id, skip in skips:
        assert set(skip) == {"id", "comment"}, logical_id
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (logical_id, skip)
        assert len(skip["comment"].split()) >= 8, (logical_id, skip)  # a reason, not a label
    # Only the exceptions the README explains: no VPC, no cache, no function DLQ, the worker's
    # concurrency, the environment's key.
    explained = {"CKV_AWS_117", "CKV_AWS_120", "CKV_AWS_116", "CKV_AWS_115", "CKV_AWS_173"}
    assert {skip["id"] for _, skip in skips} == explained
