"""template.py against the real template.yaml, plus the intrinsics it has to understand."""

from __future__ import annotations

from pathlib import Path

import pytest

from admin_token_local.template import (
    Route,
    api_routes,
    feature_flags_document,
    function_environment,
    function_handler,
    function_ids,
    layer_dirs,
    load_template,
    table_definitions,
    table_names,
)
from tests.local.conftest import REAL_TEMPLATE, REPO_ROOT

TEMPLATE = load_template(REAL_TEMPLATE)


def test_short_form_intrinsics_become_long_form(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n"
        "  R:\n"
        "    Type: X\n"
        "    Properties:\n"
        "      A: !Ref Thing\n"
        "      B: !GetAtt Table.Arn\n"
        '      C: !Sub ["${x}", {x: !Ref Y}]\n'
        '      D: !If [Cond, !Join ["-", [a, b]], !Ref AWS::NoValue]\n'
        "      E: !GetAtt [Table, StreamArn]\n"
    )
    properties = load_template(path)["Resources"]["R"]["Properties"]
    assert properties == {
        "A": {"Ref": "Thing"},
        "B": {"Fn::GetAtt": ["Table", "Arn"]},
        "C": {"Fn::Sub": ["${x}", {"x": {"Ref": "Y"}}]},
        "D": {"Fn::If": ["Cond", {"Fn::Join": ["-", ["a", "b"]]}, {"Ref": "AWS::NoValue"}]},
        "E": {"Fn::GetAtt": ["Table", "StreamArn"]},
    }


def test_a_file_without_resources_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("just: text\n")
    with pytest.raises(ValueError, match="no Resources"):
        load_template(path)


def test_policies_keep_their_getatt_references() -> None:
    document = TEMPLATE["Resources"]["ReadTokensAndOwnersPolicy"]["Properties"]["PolicyDocument"]
    assert {"Fn::GetAtt": ["TokensTable", "Arn"]} in document["Statement"][0]["Resource"]


def test_function_ids() -> None:
    assert function_ids(TEMPLATE) == [
        "LookupFunction",
        "RevokeFunction",
        "IntakeFunction",
        "RevocationWorkerFunction",
        "AuditEventsFunction",
        "ConsoleFunction",
    ]


def test_table_definitions_are_create_table_arguments() -> None:
    definitions = table_definitions(TEMPLATE)
    assert set(definitions) == {"TokensTable", "UsersTable", "RunnersTable", "AuditTable"}
    assert definitions["RunnersTable"] == {
        "AttributeDefinitions": [
            {"AttributeName": "runner_id", "AttributeType": "N"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "runner_id", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
    for definition in definitions.values():
        assert "PointInTimeRecoverySpecification" not in definition
        assert "SSESpecification" not in definition
        assert "TableName" not in definition


def test_secondary_indexes_are_kept_without_cloudformation_only_keys(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n"
        "  T:\n"
        "    Type: AWS::DynamoDB::Table\n"
        "    Properties:\n"
        "      BillingMode: PAY_PER_REQUEST\n"
        "      AttributeDefinitions: [{AttributeName: a, AttributeType: S}]\n"
        "      KeySchema: [{AttributeName: a, KeyType: HASH}]\n"
        "      GlobalSecondaryIndexes:\n"
        "        - IndexName: by-a\n"
        "          KeySchema: [{AttributeName: a, KeyType: HASH}]\n"
        "          Projection: {ProjectionType: ALL}\n"
        "          ContributorInsightsSpecification: {Enabled: true}\n"
    )
    index = table_definitions(load_template(path))["T"]["GlobalSecondaryIndexes"][0]
    assert index == {
        "IndexName": "by-a",
        "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    }


def test_table_names_default_to_logical_ids_and_follow_the_functions_variables() -> None:
    assert table_names(TEMPLATE, {}) == {
        "TokensTable": "TokensTable",
        "UsersTable": "UsersTable",
        "RunnersTable": "RunnersTable",
        "AuditTable": "AuditTable",
    }
    renamed = table_names(TEMPLATE, {"TOKENS_TABLE_NAME": "tokens-dev", "AUDIT_TABLE_NAME": "audit-dev"})
    assert renamed["TokensTable"] == "tokens-dev"
    assert renamed["AuditTable"] == "audit-dev"
    assert renamed["UsersTable"] == "UsersTable"


def test_function_environment_resolves_references_locally() -> None:
    environment = function_environment(TEMPLATE, "RevokeFunction", {"USERS_TABLE_NAME": "users-dev"})
    assert environment["APPCONFIG_APPLICATION"] == "AppConfigApplication"
    assert environment["APPCONFIG_ENVIRONMENT"] == "AppConfigEnvironment"
    assert environment["APPCONFIG_CONFIGURATION"] == "AppConfigConfigurationProfile"
    assert environment["APPCONFIG_MAX_AGE_SECONDS"] == "30"
    assert environment["GITLAB_URL"] == "https://gitlab.example.com"  # the parameter's Default
    assert environment["TOKENS_TABLE_NAME"] == "TokensTable"
    assert environment["USERS_TABLE_NAME"] == "users-dev"
    assert environment["POWERTOOLS_SERVICE_NAME"] == "admin-token-api"
    assert environment["POWERTOOLS_LOGGER_LOG_EVENT"] == "false"
    assert all(isinstance(value, str) for value in environment.values())


def test_function_environment_merges_globals_with_the_functions_own(gateway_template: Path) -> None:
    template = load_template(gateway_template)
    echo = function_environment(template, "EchoFunction", {})
    responder = function_environment(template, "ResponderFunction", {})
    assert echo["SHARED"] == "from-function"
    assert responder["SHARED"] == "from-globals"
    assert echo["ONLY_ECHO"] == "yes"
    assert "ONLY_ECHO" not in responder
    assert echo["REGION_SUB"] == "us-east-1/hello"
    assert echo["ITEMS_TABLE"] == "ItemsTable"


def test_function_environment_of_an_unknown_function_fails() -> None:
    with pytest.raises(KeyError, match="NoSuchFunction"):
        function_environment(TEMPLATE, "NoSuchFunction", {})


def test_function_handler() -> None:
    assert function_handler(TEMPLATE, "LookupFunction") == (REPO_ROOT / "functions/lookup", "app", "lambda_handler")
    assert function_handler(TEMPLATE, "RevokeFunction") == (REPO_ROOT / "functions/revoke", "app", "lambda_handler")
    assert function_handler(TEMPLATE, "IntakeFunction") == (REPO_ROOT / "functions/intake", "app", "lambda_handler")


def test_layer_dirs_resolve_the_global_layer() -> None:
    assert layer_dirs(TEMPLATE, "LookupFunction") == [REPO_ROOT / "layers/admin_token"]


def test_api_routes() -> None:
    assert api_routes(TEMPLATE) == [
        Route("POST", "/api/v4/admin/token", "LookupFunction", "/api/v4/admin/token", "prod"),
        Route("DELETE", "/api/v4/admin/token", "RevokeFunction", "/api/v4/admin/token", "prod"),
        Route("POST", "/api/v4/admin/tokens/revoke", "RevokeFunction", "/api/v4/admin/tokens/revoke", "prod"),
        Route("GET", "/v1/revocable_token_types", "IntakeFunction", "/v1/revocable_token_types", "prod"),
        Route("POST", "/v1/revoke_tokens", "IntakeFunction", "/v1/revoke_tokens", "prod"),
        Route("ANY", "/v1/revocable_token_types", "IntakeFunction", "/v1/revocable_token_types", "prod"),
        Route("ANY", "/v1/revoke_tokens", "IntakeFunction", "/v1/revoke_tokens", "prod"),
        Route("POST", "/v1/github/secret_scanning", "IntakeFunction", "/v1/github/secret_scanning", "prod"),
        Route("ANY", "/v1/github/secret_scanning", "IntakeFunction", "/v1/github/secret_scanning", "prod"),
        Route("GET", "/api/v4/audit_events", "AuditEventsFunction", "/api/v4/audit_events", "prod"),
        Route("GET", "/api/v4/audit_events/{id}", "AuditEventsFunction", "/api/v4/audit_events/{id}", "prod"),
        Route("GET", "/", "ConsoleFunction", "/", "prod"),
        Route("GET", "/api/v4/admin/openapi.json", "ConsoleFunction", "/api/v4/admin/openapi.json", "prod"),
        Route("GET", "/console", "ConsoleFunction", "/console", "prod"),
        Route("GET", "/console/{asset}", "ConsoleFunction", "/console/{asset}", "prod"),
    ]


def test_feature_flags_document() -> None:
    document = feature_flags_document(TEMPLATE)
    assert document["api_admin_token_revoke"] == {"default": True}
    assert document["personal_access_token_prefix"] == {"default": "", "boolean_type": False}
    assert set(document) == {
        "api_admin_token_revoke",
        "token_api_expire_pipeline_triggers",
        "admin_mode",
        "secret_detection_auto_revoke",
        "github_secret_scanning_auto_revoke",
        "personal_access_token_prefix",
    }


def test_a_local_run_may_set_the_audit_horizon_from_its_own_environment() -> None:
    from admin_token_local.template import function_environment

    assert function_environment(TEMPLATE, "AuditEventsFunction", {})["AUDIT_HORIZON_SECONDS"] == "31"
    local = function_environment(TEMPLATE, "AuditEventsFunction", {"AUDIT_HORIZON_SECONDS": "0"})
    assert local["AUDIT_HORIZON_SECONDS"] == "0"
    # Only that setting, and only where the template sets it.
    assert "AUDIT_HORIZON_SECONDS" not in function_environment(
        TEMPLATE, "LookupFunction", {"AUDIT_HORIZON_SECONDS": "0"}
    )
    assert function_environment(TEMPLATE, "LookupFunction", {"GITLAB_URL": "x"})["GITLAB_URL"] != "x"
