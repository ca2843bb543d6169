"""RevokeFunction: DELETE /api/v4/admin/token revokes a token with the semantics of its type."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from admin_token.api import TOKEN_PATH, build_resolver, revoked, token_request
from admin_token.observability import logger, metrics, tracer
from admin_token.openapi import OPERATION_EXTRAS, REVOKE_RESPONSES, SECURITY, TAG
from admin_token.service import revoke_token

app = build_resolver()


@app.delete(
    TOKEN_PATH,
    summary="Revoke a token with the semantics of its type",
    description="Revokes, resets, expires or deletes, as the token's type requires (spec §5), in one DynamoDB "
    "transaction that also writes the audit record. Behind the `api_admin_token_revoke` flag.",
    operation_id="revokeToken",
    tags=[TAG],
    security=SECURITY,
    responses=REVOKE_RESPONSES,
    openapi_extensions=OPERATION_EXTRAS,
)
def revoke() -> Response[Any]:
    return revoked(revoke_token(token_request(app)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
