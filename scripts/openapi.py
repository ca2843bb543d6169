"""Write `openapi.json` from the functions' Powertools resolvers, or check it is up to date.

    .venv/bin/python scripts/openapi.py           # (re)write openapi.json at the repo root
    .venv/bin/python scripts/openapi.py --check   # exit 1 with a diff when openapi.json is stale

Both also write (check) functions/console/openapi.json, the copy ConsoleFunction serves at
GET /api/v4/admin/openapi.json.

Each function's `app.get_openapi_schema()` describes its one route (from the route's decorator
arguments, see `admin_token.openapi`); Powertools' `OpenAPIMerge` makes them one document, as
all functions sit behind one REST API.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from importlib.metadata import version
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
OPENAPI_JSON = REPO_ROOT / "openapi.json"
# ConsoleFunction serves the document at GET /api/v4/admin/openapi.json: a copy packaged with it.
CONSOLE_COPY = REPO_ROOT / "functions" / "console" / "openapi.json"

# As on Lambda: the layer on the path, the functions importable as `functions.<name>.app`.
for entry in (REPO_ROOT / "layers" / "admin_token", REPO_ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))


def generate() -> str:
    """The text openapi.json should hold, generated now from the resolvers."""
    from admin_token.openapi import merged_document, render
    from functions.audit_events.app import app as audit_events_app
    from functions.lookup.app import app as lookup_app
    from functions.revoke.app import app as revoke_app

    return render(merged_document([lookup_app, revoke_app, audit_events_app], version("admin-token-api")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail with a diff when openapi.json is stale")
    parser.add_argument("--output", type=Path, default=OPENAPI_JSON, help="default: openapi.json at the repo root")
    args = parser.parse_args(argv)
    expected = generate()
    outputs = [args.output] + ([CONSOLE_COPY] if args.output == OPENAPI_JSON else [])
    if not args.check:
        for output in outputs:
            output.write_text(expected, encoding="utf-8")
            print(f"wrote {output}")
        return 0
    return max(_check(output, expected) for output in outputs)


def _check(output: Path, expected: str) -> int:
    current = output.read_text(encoding="utf-8") if output.exists() else ""
    if current == expected:
        print(f"{output} is up to date")
        return 0
    name = output.name
    diff = difflib.unified_diff(
        current.splitlines(keepends=True),
        expected.splitlines(keepends=True),
        fromfile=f"{name} (on disk)",
        tofile=f"{name} (generated)",
    )
    sys.stdout.writelines(diff)
    print(f"\n{output} is stale: run `.venv/bin/python scripts/openapi.py`", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
