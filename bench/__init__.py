"""Benchmark harness for returns-sync: the six syncs against the sandbox, measured as ratios (see README.md).

Not part of the installed package and never imported by production code. Run it with
``uv run returns-sync bench`` or ``uv run python -m bench``.
"""

from __future__ import annotations

__all__ = ["harness", "metrics", "probes", "report", "scenarios"]
