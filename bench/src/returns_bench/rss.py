"""This process's memory as the operating system sees it: kept apart so the memory run's worker can read it
without importing the bench's scenarios (and the sandbox with them) into the product's process."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

__all__ = ["peak_rss_mb", "rss_now_mb"]


def rss_now_mb() -> float | None:
    """The resident set now, from /proc (Linux), in MB; None where there is no /proc."""
    return _proc_status_mb("VmRSS:")


def peak_rss_mb() -> float:
    """The highest resident set of this process so far, in MB.

    On Linux, ``VmHWM`` from /proc: this process's own high-water mark. Not ``ru_maxrss`` there: Linux carries
    the parent's high-water mark over ``fork`` and ``exec`` (``getrusage`` takes the larger of the two), so a
    worker started by a bench process holding 20,000 seeded returns reported that process's ~770 MB as its
    own peak. Elsewhere ``ru_maxrss`` (KB on most systems, bytes on macOS).
    """
    hwm = _proc_status_mb("VmHWM:")
    if hwm is not None:
        return hwm
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def _proc_status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None
