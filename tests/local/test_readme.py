"""The README and docs describe the project by themselves, with output the commands really print."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.local.conftest import REPO_ROOT
from tests.local.serving import COMMAND, serving

README = (REPO_ROOT / "README.md").read_text()


def test_no_document_or_source_points_outside_the_repository() -> None:
    # A clone has no ../shared/: what a user needs is in README.md, docs/ and openapi.json.
    # docs/threat-model.md is left out here: it is kept by the threat model's owner.
    paths = [REPO_ROOT / "README.md", *(REPO_ROOT / "docs").glob("*.md"), *(REPO_ROOT / "src").rglob("*.py")]
    pointing = [
        str(path.relative_to(REPO_ROOT))
        for path in paths
        if path.name != "threat-model.md" and "shared/" in path.read_text()
    ]
    assert pointing == []


# What a reader of a clone cannot follow: a section of a document that is not in the repository,
# or a number in an issue tracker they may not see. Built so this file does not match itself.
UNREACHABLE_REFERENCE = re.compile("spec " + "\u00a7" + r"|\bissue #?[0-9]", re.IGNORECASE)


def _shipped_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    wanted = {".py", ".md", ".json", ".yaml", ".js", ".html", ".css", ".toml"}
    return [REPO_ROOT / name for name in listed if Path(name).suffix in wanted and (REPO_ROOT / name).is_file()]


def test_no_code_test_doc_or_published_document_cites_a_spec_section_or_an_issue_number() -> None:
    citing = [
        str(path.relative_to(REPO_ROOT))
        for path in _shipped_text_files()
        if UNREACHABLE_REFERENCE.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert citing == []


def test_the_readme_links_only_to_files_that_exist() -> None:
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", README)
    assert links
    assert [link for link in links if not (REPO_ROOT / link).exists()] == []


def _headline() -> str:
    return README.split("## The headline scenario", 1)[1].split("```sh", 1)[1].split("```", 1)[0]


def test_the_headline_scenario_prints_what_the_readme_shows(tmp_path: Path) -> None:
    block = _headline()
    admin = re.search(r"^ADMIN=(\S+)", block, re.MULTILINE)
    runner = re.search(r"^RUNNER=(\S+)", block, re.MULTILINE)
    assert admin is not None
    assert runner is not None
    # What the README says each step prints: the comment lines after each curl.
    shown = [line[2:] for line in block.splitlines() if re.match(r"# (\{|\d{3}$)", line)]
    printed: list[str] = []
    with serving(tmp_path / "serve") as served:
        for method in ("POST", "DELETE", "POST"):
            status, body = served.request_raw(
                method, body=f'{{"token":"{runner.group(1)}"}}', headers={"PRIVATE-TOKEN": admin.group(1)}
            )
            printed += [body, str(status)] if body else [str(status)]
        assert served.stop() == 0
    assert printed == shown


def test_the_invoke_example_prints_what_the_readme_shows() -> None:
    example = re.search(r"^ *\$ \.venv/bin/(admin-token-api invoke .*?) 2>/dev/null\n *(.*)$", README, re.MULTILINE)
    assert example is not None
    argv = example.group(1).split()[1:]
    result = subprocess.run(
        [str(COMMAND), *argv], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == example.group(2) + "\n"


def _sh_blocks() -> list[str]:
    return [block.split("```", 1)[0] for block in README.split("```sh\n")[1:]]


def test_the_readme_s_commands_run_as_typed_on_a_fresh_clone() -> None:
    # admin-token-api is on PATH only with the venv active: the README types its path.
    commands = [line for block in _sh_blocks() for line in block.splitlines() if not line.startswith("#")]
    # The command word, after any VARIABLE=value assignments
    bare = [line for line in commands if re.match(r"(\w+=\S*\s+)*admin-token-api\s", line.strip())]
    assert bare == []
    assert any(".venv/bin/admin-token-api revoke-report" in line for line in commands)


def _ids(text: str) -> str:
    """Audit event ids, times and request ids differ at each run."""
    text = re.sub(r'("audit_event_id":|"id":)\d+', r"\1<id>", text)
    text = re.sub(r'"request_id":"[^"]*"', '"request_id":"<id>"', text)
    return re.sub(r'"created_at":"2026[^"]*"', '"created_at":"<time>"', text)


def test_the_second_scenario_prints_what_the_readme_shows_after_the_first(tmp_path: Path) -> None:
    section = README.split("## The second scenario", 1)[1].split("## ", 1)[0]
    shown = [line[2:] for line in section.splitlines() if line.startswith("# {") or line.startswith("# [")]
    admin = "glpat-rootAdminTk2Vn8Qe5Lm3"
    headline_runner = re.search(r"^RUNNER=(\S+)", _headline(), re.MULTILINE)
    assert headline_runner is not None
    runner = "glrt-t3_projectRunnerTk2Gs9Fy"
    bulk = '{"tokens":["glrt-t3_projectRunnerTk2Gs9Fy","glft-aliceFeedTk5Rt1Kz8Jq","glcbt-runningJobTk4Wq7Ez",' \
           '"ghp_notAGitLabToken00000"]}'  # fmt: skip
    auth = {"PRIVATE-TOKEN": admin}
    printed: list[str] = []
    with serving(tmp_path / "serve") as served:
        # On the same server as the headline scenario, after it
        served.request_raw("DELETE", body=f'{{"token":"{headline_runner.group(1)}"}}', headers=auth)
        printed.append(served.request_raw("DELETE", body=f'{{"token":"{runner}","dry_run":true}}', headers=auth)[1])
        printed.append(served.request_raw("POST", "/api/v4/admin/tokens/revoke", body=bulk, headers=auth)[1])
        printed.append(served.request_raw("POST", body=f'{{"token":"{runner}"}}', headers=auth)[1])
        path = "/api/v4/audit_events?token_type=runner_authentication_token&per_page=1"
        status, events = served.request("GET", path, headers=auth)
        assert status == 200
        printed.append(json.dumps(events, separators=(",", ":"), ensure_ascii=False))
        assert served.stop() == 0
    assert [_ids(line) for line in printed] == [_ids(line) for line in shown]
