"""`make run` and `make clean`, run for real in a scratch copy (never on this checkout's .venv)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.local.conftest import REPO_ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """The Makefile beside an installed-looking .venv whose admin-token-api echoes its arguments."""
    shutil.copy(REPO_ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "uv.lock").write_text("")
    script = tmp_path / ".venv" / "bin" / "admin-token-api"
    script.parent.mkdir(parents=True)
    script.write_text('#!/bin/sh\necho "admin-token-api $*"\n')
    script.chmod(0o755)
    stamp = tmp_path / ".venv" / ".installed"
    stamp.touch()
    later = time.time() + 10  # newer than pyproject.toml and uv.lock: `install` has nothing to do
    os.utime(stamp, (later, later))
    return tmp_path


def _make(directory: Path, *args: str) -> str:
    result = subprocess.run(["make", "-s", *args], cwd=directory, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_serves_on_port_3000_by_default(scratch: Path) -> None:
    assert _make(scratch, "run") == "admin-token-api serve --host 127.0.0.1 --port 3000\n"


def test_make_run_takes_a_port(scratch: Path) -> None:
    assert _make(scratch, "run", "PORT=3001") == "admin-token-api serve --host 127.0.0.1 --port 3001\n"


def test_make_clean_removes_every_generated_directory_and_nothing_else(scratch: Path) -> None:
    generated = [
        ".venv",
        ".venv-sam",
        ".venv-checkov",
        ".aws-sam",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".hypothesis",
        ".admin-token-api",  # serve's generated GitHub signing key
        "admin_token_api.egg-info",
        "src/admin_token_api.egg-info",
        "src/admin_token_local/__pycache__",
        "tests/__pycache__",
    ]
    for name in generated:
        (scratch / name).mkdir(parents=True, exist_ok=True)
        (scratch / name / "file").write_text("")
    (scratch / "src" / "admin_token_local" / "cli.py").write_text("")
    _make(scratch, "clean")
    assert [name for name in generated if (scratch / name).exists()] == []
    assert (scratch / "src" / "admin_token_local" / "cli.py").is_file()
    assert (scratch / "Makefile").is_file()


def test_make_install_stops_when_uv_lock_is_older_than_pyproject(tmp_path: Path) -> None:
    # Given a project locked with no dependency, uv in its .venv, and then pyproject.toml changed
    # (its own version: a new dependency would send uv to the index to resolve it)
    shutil.copy(REPO_ROOT / "Makefile", tmp_path / "Makefile")
    project = '[project]\nname = "scratch"\nversion = "{}"\nrequires-python = ">=3.11"\ndependencies = []\n'
    (tmp_path / "pyproject.toml").write_text(project.format("1"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / ".venv")], check=True)
    uv = tmp_path / ".venv" / "bin" / "uv"
    uv.symlink_to(REPO_ROOT / ".venv" / "bin" / "uv")
    subprocess.run([str(uv), "lock", "--offline", "--quiet"], cwd=tmp_path, check=True)
    (tmp_path / "pyproject.toml").write_text(project.format("2"))

    # When make install runs
    offline = {**os.environ, "UV_OFFLINE": "1"}
    result = subprocess.run(
        ["make", "-s", "install"], cwd=tmp_path, capture_output=True, text=True, check=False, env=offline
    )

    # Then it fails before installing anything, and says what to run
    assert result.returncode != 0
    assert "needs to be updated" in result.stderr
    assert "make lock" in result.stderr
    assert not (tmp_path / ".venv" / ".installed").exists()
