"""The plaintexts a scan looks for: every token and secret of a seed file."""

from __future__ import annotations

import json
from pathlib import Path

DEMO_SEED = Path(__file__).resolve().parents[2] / "demo" / "seed.json"


def seed_plaintexts(path: Path = DEMO_SEED) -> list[str]:
    """Every token and secret in the seed file, in order, once each."""
    seed = json.loads(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for section, records in seed.items():
        for record in records:
            for key in ("token", "secret", "feed_token", "incoming_email_token"):
                if isinstance(record.get(key), str):
                    found.append(record[key])
            if section == "sessions":
                found.append("_gitlab_session=" + record["session_id"])
    return list(dict.fromkeys(found))
