"""The headline scenario over HTTP against `admin-token-api serve`, using what its banner prints."""

from __future__ import annotations

import re
import shlex

import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e
PATH = "/api/v4/admin/token"


def test_the_banner_gives_a_working_token_and_curl_lines(server: Server) -> None:
    token_line = next(line for line in server.banner if line.startswith("demo administrator token: "))
    curls = [shlex.split(line) for line in server.banner if line.startswith("curl ")]
    assert token_line.split(": ", 1)[1].startswith("glpat-")
    assert [curl[curl.index("-X") + 1] for curl in curls] == ["POST", "DELETE"]
    assert all(server.url + PATH in curl for curl in curls)


def test_lookup_revoke_lookup_a_runner_token(server: Server) -> None:
    # Given the administrator token and runner token the banner prints
    admin = next(line for line in server.banner if line.startswith("demo administrator token: ")).split(": ", 1)[1]
    lookup_curl = next(line for line in server.banner if line.startswith("curl -X POST"))
    runner_token = re.search(r'"token":"([^"]+)"', lookup_curl)
    assert runner_token is not None
    headers = {"PRIVATE-TOKEN": admin}
    body = {"token": runner_token.group(1)}

    # When it is looked up: the runner
    status, response_headers, runner = server.request("POST", PATH, body=body, headers=headers)
    assert status == 200
    assert response_headers["Content-Type"] == "application/json"
    assert (runner["runner_type"], runner["is_shared"]) == ("instance_type", True)

    # When it is revoked: 204, no body
    status, _, empty = server.request("DELETE", PATH, body=body, headers=headers)
    assert (status, empty) == (204, None)

    # Then it finds nothing
    assert server.request("POST", PATH, body=body, headers=headers)[::2] == (404, {"message": {"error": "Not found"}})


def test_bad_requests_over_http_are_4xx_with_a_json_body(server: Server) -> None:
    admin = next(line for line in server.banner if line.startswith("demo administrator token: ")).split(": ", 1)[1]
    headers = {"PRIVATE-TOKEN": admin, "Content-Type": "application/json"}
    assert server.request("POST", PATH, raw=b"{not json", headers=headers)[::2] == (
        400,
        {"error": "request body is not valid JSON"},
    )
    assert server.request("POST", PATH)[::2] == (401, {"message": "401 Unauthorized"})
    assert server.request("POST", PATH + "?token=glpat-x", body={}, headers={"PRIVATE-TOKEN": admin})[::2] == (
        400,
        {"error": "token must be sent in the request body"},
    )
