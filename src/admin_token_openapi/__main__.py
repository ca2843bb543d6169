"""`python -m admin_token_openapi`: write openapi.json, or (`--check`) fail with a diff when it is stale.

`make openapi` and `make openapi-check` run it from the repository root. With the default output
both also write (check) functions/console/openapi.json, the copy ConsoleFunction serves at
GET /api/v4/admin/openapi.json.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from importlib.metadata import version
from pathlib import Path

from admin_token_openapi.document import merged_document, render, resolvers

DEFAULT_OUTPUT = Path("openapi.json")
# ConsoleFunction serves the document at GET /api/v4/admin/openapi.json: a copy packaged with it.
CONSOLE_COPY = Path("functions/console/openapi.json")


def generate(template: Path) -> str:
    """The text openapi.json should hold, generated now from the resolvers of the template's functions."""
    return render(merged_document(resolvers(template), version("admin-token-api")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m admin_token_openapi", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail with a diff when the document is stale")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="default: ./openapi.json")
    parser.add_argument("--template", type=Path, default=Path("template.yaml"), help="default: ./template.yaml")
    args = parser.parse_args(argv)
    expected = generate(args.template)
    outputs = [args.output] + ([CONSOLE_COPY] if args.output == DEFAULT_OUTPUT else [])
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
    print(f"\n{output} is stale: run `make openapi`", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
