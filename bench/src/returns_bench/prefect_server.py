"""A Prefect server on PostgreSQL for one bench run, in place of the test harness's server on SQLite.

Why: under the freshness run's load (up to twelve flow runs at once, each writing states, logs, events and
an artifact per sync) the test harness's server on SQLite stopped answering for about a minute at a time:
py-spy showed every run waiting in ``create_artifact`` on the server while its SQLite database was locked,
and every store's runs stalled together (54-58 s gaps in runs that otherwise take 3-5 s). With the same
run against a server on PostgreSQL there was no gap. Prefect recommends PostgreSQL "for production use"
and SQLite for "lightweight, single-server deployments" (https://docs.prefect.io/v3/concepts/server),
so this is also the server a merchant running webhooks at volume would have.

``RETURNS_BENCH_PREFECT_DATABASE`` names a PostgreSQL server (``postgresql://user:password@host:port/db``,
as ``.ci/run`` sets ``RETURNS_SYNC_TEST_PG``); each bench process then creates a database of its own there,
starts ``prefect server start`` on it, points ``PREFECT_API_URL`` at it, and drops the database afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from returns_bench.child_process import wait_until_healthy

__all__ = ["PREFECT_DATABASE_ENV", "prefect_server_on_postgres"]

PREFECT_DATABASE_ENV = "RETURNS_BENCH_PREFECT_DATABASE"
_STARTUP_TIMEOUT_S = 180.0


def _admin(server_url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _database_url(server_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(server_url).set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)


def _execute(server_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(_admin(server_url), autocommit=True) as connection:
        connection.execute(statement)


@contextmanager
def prefect_server_on_postgres(server_url: str, workdir: Path) -> Iterator[str]:
    """Start a Prefect server on a fresh database of ``server_url``; yields its API URL, set as this process's and its children's."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from returns_sandbox.server import free_port

    name = f"returns_bench_prefect_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    _execute(server_url, f'CREATE DATABASE "{name}"')
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    log = (workdir / "prefect-server.log").open("wb")
    env = {
        **os.environ,
        "PREFECT_HOME": str(workdir / "prefect-server-home"),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": _database_url(server_url, name),
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    previous = os.environ.get("PREFECT_API_URL")
    try:
        wait_until_healthy(server, f"{api_url}/health", what="the Prefect server", timeout_s=_STARTUP_TIMEOUT_S)
        os.environ["PREFECT_API_URL"] = api_url
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            yield api_url
    finally:
        if previous is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        _execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
