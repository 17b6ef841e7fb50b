"""A request budget every process on one machine shares: a sliding window kept in a file under an exclusive lock.

Loop counts its 300 requests a minute per API key, not per process
(https://docs.loopreturns.com/api-reference/rate-limit), so the workers of one store that run side by
side must draw from one budget. The window's send times live in a small file; ``flock`` serialises
the processes (and, through a thread lock, the threads of one process). POSIX only.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["MachineWindowLimiter", "budget_file"]


def budget_file(directory: Path, credential: str, limit: int) -> Path:
    """The file of one credential's budget: named by a hash, so the secret never appears on disk."""
    digest = hashlib.sha256(credential.encode()).hexdigest()[:16]
    return directory / f"budget-{digest}-{limit}.txt"


class MachineWindowLimiter:
    """At most ``limit`` requests in any ``window`` seconds across every process that uses ``path``.

    Send times are wall-clock seconds (``time.time``): processes share no other clock. ``acquire``
    waits for a free slot like ``SlidingWindowLimiter.acquire``.
    """

    def __init__(
        self,
        path: Path,
        limit: int,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._thread_lock = threading.Lock()  # flock is per open file; threads of a process take turns first
        self.waited = 0.0
        self.last_sent: float | None = None  # the send time the last ``acquire`` recorded

    def acquire(self) -> None:
        while True:
            wait = self._take_slot()
            if wait is None:
                return
            self.waited += wait
            self._sleep(max(wait, 0.001))

    def _take_slot(self) -> float | None:
        """Record a send now and return None, or return how long until the oldest send leaves the window."""
        with self._thread_lock, self.path.open("a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
            handle.seek(0)
            now = self._clock()
            # A send time ahead of now (the clock was set back) is dropped rather than kept for longer than a window.
            sent = sorted(stamp for stamp in _stamps(handle.read()) if 0 <= now - stamp < self.window)
            if len(sent) >= self.limit:
                return self.window - (now - sent[0])
            sent.append(now)
            self.last_sent = now
            handle.seek(0)
            handle.truncate()
            handle.write("\n".join(f"{stamp:.6f}" for stamp in sent))
            handle.flush()
            return None


def _stamps(text: str) -> list[float]:
    """The send times in the file; a line cut short by a killed writer, or not a time, is dropped (one send fewer counted)."""
    stamps: list[float] = []
    for line in text.split():
        try:
            stamp = float(line)
        except ValueError:
            continue
        if math.isfinite(stamp):
            stamps.append(stamp)
    return stamps
