"""What template.yaml grants and configures.

Grants are read from the roles SAM's transform generates (tests.support.cloudformation), managed
policies expanded, so what is checked is what a deployed function holds. The functions are the
template's own: one added to it is checked without this file changing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from admin_token_local.template import function_ids
from tests.conftest import REPO_ROOT, TEMPLATE
from tests.support.cloudformation import deployed_template

RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
DEPLOYED: dict[str, Any] = deployed_template()
# The only AWS managed policies a function's role may hold: writing its own logs and traces.
AWS_MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}
FUNCTIONS = function_ids(TEMPLATE)
# Behind API Gateway, so held to its 29 s integration timeout.
API_FUNCTIONS = [
    function
    for function in FUNCTIONS
    if any(event.get("Type") == "Api" for event in (RESOURCES[function]["Properties"].get("Events") or {}).values())
]
READ_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "appconfig:StartConfigurationSession",
    "appconfig:GetLatestConfiguration",
}
WRITE_VERB = re.compile(r":(\*|Put|Update|Delete|Write|Create|BatchWrite|Transact|PartiQL|Restore|Import|Tag)")


def role_statements(role: str, deployed: dict[str, Any] = DEPLOYED) -> list[dict[str, Any]]:
    """Every statement a role holds: its inline policies and the stack's managed policies it attaches."""
    resources = deployed["Resources"]
    properties = resources[role]["Properties"]
    found = [s for policy in properties.get("Policies", []) for s in policy["PolicyDocument"]["Statement"]]
    for arn in properties.get("ManagedPolicyArns", []):
        if isinstance(arn, dict) and "Ref" in arn:
            found.extend(resources[arn["Ref"]]["Properties"]["PolicyDocument"]["Statement"])
        else:
            text = arn["Fn::Sub"] if isinstance(arn, dict) else arn
            assert text.replace("${AWS::Partition}", "aws") in AWS_MANAGED_POLICIES, (role, arn)
    return found


def function_role(function: str, deployed: dict[str, Any] = DEPLOYED) -> str:
    role: str = deployed["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
    return role


def statements(function: str, deployed: dict[str, Any] = DEPLOYED) -> list[dict[str, Any]]:
    """Every statement the function's deployed role holds."""
    return role_statements(function_role(function, deployed), deployed)


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_the_lookup_function_is_granted_no_write_action() -> None:
    granted = [action for statement in statements("LookupFunction") for action in actions(statement)]
    assert granted, "LookupFunction has no policy statements to check"
    for action in granted:
        assert not WRITE_VERB.search(action), action
        assert action in READ_ACTIONS, f"{action} is not a read LookupFunction needs"


def test_the_revoke_function_only_appends_audit_records() -> None:
    audit = {"Fn::GetAtt": ["AuditTable", "Arn"]}
    for statement in statements("RevokeFunction"):
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if audit in resources:
            assert actions(statement) == ["dynamodb:PutItem"]


def test_the_template_deploys_the_functions_these_tests_know_of() -> None:
    # A new function is checked by every test over FUNCTIONS; this says which trust domains exist.
    assert set(FUNCTIONS) == {
        "LookupFunction",
        "RevokeFunction",
        "IntakeFunction",
        "RevocationWorkerFunction",
        "ConsoleFunction",
        "AuditEventsFunction",
    }


@pytest.mark.parametrize("function", API_FUNCTIONS)
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
    # Traced by Lambda only (Tracing: Active), never by an X-Ray SDK in the functions, which
    # could record a request's or a response's content: the layer does not ship one.
    assert TEMPLATE["Globals"]["Function"]["Tracing"] == "Active"
    requirements = (REPO_ROOT / "layers" / "admin_token" / "requirements.txt").read_text(encoding="utf-8")
    assert "tracer" not in requirements
    assert "xray" not in requirements


# -- the audit events function and the audit table ------------------------------------------------

AUDIT_TABLE_ARNS = [{"Fn::GetAtt": ["AuditTable", "Arn"]}, {"Fn::Sub": "${AuditTable.Arn}/index/*"}]
CALLER_TABLE_ARNS = [{"Fn::GetAtt": ["TokensTable", "Arn"]}, {"Fn::GetAtt": ["UsersTable", "Arn"]}]


def resources(statement: dict[str, Any]) -> list[Any]:
    resource = statement["Resource"]
    return resource if isinstance(resource, list) else [resource]


def test_the_audit_events_function_only_queries_and_gets_audit_events() -> None:
    found = statements("AuditEventsFunction")
    granted = [action for statement in found for action in actions(statement)]
    assert granted, "AuditEventsFunction has no policy statements to check"
    for statement in found:
        assert statement["Effect"] == "Allow"
        for action in actions(statement):
            assert not WRITE_VERB.search(action), action
            assert action != "dynamodb:Scan"
            assert "*" not in action, action
        on_audit = [resource for resource in resources(statement) if "AuditTable" in str(resource)]
        if on_audit:
            # The audit table and its indexes alone, and only Query and GetItem on them.
            assert sorted(actions(statement)) == ["dynamodb:GetItem", "dynamodb:Query"]
            assert resources(statement) == AUDIT_TABLE_ARNS
        elif any(action.startswith("dynamodb:") for action in actions(statement)):
            # Authenticating the caller: its token and its user, by key, as the other functions do.
            assert sorted(actions(statement)) == ["dynamodb:BatchGetItem", "dynamodb:GetItem"]
            assert resources(statement) == CALLER_TABLE_ARNS
        else:
            assert set(actions(statement)) <= READ_ACTIONS
    assert {"dynamodb:Query", "dynamodb:GetItem"} <= set(granted)


def test_only_the_audit_events_function_may_query_and_none_may_scan() -> None:
    for function in FUNCTIONS:
        for statement in statements(function):
            assert "dynamodb:Scan" not in actions(statement), function
            if "dynamodb:Query" in actions(statement):
                assert function == "AuditEventsFunction"
                assert resources(statement) == AUDIT_TABLE_ARNS


def test_the_audit_events_function_serves_both_get_routes() -> None:
    properties = RESOURCES["AuditEventsFunction"]["Properties"]
    routes = {(event["Properties"]["Method"], event["Properties"]["Path"]) for event in properties["Events"].values()}
    assert routes == {("get", "/api/v4/audit_events"), ("get", "/api/v4/audit_events/{id}")}
    full = {**TEMPLATE["Globals"]["Function"], **properties}
    assert 0 < full["Timeout"] <= 29
    assert "ReservedConcurrentExecutions" in full


def test_every_audit_index_sorts_on_the_event_id_and_projects_everything() -> None:
    properties = RESOURCES["AuditTable"]["Properties"]
    assert properties["KeySchema"] == [{"AttributeName": "audit_id", "KeyType": "HASH"}]
    types = {
        definition["AttributeName"]: definition["AttributeType"] for definition in properties["AttributeDefinitions"]
    }
    assert types["audit_id"] == "N"
    indexes = {index["IndexName"]: index for index in properties["GlobalSecondaryIndexes"]}
    partitions = {name: index["KeySchema"][0]["AttributeName"] for name, index in indexes.items()}
    assert partitions == {
        "all-events-by-id": "all_events",
        "entity-by-id": "entity_key",
        "entity-type-by-id": "entity_type",
        "author-by-id": "author_id",
        "token-type-by-id": "token_type",
    }
    for index in indexes.values():
        assert index["KeySchema"][1] == {"AttributeName": "audit_id", "KeyType": "RANGE"}
        assert index["Projection"] == {"ProjectionType": "ALL"}
    # The service's own map of indexes is the template's.
    from admin_token.storage.items import AUDIT_INDEXES

    assert partitions == AUDIT_INDEXES


# -- every revoke is announced -----------------------------------------------------------------------


def test_the_audit_table_streams_new_images_into_a_pipe_that_passes_inserts_only() -> None:
    assert RESOURCES["AuditTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    pipe = RESOURCES["RevokeEventsPipe"]["Properties"]
    assert pipe["Source"] == {"Fn::GetAtt": ["AuditTable", "StreamArn"]}
    assert pipe["Target"] == {"Fn::GetAtt": ["RevokeEventBus", "Arn"]}
    [only] = pipe["SourceParameters"]["FilterCriteria"]["Filters"]
    assert json.loads(only["Pattern"]) == {"eventName": ["INSERT"]}
    bus = pipe["TargetParameters"]["EventBridgeEventBusParameters"]
    assert (bus["Source"], bus["DetailType"]) == ("admin-token-api", "Token revoked")


def test_the_pipe_role_only_reads_the_audit_stream_and_puts_on_the_stacks_bus() -> None:
    role_id = RESOURCES["RevokeEventsPipe"]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    [trust] = DEPLOYED["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "pipes.amazonaws.com"}
    granted = {
        action: statement["Resource"]
        for statement in role_statements(role_id)
        for action in actions(statement)
        if statement["Effect"] == "Allow"
    }
    stream = {"Fn::GetAtt": ["AuditTable", "StreamArn"]}
    assert granted == {
        "dynamodb:DescribeStream": stream,
        "dynamodb:GetRecords": stream,
        "dynamodb:GetShardIterator": stream,
        "dynamodb:ListStreams": stream,
        "events:PutEvents": {"Fn::GetAtt": ["RevokeEventBus", "Arn"]},
        # Where a batch that keeps failing is recorded, rather than dropped.
        "sqs:SendMessage": {"Fn::GetAtt": ["RevokeEventsDeadLetterQueue", "Arn"]},
    }


def test_no_function_puts_events_so_the_request_path_is_unchanged() -> None:
    for function in FUNCTIONS:
        for statement in statements(function):
            assert not any(action.startswith("events:") for action in actions(statement)), function


def test_the_example_rule_logs_every_token_revoked_event_and_only_eventbridge_may_write_there() -> None:
    rule = RESOURCES["RevokedTokensRule"]["Properties"]
    assert rule["EventBusName"] == {"Ref": "RevokeEventBus"}
    assert rule["EventPattern"] == {"source": ["admin-token-api"], "detail-type": ["Token revoked"]}
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["RevokedTokensLogGroup", "Arn"]}
    policy = json.loads(
        RESOURCES["RevokedTokensLogGroupPolicy"]["Properties"]["PolicyDocument"]["Fn::Sub"].replace(
            "${RevokedTokensLogGroup.Arn}", "LOG_GROUP"
        )
    )
    [statement] = policy["Statement"]
    assert set(statement["Principal"]["Service"]) <= {"events.amazonaws.com", "delivery.logs.amazonaws.com"}
    assert set(statement["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert statement["Resource"] == "LOG_GROUP"


# -- the revocation queue, its worker and the pre-shared token -------------------------


TOKEN_TABLE_ARNS = [{"Fn::GetAtt": [table, "Arn"]} for table in ("TokensTable", "UsersTable", "RunnersTable")]


def granted_on(function: str) -> set[tuple[str, str]]:
    """(action, resource) pairs the function's role is allowed, resources as JSON text."""
    return {
        (action, json.dumps(resource, sort_keys=True))
        for statement in statements(function)
        if statement["Effect"] == "Allow"
        for action in actions(statement)
        for resource in resources(statement)
    }


def test_the_intake_function_queues_reads_its_secrets_and_configuration_and_reads_tokens_only() -> None:
    # GitLab's and GitHub's webhooks, authenticated by a pre-shared token and a signature: they
    # must not be able to change a token.
    configuration = next(
        statement["Resource"] for statement in statements("IntakeFunction") if statement["Sid"] == "ReadConfiguration"
    )
    expected = [
        ("sqs:SendMessage", {"Fn::GetAtt": ["RevocationQueue", "Arn"]}),
        ("secretsmanager:GetSecretValue", {"Ref": "RevocationTokenSecret"}),
        ("secretsmanager:GetSecretValue", {"Ref": "GitHubApiTokenSecret"}),
        ("appconfig:StartConfigurationSession", configuration),
        ("appconfig:GetLatestConfiguration", configuration),
    ] + [(action, table) for action in ("dynamodb:GetItem", "dynamodb:BatchGetItem") for table in TOKEN_TABLE_ARNS]
    assert "AppConfigConfigurationProfile" in json.dumps(configuration)
    assert granted_on("IntakeFunction") == {(action, json.dumps(r, sort_keys=True)) for action, r in expected}


def test_only_the_intake_function_may_send_findings_or_read_the_pre_shared_token() -> None:
    for function in FUNCTIONS:
        held = {
            action
            for action, _ in granted_on(function)
            if action in ("sqs:SendMessage", "secretsmanager:GetSecretValue")
        }
        assert held == (set() if function != "IntakeFunction" else {"sqs:SendMessage", "secretsmanager:GetSecretValue"})


def test_the_intake_function_serves_the_token_revocation_api_and_githubs_alerts_and_nothing_else() -> None:
    for function in FUNCTIONS:
        events = (RESOURCES[function]["Properties"].get("Events") or {}).values()
        paths = {event["Properties"]["Path"] for event in events if event["Type"] == "Api"}
        on_webhook = {path for path in paths if path.startswith("/v1/")}
        if function == "IntakeFunction":
            assert (
                paths == on_webhook == {"/v1/revocable_token_types", "/v1/revoke_tokens", "/v1/github/secret_scanning"}
            )
        else:
            assert not on_webhook, function


def test_the_intake_function_fetches_githubs_keys_from_the_parameter_with_the_optional_token() -> None:
    parameter = TEMPLATE["Parameters"]["GitHubSecretScanningKeysUrl"]
    assert parameter["Default"] == "https://api.github.com/meta/public_keys/secret_scanning"
    variables = RESOURCES["IntakeFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["GITHUB_KEYS_URL"] == {"Ref": "GitHubSecretScanningKeysUrl"}
    assert variables["GITHUB_TOKEN_SECRET_ARN"] == {"Ref": "GitHubApiTokenSecret"}
    # Created empty: no value is generated or written in the template; an operator stores a token.
    secret = RESOURCES["GitHubApiTokenSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert not {"SecretString", "GenerateSecretString"} & set(secret.get("Properties") or {})


def test_the_worker_consumes_only_its_queue_and_writes_only_what_a_revoke_writes() -> None:
    worker = RESOURCES["RevocationWorkerFunction"]["Properties"]
    # Its own role: SAM's SQS event would otherwise attach a policy reading every queue.
    assert worker["Role"] == {"Fn::GetAtt": ["RevocationWorkerRole", "Arn"]}
    assert "Policies" not in worker
    queue = {"Fn::GetAtt": ["RevocationQueue", "Arn"]}
    consume = {
        ("sqs:ReceiveMessage", json.dumps(queue)),
        ("sqs:DeleteMessage", json.dumps(queue)),
        ("sqs:ChangeMessageVisibility", json.dumps(queue)),
        ("sqs:GetQueueAttributes", json.dumps(queue)),
    }
    # Consuming its queue, and exactly what an administrator's revoke may do: no more, no less.
    assert granted_on("RevocationWorkerFunction") == granted_on("RevokeFunction") | consume
    event = worker["Events"]["Findings"]["Properties"]
    assert event["Queue"] == queue
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_queue_is_encrypted_short_lived_and_redrives_to_an_alarmed_dead_letter_queue() -> None:
    queue = RESOURCES["RevocationQueue"]["Properties"]
    worker_timeout = RESOURCES["RevocationWorkerFunction"]["Properties"]["Timeout"]
    assert DEPLOYED["Resources"]["RevocationQueue"]["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] <= 86400
    assert queue["VisibilityTimeout"] >= 6 * worker_timeout
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["RevocationDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 5,
    }
    assert DEPLOYED["Resources"]["RevocationDeadLetterQueue"]["Properties"]["SqsManagedSseEnabled"] is True
    alarm = RESOURCES["RevocationDeadLetterAlarm"]["Properties"]
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["RevocationDeadLetterQueue", "QueueName"]}}
    ]
    secret = RESOURCES["RevocationTokenSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert "GenerateSecretString" in secret["Properties"]
    assert TEMPLATE["Outputs"]["RevocationTokenSecretArn"]["Value"] == {"Ref": "RevocationTokenSecret"}


def test_every_dead_letter_queue_has_an_alarm_on_its_depth() -> None:
    # A Token revoked event the pipe could not deliver lands in its dead-letter queue: someone must hear of it.
    dead_letter_queues = {
        logical_id
        for logical_id, resource in RESOURCES.items()
        if resource["Type"] == "AWS::SQS::Queue" and "DeadLetter" in logical_id
    }
    alarmed = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in RESOURCES.values()
        if alarm["Type"] == "AWS::CloudWatch::Alarm"
        and alarm["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
    }
    assert dead_letter_queues == {"RevocationDeadLetterQueue", "RevokeEventsDeadLetterQueue"}
    assert alarmed == dead_letter_queues


def test_the_audit_horizon_outlasts_every_function_that_may_mint_an_audit_id() -> None:
    # A list shows an event only once no earlier id can still commit: the horizon must cover the
    # longest any function runs (a revoke's id is minted before its transaction), with a second for skew.
    timeouts = {
        name: {**TEMPLATE["Globals"]["Function"], **resource["Properties"]}["Timeout"]
        for name, resource in RESOURCES.items()
        if resource["Type"] == "AWS::Serverless::Function" and name != "AuditEventsFunction"
    }
    variables = RESOURCES["AuditEventsFunction"]["Properties"]["Environment"]["Variables"]
    assert float(variables["AUDIT_HORIZON_SECONDS"]) >= max(timeouts.values()) + 1
