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


# The longest files (minutes each: a chaos run twice over, a production setup on PostgreSQL, the first demo),
# in the order they should start. With pytest-xdist handing out whole files, a long file picked up last
# would run alone at the end while the other workers sit idle.
_LONGEST_FIRST = (
    "tests/chaos/test_chaos_command.py",
    "tests/e2e/test_production_setup.py",
    "tests/cli/test_demo_fresh_machine.py",
    "tests/deploy/test_serve_server.py",
    "tests/bench/test_harness.py",
    "tests/bench/test_freshness.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start the longest files first, then files with slow tests; a file's tests stay together and in order."""

    def path(item: pytest.Item) -> str:
        return item.nodeid.split("::", 1)[0]

    slow_files = {path(item) for item in items if item.get_closest_marker("slow")}

    def rank(item: pytest.Item) -> tuple[int, int]:
        file = path(item)
        if file in _LONGEST_FIRST:
            return (0, _LONGEST_FIRST.index(file))
        return (1, 0) if file in slow_files else (2, 0)

    items.sort(key=rank)
