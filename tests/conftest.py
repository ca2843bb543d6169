"""Every test runs with the environment the template gives the functions, and never reaches AWS."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from admin_token_local.template import function_environment, load_template

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = load_template(REPO_ROOT / "template.yaml")

# Set at import, before any test module imports the layer: Powertools reads these when its
# logger and metrics are created.
os.environ.update(function_environment(TEMPLATE, "LookupFunction", os.environ))
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        # Tests change flags between requests: read the configuration every time.
        "APPCONFIG_MAX_AGE_SECONDS": "0",
        # Tests read events right after writing them; the horizon's own tests set it. `serve`
        # started by a test inherits this too (docs/contract.md, the audit trail's horizon).
        "AUDIT_HORIZON_SECONDS": "0",
    }
)
for variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(variable, None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Two tests under one id would run once under pytest-xdist, which schedules by id."""
    repeated = sorted(nodeid for nodeid, count in Counter(item.nodeid for item in items).items() if count > 1)
    if repeated:
        raise pytest.UsageError("tests collected under the same id: " + ", ".join(repeated))
