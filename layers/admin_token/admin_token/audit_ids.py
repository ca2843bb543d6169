"""Audit event ids: positive integers below 2**53, unique, and increasing with the event's time.

    id = (milliseconds since 2020-01-01 UTC) << 12  |  12 low bits

The high bits are the event's millisecond, so a time range is an id range: the audit table's
indexes sort on the id, and `created_after` / `created_before` become a key condition of a Query.
The low bits start at a random value in each new millisecond and count up within it, so ids from
one process strictly increase (a burst of more than 4,096 in one millisecond borrows the next
one), and two processes minting in the same millisecond collide with probability 1/4096. The
audit put is conditioned on a new id, so such a collision is refused by DynamoDB, never
overwrites, and the revoke mints again (`service.carry_out`).

2**41 milliseconds from 2020 reach into 2089; ids stay below 2**53, the largest integer a
JavaScript client (or any JSON reader using doubles) holds exactly.
"""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Final

from admin_token.restore import on_new_environment

EPOCH: Final = datetime(2020, 1, 1, tzinfo=UTC)
SEQUENCE_BITS: Final = 12
SEQUENCE_SIZE: Final = 1 << SEQUENCE_BITS
MAX_MILLISECONDS: Final = (1 << (53 - SEQUENCE_BITS)) - 1
MAX_ID: Final = (1 << 53) - 1


def milliseconds(moment: datetime) -> int:
    """Whole milliseconds from EPOCH to `moment` (rounded down); a naive datetime is UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - EPOCH) // timedelta(milliseconds=1)


def first_id_at(moment: datetime) -> int:
    """The smallest id an event of `moment`'s millisecond can have, clamped to [0, MAX_ID + 1].

    An event of time t has `first_id_at(t) <= id < first_id_at(t + 1 ms)`, which is how time
    filters become id ranges. Clamping keeps times before 2020 or after 2089 usable as bounds.
    """
    return min(max(milliseconds(moment), 0), MAX_MILLISECONDS + 1) << SEQUENCE_BITS


def moment_of(audit_id: int) -> datetime:
    """The millisecond an id was minted in."""
    return EPOCH + timedelta(milliseconds=audit_id >> SEQUENCE_BITS)


def timestamp_of(audit_id: int) -> str:
    """The id's millisecond as GitLab writes times: ISO 8601 UTC with milliseconds and `Z`."""
    moment = moment_of(audit_id)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class AuditIdGenerator:
    """Mints ids that strictly increase within this process, whatever the clock does."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget what was minted: a restored or forked copy must not count on from the original's
        last id (two copies would mint the same ones), so its next id starts at a random sequence."""
        self._lock = threading.Lock()  # a bulk revoke mints from several threads; a copied lock may be held
        self._last_millisecond = -1
        self._sequence = 0

    def next_id(self, now: datetime | None = None) -> int:
        millisecond = milliseconds(now or datetime.now(UTC))
        if not 0 <= millisecond <= MAX_MILLISECONDS:
            raise ValueError("the clock is outside the range audit ids can represent (2020 to 2089)")
        with self._lock:
            if millisecond > self._last_millisecond:
                self._last_millisecond = millisecond
                # Random start: another process minting in this millisecond rarely picks the same.
                self._sequence = secrets.randbelow(SEQUENCE_SIZE)
            else:
                # Same millisecond, or the clock stepped back: keep counting from the last id.
                self._sequence += 1
                if self._sequence == SEQUENCE_SIZE:
                    self._last_millisecond += 1
                    self._sequence = 0
            if self._last_millisecond > MAX_MILLISECONDS:
                raise ValueError("audit ids are exhausted")
            return (self._last_millisecond << SEQUENCE_BITS) | self._sequence


_generator = AuditIdGenerator()
on_new_environment(_generator.reset)


def next_audit_id(now: datetime | None = None) -> int:
    """A new id from this process's generator."""
    return _generator.next_id(now)
