"""Quarantined returns come back on a doubling schedule, capped, rather than on every run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from returns_sync.tasks.cursors import quarantine_retry_due

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("attempts", "minutes_ago", "due"),
    [
        (1, 29, False),
        (1, 30, True),  # first retry after 30 min: the next 90-minute sweep always retries
        (2, 59, False),
        (2, 60, True),
        (4, 239, False),
        (4, 240, True),
        (30, 719, False),
        (30, 720, True),  # never more than 12 h between tries
    ],
)
def test_quarantine_retry_schedule(attempts, minutes_ago, due):
    assert quarantine_retry_due(attempts, NOW - timedelta(minutes=minutes_ago), NOW) is due
