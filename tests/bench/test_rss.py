"""A process's peak RSS is its own: Linux carries a parent's high-water mark into ``ru_maxrss`` across fork and exec,
so the memory run's worker, started by a bench process holding a large seeded sandbox, reported that process's peak."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the carried-over high-water mark is Linux's")
def test_a_child_started_by_a_large_process_reports_its_own_peak() -> None:
    ballast = bytearray(300 * 1024 * 1024)
    for offset in range(0, len(ballast), 4096):
        ballast[offset] = 1  # resident, not only reserved
    code = (
        "import json, resource; from returns_bench.rss import peak_rss_mb, rss_now_mb;"
        "print(json.dumps([peak_rss_mb(), rss_now_mb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))"
    )
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    peak, now, inherited = json.loads(answer.stdout)
    del ballast
    assert inherited > 300  # what ru_maxrss says: this process's 300 MB and more
    assert now <= peak < 200  # the child's own: an interpreter and one module
