"""One run per sync and store at a time, across processes and machines, through the ledger's named lock.

A run that finds the lock taken waits ``run_lock_wait()`` seconds (``RETURNS_SYNC_RUN_LOCK_WAIT``,
default 15) for the other run to finish, then gives up: the other run is doing the same work, and
anything it started too early to see is in the next run's window, so nothing is lost by skipping.
Why the ledger holds the lock rather than Prefect: see ``returns_sync.ledger.run_lock``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from returns_sync.domain.syncs import SyncName
from returns_sync.tasks.runtime import ledger_for

__all__ = ["DEFAULT_RUN_LOCK_WAIT", "RUN_LOCK_WAIT_ENV", "exclusive_run", "run_lock_name", "run_lock_wait"]

RUN_LOCK_WAIT_ENV = "RETURNS_SYNC_RUN_LOCK_WAIT"
DEFAULT_RUN_LOCK_WAIT = 15.0


def run_lock_name(store: str, sync: SyncName) -> str:
    """``run:<sync>:<store>``, e.g. ``run:ra_sync:north``."""
    return f"run:{sync}:{store}"


def run_lock_wait() -> float:
    """Seconds a run waits for another run of its sync and store before skipping.

    Raises:
        ValueError: ``RETURNS_SYNC_RUN_LOCK_WAIT`` is set but not a number of seconds ≥ 0.
    """
    raw = os.environ.get(RUN_LOCK_WAIT_ENV, "").strip()
    if not raw:
        return DEFAULT_RUN_LOCK_WAIT
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(f"{RUN_LOCK_WAIT_ENV} must be a number of seconds, not {raw[:32]!r}") from None
    if not seconds >= 0:  # also refuses NaN
        raise ValueError(f"{RUN_LOCK_WAIT_ENV} must be 0 or more seconds, not {raw[:32]!r}")
    return seconds


@contextmanager
def exclusive_run(store: str, sync: SyncName, *, wait: float | None = None) -> Iterator[bool]:
    """Hold the (store, sync) lock for the ``with`` block; yields False when another run kept it for ``wait`` s."""
    with ledger_for().hold_lock(run_lock_name(store, sync), wait=run_lock_wait() if wait is None else wait) as held:
        yield held
