"""RevokeFunction: DELETE /api/v4/admin/token revokes a token with the semantics of its type;
POST /api/v4/admin/tokens/revoke revokes up to 1,000 at once; GET /v1/revocable_token_types and
POST /v1/revoke_tokens are GitLab's Token Revocation API (findings queued for the worker)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from admin_token.api import (
    BULK_REVOKE_PATH,
    HTTP_METHODS,
    REVOCABLE_TYPES_PATH,
    REVOKE_TOKENS_PATH,
    TOKEN_PATH,
    build_resolver,
    bulk_revoke_request,
    findings_request,
    method_not_allowed,
    revocation_caller,
    revoked,
    token_request,
)
from admin_token.bulk import bulk_revoke
from admin_token.observability import logger, metrics
from admin_token.route_docs import REVOCATION_SECURITY, REVOCATION_TAG, SECURITY, TAG
from admin_token.secret_detection import accept_findings, list_types
from admin_token.service import revoke_token

app = build_resolver()


@app.delete(
    TOKEN_PATH,
    summary="Revoke a token with the semantics of its type",
    description="Revokes, resets, expires or deletes, as the token's type requires (docs/contract.md), in one DynamoDB "
    "transaction that also writes the audit record. Behind the `api_admin_token_revoke` flag.",
    operation_id="revokeToken",
    tags=[TAG],
    security=SECURITY,
)
def revoke() -> Response[Any]:
    return revoked(revoke_token(token_request(app)))


@app.post(
    BULK_REVOKE_PATH,
    summary="Revoke up to 1,000 tokens, with a result per token",
    description="Each token is handled exactly as a single DELETE of it would be, in its own transaction with its "
    "own audit record; duplicates once. `dry_run: true` says what would happen and writes nothing.",
    operation_id="bulkRevokeTokens",
    tags=[TAG],
    security=SECURITY,
)
def bulk() -> dict[str, Any]:
    return bulk_revoke(bulk_revoke_request(app))


@app.get(
    REVOCABLE_TYPES_PATH,
    summary="The token types secret detection may send findings of",
    description="GitLab's Token Revocation API: `gitleaks_rule_id_<rule>` for each type a revoke changes. "
    "Authenticated by the pre-shared token; answered whatever the kill-switch flag says.",
    operation_id="revocableTokenTypes",
    tags=[REVOCATION_TAG],
    security=REVOCATION_SECURITY,
)
def revocable_token_types() -> dict[str, Any]:
    return list_types(revocation_caller(app))


@app.post(
    REVOKE_TOKENS_PATH,
    summary="Queue secret detection's findings for revocation",
    description="GitLab's Token Revocation API: all findings are queued (as digests, never plaintext) or none "
    "is. A worker revokes each with its type's semantics, as GitLab Security Bot. Behind the "
    "`secret_detection_auto_revoke` flag.",
    operation_id="revokeFindings",
    tags=[REVOCATION_TAG],
    security=REVOCATION_SECURITY,
)
def revoke_findings() -> Response[Any]:
    accept_findings(findings_request(app))
    return Response(status_code=204, body="")


# Any other method on the two paths (API Gateway routes them here with ANY): the API's own 405.
@app.route(REVOCABLE_TYPES_PATH, [m for m in HTTP_METHODS if m != "GET"], include_in_schema=False)
def revocable_token_types_other_method() -> Response[Any]:
    return method_not_allowed("GET")


@app.route(REVOKE_TOKENS_PATH, [m for m in HTTP_METHODS if m != "POST"], include_in_schema=False)
def revoke_findings_other_method() -> Response[Any]:
    return method_not_allowed("POST")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
