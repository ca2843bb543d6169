"""What a new execution environment must not share with the one it was copied from.

SnapStart resumes execution environments from one snapshot of an initialised one, as `fork()`
copies a process: everything in memory is shared history. What must be unique to an environment
is made fresh again after a restore (the Python runtime's `snapshot_restore_py` hook) and in a
forked child (`os.register_at_fork`) by the callbacks modules register here:

- `random`'s generator is state in memory, so it is reseeded from the kernel (retry jitter would
  otherwise be the same in every restored environment, and retries would collide);
- the audit id generator forgets its last millisecond and sequence (audit_ids);
- pooled connections are closed and AppConfig's session (its one-use poll token) and the cached
  secret provider dropped: a connection or a token is one environment's, never two.

`uuid.uuid4`, `secrets` and `os.urandom` read the kernel's generator at every call, which Lambda
reseeds on restore, so request tokens and reset secrets need nothing here.

When the environment is initialised for a snapshot (`AWS_LAMBDA_INITIALIZATION_TYPE` is
`snap-start`), modules build their clients at import (`SNAPSHOTTING`), so that a restore starts
with boto3 imported and the clients built, which is most of today's cold start; no connection
is opened before the snapshot.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

if TYPE_CHECKING:
    from functools import _lru_cache_wrapper  # typeshed's name for what `cache` returns

SNAPSHOTTING: Final = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start"

_callbacks: list[Callable[[], None]] = []


def on_new_environment(callback: Callable[[], None]) -> Callable[[], None]:
    """Run `callback` in every environment copied from this one (restored or forked)."""
    _callbacks.append(callback)
    return callback


class _Closable(Protocol):
    def close(self) -> None: ...


Client = TypeVar("Client", bound=_Closable)


def kept_client(build: Callable[[], Client]) -> _lru_cache_wrapper[Client]:
    """`build`'s client, made once per execution environment (`cache_clear` forgets it).

    Building a client is what a snapshot saves, so it is built at import when snapshotting and
    kept across a restore; its pooled connections are the original environment's sockets, so a
    new environment closes them and opens its own on the next request.
    """
    kept: Any = cache(build)

    @on_new_environment
    def _close_connections() -> None:
        if kept.cache_info().currsize:
            kept().close()

    if SNAPSHOTTING:
        kept()
    return kept  # type: ignore[no-any-return]


def new_environment() -> None:
    """Make this copy's state its own; called by the runtime after a restore and by fork()."""
    random.seed()  # from os.urandom
    for callback in _callbacks:
        callback()


def register_with_runtime() -> bool:
    """Have Lambda's Python runtime call `new_environment` after every restore from a snapshot;
    False where there is no such runtime (tests, `serve`), in which only fork() copies a process."""
    try:
        from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found]
    except ImportError:
        return False
    register_after_restore(new_environment)
    return True


os.register_at_fork(after_in_child=new_environment)
register_with_runtime()
