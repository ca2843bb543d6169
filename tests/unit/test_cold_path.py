"""What a cold start imports: no function module pulls in pydantic (docs/performance.md).

pydantic and the models built with it cost about a third of the boto3 floor at every cold start.
Records and entities are frozen classes of the layer's own (`admin_token.models`); the OpenAPI
models live in `admin_token.openapi`, which only the document generator imports. Checked in a
fresh interpreter per function, as Lambda starts one.
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


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_function_imports_no_pydantic_and_no_openapi_models(function: str) -> None:
    probe = (
        f"import sys, json; import functions.{function}.app; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'pydantic', 'pydantic_core', 'annotated_types'} or m == 'admin_token.openapi')))"
    )
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "layers" / "admin_token"), str(REPO_ROOT)]),
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], env=environment, cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout.splitlines()[-1]) == []


def test_every_function_the_template_deploys_is_probed() -> None:
    deployed = sorted(function_handler(TEMPLATE, logical_id)[0].name for logical_id in function_ids(TEMPLATE))
    assert deployed == FUNCTIONS
