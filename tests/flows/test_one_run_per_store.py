"""One run per sync and store at a time: two real runs of ra_sync against the sandbox, on SQLite and PostgreSQL.

The issue this guards: two runs of one sync for one store at once both did the work (harmless only
by luck of idempotency). Now the second waits briefly for the ledger's lock, then skips, says why in
its state, summary and artifact, and posts nothing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import make_url

pytestmark = [pytest.mark.flow, pytest.mark.slow]

STORE = "north"
WAIT = 0.5  # seconds a run waits for the lock here; the other run takes far longer (Loop answers slowly)
PG_ENV = "RETURNS_SYNC_TEST_PG"


def _postgres_database(name: str) -> Iterator[str]:
    """A fresh PostgreSQL database on the server .ci/run starts; dropped afterwards."""
    import psycopg

    raw = os.environ.get(PG_ENV)
    if not raw:
        message = f"{PG_ENV} is not set: no PostgreSQL server (.ci/run starts one and sets it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    server = make_url(raw)
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path, monkeypatch) -> Iterator[str]:
    """The ledger every run in this test uses (``RETURNS_SYNC_LEDGER_URL``), and a short lock wait."""
    from returns_sync.tasks.exclusive_run import RUN_LOCK_WAIT_ENV
    from returns_sync.tasks.runtime import LEDGERS

    if request.param == "sqlite":
        databases: Iterator[str] = iter([f"sqlite:///{tmp_path / 'ledger.db'}"])
    else:
        databases = _postgres_database(f"returns_sync_run_lock_{os.getpid()}")
    url = next(databases)
    monkeypatch.setenv("RETURNS_SYNC_LEDGER_URL", url)
    monkeypatch.setenv(RUN_LOCK_WAIT_ENV, str(WAIT))
    LEDGERS.reset()
    yield url
    LEDGERS.reset()  # no pooled connection may hold the PostgreSQL database open while it is dropped
    next(databases, None)


@pytest.fixture
def sandbox(prefect_api: None, ledger_url: str) -> Iterator[Any]:
    """A seeded sandbox whose Loop answers slowly, so one ra_sync run lasts seconds; settings registered in memory."""
    from returns_sandbox.testing import demo_sandbox
    from returns_sync.blocks.connection_info import store_settings_from_connection_info
    from returns_sync.tasks.runtime import use_store_settings

    with demo_sandbox(returns=31, seed=5, faults={"loop": {"latency_ms": 1500}}) as sandbox:
        use_store_settings(store_settings_from_connection_info(sandbox.connection_info(), STORE))
        try:
            yield sandbox
        finally:
            use_store_settings(None, store=STORE)


def ra_transactions(sandbox: Any) -> list[str]:
    with sandbox.netsuite.lock:
        rows = sandbox.netsuite.conn.execute(
            "SELECT externalid FROM \"transaction\" WHERE type = 'RtnAuth' AND externalid LIKE 'loop-%' ORDER BY id"
        ).fetchall()
    return [row[0] for row in rows]


def run_concurrently(count: int) -> list[Any]:
    """``count`` ra_sync runs for STORE started at the same moment from threads; their final states."""
    from returns_sync.flows.ra_sync import ra_sync

    start = threading.Barrier(count)
    states: list[Any] = [None] * count

    def run(slot: int) -> None:
        start.wait(30)
        states[slot] = ra_sync(store=STORE, return_state=True)

    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    return states


def test_two_concurrent_runs_one_works_and_the_other_skips(sandbox) -> None:
    states = run_concurrently(2)

    assert all(state is not None and state.is_completed() for state in states), [s and s.message for s in states]
    skipped = [s for s in states if s.name == "Skipped"]
    worked = [s for s in states if s.name != "Skipped"]
    assert len(skipped) == 1 and len(worked) == 1, [(s.name, s.message) for s in states]
    reason = f"another run of ra_sync holds store {STORE} (waited {WAIT:g} s)"
    assert skipped[0].message == f"Skipped: {reason}"
    summary = skipped[0].result()
    assert (summary["skipped"], summary["counts"], summary["created"]) == (reason, {}, 0)
    done = worked[0].result()
    assert done["skipped"] is None
    assert done["counts"]["Loop returns read"] > 0 and done["created"] > 0
    # The RAs were created once, by the run that held the store.
    created = ra_transactions(sandbox)
    assert len(created) == len(set(created)) == done["created"]


def test_a_run_skips_while_another_process_holds_the_store_and_works_once_it_is_free(sandbox) -> None:
    from returns_sync.domain.syncs import SyncName
    from returns_sync.flows.ra_sync import ra_sync

    # Another holder on the same ledger (a worker elsewhere would take the same lock); a separate engine.
    from returns_sync.ledger import Ledger
    from returns_sync.tasks.exclusive_run import run_lock_name
    from returns_sync.tasks.runtime import ledger_for

    other = Ledger(str(ledger_for().engine.url.render_as_string(hide_password=False)))
    try:
        with other.hold_lock(run_lock_name(STORE, SyncName.RA_SYNC), wait=0) as held:
            assert held
            blocked = ra_sync(store=STORE, return_state=True)
        assert (blocked.name, blocked.result()["counts"]) == ("Skipped", {})
        assert ra_transactions(sandbox) == []
        free = ra_sync(store=STORE, return_state=True)
        assert free.is_completed() and free.name != "Skipped", free.message
        assert free.result()["created"] == len(ra_transactions(sandbox)) > 0
    finally:
        other.dispose()
