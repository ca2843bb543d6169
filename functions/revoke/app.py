"""RevokeFunction: DELETE /api/v4/admin/token revokes a token with the semantics of its type;
POST /api/v4/admin/tokens/revoke revokes up to 1,000 at once. Administrators' routes only: GitLab's
Token Revocation API (pre-shared token) is IntakeFunction's."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from admin_token.adapters.token import bulk_revoke_request, token_request
from admin_token.api import BULK_REVOKE_PATH, TOKEN_PATH
from admin_token.bulk import bulk_revoke
from admin_token.observability import logger, metrics
from admin_token.resolver import build_resolver
from admin_token.responses import revoked
from admin_token.route_docs import SECURITY, TAG
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


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
