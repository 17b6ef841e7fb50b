"""Ledger fixtures: a migrated ledger on SQLite (temporary file) and on a fresh PostgreSQL database."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from pytest_postgresql import factories
from sqlalchemy.engine import URL, make_url

from returns_sync.ledger import Ledger

PG_ENV = "RETURNS_SYNC_TEST_PG"
_PG = make_url(os.environ[PG_ENV]) if os.environ.get(PG_ENV) else None

# One template database per test session (named per process so parallel runs on one server never
# collide); each test gets a fresh copy of it and drops it afterwards.
postgresql_noproc_fixture = factories.postgresql_noproc(
    host=_PG.host if _PG else "127.0.0.1",
    port=_PG.port if _PG and _PG.port else 5432,
    user=_PG.username if _PG else "postgres",
    password=_PG.password if _PG else None,
    dbname=f"returns_sync_ledger_{os.getpid()}",
)
ledger_pg = factories.postgresql("postgresql_noproc_fixture")


def require_postgres() -> None:
    """Skip when no PostgreSQL is configured, except on CI where a missing server is a failure."""
    if _PG is not None:
        return
    message = f"{PG_ENV} is not set: no PostgreSQL server for the ledger tests (.ci/run starts one and sets it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {message}")
    pytest.skip(message)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> URL:
    """URL of a fresh, empty PostgreSQL database for this test."""
    require_postgres()
    connection = request.getfixturevalue("ledger_pg")
    info = connection.info
    return URL.create(
        "postgresql+psycopg",
        username=info.user,
        password=info.password,
        host=info.host,
        port=info.port,
        database=info.dbname,
    )


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str | URL:
    """An empty database of each supported kind."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def ledger(database_url: str | URL) -> Iterator[Ledger]:
    """A migrated ledger on SQLite and on PostgreSQL."""
    instance = Ledger(database_url)
    instance.migrate()
    try:
        yield instance
    finally:
        # The PostgreSQL test database is dropped next; no pooled connection may hold it open.
        instance.dispose()
