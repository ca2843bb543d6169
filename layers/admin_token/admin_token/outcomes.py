"""The outcome vocabulary: what a revoke did, and what else a bulk element or a queued finding ends as.

Bulk results, the bulk summary, the worker's outcomes and their metrics all name outcomes from here.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

# What a revoke does to a token, as its type decides; `already_revoked` when nothing is left to do.
Action = Literal["revoked", "reset", "deleted", "expired", "already_revoked"]
ALREADY_REVOKED: Final[Action] = "already_revoked"
# The actions that change something: the only ones an audit record names.
CHANGES: Final[tuple[str, ...]] = tuple(action for action in get_args(Action) if action != ALREADY_REVOKED)

NOT_FOUND: Final = "not_found"
UNSUPPORTED: Final = "unsupported"
REFUSED: Final = "refused"
INVALID: Final = "invalid"
DUPLICATE: Final = "duplicate"
FAILED: Final = "failed"
# A queued finding kept for later because auto-revoke is off.
HELD: Final = "held"

# Every outcome a bulk element can have, in the order the bulk summary lists them.
BULK_OUTCOMES: Final[tuple[str, ...]] = (
    *get_args(Action),
    NOT_FOUND,
    UNSUPPORTED,
    REFUSED,
    INVALID,
    DUPLICATE,
    FAILED,
)


def metric_name(family: str, outcome: str) -> str:
    """A count of one outcome, named PascalCase like every metric: `Bulk`, `already_revoked` -> `BulkAlreadyRevoked`."""
    return family + "".join(word.capitalize() for word in outcome.split("_"))
