"""Read what the local runner needs out of the SAM template, so nothing is duplicated in code.

Only resource *types* are known here; every name, path, route and setting comes from the template.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, NamedTuple

import yaml

Template = dict[str, Any]

FUNCTION_TYPE = "AWS::Serverless::Function"
LAYER_TYPE = "AWS::Serverless::LayerVersion"
TABLE_TYPE = "AWS::DynamoDB::Table"
API_TYPE = "AWS::Serverless::Api"
HOSTED_CONFIGURATION_TYPE = "AWS::AppConfig::HostedConfigurationVersion"

# What an implicit SAM API (no RestApiId) is deployed as.
IMPLICIT_API_STAGE = "Prod"

# Pseudo parameters as they would read in a local "account"; they only ever end up in strings.
PSEUDO_PARAMETERS = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "local",
    "AWS::NoValue": "",
}

# create_table takes these table properties as CloudFormation spells them; the others
# (PointInTimeRecoverySpecification, SSESpecification, TimeToLiveSpecification, ...) are either
# shaped differently in the API or not create_table arguments at all, and change nothing locally.
_CREATE_TABLE_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "TableClass",
)
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")


class Route(NamedTuple):
    """One API event: `path` is matched against requests, `resource_path` is what API Gateway
    reports as `resource` (the same text for a REST API), `stage` the deployed stage name."""

    method: str
    path: str
    function_id: str
    resource_path: str
    stage: str


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that also accepts CloudFormation short-form intrinsics (!Ref, !GetAtt, ...)."""


def _construct_intrinsic(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    # Short forms become the long forms CloudFormation itself expands them to.
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix in ("Ref", "Condition"):
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: Path) -> Template:
    """Parse a SAM/CloudFormation YAML template (short-form intrinsics included)."""
    with path.open(encoding="utf-8") as stream:
        data = yaml.load(stream, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise ValueError(f"{path} is not a CloudFormation template (no Resources)")
    data["__template_dir__"] = str(path.resolve().parent)
    return data


def _resources(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if isinstance(resource, dict) and resource.get("Type") == resource_type
    }


def _properties(template: Template, logical_id: str) -> dict[str, Any]:
    resource = template["Resources"].get(logical_id)
    if not isinstance(resource, dict):
        raise KeyError(f"no resource {logical_id!r} in the template")
    properties = resource.get("Properties") or {}
    assert isinstance(properties, dict)
    return properties


def _template_dir(template: Template) -> Path:
    return Path(template.get("__template_dir__", "."))


def _function_globals(template: Template) -> dict[str, Any]:
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    assert isinstance(globals_, dict)
    return globals_


def _function_property(template: Template, logical_id: str, name: str) -> Any:
    # SAM Globals: a function's own value wins over the global one.
    own = _properties(template, logical_id)
    return own[name] if name in own else _function_globals(template).get(name)


def _environment_variables(properties: Mapping[str, Any]) -> dict[str, Any]:
    variables = ((properties.get("Environment") or {}).get("Variables")) or {}
    assert isinstance(variables, dict)
    return variables


def function_ids(template: Template) -> list[str]:
    """Logical ids of the template's serverless functions, in template order."""
    return list(_resources(template, FUNCTION_TYPE))


def table_definitions(template: Template) -> dict[str, dict[str, Any]]:
    """Logical id -> DynamoDB create_table kwargs (without TableName, which the caller sets)."""
    definitions: dict[str, dict[str, Any]] = {}
    for logical_id, resource in _resources(template, TABLE_TYPE).items():
        properties = resource.get("Properties") or {}
        kwargs = {key: properties[key] for key in _CREATE_TABLE_KEYS if key in properties}
        for index_key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if properties.get(index_key):
                kwargs[index_key] = [
                    {key: index[key] for key in _INDEX_KEYS if key in index} for index in properties[index_key]
                ]
        if properties.get("StreamSpecification"):
            # CloudFormation enables a stream by naming its view type; create_table wants both.
            kwargs["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
        definitions[logical_id] = kwargs
    return definitions


def table_names(template: Template, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Logical id -> physical table name, read from the variable the functions find it in."""
    tables = _resources(template, TABLE_TYPE)
    names = {logical_id: logical_id for logical_id in tables}
    sources = [_function_globals(template)] + [
        resource.get("Properties") or {} for resource in _resources(template, FUNCTION_TYPE).values()
    ]
    for source in sources:
        for variable, value in _environment_variables(source).items():
            if isinstance(value, dict) and value.get("Ref") in tables:
                names[value["Ref"]] = environ.get(variable, value["Ref"])
    return names


def _resolve(template: Template, value: Any, tables: Mapping[str, str]) -> str:
    """Turn an environment value into the string Lambda would see, for the intrinsics that make
    sense locally: Ref to a table (its local name), a parameter (its default), another resource
    (its logical id, which stands in for its physical id), and Sub over those."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, dict) and "Ref" in value:
        return _resolve_name(template, str(value["Ref"]), tables)
    if isinstance(value, dict) and "Fn::Sub" in value:
        text, variables = value["Fn::Sub"], {}
        if isinstance(text, list):
            text, variables = text[0], text[1]
        return _substitute(template, str(text), variables, tables)
    raise ValueError(f"cannot resolve {value!r} locally")


def _resolve_name(template: Template, name: str, tables: Mapping[str, str]) -> str:
    if name in tables:
        return tables[name]
    if name in PSEUDO_PARAMETERS:
        return PSEUDO_PARAMETERS[name]
    parameter = (template.get("Parameters") or {}).get(name)
    if isinstance(parameter, dict):
        if "Default" not in parameter:
            raise ValueError(f"parameter {name!r} has no Default to run with locally")
        return _resolve(template, parameter["Default"], tables)
    if name in template["Resources"]:
        return name
    raise ValueError(f"unknown reference {name!r}")


def _substitute(template: Template, text: str, variables: Mapping[str, Any], tables: Mapping[str, str]) -> str:
    out, rest = [], text
    while "${" in rest:
        before, _, after = rest.partition("${")
        name, _, rest = after.partition("}")
        out.append(before)
        if name.startswith("!"):  # ${!Literal} is an escaped literal
            out.append("${" + name[1:] + "}")
        elif name in variables:
            out.append(_resolve(template, variables[name], tables))
        else:
            out.append(_resolve_name(template, name.split(".", 1)[0], tables))
    out.append(rest)
    return "".join(out)


def function_environment(
    template: Template, logical_id: str, environ: Mapping[str, str] = os.environ
) -> dict[str, str]:
    """The environment variables the function is deployed with (Globals merged with its own)."""
    if logical_id not in _resources(template, FUNCTION_TYPE):
        raise KeyError(f"no function {logical_id!r} in the template")
    tables = table_names(template, environ)
    variables = {
        **_environment_variables(_function_globals(template)),
        **_environment_variables(_properties(template, logical_id)),
    }
    resolved = {name: _resolve(template, value, tables) for name, value in variables.items()}
    # Settings a local run may change from its own environment (a demo without the audit lag).
    resolved.update({name: environ[name] for name in LOCAL_OVERRIDES if name in resolved and name in environ})
    return resolved


LOCAL_OVERRIDES: Final = ("AUDIT_HORIZON_SECONDS",)


def resource_variables(template: Template, logical_id: str) -> dict[str, str]:
    """The function's variables set to `!Ref <resource>`: variable -> the resource's logical id."""
    variables = {
        **_environment_variables(_function_globals(template)),
        **_environment_variables(_properties(template, logical_id)),
    }
    return {name: str(value["Ref"]) for name, value in variables.items() if isinstance(value, dict) and "Ref" in value}


def function_handler(template: Template, logical_id: str) -> tuple[Path, str, str]:
    """(code directory, module name, function name) of the function's Handler."""
    code_uri = _function_property(template, logical_id, "CodeUri")
    handler = _function_property(template, logical_id, "Handler")
    if not isinstance(code_uri, str) or not isinstance(handler, str) or "." not in handler:
        raise ValueError(f"{logical_id} needs a local CodeUri and a Handler like module.function")
    module, function = handler.rsplit(".", 1)
    return _template_dir(template) / code_uri, module, function


def function_setting(template: Template, logical_id: str, name: str, default: Any) -> Any:
    """A function property such as Timeout or MemorySize, Globals applied."""
    value = _function_property(template, logical_id, name)
    return default if value is None else value


def layer_dirs(template: Template, logical_id: str) -> list[Path]:
    """ContentUri directories of the function's layers, global ones first (SAM appends lists).

    Layers given as ARNs are not in this repository and are skipped: the local environment must
    already provide what they would (e.g. Powertools, installed in the venv)."""
    layers = list(_function_globals(template).get("Layers") or []) + list(
        _properties(template, logical_id).get("Layers") or []
    )
    local_layers = _resources(template, LAYER_TYPE)
    dirs = []
    for layer in layers:
        if isinstance(layer, dict) and layer.get("Ref") in local_layers:
            content_uri = (local_layers[layer["Ref"]].get("Properties") or {}).get("ContentUri")
            if isinstance(content_uri, str):
                dirs.append(_template_dir(template) / content_uri)
    return dirs


def api_routes(template: Template) -> list[Route]:
    """Every Api event of every function, as a Route."""
    apis = _resources(template, API_TYPE)
    routes = []
    for logical_id, resource in _resources(template, FUNCTION_TYPE).items():
        events = (resource.get("Properties") or {}).get("Events") or {}
        for event in events.values():
            if not isinstance(event, dict) or event.get("Type") != "Api":
                continue
            properties = event.get("Properties") or {}
            api = properties.get("RestApiId")
            stage = IMPLICIT_API_STAGE
            if isinstance(api, dict) and api.get("Ref") in apis:
                stage_name = (apis[api["Ref"]].get("Properties") or {}).get("StageName", IMPLICIT_API_STAGE)
                stage = _resolve(template, stage_name, {})
            path = str(properties["Path"])
            routes.append(Route(str(properties["Method"]).upper(), path, logical_id, path, stage))
    return routes


def feature_flags_document(template: Template) -> dict[str, Any]:
    """The hosted AppConfig configuration the template deploys, parsed."""
    for resource in _resources(template, HOSTED_CONFIGURATION_TYPE).values():
        content = (resource.get("Properties") or {}).get("Content")
        if isinstance(content, str):
            document = json.loads(content)
            if not isinstance(document, dict):
                raise ValueError("the hosted AppConfig configuration is not a JSON object")
            return document
    raise ValueError(f"no {HOSTED_CONFIGURATION_TYPE} with inline Content in the template")
