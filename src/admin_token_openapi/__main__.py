"""`python -m admin_token_openapi`: write openapi.json, or (`--check`) fail with a diff when it is stale.

`make openapi` and `make openapi-check` run it from the repository root.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from importlib.metadata import version
from pathlib import Path

from admin_token_openapi.document import merged_document, render, resolvers


def generate(template: Path) -> str:
    """The text openapi.json should hold, generated now from the resolvers of the template's functions."""
    return render(merged_document(resolvers(template), version("admin-token-api")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m admin_token_openapi", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail with a diff when the document is stale")
    parser.add_argument("--output", type=Path, default=Path("openapi.json"), help="default: ./openapi.json")
    parser.add_argument("--template", type=Path, default=Path("template.yaml"), help="default: ./template.yaml")
    args = parser.parse_args(argv)
    expected = generate(args.template)
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
    print(f"\n{args.output} is stale: run `make openapi`", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
