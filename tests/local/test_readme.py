"""The README and docs describe the project by themselves, with output the commands really print."""

from __future__ import annotations

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
