"""Fixtures for the local runner's tests: throwaway templates with tiny fake functions, so these
tests exercise the runner itself and not the real handlers."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from admin_token_local.template import load_template

REPO_ROOT = Path(__file__).resolve().parents[2]
REAL_TEMPLATE = REPO_ROOT / "template.yaml"


# What the fake functions' loading adds to sys.modules (handler modules, layer, sibling module).
RUNNER_MODULES = {
    "echofunction_app",
    "responderfunction_app",
    "lookupfunction_app",
    "revokefunction_app",
    "fakelayer",
    "helper",
}


@pytest.fixture
def process_state() -> Iterator[None]:
    """Undo what the runner does to this process on purpose (environment, sys.path, modules)."""
    environ, path, modules = dict(os.environ), list(sys.path), set(sys.modules)
    yield
    os.environ.clear()
    os.environ.update(environ)
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        if name in RUNNER_MODULES:
            del sys.modules[name]


GATEWAY_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  StageName: {Type: String, Default: test}
  Greeting: {Type: String, Default: hello}
Globals:
  Function:
    Timeout: 7
    MemorySize: 256
    Layers: [!Ref FakeLayer]
    Environment:
      Variables:
        ITEMS_TABLE: !Ref ItemsTable
        GREETING: !Ref Greeting
        SHARED: from-globals
        REGION_SUB: !Sub "${AWS::Region}/${Greeting}"
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties: {StageName: !Ref StageName}
  FakeLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layer/}
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo/
      Handler: app.lambda_handler
      Environment:
        Variables: {SHARED: from-function, ONLY_ECHO: "yes"}
      Events:
        Echo: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /echo, Method: post}}
        Item: {Type: Api, Properties: {RestApiId: !Ref Api, Path: "/items/{id}", Method: any}}
  ResponderFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: responder/
      Handler: app.lambda_handler
      Events:
        Respond: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /respond, Method: post}}
  ItemsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
"""

# Echoes what it was given (event, context, environment, layer) so tests can inspect it.
ECHO_APP = """\
import json
import os
import sys

import fakelayer
import helper  # a sibling module, importable from the code dir while loading


def lambda_handler(event, context):
    print("echo function output")  # `invoke` must keep this off standard output
    names = ("ITEMS_TABLE", "GREETING", "SHARED", "ONLY_ECHO", "REGION_SUB", "AWS_ENDPOINT_URL_DYNAMODB",
             "AWS_ENDPOINT_URL_APPCONFIGDATA", "AWS_ACCESS_KEY_ID",
             "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME")
    body = {
        "event": event,
        "env": {name: os.environ.get(name) for name in names},
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "aws_request_id": context.aws_request_id,
            "remaining": context.get_remaining_time_in_millis(),
        },
        "layer": fakelayer.VALUE,
        "helper": helper.VALUE,
        "code_dir_on_path": os.path.dirname(os.path.abspath(__file__)) in sys.path,
    }
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
"""

# Answers with whatever proxy response the request body asks for, or raises.
RESPONDER_APP = """\
import json
import os


def lambda_handler(event, context):
    order = json.loads(event["body"])
    if order.get("raise"):
        raise RuntimeError("responder was told to fail")
    if order.get("env"):
        return {"statusCode": 200, "body": json.dumps({"value": os.environ.get(order["env"])})}
    return order["response"]
"""


@pytest.fixture
def gateway_template(tmp_path: Path) -> Path:
    """A template with two fake functions (both modules named `app`) and a fake layer."""
    (tmp_path / "layer").mkdir()
    (tmp_path / "layer" / "fakelayer.py").write_text('VALUE = "from the layer"\n')
    (tmp_path / "echo").mkdir()
    (tmp_path / "echo" / "app.py").write_text(ECHO_APP)
    (tmp_path / "echo" / "helper.py").write_text('VALUE = "echo helper"\n')
    (tmp_path / "responder").mkdir()
    (tmp_path / "responder" / "app.py").write_text(RESPONDER_APP)
    path = tmp_path / "template.yaml"
    path.write_text(GATEWAY_TEMPLATE)
    return path


# Reads back, through the local backends, what `serve`/`invoke` wired up: the seeded users table
# and the AppConfig document, both found through the deployed environment variables.
CLI_APP = """\
import json
import logging
import os

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.feature_flags import AppConfigStore

logger = Logger()  # keeps the stream it was created with, as the layer's loggers do


def lambda_handler(event, context):
    print("cli function output")  # `invoke` must keep this off standard output
    logger.info("cli function log")
    # Through the handlers the layer's own Powertools Logger (if any) attached at import time.
    logging.getLogger(os.environ["POWERTOOLS_SERVICE_NAME"]).warning("service logger line")
    body = json.loads(event.get("body") or "{}")
    if body.get("raise"):
        raise ValueError("told to fail")
    users = boto3.client("dynamodb").scan(TableName=os.environ["USERS_TABLE_NAME"])["Items"]
    store = AppConfigStore(
        environment=os.environ["APPCONFIG_ENVIRONMENT"],
        application=os.environ["APPCONFIG_APPLICATION"],
        name=os.environ["APPCONFIG_CONFIGURATION"],
        max_age=0,
    )
    answer = {"users": len(users), "flags": store.get_configuration(), "path": event.get("path")}
    return {"statusCode": 200, "body": json.dumps(answer)}
"""


@pytest.fixture
def cli_template(tmp_path: Path) -> Path:
    """The real template (tables, environment, AppConfig, layer) with fake function code."""
    template = load_template(REAL_TEMPLATE)
    template.pop("__template_dir__")
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(textwrap.dedent(CLI_APP))
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = str(code)
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            # Absolute, so the real layer (which the seed loader uses) is found from tmp_path.
            resource["Properties"]["ContentUri"] = str(REPO_ROOT / resource["Properties"]["ContentUri"])
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(template, sort_keys=False))
    return path
