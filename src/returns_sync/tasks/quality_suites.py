"""Build the Great Expectations suites the syncs validate with, ahead of the first batch that needs them."""

from __future__ import annotations

__all__ = ["build_quality_suites"]


def build_quality_suites() -> None:
    """Import Great Expectations and build both suites now (seconds), so a long-lived process's first run does not pay it."""
    from returns_sync.quality.refund_suite import REFUND_SUITE
    from returns_sync.quality.return_lines_suite import RETURN_LINES_SUITE
    from returns_sync.quality.runner import GX_SUITES

    for suite in (RETURN_LINES_SUITE, REFUND_SUITE):
        GX_SUITES.get(suite)
