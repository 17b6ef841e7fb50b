"""Benchmark harness for returns-sync: the six syncs against the sandbox, measured as ratios (see README.md).

A dev-only workspace member (``bench/``), installed by the repository's dev dependency group; never
imported by production code, and it never imports the product's CLI. Run it with
``uv run returns-sync bench`` or ``uv run python -m returns_bench``.
"""

from __future__ import annotations

__all__ = ["cli", "harness", "metrics", "probes", "report", "scenarios"]
