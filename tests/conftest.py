"""Test-wide settings: no test may reach beyond localhost."""

from __future__ import annotations

import os

# Prefect must never phone home or pick up a user's profile during tests.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# The test harness's Prefect server keeps its state in SQLite; with five posting threads and lost-answer
# hangs, a write can wait longer than the default busy timeout ("database is locked" seen in CI).
os.environ.setdefault("PREFECT_SERVER_DATABASE_TIMEOUT", "60")
# Task retries back off 0.2, 0.4, 0.8 s here instead of 2, 4, 8 s: the same mechanism, less waiting.
os.environ.setdefault("RETURNS_SYNC_TASK_RETRY_BACKOFF", "0.2")


import pytest


@pytest.fixture(scope="session")
def prefect_api():
    """One ephemeral Prefect API (temporary SQLite database) for every test in the session that needs one."""
    from prefect.testing.utilities import prefect_test_harness

    # The machine is shared; give the temporary server time to start under load.
    with prefect_test_harness(server_startup_timeout=180):
        yield
