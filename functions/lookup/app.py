"""LookupFunction: POST /api/v4/admin/token identifies a token and describes it."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from admin_token.adapters.token import token_request
from admin_token.api import TOKEN_PATH
from admin_token.observability import logger, metrics
from admin_token.resolver import build_resolver
from admin_token.responses import described
from admin_token.route_docs import SECURITY, TAG
from admin_token.service import lookup_token

app = build_resolver()


@app.post(
    TOKEN_PATH,
    summary="Identify a token and describe it",
    description="Matches the token's prefix to its type (first match wins) and answers the entity of that type. "
    "Checks run in the order docs/contract.md gives: the caller, then the body, then the token.",
    operation_id="lookupToken",
    tags=[TAG],
    security=SECURITY,
)
def lookup() -> Response[Any]:
    return described(*lookup_token(token_request(app)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
