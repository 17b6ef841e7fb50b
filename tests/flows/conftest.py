"""One seeded sandbox run through the whole lifecycle (both stores, two passes) on real sockets, shared by the flow tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# Enough returns for every scenario and quarantine rule (the seed's minimum is 31), small enough for CI.
FLOW_TEST_RETURNS = int(os.environ.get("RETURNS_SYNC_FLOW_TEST_RETURNS", "90"))


@dataclass
class Lifecycle:
    sandbox: Any
    world: Any
    stores: list[str]
    first: dict[str, Any] = field(default_factory=dict)
    second: dict[str, Any] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    first_run_ids: dict[str, Any] = field(default_factory=dict)  # store -> the first run_all's flow run id
    second_run_ids: dict[str, Any] = field(default_factory=dict)  # store -> the second run_all's flow run id
    cursors_after_first: dict[tuple[str, str], Any] = field(default_factory=dict)  # (store, sync) -> Cursor

    def cursor(self, store: str, sync: str) -> Any:
        from returns_sync.tasks.runtime import ledger_for

        with ledger_for().session() as repo:
            return repo.get_cursor(store, sync)

    def quarantined(self) -> dict[str, Any]:
        from returns_sync.tasks.runtime import ledger_for

        with ledger_for().session() as repo:
            return {e.loop_return_id: e for store in self.stores for e in repo.open_quarantine(store)}

    def transactions(self) -> list[dict[str, Any]]:
        columns = ("id", "type", "status", "externalid", "foreigntotal", "createdfrom", "lastmodifieddate")
        with self.sandbox.netsuite.lock:
            rows = self.sandbox.netsuite.conn.execute(f'SELECT {", ".join(columns)} FROM "transaction" ORDER BY id').fetchall()
        return [dict(zip(columns, row)) for row in rows]


def save_store_blocks(sandbox: Any) -> None:
    """Save the StoreSettings blocks the flows load, exactly as a merchant would (no in-memory shortcut)."""
    from returns_sync.blocks.connection_info import store_settings_from_connection_info
    from returns_sync.tasks.runtime import SETTINGS_CACHE

    info = sandbox.connection_info()
    for store in info["stores"]:
        settings = store_settings_from_connection_info(info, store)
        settings.save(settings.block_name, overwrite=True)
    SETTINGS_CACHE.reset()


@contextmanager
def _ledger_at(url: str) -> Iterator[str]:
    """The flows use the ledger at ``url`` until exit, then the one they used before."""
    from returns_sync.tasks.runtime import LEDGERS

    previous = os.environ.get("RETURNS_SYNC_LEDGER_URL")
    os.environ["RETURNS_SYNC_LEDGER_URL"] = url
    LEDGERS.reset()
    try:
        yield url
    finally:
        if previous is None:
            os.environ.pop("RETURNS_SYNC_LEDGER_URL", None)
        else:
            os.environ["RETURNS_SYNC_LEDGER_URL"] = previous
        LEDGERS.reset()


@pytest.fixture(scope="session")
def flow_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _ledger_at(f"sqlite:///{tmp_path_factory.mktemp('flow-ledger') / 'ledger.db'}") as url:
        yield url


@pytest.fixture(scope="module")
def own_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ledger of the module's own (a fresh SQLite file) in place of the session's, restored afterwards."""
    from returns_sync.tasks.runtime import SETTINGS_CACHE

    with _ledger_at(f"sqlite:///{tmp_path_factory.mktemp('own-ledger') / 'ledger.db'}") as url:
        yield url
        SETTINGS_CACHE.reset()


@pytest.fixture(scope="session")
def lifecycle(prefect_api: None, flow_ledger: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lifecycle]:
    """Seed, run all six syncs per store, let the world move on (warehouse, customers, accountants), run them again."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from returns_sandbox.testing import Sandbox
    from returns_sync.flows.run_all import run_all

    heartbeats_off = temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
    heartbeats_off.__enter__()  # one process, no worker to lose: skip the per-run heartbeat thread join
    sandbox = Sandbox(data_dir=Path(tmp_path_factory.mktemp("sandbox")))
    world = sandbox.seed_demo(seed=11, returns=FLOW_TEST_RETURNS)
    sandbox.start()
    save_store_blocks(sandbox)
    run = Lifecycle(sandbox=sandbox, world=world, stores=[s.key for s in world.stores])
    for store in run.stores:
        state = run_all(store=store, return_state=True)
        assert state.is_completed(), state.message
        run.first[store] = state.result()
        run.first_run_ids[store] = state.state_details.flow_run_id
        for sync in ("item_receipt_to_loop", "ra_cancellation"):
            run.cursors_after_first[(store, sync)] = run.cursor(store, sync)
    run.events = sandbox.advance()
    for store in run.stores:
        state = run_all(store=store, return_state=True)
        assert state.is_completed(), state.message
        run.second[store] = state.result()
        run.second_run_ids[store] = state.state_details.flow_run_id
    yield run
    sandbox.close()
    heartbeats_off.__exit__(None, None, None)


@pytest.fixture(scope="module")
def lifecycle_blocks(lifecycle: Lifecycle) -> Lifecycle:
    """The lifecycle world's store blocks, saved again for each module that uses it.

    The world is built once per worker, but another module of the same worker may have saved store blocks
    naming its own sandbox since, and closed it (test_shipping_left_out.py does): the flows would then
    reach a closed port.
    """
    save_store_blocks(lifecycle.sandbox)
    return lifecycle
