"""The bodies the API reads and answers, as pydantic models: their JSON schemas are the document's.

Every model of a whole body is named `...Body`, apart from the domain's names (`admin_token.errors`
has a `Forbidden` error; its answer here is `ForbiddenBody`). Response bodies are closed
(`additionalProperties: false`): a field that is not in the contract fails schemathesis'
`response_schema_conformance`, so nothing leaks into a response unnoticed. Request bodies stay
open, as the API reads them: keys it does not know are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from admin_token.models.audit_events import AuditEventEntity
from admin_token.models.entities import (
    CiJobTokenEntity,
    ClusterAgentTokenEntity,
    DeployTokenEntity,
    FeatureFlagsClientEntity,
    GroupScimAuthAccessTokenEntity,
    OAuthApplicationEntity,
    PersonalAccessTokenEntity,
    PipelineTriggerEntity,
    RunnerEntity,
    ScimOauthAccessTokenEntity,
    UserEntity,
)

if TYPE_CHECKING:
    from pydantic import GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema


# --- Schema hooks ---------------------------------------------------------------------------


def _close(schema: JsonSchemaValue, handler: GetJsonSchemaHandler, seen: set[str]) -> None:
    """`additionalProperties: false` on an object schema and every object schema it refers to."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen.add(schema["$ref"])
        schema = handler.resolve_ref_schema(schema)
    if "properties" in schema:
        schema["additionalProperties"] = False
    for value in schema.values():
        children = value.values() if isinstance(value, Mapping) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, dict):
                _close(child, handler, seen)


@dataclass(frozen=True)
class _Answers:
    """Marks an entity with the token types whose lookup answers it, and closes its schema."""

    token_types: tuple[str, ...]

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        reference = handler(core_schema)
        schema = handler.resolve_ref_schema(reference)
        schema["description"] = "The lookup answer for: " + ", ".join(f"`{name}`" for name in self.token_types) + "."
        schema["x-token-types"] = list(self.token_types)
        _close(reference, handler, set())
        return reference


class OneOf:
    """A union whose alternatives exclude each other: `oneOf`, not pydantic's `anyOf`."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        if "anyOf" in schema:
            schema["oneOf"] = schema.pop("anyOf")
        return schema


class Closed:
    """Closes a model's schema (and those it refers to): `additionalProperties: false`."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        reference = handler(core_schema)
        _close(reference, handler, set())
        return reference


class _Answer(BaseModel):
    # Built only when a schema is asked for.
    model_config = ConfigDict(extra="forbid", defer_build=True)


class _Request(BaseModel):
    # Open: the API ignores keys it does not read.
    model_config = ConfigDict(defer_build=True)


# --- Request bodies ---------------------------------------------------------------------------

_TOKEN_DESCRIPTION = "The plaintext token to identify. Never in the query string: that answers 400."


class TokenRequestBody(_Request):
    """The token to identify (or revoke), as JSON."""

    token: Annotated[str, Field(description=_TOKEN_DESCRIPTION)]
    dry_run: Annotated[
        bool, Field(description="DELETE only: run every check, write nothing, answer 200 with what would happen.")
    ] = False


class TokenFormBody(_Request):
    """The token to identify (or revoke), as a form: every field a string."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, str] = Field(init=False)

    token: Annotated[str, Field(description=_TOKEN_DESCRIPTION)]


class BulkRevokeBody(_Request):
    """The tokens to revoke, each handled as a single DELETE of it would be."""

    tokens: Annotated[list[str], Field(min_length=1, max_length=1000)]
    dry_run: bool = False


class FindingItem(_Request):
    """One finding of secret detection; only `type`, `token` and `location` are read."""

    type: str
    token: Annotated[str, Field(min_length=1)]
    location: str | None = None
    vulnerability: dict[str, Any] = Field(default_factory=dict)


class FindingsBody(RootModel[Annotated[list[FindingItem], Field(max_length=10000)]]):
    """Secret detection's findings, as GitLab's `Security::TokenRevocationService` sends them."""

    model_config = ConfigDict(defer_build=True)


class GitHubMatch(_Request):
    """One match of GitHub's secret scanning; only `token`, `type`, `url` and `source` are read."""

    token: Annotated[str, Field(min_length=1)]
    type: str | None = None
    url: str | None = None
    source: str | None = None


class GitHubAlertBody(RootModel[Annotated[list[GitHubMatch], Field(max_length=10000)]]):
    """GitHub's matches, signed over these exact bytes."""

    model_config = ConfigDict(defer_build=True)


# Every request body model, for the document's components.
REQUEST_BODIES: tuple[type[BaseModel], ...] = (
    TokenRequestBody,
    TokenFormBody,
    BulkRevokeBody,
    FindingsBody,
    GitHubAlertBody,
)


# --- Answers of the token API ---------------------------------------------------------------

# docs/contract.md "Token types", in the registry's matching order. Feed, session and incoming
# email tokens all answer their owning user; a SCIM token answers the instance's or a group's
# entity: twelve token types, eleven distinct entities. Each entity's field set is its own, so
# with closed schemas a body matches exactly one alternative.
TokenEntity = Annotated[
    Annotated[DeployTokenEntity, _Answers(("deploy_token",))]
    | Annotated[UserEntity, _Answers(("feed_token", "gitlab_session", "incoming_email_token"))]
    | Annotated[PersonalAccessTokenEntity, _Answers(("personal_access_token",))]
    | Annotated[OAuthApplicationEntity, _Answers(("oauth_application_secret",))]
    | Annotated[ClusterAgentTokenEntity, _Answers(("cluster_agent_token",))]
    | Annotated[RunnerEntity, _Answers(("runner_authentication_token",))]
    | Annotated[PipelineTriggerEntity, _Answers(("pipeline_trigger_token",))]
    | Annotated[CiJobTokenEntity, _Answers(("ci_job_token",))]
    | Annotated[FeatureFlagsClientEntity, _Answers(("feature_flags_client_token",))]
    | Annotated[ScimOauthAccessTokenEntity, _Answers(("scim_access_token",))]
    | Annotated[GroupScimAuthAccessTokenEntity, _Answers(("scim_access_token",))],
    OneOf,
]

ClosedAuditEvent = Annotated[AuditEventEntity, Closed]


class InputErrorBody(_Answer):
    """What is wrong with the request: a field (docs/contract.md "Order of checks"), or the body itself."""

    error: str


class UnauthorizedBody(_Answer):
    """No usable credential (docs/contract.md "Who may call")."""

    message: Literal["401 Unauthorized"]


class ForbiddenBody(_Answer):
    """The caller may not use this API (docs/contract.md "Who may call")."""

    message: Literal["403 Forbidden"]


class NotFoundDetail(_Answer):
    error: Literal["Not found"]


class TokenNotFoundBody(_Answer):
    """The type matched, but no record holds this token."""

    message: NotFoundDetail


class FeatureDisabledBody(_Answer):
    """The `api_admin_token_revoke` flag is off for this caller (checked before the body is read)."""

    message: Annotated[str, Field(pattern=r"^'[a-z_]+' feature flag is disabled$")]


class UnsupportedTokenTypeBody(_Answer):
    """No token type matches the prefix."""

    message: Literal["Token type not supported."]


class RevokeRefusedDetail(_Answer):
    error: str


class RevokeRefusedBody(_Answer):
    """The token's type does not allow this revoke (docs/contract.md "What `DELETE` does"): GitLab's reason."""

    message: RevokeRefusedDetail


class ConflictBody(_Answer):
    """The token changed under the revoke more often than it re-plans: retry."""

    message: str


class ServiceUnavailableBody(_Answer):
    """AppConfig unreadable with nothing cached, or DynamoDB failing past its retries."""

    message: Literal["Configuration unavailable", "Storage temporarily unavailable, retry later"]


class GatewayErrorBody(_Answer):
    """API Gateway's own answer, before any function runs (e.g. a body over its 10 MB limit)."""

    message: str


class TargetRecord(_Answer):
    type: str
    id: int


class DryRunBody(_Answer):
    """What the revoke would do (`dry_run: true`); nothing was written."""

    dry_run: Literal[True]
    token_type: str
    action: Literal["revoked", "reset", "deleted", "expired", "already_revoked"]
    target: TargetRecord | None
    cascade: list[TargetRecord]
    revoked_at: str | None = None
    audit_event_id: int | None = None


class BulkResult(_Answer):
    """One token's result: what a single DELETE of it answers (`status`), never the token itself."""

    index: int
    token_hint: str | None
    token_type: str | None
    outcome: Literal[
        "revoked", "reset", "deleted", "expired", "already_revoked", "not_found", "unsupported", "refused",
        "invalid", "duplicate", "failed",
    ]  # fmt: skip
    status: int | None = None
    target: TargetRecord | None = None
    cascade: list[TargetRecord] | None = None
    audit_event_id: int | None = None
    revoked_at: str | None = None
    message: str | None = None
    duplicate_of: int | None = None
    retryable: bool | None = None


class BulkSummary(_Answer):
    """How many results had each outcome, zeros included."""

    revoked: int
    reset: int
    deleted: int
    expired: int
    already_revoked: int
    not_found: int
    unsupported: int
    refused: int
    invalid: int
    duplicate: int
    failed: int


class BulkRevokeAnswerBody(_Answer):
    dry_run: bool
    summary: BulkSummary
    results: list[BulkResult]


# --- Answers of the audit events API --------------------------------------------------------


class AuditEventNotFoundBody(_Answer):
    """No audit event has this id."""

    message: Literal["404 Audit Event Not Found"]


class MissingAuthenticationTokenBody(_Answer):
    """API Gateway's own 403 for a path it does not route (e.g. an id holding a `/`)."""

    message: Literal["Missing Authentication Token"]


# --- Answers of GitLab's Token Revocation API -------------------------------------------------


class RevocableTokenTypesBody(_Answer):
    """GitLab's identifiers (`gitleaks_rule_id_<rule>`) of the types a revoke changes."""

    types: list[str]


class AutoRevokeDisabledBody(_Answer):
    message: Literal["'secret_detection_auto_revoke' feature flag is disabled"]


# --- Answers to GitHub's secret scanning partner alerts -----------------------------------------


class GitHubFeedback(_Answer):
    """One distinct token of the alert, in GitHub's feedback format: never the token itself."""

    token_hash: str = Field(pattern="^[0-9a-f]{64}$", description="Hex SHA-256 of the token.")
    token_type: str = Field(description="The match's `type`, as GitHub sent it.")
    label: Literal["true_positive", "false_positive"] = Field(
        description="`true_positive`: a token of ours that exists, or that a tombstone remembers as revoked."
    )


class GitHubAlertDisabledBody(_Answer):
    message: Literal["'github_secret_scanning_auto_revoke' feature flag is disabled"]


class GitHubAlertUnavailableBody(_Answer):
    message: Literal[
        "GitHub's signing keys are unavailable, retry later",
        "Configuration unavailable",
        "Storage temporarily unavailable, retry later",
        "Findings could not all be queued, retry later",
    ]
