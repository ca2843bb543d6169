"""template.yaml as CloudFormation would create it: SAM's transform, then the stack's conditions.

The transform is aws-sam-translator's, the library `sam deploy` and cfn-lint run, so the roles,
aliases, permissions and the REST API's definition checked here are the ones SAM generates, not
a reading of the SAM shorthand. Conditions and `Fn::If` are then resolved for given parameter
values (the defaults unless told), as CloudFormation does when it creates the stack.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Any

from admin_token_local.template import PSEUDO_PARAMETERS, load_template
from tests.conftest import REPO_ROOT

Template = dict[str, Any]
_NO_VALUE = {"Ref": "AWS::NoValue"}
_DROPPED = object()


class _NoManagedPolicies:
    """SAM asks for the account's managed policy names only to expand bare names in Policies;
    the template names AWS's policies by ARN, so none is needed (and none may be fetched)."""

    def load(self) -> dict[str, str]:
        return {}


@cache
def _transformed() -> Template:
    from samtranslator.translator.transform import transform

    template = copy.deepcopy(load_template(REPO_ROOT / "template.yaml"))
    template.pop("__template_dir__", None)
    # `sam deploy` uploads the code and puts its S3 location here; the transform requires one.
    for logical_id, resource in template["Resources"].items():
        key = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}.get(
            resource["Type"]
        )
        if key:
            resource["Properties"][key] = f"s3://deployment-bucket/{logical_id}.zip"
    pseudo = {name: PSEUDO_PARAMETERS[name] for name in ("AWS::Region", "AWS::AccountId", "AWS::Partition")}
    transformed: Template = transform(template, pseudo, _NoManagedPolicies())
    return transformed


def parameter_values(template: Template, overrides: Mapping[str, str]) -> dict[str, str]:
    values = {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}
    unknown = set(overrides) - set(values)
    if unknown:
        raise KeyError(f"no such parameters: {sorted(unknown)}")
    return {**values, **overrides}


def _value(node: Any, parameters: Mapping[str, str], conditions: Mapping[str, bool]) -> Any:
    if isinstance(node, dict) and set(node) == {"Ref"} and node["Ref"] in parameters:
        return parameters[node["Ref"]]
    if isinstance(node, dict) and set(node) == {"Condition"}:
        return conditions[node["Condition"]]
    return node


def _condition(node: Any, parameters: Mapping[str, str], conditions: Mapping[str, bool]) -> bool:
    (function, arguments), *_ = node.items()
    if function == "Fn::Equals":
        left, right = (_value(argument, parameters, conditions) for argument in arguments)
        return str(left) == str(right)
    if function == "Fn::Not":
        return not _condition(arguments[0], parameters, conditions)
    if function == "Fn::And":
        return all(_condition(argument, parameters, conditions) for argument in arguments)
    if function == "Fn::Or":
        return any(_condition(argument, parameters, conditions) for argument in arguments)
    if function == "Condition":
        return conditions[arguments]
    raise ValueError(f"condition function {function} is not handled here")


def _resolve(node: Any, conditions: Mapping[str, bool]) -> Any:
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            name, when_true, when_false = node["Fn::If"]
            return _resolve(when_true if conditions[name] else when_false, conditions)
        if node == _NO_VALUE:
            return _DROPPED
        resolved = {key: _resolve(value, conditions) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not _DROPPED}
    if isinstance(node, list):
        return [value for value in (_resolve(item, conditions) for item in node) if value is not _DROPPED]
    return node


def deployed_template(**overrides: str) -> Template:
    """The transformed template with its conditions applied for these parameter values."""
    template = copy.deepcopy(_transformed())
    parameters = parameter_values(template, overrides)
    conditions: dict[str, bool] = {}
    for name, definition in (template.get("Conditions") or {}).items():
        conditions[name] = _condition(definition, parameters, conditions)
    template["Resources"] = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if conditions.get(resource.get("Condition", ""), True)
    }
    resolved: Template = _resolve(template, conditions)
    resolved["__parameters__"] = parameters
    return resolved
