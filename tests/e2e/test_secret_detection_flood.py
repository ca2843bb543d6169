"""A flood against `serve`: 10,000 findings in one POST are all queued, and serve keeps answering.

moto's SQS once re-derived every queued message's visibility on each send, so a POST this size
spent its sends' 2 s read timeouts and answered 503 (`moto_speedups` fixed that). The
drain itself is measured by `make bench` (scripts/bench_drain.py), not here: it takes minutes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import ServeProcess, plaintexts_in, start_serve
from tests.support.plaintexts import DEMO_SEED, seed_plaintexts

pytestmark = pytest.mark.e2e
FLOOD = 10_000


@pytest.fixture(scope="module")
def serving() -> Iterator[ServeProcess]:
    serving = start_serve("--seed", str(DEMO_SEED), banner_lines=0)  # its own: the drain goes on after
    yield serving
    serving.stop()
    assert plaintexts_in(serving.output_after_banner(), seed_plaintexts()) == []


def test_ten_thousand_findings_in_one_post_are_queued_and_serve_keeps_answering(serving: ServeProcess) -> None:
    server = serving.server
    gitlab = {"Authorization": server.revocation_token}
    # Leaked-looking tokens no one holds: each is queued by its prefix, and the worker finds it gone.
    flood = [
        {
            "type": "gitleaks_rule_id_gitlab_personal_access_token",
            "token": f"glpat-floodToken{number:08d}xx",
            "location": f"https://gitlab.example.com/g/p/-/blob/c0ffee/leak.txt#L{number}",
            "vulnerability": {"severity": "critical"},
        }
        for number in range(FLOOD)
    ]

    status, _, body = server.request("POST", "/v1/revoke_tokens", body=flood, headers=gitlab)

    assert (status, body) == (204, None)  # 204: every one of the 10,000 is durably queued
    # While the worker drains them, the API still answers.
    status, _, types = server.request("GET", "/v1/revocable_token_types", headers=gitlab)
    assert status == 200
    assert "gitleaks_rule_id_gitlab_personal_access_token" in types["types"]
    assert not [line for line in serving.output_after_banner() if "floodToken" in line]
