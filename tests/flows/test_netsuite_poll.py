"""The NetSuite poll against the sandbox (issue 13 item 1): one SuiteQL query per store and poll, the returns whose RAs
changed in NetSuite handed on (and only those), and their NetSuite-driven syncs taking the change to Loop.

The oracle is the sandbox's own story: ``advance()`` receives some returns' goods in NetSuite, closes some RAs and sets
some flags there, and processes or cancels others in Loop. The poll must hand on exactly the first kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.flow, pytest.mark.slow]

RETURNS = 31  # the seed's minimum: every scenario, NetSuite receipts, RA closings and flags among them
NETSUITE_EVENTS = ("receive_in_netsuite", "close_ra_in_netsuite", "flag_in_netsuite")


@pytest.fixture(scope="module")
def world(prefect_api: None, own_ledger: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A fresh sandbox and ledger whose RAs ra_sync has just made, and a poll of every store started before."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from returns_sandbox.testing import Sandbox
    from returns_sync.blocks.connection_info import store_settings_from_connection_info
    from returns_sync.domain.syncs import SyncName
    from returns_sync.flows.run_all import run_all
    from returns_sync.service.netsuite_poll import NetSuitePoll
    from returns_sync.tasks.runtime import SETTINGS_CACHE

    sandbox = Sandbox(data_dir=Path(tmp_path_factory.mktemp("sandbox-poll")))
    try:
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            seeded = sandbox.seed_demo(seed=11, returns=RETURNS)
            sandbox.start()
            info = sandbox.connection_info()
            stores = sorted(info["stores"])
            for store in stores:
                settings = store_settings_from_connection_info(info, store)
                settings.save(settings.block_name, overwrite=True)
            SETTINGS_CACHE.reset()
            handed: list[tuple[str, str]] = []
            poll = NetSuitePoll(stores, lambda store, rid: handed.append((store, rid)))
            for store in stores:
                state = run_all(store=store, syncs=[SyncName.RA_SYNC], return_state=True)
                assert state.is_completed(), state.message
            yield {"sandbox": sandbox, "world": seeded, "stores": stores, "poll": poll, "handed": handed}
    finally:
        sandbox.close()


def _netsuite_requests(sandbox: Any) -> int:
    return int(sandbox.apps()["netsuite"].stats.requests)


def _poll(world: dict[str, Any]) -> tuple[dict[str, list[str]], int]:
    """One poll of every store: what it handed on, and how many requests NetSuite answered meanwhile."""
    before = _netsuite_requests(world["sandbox"])
    handed = world["poll"].poll_once()
    return handed, _netsuite_requests(world["sandbox"]) - before


def _changed_in_netsuite(world: dict[str, Any]) -> set[tuple[str, str]]:
    """(store, return) of every return whose RA someone received, closed or flagged in NetSuite (the sandbox's log)."""
    sandbox = world["sandbox"]
    flag_fields = {s.key: s.ra_flag_field for s in world["world"].stores}
    changed = set()
    for case in world["world"].returns:
        for event in NETSUITE_EVENTS:
            if event == "flag_in_netsuite" and not flag_fields[case.store]:
                continue
            if sandbox._applied(case.return_id, event):
                changed.add((case.store, case.return_id))
    return changed


def test_the_poll_after_new_ras_costs_one_query_per_store_and_hands_on_nothing(world: dict[str, Any]) -> None:
    handed, requests = _poll(world)
    assert requests == len(world["stores"])
    assert handed == {store: [] for store in world["stores"]}, "new RAs are no news to Loop"


def test_after_the_world_moves_on_it_hands_on_exactly_the_returns_changed_in_netsuite(world: dict[str, Any]) -> None:
    events = world["sandbox"].advance()
    expected = _changed_in_netsuite(world)
    assert events.get("received in NetSuite") and events.get("processed in Loop"), events  # both kinds happened
    handed, requests = _poll(world)
    assert requests == len(world["stores"])
    assert {(store, rid) for store, ids in handed.items() for rid in ids} == expected
    world["after_advance"] = handed


def test_the_handed_returns_runs_take_the_change_to_loop_and_the_next_poll_finds_nothing(world: dict[str, Any]) -> None:
    from returns_sync.flows.run_all import run_all
    from returns_sync.service.dispatcher import NETSUITE_RA_CHANGED, syncs_for_event

    handed = world["after_advance"]
    sandbox, seeded = world["sandbox"], world["world"]
    syncs = list(syncs_for_event(NETSUITE_RA_CHANGED))
    for store, ids in handed.items():
        if ids:
            state = run_all(store=store, return_ids=ids, syncs=syncs, return_state=True)
            assert state.is_completed(), state.message
    cases = {c.return_id: c for c in seeded.returns}
    cancels = {s.key: s.cancel_loop_on_ra_close for s in seeded.stores}
    received = [
        rid
        for ids in handed.values()
        for rid in ids
        if sandbox._applied(rid, "receive_in_netsuite") and cases[rid].lifecycle.received_quantity is None
    ]
    closed = [
        rid for store, ids in handed.items() for rid in ids if sandbox._applied(rid, "close_ra_in_netsuite") and cancels[store]
    ]
    assert received, "the seed receives some returns in full in NetSuite"
    for rid in received:
        assert sandbox.loop.get_return(rid)["state"] == "closed", f"{rid} was received in NetSuite and not processed in Loop"
    for rid in closed:
        assert sandbox.loop.get_return(rid)["state"] == "cancelled", f"{rid}'s RA was closed and the Loop return not cancelled"
    again, requests = _poll(world)
    assert requests == len(world["stores"])
    assert again == {store: [] for store in world["stores"]}, "the runs' own Loop writes are no news from NetSuite"
