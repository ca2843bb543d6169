"""What `serve` writes while it runs: never a token a request carried, nor one from `--seed`.

The real template and handlers in a `serve` process; every request carries tokens where a user
or an attacker could put them (query string, headers, body, path, a malformed request line), and
the whole of standard output and standard error is scanned once the server stopped.
"""

from __future__ import annotations

import json
import re
import socket
import struct
from pathlib import Path

import pytest

from tests.local.serving import TOKEN_PATH, Served, serving

ADMIN = "glpat-seedAdminTk4Qw8Er2Ty"
RUNNER = "glrt-t1_seedRunnerTk6Ui3Op9"
SEED = {
    "users": [
        {"id": 1, "username": "root", "name": "Administrator", "admin": True, "created_at": "2024-01-01T00:00:00Z"}
    ],
    "personal_access_tokens": [
        {
            "id": 1,
            "user_id": 1,
            "name": "admin",
            "token": ADMIN,
            "scopes": ["api", "admin_mode"],
            "created_at": "2024-01-01T00:00:00Z",
        },
    ],
    "runners": [
        {"id": 1, "token": RUNNER, "runner_type": "instance_type", "created_at": "2024-01-01T00:00:00Z"},
    ],
}
# Only ever sent, never seeded: they must not come back out either.
IN_QUERY = "glpat-queryOnlyTk1As5Df7"
IN_PATH = "glpat-pathOnlyTk8Gh2Jk4"
IN_LINE = "glpat-lineOnlyTk3Zx6Cv0"
IN_VERSION = "glpat-versionOnlyTk5Bn7"
IN_METHOD = "glpat-methodOnlyTk9Mq1"
IN_HEADER = "glpat-headerOnlyTk2Wl4"
# By name: a failing assertion says which one leaked, never the token itself.
SENT = {
    "admin": ADMIN,
    "runner": RUNNER,
    "query": IN_QUERY,
    "path": IN_PATH,
    "request line": IN_LINE,
    "version": IN_VERSION,
    "method": IN_METHOD,
    "header": IN_HEADER,
}


def _leaked(output: str) -> list[str]:
    # Each token's distinctive middle too, in case one was printed cut or re-encoded.
    return [name for name, token in SENT.items() if token in output or token.split("-", 1)[1][:12] in output]


def _redacted(text: str) -> str:
    for name, token in SENT.items():
        text = text.replace(token, f"<{name}>")
    return text


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(SEED))
    return path


def _raw(served: Served, request: bytes) -> bytes:
    with socket.create_connection(served.address, timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def _send_tokens_everywhere(served: Served) -> None:
    auth = {"PRIVATE-TOKEN": ADMIN}
    assert served.request("POST", body={"token": RUNNER}, headers=auth)[0] == 200
    assert served.request("POST", body={"token": RUNNER}, headers={"Authorization": f"Bearer {ADMIN}"})[0] == 200
    # The API reads no credential from a query string (401), and refuses a token there (400).
    assert served.request("POST", f"{TOKEN_PATH}?token={IN_QUERY}&private_token={ADMIN}")[0] == 401
    assert served.request("POST", f"{TOKEN_PATH}?token={IN_QUERY}", headers=auth)[0] == 400
    assert served.request("GET", f"{TOKEN_PATH}/{IN_PATH}?token={RUNNER}")[0] == 403
    assert served.request("POST", body={"token": IN_HEADER}, headers={**auth, "X-Leak": IN_HEADER})[0] == 404
    # Malformed request lines: too many words, a bad version (both answered as HTTP/0.9 would be:
    # no status line), and a method that is a token. Checked in variables: a failing assertion
    # must not print the request.
    line = _raw(served, f"GET {TOKEN_PATH}?token={IN_LINE} HTTP/1.1 {IN_LINE}\r\n\r\n".encode())
    version = _raw(served, f"GET {TOKEN_PATH}?token={IN_VERSION} HTTP/{IN_VERSION}\r\n\r\n".encode())
    method = _raw(served, f"{IN_METHOD} {TOKEN_PATH} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    refused = [b"400" in line, b"400" in version, method.startswith(b"HTTP/1.1 403")]
    assert refused == [True, True, True]
    assert served.request("DELETE", body={"token": RUNNER}, headers=auth)[0] == 204


def test_no_token_of_a_request_or_of_the_seed_reaches_the_output(seed_file: Path, tmp_path: Path) -> None:
    with serving(tmp_path / "serve", "--seed", str(seed_file)) as served:
        _send_tokens_everywhere(served)
        assert served.stop() == 0
        output = served.output()
    leaked = _leaked(output)
    assert not leaked, f"serve printed these tokens: {leaked}"


def test_the_access_log_names_method_route_and_status_only(seed_file: Path, tmp_path: Path) -> None:
    with serving(tmp_path / "serve", "--seed", str(seed_file)) as served:
        _send_tokens_everywhere(served)
        assert served.stop() == 0
        stderr = served.stderr.read_text()
    # Redacted, so a failure shows the lines without the tokens this test is about.
    access = [_redacted(line) for line in stderr.splitlines() if not line.startswith("{")]
    assert any(re.search(rf'"POST {TOKEN_PATH}" 200 \d+ms$', line) for line in access), access
    assert any(re.search(r'"GET \(unrouted\)" 403 \d+ms$', line) for line in access), access
    assert any(re.search(r'"\(unknown method\) \(unrouted\)" 403 \d+ms$', line) for line in access), access
    assert sum("bad request line" in line for line in access) == 2, access
    assert not [line for line in access if "?" in line or "HTTP/" in line], access


def test_serve_with_a_seed_prints_no_token_and_no_curl(seed_file: Path, tmp_path: Path) -> None:
    with serving(tmp_path / "serve", "--seed", str(seed_file)) as served:
        assert served.stop() == 0
        output = served.output()
    banner = "demo administrator token" in output or "curl" in output
    assert not banner, "serve printed a banner for a seed file"
    leaked = _leaked(output)
    assert not leaked, f"serve printed these tokens: {leaked}"


def test_the_demo_banner_shows_the_status_of_each_curl(tmp_path: Path) -> None:
    with serving(tmp_path / "serve") as served:
        assert served.stop() == 0
        stdout = served.stdout.read_text()
    curls = [line for line in stdout.splitlines() if line.startswith("curl ")]
    assert len(curls) == 2, len(curls)
    assert all(line.endswith("%{http_code}\\n'") for line in curls), "a curl line does not print the status"


def test_the_functions_logs_and_metrics_go_to_stderr_and_stdout_holds_only_serve_s_own_lines(
    seed_file: Path, tmp_path: Path
) -> None:
    with serving(tmp_path / "serve", "--seed", str(seed_file)) as served:
        _send_tokens_everywhere(served)
        assert served.stop() == 0
        stdout, stderr = served.stdout.read_text(), served.stderr.read_text()
    own = re.compile(
        r"listening on http://\S+|token revocation API pre-shared token: \S+|incident console: http://\S+/console"
        r"|GitHub secret scanning signing key: \S+"
    )
    assert [line for line in stdout.splitlines() if not own.fullmatch(line)] == []
    logs = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert any(log.get("message") == "Token identified" for log in logs)  # a function's JSON log
    assert any("_aws" in log for log in logs)  # and its EMF metrics


def test_a_client_that_leaves_before_its_answer_prints_no_traceback(seed_file: Path, tmp_path: Path) -> None:
    request = f"POST {TOKEN_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    body = json.dumps({"token": RUNNER})
    raw = f"{request}PRIVATE-TOKEN: {ADMIN}\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode()
    with serving(tmp_path / "serve", "--seed", str(seed_file)) as served:
        for _ in range(5):
            sock = socket.create_connection(served.address, timeout=30)
            sock.sendall(raw)
            # Closed with a reset, before the answer: writing the answer fails on the server.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        assert served.request("POST", body={"token": RUNNER}, headers={"PRIVATE-TOKEN": ADMIN})[0] == 200
        assert served.stop() == 0
        stderr = served.stderr.read_text()
    assert "Traceback" not in stderr
    assert "Exception occurred" not in stderr
