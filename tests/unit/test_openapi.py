"""openapi.json: what the functions' Powertools resolvers generate now, and what it must say."""

from __future__ import annotations

import difflib
import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from pydantic import TypeAdapter

from admin_token.api import TOKEN_PATH, error_status_and_body
from admin_token.errors import (
    AuditEventNotFound,
    ConcurrentModification,
    ConfigurationUnavailable,
    DomainError,
    FeatureDisabled,
    Forbidden,
    InvalidRequest,
    PayloadTooLarge,
    RevokeRefused,
    StorageUnavailable,
    TokenNotFound,
    Unauthenticated,
    UnsupportedMediaType,
    UnsupportedTokenType,
)
from admin_token.models import entities
from admin_token.token_types import REGISTRY
from admin_token_local.template import api_routes, load_template
from admin_token_openapi import bodies
from admin_token_openapi.__main__ import main
from admin_token_openapi.document import merged_document, render, resolvers
from functions.audit_events.app import app as audit_events_app
from functions.intake.app import app as intake_app
from functions.lookup.app import app as lookup_app
from functions.revoke.app import app as revoke_app

REPO_ROOT = Path(__file__).resolve().parents[2]
OPENAPI_JSON = REPO_ROOT / "openapi.json"
TEMPLATE = REPO_ROOT / "template.yaml"
SCHEMAS = "#/components/schemas/"

AUDIT_LIST = "/api/v4/audit_events"
AUDIT_ONE = "/api/v4/audit_events/{id}"
LOOKUP_STATUSES = {"200", "400", "401", "403", "404", "413", "415", "422", "503"}
# 200: a dry run's answer.
REVOKE_STATUSES = {"200", "204", "400", "401", "403", "404", "409", "413", "415", "422", "503"}


@pytest.fixture(scope="module")
def generated() -> str:
    return render(merged_document(resolvers(TEMPLATE), version("admin-token-api")))


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(OPENAPI_JSON.read_text(encoding="utf-8"))
    return loaded


def operation(document: dict[str, Any], method: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][TOKEN_PATH][method]
    return found


def response_schema(document: dict[str, Any], method: str, status: int) -> dict[str, Any]:
    found: dict[str, Any] = operation(document, method)["responses"][str(status)]["content"]["application/json"]
    return found["schema"]


def validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    # `#/components/...` resolves against the root: give the schema the document's components.
    return Draft202012Validator({**schema, "components": document["components"]})


def test_openapi_json_is_what_the_resolvers_generate(generated: str) -> None:
    current = OPENAPI_JSON.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            generated.splitlines(keepends=True),
            fromfile="openapi.json",
            tofile="generated",
            n=2,
        )
    )
    assert current == generated, f"openapi.json is stale: run `make openapi`\n{diff}"


def test_the_functions_documented_are_those_the_template_routes_api_requests_to() -> None:
    # Found in template.yaml, so a new function is documented without a list to update.
    assert {lookup_app, revoke_app, intake_app, audit_events_app} <= set(resolvers(TEMPLATE))
    assert len(resolvers(TEMPLATE)) == len({route.function_id for route in api_routes(load_template(TEMPLATE))})


def test_every_documented_operation_is_a_route_of_the_template(document: dict[str, Any]) -> None:
    routed = {(route.method, route.path) for route in api_routes(load_template(TEMPLATE))}
    documented = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    assert documented <= routed
    assert documented >= {("POST", TOKEN_PATH), ("DELETE", TOKEN_PATH), ("GET", AUDIT_LIST), ("GET", AUDIT_ONE)}


def test_it_is_a_valid_openapi_3_1_document(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate_openapi(document)


def test_both_operations_on_the_one_path(document: dict[str, Any]) -> None:
    assert {TOKEN_PATH, AUDIT_LIST, AUDIT_ONE} <= set(document["paths"])
    assert set(document["paths"][TOKEN_PATH]) == {"post", "delete"}
    assert operation(document, "post")["operationId"] == "lookupToken"
    assert operation(document, "delete")["operationId"] == "revokeToken"


def test_every_status_of_the_spec_is_documented(document: dict[str, Any]) -> None:
    assert set(operation(document, "post")["responses"]) == LOOKUP_STATUSES
    assert set(operation(document, "delete")["responses"]) == REVOKE_STATUSES
    assert operation(document, "delete")["responses"]["204"].get("content", {}) == {}
    assert "Retry-After" in operation(document, "post")["responses"]["503"]["headers"]
    revoked = operation(document, "delete")["responses"]["204"]["headers"]
    assert {"X-Token-Type", "X-Token-Action", "X-Audit-Event-Id"} <= set(revoked)
    remembered = operation(document, "post")["responses"]["404"]["headers"]
    assert {"X-Token-Type", "X-Token-Revoked-At", "X-Audit-Event-Id"} <= set(remembered)


def resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"][schema["$ref"].removeprefix(SCHEMAS)]
    return found


def test_the_request_body_is_a_token_as_json_or_as_a_form(document: dict[str, Any]) -> None:
    for method in ("post", "delete"):
        body = operation(document, method)["requestBody"]
        assert body["required"] is True
        assert set(body["content"]) == {"application/json", "application/x-www-form-urlencoded"}
        for media in body["content"].values():
            schema = resolved(document, media["schema"])
            assert schema["type"] == "object"
            assert schema["properties"]["token"]["type"] == "string"
            assert schema["required"] == ["token"]
            assert validator(document, media["schema"]).is_valid(media["example"])
    form = operation(document, "post")["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert resolved(document, form["schema"])["additionalProperties"] == {"type": "string"}


@pytest.mark.parametrize("model", bodies.REQUEST_BODIES, ids=lambda model: model.__name__)
def test_request_body_schemas_are_the_models_and_stay_open(document: dict[str, Any], model: type[Any]) -> None:
    expected = TypeAdapter(model).json_schema(mode="validation", ref_template=SCHEMAS + "{model}")
    expected.pop("$defs", None)
    assert document["components"]["schemas"][model.__name__] == expected
    # The API ignores keys it does not read: an extra key is no reason to expect a 400.
    assert expected.get("additionalProperties", True) is not False


def test_the_bulk_and_findings_bodies_keep_their_limits(document: dict[str, Any]) -> None:
    bulk = document["paths"]["/api/v4/admin/tokens/revoke"]["post"]["requestBody"]["content"]
    assert set(bulk) == {"application/json"}
    check = validator(document, bulk["application/json"]["schema"])
    assert check.is_valid(bulk["application/json"]["example"])
    assert check.is_valid({"tokens": ["x"] * 1000})
    assert not check.is_valid({"tokens": []})
    assert not check.is_valid({"tokens": ["x"] * 1001})
    assert not check.is_valid({"tokens": ["x"], "dry_run": "true"})
    findings = document["paths"]["/v1/revoke_tokens"]["post"]["requestBody"]["content"]["application/json"]
    check = validator(document, findings["schema"])
    assert check.is_valid(findings["example"])
    assert check.is_valid([{"type": "t", "token": "x", "location": None, "other": 1}])
    assert not check.is_valid([{"type": "t", "token": ""}])
    assert not check.is_valid([{"token": "x"}])
    assert not check.is_valid({"type": "t", "token": "x"})
    assert not check.is_valid([{"type": "t", "token": "x"}] * 10001)


def test_no_body_model_shares_a_name_with_a_domain_error() -> None:
    from admin_token import errors

    names = {name for name, value in vars(bodies).items() if isinstance(value, type)}
    assert not names & set(vars(errors))


def test_callers_authenticate_with_private_token_or_bearer(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert {"type": "apiKey", "in": "header", "name": "PRIVATE-TOKEN"}.items() <= schemes["PrivateToken"].items()
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["BearerToken"].items()
    for method in ("post", "delete"):
        assert operation(document, method)["security"] == [{"PrivateToken": []}, {"BearerToken": []}]


def test_a_lookup_answers_one_of_the_entities_of_all_twelve_token_types(document: dict[str, Any]) -> None:
    alternatives = response_schema(document, "post", 200)["oneOf"]
    names = [alternative["$ref"].removeprefix(SCHEMAS) for alternative in alternatives]
    answered = [name for entity in names for name in document["components"]["schemas"][entity]["x-token-types"]]
    # Twelve token types; feed, session and incoming email tokens all answer the user, and a SCIM
    # token the instance's or a group's entity: eleven distinct entities (with closed schemas, a
    # body can match only one).
    assert set(answered) == {token_type.name for token_type in REGISTRY}
    assert len(REGISTRY) == 12
    assert sorted(name for name in answered if answered.count(name) > 1) == ["scim_access_token"] * 2
    assert len(alternatives) == len(set(names)) == 11


@pytest.mark.parametrize(
    "entity",
    [
        entities.DeployTokenEntity,
        entities.UserEntity,
        entities.PersonalAccessTokenEntity,
        entities.OAuthApplicationEntity,
        entities.ClusterAgentTokenEntity,
        entities.RunnerEntity,
        entities.PipelineTriggerEntity,
        entities.CiJobTokenEntity,
        entities.FeatureFlagsClientEntity,
        entities.ScimOauthAccessTokenEntity,
        entities.GroupScimAuthAccessTokenEntity,
        entities.JobEntity,
        entities.UserBasicEntity,
        entities.PipelineBasicEntity,
    ],
)
def test_entity_schemas_are_pydantics_closed(document: dict[str, Any], entity: type[Any]) -> None:
    expected = TypeAdapter(entity).json_schema(mode="serialization", ref_template=SCHEMAS + "{model}")
    documented = document["components"]["schemas"][entity.__name__]
    assert (documented["properties"], documented["required"]) == (expected["properties"], expected["required"])
    # Closed: a field outside the contract fails response_schema_conformance.
    assert documented["additionalProperties"] is False


def test_no_validation_artefacts_and_no_dangling_references(document: dict[str, Any]) -> None:
    # enable_validation stays off: it would change the order of checks and the error bodies.
    assert not any(app._enable_validation for app in resolvers(TEMPLATE))
    schemas = document["components"]["schemas"]
    assert not {"HTTPValidationError", "ValidationError", "ResponseValidationError"} & set(schemas)
    text = json.dumps(document)
    for name in schemas:
        assert f'"{SCHEMAS}{name}"' in text, f"{name} is never used"
    for reference in {part.split('"')[0] for part in text.split(f'"$ref": "{SCHEMAS}')[1:]}:
        assert reference in schemas, f"dangling $ref {reference}"


# Every error api.py answers, and the operations that can give it.
BOTH, REVOKE = ("post", "delete"), ("delete",)
ERRORS: list[tuple[DomainError, tuple[str, ...]]] = [
    (Unauthenticated(), BOTH),
    (Forbidden(), BOTH),
    (InvalidRequest("token must be sent in the request body"), BOTH),
    (InvalidRequest("token is missing"), BOTH),
    (InvalidRequest("token is invalid"), BOTH),
    (PayloadTooLarge("request body too large"), BOTH),
    (UnsupportedMediaType("content type must be application/json or application/x-www-form-urlencoded"), BOTH),
    (FeatureDisabled("api_admin_token_revoke"), REVOKE),
    (UnsupportedTokenType(), BOTH),
    (TokenNotFound(), BOTH),
    (RevokeRefused("Unsupported token type"), REVOKE),
    (RevokeRefused("Unsupported personal access token type"), REVOKE),
    (RevokeRefused("Unsupported deploy token type"), REVOKE),
    (ConfigurationUnavailable(), BOTH),
    (StorageUnavailable(), BOTH),
    (ConcurrentModification(), REVOKE),
]


@pytest.mark.parametrize(("error", "methods"), ERRORS, ids=lambda value: type(value).__name__)
def test_every_error_body_matches_its_documented_status(
    document: dict[str, Any], error: DomainError, methods: tuple[str, ...]
) -> None:
    status, body = error_status_and_body(error)
    for method in methods:
        assert str(status) in operation(document, method)["responses"], f"{method} {status} undocumented"
        errors = [e.message for e in validator(document, response_schema(document, method, status)).iter_errors(body)]
        assert not errors, f"{method} {status} {body}: {errors}"


def test_the_closed_schemas_refuse_a_leaked_field(document: dict[str, Any]) -> None:
    check = validator(document, response_schema(document, "post", 404))
    assert check.is_valid({"message": {"error": "Not found"}})
    assert not check.is_valid({"message": {"error": "Not found"}, "token_digest": "ab12"})


def test_the_generator_checks_and_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text(OPENAPI_JSON.read_text(encoding="utf-8").replace("lookupToken", "lookup"), encoding="utf-8")
    template = ["--template", str(TEMPLATE)]
    assert main(["--check", "--output", str(stale), *template]) == 1
    assert '-        "operationId": "lookup",' in capsys.readouterr().out
    assert main(["--output", str(stale), *template]) == 0
    assert main(["--check", "--output", str(stale), *template]) == 0
    monkeypatch.chdir(REPO_ROOT)  # as `make openapi-check` runs it
    assert main(["--check"]) == 0


# -- the audit events API ------------------------------------------------------------------------


def test_the_audit_events_operations(document: dict[str, Any]) -> None:
    listed, one = document["paths"][AUDIT_LIST], document["paths"][AUDIT_ONE]
    assert set(listed) == set(one) == {"get"}
    assert (listed["get"]["operationId"], one["get"]["operationId"]) == ("listAuditEvents", "getAuditEvent")
    assert set(listed["get"]["responses"]) == {"200", "400", "401", "403", "503"}
    assert set(one["get"]["responses"]) == {"200", "400", "401", "403", "404", "503"}
    assert set(listed["get"]["responses"]["200"]["headers"]) == {
        "Link",
        "X-Per-Page",
        "X-Page",
        "X-Next-Page",
        "X-Prev-Page",
    }
    for operation_ in (listed["get"], one["get"]):
        assert operation_["security"] == [{"PrivateToken": []}, {"BearerToken": []}]
    parameters = {parameter["name"]: parameter for parameter in listed["get"]["parameters"]}
    assert set(parameters) == {
        "created_after", "created_before", "entity_type", "entity_id", "author_id", "token_type", "per_page",
        "cursor", "page",
    }  # fmt: skip
    assert all(parameter["in"] == "query" and not parameter["required"] for parameter in parameters.values())
    assert parameters["entity_type"]["schema"]["enum"] == sorted(
        {"PersonalAccessToken", "DeployToken", "User", "Doorkeeper::Application", "Clusters::AgentToken",
         "Ci::Runner", "Ci::Trigger", "Operations::FeatureFlagsClient", "ScimOauthAccessToken",
         "GroupScimAuthAccessToken"}
    )  # fmt: skip
    assert parameters["token_type"]["schema"]["enum"] == sorted(token_type.name for token_type in REGISTRY)
    [path_parameter] = one["get"]["parameters"]
    assert (path_parameter["name"], path_parameter["in"], path_parameter["required"]) == ("id", "path", True)


def test_an_audit_event_as_the_api_answers_it_matches_the_closed_schema(document: dict[str, Any]) -> None:
    from admin_token.audit import audit_record
    from admin_token.models.audit_events import AuditEventEntity
    from admin_token.models.records import User

    root = User.from_attributes(
        {"id": 1, "username": "root", "name": "Administrator", "state": "active", "created_at": "2024-01-01"}
    )
    record = audit_record(
        caller_user=root,
        token_type="runner_authentication_token",
        action="deleted",
        entity_id=7,
        target_details="runner-1",
        request_id="r-1",
        ip_address=None,
        target=("runner", 7),
    )
    event = AuditEventEntity.of(record).to_json()
    schemas = document["paths"]
    one = schemas[AUDIT_ONE]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    listed = schemas[AUDIT_LIST]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert validator(document, one).is_valid(event)
    assert validator(document, listed).is_valid([event, event])
    assert not validator(document, one).is_valid({**event, "entity_key": "Ci::Runner#7"})
    assert not validator(document, one).is_valid({**event, "details": {**event["details"], "digest": "ab"}})


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Unauthenticated(), "401"),
        (Forbidden(), "403"),
        (InvalidRequest("per_page is invalid"), "400"),
        (ConfigurationUnavailable(), "503"),
        (StorageUnavailable(), "503"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, DomainError) else value,
)
def test_every_audit_events_error_matches_its_documented_status(
    document: dict[str, Any], error: DomainError, status: str
) -> None:
    for path in (AUDIT_LIST, AUDIT_ONE):
        code, body = error_status_and_body(error)
        assert str(code) == status
        schema = document["paths"][path]["get"]["responses"][status]["content"]["application/json"]["schema"]
        assert validator(document, schema).is_valid(body), (path, body)


def test_an_unknown_audit_event_matches_its_documented_404(document: dict[str, Any]) -> None:
    code, body = error_status_and_body(AuditEventNotFound())
    schema = document["paths"][AUDIT_ONE]["get"]["responses"]["404"]["content"]["application/json"]["schema"]
    assert (code, body) == (404, {"message": "404 Audit Event Not Found"})
    assert validator(document, schema).is_valid(body)
