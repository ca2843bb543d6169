"""`revoke-report` sends SCIM tokens (`glsoat-`): the client's prefixes are the layer's registry."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.local.test_revoke_report import ADMIN, BulkStandIn, gitleaks, leaked, run
from tests.support import demo


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[BulkStandIn]:
    monkeypatch.setenv("GITLAB_TOKEN", ADMIN)
    server = BulkStandIn()
    thread = threading.Thread(target=server.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_a_reports_scim_tokens_are_sent_and_their_resets_reported(
    stand_in: BulkStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given a report holding the instance's and a group's SCIM token, as gitleaks finds them
    report = gitleaks(tmp_path / "report.json", [demo.GROUP_SCIM, demo.INSTANCE_SCIM])
    stand_in.outcomes = {demo.GROUP_SCIM: "reset", demo.INSTANCE_SCIM: "reset"}
    output = tmp_path / "out.json"

    status, out, err = run(capsys, str(report), "--url", stand_in.url, "--output", str(output))

    # Then both are sent (not skipped as of no GitLab type), and both are settled
    assert (status, err) == (0, "")
    assert stand_in.sent == [demo.GROUP_SCIM, demo.INSTANCE_SCIM]
    results = json.loads(output.read_text(encoding="utf-8"))
    assert [(result["token_hint"], result["outcome"]) for result in results] == [
        ("glsoat-…q5Hy", "reset"),
        ("glsoat-…b7Nw", "reset"),
    ]
    assert leaked([out, err, output.read_text(encoding="utf-8")], [demo.GROUP_SCIM, demo.INSTANCE_SCIM]) == []
