"""Client-side request budgets and concurrency slots, so a sync stays under an API's limits instead of collecting 429s."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from returns_sync.connectors.process_cache import ProcessCache

__all__ = [
    "NETSUITE_ACCOUNT_SLOTS",
    "REQUEST_BUDGETS",
    "REQUEST_BUDGET_DIR_ENV",
    "AccountSlots",
    "RequestBudget",
    "SlidingWindowLimiter",
    "account_slots",
    "shared_limiter",
]

# A directory here makes every process of the machine share one budget per key (``machine_budget``).
REQUEST_BUDGET_DIR_ENV = "RETURNS_SYNC_REQUEST_BUDGET_DIR"


class RequestBudget(Protocol):
    """What a client draws from before every request: ``acquire`` waits for a free slot."""

    waited: float

    def acquire(self) -> None: ...


class SlidingWindowLimiter:
    """At most ``limit`` requests in any ``window`` seconds; ``acquire`` waits for a free slot. Thread-safe."""

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited = 0.0  # total seconds callers spent waiting, for the bench and logs

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and now - self._sent[0] >= self.window:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                wait = self.window - (now - self._sent[0])
            self.waited += wait
            self._sleep(max(wait, 0.001))


# One budget per (hashed credential, limit, shared directory): every client built with the same key shares it.
REQUEST_BUDGETS = ProcessCache[tuple[str, int, str], RequestBudget]("request budgets per API key")


class AccountSlots:
    """Requests in flight to one NetSuite account from this process, at most the smallest limit any client asked for.

    NetSuite counts concurrency per account, whoever sends (stores of one account sharing a worker, tasks in
    threads), so stores whose ``max_netsuite_concurrency`` differ share one count; the strictest setting holds.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._changed = threading.Condition()
        self._limit = limit
        self._in_flight = 0

    @property
    def limit(self) -> int:
        return self._limit

    def allow_at_most(self, limit: int) -> None:
        """Lower the cap to ``limit`` if it is below it (a client of the account with a stricter setting)."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        with self._changed:
            self._limit = min(self._limit, limit)

    def __enter__(self) -> None:
        with self._changed:
            while self._in_flight >= self._limit:
                self._changed.wait()
            self._in_flight += 1

    def __exit__(self, *exc: object) -> None:
        with self._changed:
            self._in_flight -= 1
            self._changed.notify()


# One count of requests in flight per NetSuite account: NetSuite's concurrency limit is account-wide.
NETSUITE_ACCOUNT_SLOTS = ProcessCache[str, AccountSlots]("NetSuite concurrency slots per account")


def shared_limiter(credential: str, limit: int, window: float = 60.0) -> RequestBudget:
    """One limiter per credential per process: every client built with the same key shares its budget.

    With ``RETURNS_SYNC_REQUEST_BUDGET_DIR`` set, the budget is a file there that every process of the
    machine using the directory shares (Loop counts per key, not per process). Keyed by a hash of the
    credential, so the secret itself is never kept here or on disk.
    """
    directory = os.environ.get(REQUEST_BUDGET_DIR_ENV, "").strip()
    key = (hashlib.sha256(credential.encode()).hexdigest()[:16], limit, directory)
    if not directory:
        return REQUEST_BUDGETS.get_or_create(key, lambda: SlidingWindowLimiter(limit, window))
    from returns_sync.connectors.machine_budget import MachineWindowLimiter, budget_file

    return REQUEST_BUDGETS.get_or_create(
        key, lambda: MachineWindowLimiter(budget_file(Path(directory), credential, limit), limit, window)
    )


def account_slots(account_id: str, max_concurrency: int) -> AccountSlots:
    """One count per NetSuite account per process, so every client of the account (stores' flows served side by
    side, tasks in threads) shares the same slots; a client asking for fewer lowers them for all."""
    slots = NETSUITE_ACCOUNT_SLOTS.get_or_create(account_id.upper(), lambda: AccountSlots(max_concurrency))
    slots.allow_at_most(max_concurrency)
    return slots
