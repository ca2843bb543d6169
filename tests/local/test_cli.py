"""`admin-token-api`: the serve/invoke/seed commands and their error paths (local-run.md).

The real template is used with fake function code (see conftest.cli_template), so these tests
check the runner's wiring (tables, seed, AppConfig, environment), not the real handlers.
"""

from __future__ import annotations

import http.client
import importlib.metadata
import json
import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from admin_token_local.cli import main
from admin_token_local.moto_server import EmbeddedMotoServer
from admin_token_local.template import feature_flags_document, load_template
from tests.local.conftest import REAL_TEMPLATE, REPO_ROOT

COMMAND = Path(sys.executable).with_name("admin-token-api")
DEMO_USERS = len(json.loads((REAL_TEMPLATE.parent / "demo" / "seed.json").read_text())["users"])


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(COMMAND), *args], capture_output=True, text=True, timeout=timeout, check=False)


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def event_file(tmp_path: Path) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"path": "/api/v4/admin/token", "body": "{}"}))
    return path


@pytest.fixture
def unique_tables(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Fresh table names: in-process moto servers share one state with the rest of the session."""
    suffix = uuid.uuid4().hex[:8]
    names = {}
    for variable in ("TOKENS_TABLE_NAME", "USERS_TABLE_NAME", "RUNNERS_TABLE_NAME", "AUDIT_TABLE_NAME"):
        names[variable] = f"cli-{variable.split('_')[0].lower()}-{suffix}"
        monkeypatch.setenv(variable, names[variable])
    return names


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


# -- serve ----------------------------------------------------------------------------------------


def _start_serve(template: Path) -> subprocess.Popen[str]:
    command = [str(COMMAND), "--template", str(template), "serve", "--port", "0"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _check_serving(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", first)
    assert match, first + (process.stderr.read() if process.stderr and process.poll() is not None else "")
    url = match.group(1)
    banner = [process.stdout.readline().rstrip("\n") for _ in range(5)]
    assert banner[0].startswith("demo administrator token: glpat-")
    admin = banner[0].split(": ", 1)[1].strip()
    curls = [line for line in banner if line.startswith("curl ")]
    assert curls[0].startswith(f"curl -X POST {url}/api/v4/admin/token -H 'PRIVATE-TOKEN: {admin}'")
    assert curls[0].endswith(" -w '\\n%{http_code}\\n'")
    assert curls[1].endswith(" -w '%{http_code}\\n'")
    assert curls[1].startswith(f"curl -X DELETE {url}/api/v4/admin/token -H 'PRIVATE-TOKEN: {admin}'")
    assert "-H 'Content-Type: application/json' -d '{\"token\":\"glrt-" in curls[1]

    connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=10)
    connection.request("POST", "/api/v4/admin/token", body=b"{}")
    response = connection.getresponse()
    assert response.status == 200
    answer = json.loads(response.read())
    connection.close()
    assert answer["users"] == DEMO_USERS  # the demo seed is in the embedded DynamoDB
    assert answer["flags"] == feature_flags_document(load_template(REAL_TEMPLATE))
    assert answer["path"] == "/api/v4/admin/token"


def test_serve_answers_through_the_function_and_stops_on_sigterm_and_sigint(cli_template: Path) -> None:
    # Two servers side by side (one per signal), which also shows two can run on free ports.
    processes = {signal.SIGTERM: _start_serve(cli_template), signal.SIGINT: _start_serve(cli_template)}
    try:
        for process in processes.values():
            _check_serving(process)
        for number, process in processes.items():
            process.send_signal(number)
        for number, process in processes.items():
            assert process.wait(timeout=15) == 0, f"{number!r}: {process.stderr.read() if process.stderr else ''}"
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
            process.wait()
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()


def test_serve_on_a_port_in_use_is_one_line_and_non_zero(
    cli_template: Path,
    busy_port: int,
    capsys: pytest.CaptureFixture[str],
    process_state: None,
    unique_tables: dict[str, str],
) -> None:
    assert main(["--template", str(cli_template), "serve", "--port", str(busy_port)]) != 0
    captured = capsys.readouterr()
    assert "listening on" not in captured.out
    line = one_error_line(captured.err)
    assert f"127.0.0.1:{busy_port}" in line
    assert "in use" in line


# -- invoke ---------------------------------------------------------------------------------------


def test_invoke_prints_only_the_response_on_stdout(
    cli_template: Path, event_file: Path, tmp_path: Path, unique_tables: dict[str, str]
) -> None:
    # A separate process: what matters is what reaches the real standard output.
    flags = tmp_path / "flags.json"
    flags.write_text(json.dumps({"admin_mode": {"default": True}}))
    argv = ["invoke", "RevokeFunction", "--event", str(event_file), "--feature-flags", str(flags)]
    result = run(*argv, "--template", str(cli_template))
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1, result.stdout
    response = json.loads(result.stdout)
    assert "cli function output" in result.stderr
    assert "cli function log" in result.stderr
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body == {"users": DEMO_USERS, "flags": {"admin_mode": {"default": True}}, "path": "/api/v4/admin/token"}


def test_invoke_of_a_failing_function_reports_the_lambda_error(
    cli_template: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    process_state: None,
    unique_tables: dict[str, str],
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"body": '{"raise": true}'}))
    assert main(["--template", str(cli_template), "invoke", "LookupFunction", "--event", str(event)]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["errorType"] == "ValueError"
    assert "told to fail" in captured.err


# -- the error paths, in process ------------------------------------------------------------------


def test_unknown_function(cli_template: Path, event_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--template", str(cli_template), "invoke", "NoSuchFunction", "--event", str(event_file)])
    assert status != 0
    line = one_error_line(capsys.readouterr().err)
    assert "NoSuchFunction" in line
    assert "LookupFunction, RevokeFunction" in line


def test_missing_event_file(cli_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--template", str(cli_template), "invoke", "LookupFunction", "--event", str(tmp_path / "no.json")])
    assert status != 0
    assert "no.json" in one_error_line(capsys.readouterr().err)


def test_missing_seed_file(
    cli_template: Path,
    event_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    process_state: None,
    unique_tables: dict[str, str],
) -> None:
    missing = tmp_path / "missing-seed.json"
    status = main(["--template", str(cli_template), "invoke", "LookupFunction", "--event", str(event_file),
                   "--seed", str(missing)])  # fmt: skip
    assert status != 0
    assert "missing-seed.json" in one_error_line(capsys.readouterr().err)


def test_invalid_seed_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], process_state: None) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"users": [], "surprise": []}))
    assert main(["seed", str(seed), "--dynamodb-endpoint", "http://127.0.0.1:1"]) != 0
    assert "surprise" in one_error_line(capsys.readouterr().err)


def test_unreadable_feature_flags_file(cli_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flags = tmp_path / "flags.json"
    flags.write_text("{not json")
    assert main(["--template", str(cli_template), "serve", "--feature-flags", str(flags)]) != 0
    assert "flags.json" in one_error_line(capsys.readouterr().err)


INVALID_FLAGS = [
    pytest.param({"admin_mode": {"default": None}}, "admin_mode", id="null-default"),
    pytest.param({"api_admin_token_revoke": {"default": "false", "boolean_type": False}}, "api_admin_token_revoke",
                 id="string-default"),
    pytest.param({"personal_access_token_prefix": {"default": 1, "boolean_type": False}},
                 "personal_access_token_prefix", id="number-prefix"),
    pytest.param(["not", "an", "object"], None, id="array"),
]  # fmt: skip


@pytest.mark.parametrize(("document", "flag"), INVALID_FLAGS)
def test_serve_refuses_an_invalid_feature_flags_file_before_listening(
    cli_template: Path, tmp_path: Path, document: Any, flag: str | None
) -> None:
    # Its own process, with the real layer's rules: a refused document would have made every
    # request a 503 once serving.
    flags = tmp_path / "flags.json"
    flags.write_text(json.dumps(document))
    result = run("--template", str(cli_template), "serve", "--port", "0", "--feature-flags", str(flags), timeout=30)
    assert result.returncode != 0
    assert "listening on" not in result.stdout
    line = one_error_line(result.stderr)
    assert line.startswith(f"admin-token-api: error: feature flags file {flags} is invalid: "), line
    assert flag is None or flag in line


@pytest.mark.parametrize(("document", "flag"), INVALID_FLAGS[:2])
def test_invoke_refuses_an_invalid_feature_flags_file(
    cli_template: Path, tmp_path: Path, event_file: Path, document: Any, flag: str
) -> None:
    flags = tmp_path / "flags.json"
    flags.write_text(json.dumps(document))
    result = run("--template", str(cli_template), "invoke", "LookupFunction", "--event", str(event_file),
                 "--feature-flags", str(flags))  # fmt: skip
    assert result.returncode != 0
    assert result.stdout == ""
    line = one_error_line(result.stderr)
    assert line.startswith(f"admin-token-api: error: feature flags file {flags} is invalid: "), line
    assert flag in line


def test_an_invalid_flags_document_in_the_template_is_refused(cli_template: Path, event_file: Path) -> None:
    template = load_template(cli_template)
    template.pop("__template_dir__")
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::AppConfig::HostedConfigurationVersion":
            resource["Properties"]["Content"] = json.dumps({"admin_mode": {"default": "yes"}})
    cli_template.write_text(yaml.safe_dump(template, sort_keys=False))
    for argv in (["serve", "--port", "0"], ["invoke", "LookupFunction", "--event", str(event_file)]):
        result = run("--template", str(cli_template), *argv, timeout=30)
        assert result.returncode != 0
        assert "listening on" not in result.stdout
        line = one_error_line(result.stderr)
        assert f"the feature flags document of {cli_template} is invalid: " in line
        assert "admin_mode" in line


def test_version_is_the_installed_package_version() -> None:
    result = run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"admin-token-api {importlib.metadata.version('admin-token-api')}\n"


@pytest.mark.parametrize("command", [[], ["serve"], ["invoke"], ["seed"]], ids=["top", "serve", "invoke", "seed"])
def test_every_argument_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    lines = capsys.readouterr().out.splitlines()
    entries = [i for i, line in enumerate(lines) if re.match(r"  [-A-Z]", line)]  # "  --port PORT", "  FILE"
    assert len(entries) >= 3
    # Help text follows on the same line, or on the next one, indented further.
    bare = [
        lines[i].strip()
        for i in entries
        if not re.match(r"  \S.*?\s{2,}\S", lines[i]) and not (i + 1 < len(lines) and lines[i + 1].startswith(" " * 8))
    ]
    assert bare == []


@pytest.mark.parametrize(
    ("command", "content"),
    [
        (["seed"], '{"users": [{"id": "x"}]}'),
        (["seed"], "{not json"),
        (["seed"], None),
        (["invoke", "LookupFunction", "--event"], "{not json"),
        (["serve", "--feature-flags"], "{not json"),
    ],
    ids=["invalid-seed", "seed-not-json", "missing-seed", "event-not-json", "flags-not-json"],
)
def test_error_lines_are_lowercase_like_argparses(
    command: list[str], content: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str], process_state: None
) -> None:
    path = tmp_path / "input.json"
    if content is not None:
        path.write_text(content)
    argv = [*command, str(path)] + (["--dynamodb-endpoint", "http://127.0.0.1:1"] if command == ["seed"] else [])
    assert main(argv) != 0
    message = one_error_line(capsys.readouterr().err).split(": error: ", 1)[1]
    # After "error: " and after every colon, a lowercase word (or a path), as argparse writes.
    assert not re.search(r"(^|: )[A-Z][a-z]", message), message


def test_missing_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--template", str(tmp_path / "nope.yaml"), "serve"]) != 0
    assert "nope.yaml" in one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["bogus"],
        ["serve", "--port", "http"],
        ["serve", "--port", "70000"],
        ["invoke", "LookupFunction"],
        ["seed"],
        ["serve", "--unknown"],
    ],
)
def test_bad_arguments_are_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "error:" in one_error_line(capsys.readouterr().err)


PASTED = "glpat-pastedByMistake9Xk2"  # a token pasted where an argument was expected


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", PASTED],
        ["serve", f"--unknown={PASTED}"],
        [PASTED],
        ["serve", "--port", PASTED],
        ["invoke", "LookupFunction", "--event", "e.json", PASTED],
        ["seed", "s.json", PASTED],
    ],
)
def test_a_bad_argument_is_not_echoed_back(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # argparse repeats what it could not use; with a token pasted in, that would print the token.
    assert main(argv) == 2
    captured = capsys.readouterr()
    line = one_error_line(captured.err)
    assert "error:" in line
    assert PASTED not in captured.err + captured.out
    assert "pastedByMistake" not in captured.err + captured.out


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--help"]) == 0
    assert "--dynamodb-endpoint" in capsys.readouterr().out


def test_the_template_option_is_accepted_after_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--template", str(tmp_path / "after.yaml")]) != 0
    assert "after.yaml" in one_error_line(capsys.readouterr().err)


# -- seed -----------------------------------------------------------------------------------------


def test_seed_creates_missing_tables_and_loads_the_file(
    capsys: pytest.CaptureFixture[str], process_state: None, unique_tables: dict[str, str]
) -> None:
    server = EmbeddedMotoServer()
    endpoint = server.start()
    try:
        demo = REAL_TEMPLATE.parent / "demo" / "seed.json"
        assert main(["--template", str(REAL_TEMPLATE), "seed", str(demo), "--dynamodb-endpoint", endpoint]) == 0
        assert unique_tables["USERS_TABLE_NAME"] in capsys.readouterr().out
        client: Any = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
        assert len(client.scan(TableName=unique_tables["USERS_TABLE_NAME"])["Items"]) == DEMO_USERS
        assert client.scan(TableName=unique_tables["TOKENS_TABLE_NAME"])["Items"]
        # Running it again is fine: tables exist now, items are overwritten.
        assert main(["--template", str(REAL_TEMPLATE), "seed", str(demo), "--dynamodb-endpoint", endpoint]) == 0
    finally:
        server.stop()


def test_seed_against_an_unreachable_endpoint_is_one_line(
    capsys: pytest.CaptureFixture[str], process_state: None
) -> None:
    os.environ["AWS_MAX_ATTEMPTS"] = "1"  # fail on the refused connection, without retries
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]  # nothing listens there once the socket is closed
    demo = REAL_TEMPLATE.parent / "demo" / "seed.json"
    assert main(["seed", str(demo), "--dynamodb-endpoint", f"http://127.0.0.1:{closed}"]) != 0
    assert f"127.0.0.1:{closed}" in one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize(
    "argv",
    [
        ["--template", PASTED, "serve"],
        ["--template", f"/tmp/{PASTED}.yaml", "serve"],
        ["serve", "--seed", PASTED],
        ["serve", "--feature-flags", PASTED],
        ["serve", "--dynamodb-endpoint", PASTED, "--seed", "/nonexistent-seed.json"],
        ["serve", "--host", PASTED, "--port", "0"],
        ["serve", "--events-log", f"/nonexistent/{PASTED}"],
        ["invoke", PASTED, "--event", "events/lookup-runner-token.json"],
        ["invoke", "LookupFunction", "--event", PASTED],
        ["seed", PASTED],
        ["seed", "demo/seed.json", "--dynamodb-endpoint", f"http://127.0.0.1:1/{PASTED}"],
        ["serve", f"--port={PASTED}"],
        ["revoke-report", f"--dry-run={PASTED}", "r.json", "--url", "http://127.0.0.1:1"],
        ["revoke-report", f"--dr={PASTED}", "r.json", "--url", "http://127.0.0.1:1"],
        ["revoke-report", "examples/gitleaks.json", "--url", f"http://127.0.0.1:1/{PASTED}/api/v4"],
        ["revoke-report", "examples/gitleaks.json", "--url", "http://127.0.0.1:1", "--output", f"/none/{PASTED}"],
    ],
)
def test_no_error_line_echoes_a_value_that_may_be_a_token(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, process_state: None
) -> None:
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-theAdministratorsOwn00")
    assert main(argv) != 0
    captured = capsys.readouterr()
    assert "error:" in one_error_line(captured.err)
    assert "pastedByMistake" not in captured.err + captured.out
