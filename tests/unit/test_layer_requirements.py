"""The layer SAM packs holds the versions the tests ran against: uv.lock's, pinned exactly."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "admin_token"


def _locked() -> dict[str, dict[str, object]]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {package["name"]: package for package in lock["package"]}


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in (LAYER / "requirements.txt").read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            name, separator, version = requirement.partition("==")
            assert separator, f"{requirement!r} is not pinned with =="
            assert version, f"{requirement!r} is not pinned with =="
            pins[_normalised(name)] = version
    return pins


def _provided_by_runtime() -> set[str]:
    (line,) = [line for line in (LAYER / "Makefile").read_text().splitlines() if line.startswith("PROVIDED_BY_RUNTIME")]
    return {_normalised(name) for name in line.split("=", 1)[1].split()}


def test_every_layer_requirement_is_pinned_to_the_version_uv_lock_pins() -> None:
    locked = _locked()
    pins = _pins()
    assert pins
    assert {name: locked[name]["version"] for name in pins} == pins


def test_every_dependency_of_a_layer_requirement_is_pinned_too_or_shipped_by_the_runtime() -> None:
    locked, pins, runtime = _locked(), _pins(), _provided_by_runtime()
    needed: set[str] = set()
    pending = list(pins)
    while pending:
        name = pending.pop()
        for dependency in locked[name].get("dependencies", []):  # type: ignore[attr-defined]
            dependency_name = _normalised(dependency["name"])
            if dependency_name not in needed and dependency_name not in runtime:
                needed.add(dependency_name)
                pending.append(dependency_name)
    assert needed <= set(pins), f"unpinned in the layer: {sorted(needed - set(pins))}"
