"""What operators see: a refused request is a normal answer, not an error; a bug is counted."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.integration.conftest import Api
from tests.support import demo


@pytest.mark.parametrize(
    ("endpoint", "token", "status"),
    [("lookup", "glpat-noSuchTokenAnywhere00", 404), ("revoke", demo.RUNNING_JOB, 400), ("lookup", "nope", 422)],
)
def test_a_4xx_logs_no_error_and_no_traceback(
    api: Api, caplog: pytest.LogCaptureFixture, endpoint: str, token: str, status: int
) -> None:
    caplog.set_level(logging.WARNING)
    assert getattr(api, endpoint)(token).status == status
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []


def test_an_unexpected_error_is_a_500_with_a_metric(
    api: Api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr("admin_token.service._identify", broken)
    capsys.readouterr()

    response = api.lookup(demo.AGENT)

    assert (response.status, response.body) == (500, {"message": "500 Internal Server Error"})
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(document.get("UnhandledError") == [1.0] for document in emitted)
