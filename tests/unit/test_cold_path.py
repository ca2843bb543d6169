"""What a cold start imports: no function module pulls in pydantic (docs/performance.md).

pydantic and the models built with it cost about a third of the boto3 floor at every cold start.
Records and entities are frozen classes of the layer's own (`admin_token.models`); the OpenAPI
models live outside the layer, in `admin_token_openapi`, which only the document generator
imports. Checked in a fresh interpreter per function, as Lambda starts one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from admin_token_local.template import function_handler, function_ids
from tests.conftest import REPO_ROOT, TEMPLATE

FUNCTIONS = sorted(path.parent.name for path in (REPO_ROOT / "functions").glob("*/app.py"))


def _modules_loaded_by(imports: str, wanted: str) -> list[str]:
    """The modules a fresh interpreter holds after running `imports` whose name `m` makes `wanted` true."""
    probe = f"import sys, json; {imports}; print(json.dumps(sorted(m for m in sys.modules if {wanted})))"
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "layers" / "admin_token"), str(REPO_ROOT)]),
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], env=environment, cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    return loaded


def _documentation_only_modules_loaded_by(imports: str) -> list[str]:
    """The pydantic and OpenAPI modules a fresh interpreter holds after running `imports`."""
    return _modules_loaded_by(
        imports, "m.split('.')[0] in {'pydantic', 'pydantic_core', 'annotated_types', 'admin_token_openapi'}"
    )


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_function_imports_no_pydantic_and_no_openapi_models(function: str) -> None:
    assert _documentation_only_modules_loaded_by(f"import functions.{function}.app") == []


def test_no_module_of_the_layer_imports_pydantic() -> None:
    # The layer holds only what Lambda runs: documentation models live in admin_token_openapi.
    every_module = (
        "import importlib, pkgutil, admin_token; "
        "[importlib.import_module(m.name) for m in pkgutil.walk_packages(admin_token.__path__, 'admin_token.')]"
    )
    assert _documentation_only_modules_loaded_by(every_module) == []


def test_every_function_the_template_deploys_is_probed() -> None:
    deployed = sorted(function_handler(TEMPLATE, logical_id)[0].name for logical_id in function_ids(TEMPLATE))
    assert deployed == FUNCTIONS


# Request models each function's routes read; a function loads no other route's.
ROUTE_MODELS = {
    "admin_token.models.requests",
    "admin_token.models.findings",
    "admin_token.models.github_alerts",
    "admin_token.models.audit_queries",
}
FUNCTION_MODELS = {
    "lookup": {"admin_token.models.requests"},
    "revoke": {"admin_token.models.requests"},
    "audit_events": {"admin_token.models.requests", "admin_token.models.audit_queries"},
    # models.requests holds the header helpers GitLab's and GitHub's readers share.
    "intake": {"admin_token.models.requests", "admin_token.models.findings", "admin_token.models.github_alerts"},
}


@pytest.mark.parametrize("function", sorted(FUNCTION_MODELS))
def test_a_function_loads_only_its_own_routes_request_models(function: str) -> None:
    loaded = _modules_loaded_by(f"import functions.{function}.app", f"m in {sorted(ROUTE_MODELS)!r}")
    assert set(loaded) == FUNCTION_MODELS[function]
