"""This process's memory as the operating system sees it: kept apart so the memory run's worker can read it
without importing the bench's scenarios (and the sandbox with them) into the product's process."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

__all__ = ["peak_rss_mb", "rss_now_mb"]


def rss_now_mb() -> float | None:
    """The resident set now, from /proc (Linux), in MB; None where there is no /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """The highest resident set so far (``ru_maxrss``: KB on Linux, bytes on macOS), in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)
