"""Client-side request budgets, so a sync stays under an API's documented rate limit instead of collecting 429s."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from typing import Callable

__all__ = ["SlidingWindowLimiter", "shared_limiter"]


class SlidingWindowLimiter:
    """At most ``limit`` requests in any ``window`` seconds; ``acquire`` waits for a free slot. Thread-safe."""

    def __init__(self, limit: int, window: float = 60.0, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
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


_shared: dict[tuple[str, int], SlidingWindowLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(credential: str, limit: int, window: float = 60.0) -> SlidingWindowLimiter:
    """One limiter per credential per process: every client built with the same key shares its budget.

    Keyed by a hash of the credential, so the secret itself is never kept here.
    """
    key = (hashlib.sha256(credential.encode()).hexdigest()[:16], limit)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = SlidingWindowLimiter(limit, window)
        return _shared[key]
