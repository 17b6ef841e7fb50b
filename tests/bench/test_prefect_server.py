"""The bench's Prefect server on PostgreSQL: it answers, records a flow run, and leaves no database behind.

Why it exists (returns_bench/prefect_server.py): the test harness's server on SQLite stalled every store's runs for
about a minute at a time under the freshness run's load. This test needs the PostgreSQL server .ci/run starts.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from prefect import flow

from returns_bench.prefect_server import prefect_server_on_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PG_ENV = "RETURNS_SYNC_TEST_PG"


@flow(name="bench-server-probe")
def probe() -> int:
    return 7


def _databases(server_url: str) -> set[str]:
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        return {row[0] for row in connection.execute("SELECT datname FROM pg_database")}


def test_a_flow_run_is_recorded_on_a_fresh_database_that_is_dropped_afterwards(tmp_path: Path) -> None:
    server_url = os.environ.get(PG_ENV)
    if not server_url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {PG_ENV} is not set")
        pytest.skip(f"{PG_ENV} is not set: no PostgreSQL server (.ci/run starts one and sets it)")
    from prefect import get_client

    before = _databases(server_url)
    with prefect_server_on_postgres(server_url, tmp_path) as api_url:
        # This process's: other xdist workers (and benches) create and drop databases on the same server meanwhile.
        ours = {name for name in _databases(server_url) - before if name.startswith(f"returns_bench_prefect_{os.getpid()}_")}
        assert len(ours) == 1
        assert os.environ["PREFECT_API_URL"] == api_url
        assert probe() == 7
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs()
        assert [(run.name is not None, run.state_type.value if run.state_type else None) for run in runs] == [(True, "COMPLETED")]
    assert not ours & _databases(server_url), f"{ours} was not dropped"
    assert os.environ.get("PREFECT_API_URL") != api_url
