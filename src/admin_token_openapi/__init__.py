"""The HTTP contract (docs/contract.md) as an OpenAPI document: `openapi.json`, written by `make openapi`.

Documentation only: neither the layer nor a function imports this package, so its pydantic models
cost no cold start (docs/performance.md). The routes' decorators carry their summary, tag and
security (`admin_token.route_docs`, plain strings); `routes.ROUTE_SCHEMAS` gives each operation id
its responses, request body and parameters (`bodies`), and `document` generates each function's
document with Powertools and merges them, the functions found in template.yaml.
"""
