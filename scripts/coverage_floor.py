"""Fail when a layer module's line coverage is under the floor and the module does not say why.

    .venv/bin/python scripts/coverage_floor.py build/coverage.json

The reason is a line `# coverage: <why>` in the module itself, where a reader of the code sees it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

FLOOR = 90.0
REASON = re.compile(r"^# coverage: \S", re.MULTILINE)


def main(argv: list[str]) -> int:
    report = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    below = []
    for name, data in sorted(report["files"].items()):
        percent = data["summary"]["percent_covered"]
        if percent < FLOOR and not REASON.search(Path(name).read_text(encoding="utf-8")):
            below.append(f"  {name}: {percent:.1f}%")
    # Silent when it passes: pytest's summary stays the last line (pytest-cov's table has the figures).
    if below:
        print("under the floor, with no '# coverage: <why>' line in the module:", *below, sep="\n", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
