"""The template's Secrets Manager secrets in the embedded moto, each with a fresh generated value.

A secret is named by its logical id, which is what a `!Ref` to it resolves to locally (Secrets
Manager takes a name wherever it takes an ARN). The value is new at every start, as
`GenerateSecretString` makes one at deployment: never one from a file. A secret the template
declares with neither `GenerateSecretString` nor `SecretString` is created empty, as CloudFormation
creates it: it has no value until someone stores one.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import Any

import boto3

from admin_token_local.template import PSEUDO_PARAMETERS, Template

SECRET_TYPE = "AWS::SecretsManager::Secret"


def _client(endpoint: str) -> Any:
    return boto3.client("secretsmanager", endpoint_url=endpoint, region_name=PSEUDO_PARAMETERS["AWS::Region"])


def create_secrets(endpoint: str, template: Template) -> dict[str, str]:
    """Logical id -> the value generated for it (created, or replaced when it exists); empty secrets
    are created and left out."""
    client = _client(endpoint)
    values = {}
    for logical_id, resource in template["Resources"].items():
        if not isinstance(resource, dict) or resource.get("Type") != SECRET_TYPE:
            continue
        if "GenerateSecretString" not in (resource.get("Properties") or {}):
            with contextlib.suppress(client.exceptions.ResourceExistsException):
                client.create_secret(Name=logical_id)
            continue
        value = secrets.token_urlsafe(32)
        try:
            client.create_secret(Name=logical_id, SecretString=value)
        except client.exceptions.ResourceExistsException:
            client.put_secret_value(SecretId=logical_id, SecretString=value)
        values[logical_id] = value
    return values


def put_secret_value(endpoint: str, logical_id: str, value: str) -> None:
    """Give a created secret this value instead (`invoke`, for an event file's pre-shared token)."""
    _client(endpoint).put_secret_value(SecretId=logical_id, SecretString=value)
