"""IntakeFunction: GitLab's Token Revocation API, GET /v1/revocable_token_types and
POST /v1/revoke_tokens, and GitHub's secret scanning partner alerts, POST /v1/github/secret_scanning
(findings and matches queued for the worker, never revoked here).

A function of its own because its callers authenticate with a pre-shared token or a signature, not
as administrators: its role may queue findings and read its secrets and configuration, and cannot
change a token."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from admin_token.adapters.github_alerts import github_alert_request
from admin_token.adapters.revocation import findings_request, revocation_caller
from admin_token.api import GITHUB_SECRET_SCANNING_PATH, HTTP_METHODS, REVOCABLE_TYPES_PATH, REVOKE_TOKENS_PATH
from admin_token.github_secret_scanning import answer_alert
from admin_token.observability import logger, metrics
from admin_token.resolver import build_resolver, method_not_allowed
from admin_token.route_docs import GITHUB_SECURITY, GITHUB_TAG, REVOCATION_SECURITY, REVOCATION_TAG
from admin_token.secret_detection import accept_findings, list_types

app = build_resolver()


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


@app.post(
    GITHUB_SECRET_SCANNING_PATH,
    summary="GitHub's secret scanning partner alert: verify, queue our live tokens, answer feedback",
    description="GitHub's ECDSA P-256/SHA-256 signature over the raw body is verified against its published "
    "key document first; nothing else is read before it. Live revocable tokens of ours are queued (as digests) "
    "for the worker to revoke as GitHub Secret Scanning. The answer is GitHub's feedback: one "
    "`{token_hash, token_type, label}` per distinct token. Behind the `github_secret_scanning_auto_revoke` flag.",
    operation_id="githubSecretScanningAlert",
    tags=[GITHUB_TAG],
    security=GITHUB_SECURITY,
)
def github_secret_scanning() -> list[dict[str, Any]]:
    return answer_alert(github_alert_request(app))


# Any other method on the paths (API Gateway routes them here with ANY): the API's own 405.
@app.route(REVOCABLE_TYPES_PATH, [m for m in HTTP_METHODS if m != "GET"], include_in_schema=False)
def revocable_token_types_other_method() -> Response[Any]:
    return method_not_allowed("GET")


@app.route(REVOKE_TOKENS_PATH, [m for m in HTTP_METHODS if m != "POST"], include_in_schema=False)
def revoke_findings_other_method() -> Response[Any]:
    return method_not_allowed("POST")


@app.route(GITHUB_SECRET_SCANNING_PATH, [m for m in HTTP_METHODS if m != "POST"], include_in_schema=False)
def github_secret_scanning_other_method() -> Response[Any]:
    return method_not_allowed("POST")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
