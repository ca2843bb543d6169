"""ConsoleFunction: the incident console (GET /console and its assets), the API's OpenAPI document
(GET /api/v4/admin/openapi.json) and the root document naming the API's routes (GET /).

It serves files packaged with it and holds no data permission: the page calls the API with the
administrator's own token, from the browser.
"""

from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from admin_token.console import (
    CONSOLE_ASSET_PATH,
    CONSOLE_PATH,
    OPENAPI_PATH,
    ROOT_PATH,
    ConsoleSite,
    answer,
    json_answer,
    not_found,
)
from admin_token.observability import logger
from admin_token.resolver import build_resolver

app = build_resolver()
site = ConsoleSite(Path(__file__).resolve().parent)


@app.not_found
def _unmatched(_: NotFoundError) -> Response[Any]:
    # Only a direct invocation gets here (API Gateway routes this function's paths alone).
    return not_found()


@app.get(ROOT_PATH, include_in_schema=False)
def root() -> Response[Any]:
    return json_answer(site.root_document(app.allowed_methods))


@app.get(OPENAPI_PATH, include_in_schema=False)
def openapi() -> Response[Any]:
    return answer(200, site.openapi_file)


@app.get(CONSOLE_PATH, include_in_schema=False)
def page() -> Response[Any]:
    return answer(200, site.page)


@app.get(CONSOLE_ASSET_PATH, include_in_schema=False)
def asset(asset: str) -> Response[Any]:
    return site.asset(asset)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
