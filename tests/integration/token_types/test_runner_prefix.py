"""Runner authentication tokens start with `glrt-`, and only that (docs/contract.md, "Token types").

GitLab's `RunnerAuthenticationToken.prefix?` matches `glrt-` alone, so a `glrtr-…` token falls
through every type to 422, like any unknown prefix, even if some record held it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Api, Tables
from tests.support import demo

UNSUPPORTED = (422, {"message": "Token type not supported."})
GLRTR = "glrtr-legacyRunnerTk3Vb7Qz"


@pytest.fixture
def glrtr_runner(add_seed: Any) -> None:
    add_seed(
        {
            "runners": [
                {
                    "id": 40,
                    "token": GLRTR,
                    "runner_type": "group_type",
                    "description": "held by a glrtr- token",
                    "name": "runner-40",
                    "active": True,
                    "paused": False,
                    "ip_address": None,
                    "project_ids": [],
                    "group_ids": [20],
                    "contacted_at": None,
                    "created_at": "2024-03-01T00:00:00Z",
                }
            ]
        }
    )


@pytest.mark.parametrize("endpoint", ["lookup", "revoke"])
def test_a_glrtr_token_is_not_a_supported_type(api: Api, db: Tables, glrtr_runner: None, endpoint: str) -> None:
    response = getattr(api, endpoint)(GLRTR)
    assert (response.status, response.body) == UNSUPPORTED
    assert db.token_item(GLRTR) is not None  # the record is there, untouched
    assert db.audit_records() == []


@pytest.mark.parametrize("endpoint", ["lookup", "revoke"])
@pytest.mark.parametrize("token", ["glrtr-", "glrtr-anything", "glrtr-t2_groupRunnerTk8Ub3Ne"])
def test_any_glrtr_token_is_unsupported(api: Api, endpoint: str, token: str) -> None:
    response = getattr(api, endpoint)(token)
    assert (response.status, response.body) == UNSUPPORTED


def test_the_demo_group_runner_has_a_glrt_token(api: Api) -> None:
    assert demo.GROUP_RUNNER.startswith("glrt-")
    response = api.lookup(demo.GROUP_RUNNER)
    assert response.status == 200
    assert (response.body["id"], response.body["runner_type"]) == (3, "group_type")
