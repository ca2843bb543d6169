"""Write `openapi.json` from the functions' Powertools resolvers, or check it is up to date.

    .venv/bin/python scripts/openapi.py           # (re)write openapi.json at the repo root
    .venv/bin/python scripts/openapi.py --check   # exit 1 with a diff when openapi.json is stale

Every function template.yaml puts behind the API describes its routes with its resolver's
`app.get_openapi_schema()` (from the routes' decorator arguments, see `admin_token.openapi`);
Powertools' `OpenAPIMerge` makes them one document, as all sit behind one REST API.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
OPENAPI_JSON = REPO_ROOT / "openapi.json"

# As on Lambda: the layer on the path, the functions importable as `functions.<name>.app`.
for entry in (REPO_ROOT / "layers" / "admin_token", REPO_ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))


def api_apps() -> list[Any]:
    """The resolver of every function template.yaml puts behind the API, in template order."""
    from admin_token_local.template import api_routes, function_handler, load_template

    template = load_template(REPO_ROOT / "template.yaml")
    functions = list(dict.fromkeys(route.function_id for route in api_routes(template)))
    apps = []
    for function in functions:
        code, module, _ = function_handler(template, function)
        apps.append(importlib.import_module(f"functions.{code.name}.{module}").app)
    return apps


def generate() -> str:
    """The text openapi.json should hold, generated now from the resolvers."""
    from admin_token.openapi import merged_document, render

    return render(merged_document(api_apps(), version("admin-token-api")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail with a diff when openapi.json is stale")
    parser.add_argument("--output", type=Path, default=OPENAPI_JSON, help="default: openapi.json at the repo root")
    args = parser.parse_args(argv)
    expected = generate()
    if not args.check:
        args.output.write_text(expected, encoding="utf-8")
        print(f"wrote {args.output}")
        return 0
    current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    if current == expected:
        print(f"{args.output} is up to date")
        return 0
    name = args.output.name
    diff = difflib.unified_diff(
        current.splitlines(keepends=True),
        expected.splitlines(keepends=True),
        fromfile=f"{name} (on disk)",
        tofile=f"{name} (generated)",
    )
    sys.stdout.writelines(diff)
    print(f"\n{args.output} is stale: run `.venv/bin/python scripts/openapi.py`", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
