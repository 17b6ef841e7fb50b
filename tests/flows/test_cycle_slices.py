"""A backlog bigger than a slice, end to end: run_all lists and runs it a slice at a time (issue 12, memory), and every
return still ends as the seed expects, each slice held no more than a slice's returns (unless one second held more),
and the cursors end where one whole listing would have left them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.flow, pytest.mark.slow]

RETURNS = 31  # the seed's minimum: every scenario, and each store's same-second burst of open returns
SLICE = 8  # returns a slice holds here; north and south have about 30 each in their window, east and west none
STORES = ("north", "south")


@pytest.fixture(scope="module")
def sliced(prefect_api: None, own_ledger: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two passes of run_all per store with slices of ``SLICE``; every listing the cycles accepted is recorded."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from returns_sandbox.testing import Sandbox
    from returns_sync.blocks.connection_info import store_settings_from_connection_info
    from returns_sync.flows.run_all import run_all
    from returns_sync.tasks import cycle_slices, shared_loop_listing
    from returns_sync.tasks.runtime import SETTINGS_CACHE

    listings: list[tuple[str, Any]] = []
    original = shared_loop_listing._listed_between

    def recorded(*args: Any, **kwargs: Any) -> Any:
        listed = original(*args, **kwargs)
        if isinstance(listed, shared_loop_listing.SharedLoopListing):
            listings.append((pass_name, listed))
        return listed

    pass_name = "first"
    sandbox = Sandbox(data_dir=Path(tmp_path_factory.mktemp("sandbox-slices")))
    patch = pytest.MonkeyPatch()
    patch.setattr(cycle_slices, "SLICE_RETURNS", SLICE)
    patch.setattr(shared_loop_listing, "_listed_between", recorded)
    try:
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            world = sandbox.seed_demo(seed=11, returns=RETURNS)
            sandbox.start()
            info = sandbox.connection_info()
            for store in info["stores"]:
                settings = store_settings_from_connection_info(info, store)
                settings.save(settings.block_name, overwrite=True)
            SETTINGS_CACHE.reset()
            stores = list(STORES)
            states: dict[str, list[Any]] = {}
            for pass_name in ("first", "second"):
                for store in stores:
                    states.setdefault(pass_name, []).append(run_all(store=store, return_state=True))
                sandbox.advance()
            yield {"sandbox": sandbox, "world": world, "stores": stores, "states": states, "listings": listings}
    finally:
        patch.undo()
        sandbox.close()


def test_every_run_completes(sliced: dict[str, Any]) -> None:
    for pass_name, states in sliced["states"].items():
        for state in states:
            assert state.is_completed(), f"{pass_name}: {state.message}"


def test_the_backlog_was_run_in_slices(sliced: dict[str, Any]) -> None:
    first = [listing for name, listing in sliced["listings"] if name == "first" and listing.store == "north"]
    assert len(first) >= 3, [listing.size for listing in first]
    assert not first[0].last and first[-1].last
    # Each slice starts where the one before ended, and the last reaches the cycle's end.
    for earlier, later in itertools.pairwise(first):
        assert later.continues_from == earlier.end == later.start
    assert first[-1].end == first[-1].cycle_end


def test_no_slice_holds_more_than_a_slice_unless_one_second_did(sliced: dict[str, Any]) -> None:
    from returns_sync.tasks.cycle_slices import sliceable

    for _, listing in sliced["listings"]:
        assert listing.size <= SLICE or not sliceable(listing.start, listing.end), (listing.size, listing.start, listing.end)


def test_every_return_ends_as_the_seed_expects(sliced: dict[str, Any]) -> None:
    from returns_sandbox.testing import verify_world
    from returns_sync.tasks.runtime import ledger_for

    with ledger_for().session() as repo:
        quarantined = {e.loop_return_id: e.rule for store in sliced["stores"] for e in repo.open_quarantine(store)}
    report = verify_world(sliced["world"], sliced["sandbox"].netsuite.conn, sliced["sandbox"].loop, quarantined)
    assert report.failures == [], "\n".join(f"{c.return_id} {c.scenario}: {c.problems}" for c in report.failures[:20])


def test_the_cursors_end_at_the_cycle_end(sliced: dict[str, Any]) -> None:
    """As after one whole listing: the last slice's syncs moved each Loop-driven cursor with the cycle's end as its
    run start, so the next cycle reads from there (and knows what it handled)."""
    from returns_sync.domain.syncs import SyncName
    from returns_sync.tasks.runtime import ledger_for

    last = [listing for name, listing in sliced["listings"] if name == "second" and listing.store == "north"][-1]
    with ledger_for().session() as repo:
        for sync in (SyncName.RA_SYNC, SyncName.ITEM_RECEIPT_TO_NETSUITE, SyncName.REFUND_SYNC, SyncName.RETURN_CANCELLATION):
            cursor = repo.get_cursor("north", sync)
            assert cursor.run_started_at is not None and cursor.run_started_at >= last.cycle_end, (sync, cursor)
