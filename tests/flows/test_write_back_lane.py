"""Within run_all a sync's NetSuite numbers are written back while the next syncs run (issue 12: the notes spend Loop's
budget, not the store's turn at NetSuite), one sync's write-back after another, and a failed write-back is reported
without stopping the next one."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from prefect import flow, task

from returns_sync.domain.syncs import SyncName
from returns_sync.flows import netsuite_numbers
from returns_sync.flows.netsuite_numbers import WriteBackLane, write_back_netsuite_numbers
from returns_sync.flows.run_all import _add_write_backs
from returns_sync.tasks.results import BatchResult, PostedRecord
from returns_sync.tasks.retry import RETRY_OPTIONS

pytestmark = [pytest.mark.flow]

events: list[tuple[str, SyncName]] = []
running = threading.Lock()
next_sync_ran = threading.Event()


@task(**{**RETRY_OPTIONS, "retries": 0})
def recording_write_back(store: str, sync: SyncName, return_ids: list[str], dry_run: bool = False) -> BatchResult:
    if not running.acquire(blocking=False):
        raise AssertionError("two write-backs of one run_all ran at once")
    try:
        events.append(("write-back started", sync))
        if sync == SyncName.RA_SYNC:
            # ra_sync's write-back ends only once the next sync has run: it cannot have been waited for.
            assert next_sync_ran.wait(timeout=20), "the next sync waited for ra_sync's write-back"
        if sync == SyncName.ITEM_RECEIPT_TO_NETSUITE:
            raise ValueError("Loop refused the note")
        result = BatchResult(sync=sync, store=store)
        result.count("Loop note written", len(return_ids))
        events.append(("write-back ended", sync))
        return result
    finally:
        running.release()


def _posted(sync: SyncName, *return_ids: str) -> BatchResult:
    result = BatchResult(sync=sync, store="north")
    for rid in return_ids:
        result.created.append(PostedRecord(rid, f"#{rid}", "returnAuthorization", "1", f"loop-north-{rid}-ra"))
    return result


def test_write_backs_run_behind_the_syncs_one_at_a_time(prefect_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netsuite_numbers, "write_back_task", recording_write_back)
    events.clear()
    next_sync_ran.clear()

    @flow(name="write-back-lane-probe")
    def probe() -> tuple[dict[SyncName, Any], list[tuple[SyncName, str | None]]]:
        lane = WriteBackLane("north")
        summaries: dict[SyncName, Any] = {}
        for sync, ids in (
            (SyncName.RA_SYNC, ("1", "2")),
            (SyncName.ITEM_RECEIPT_TO_NETSUITE, ("1",)),
            (SyncName.REFUND_SYNC, ("2",)),
        ):
            with lane.taking():
                result = write_back_netsuite_numbers(_posted(sync, *ids))
            events.append(("sync ended", sync))
            summaries[sync] = {"counts": dict(result.counts), "loop_actions": 0, "errors": 0}
            if sync == SyncName.ITEM_RECEIPT_TO_NETSUITE:
                next_sync_ran.set()
        failed: list[tuple[SyncName, str | None]] = []
        assert _add_write_backs(lane, summaries, failed) is None
        return summaries, failed

    summaries, failed = probe()
    # ra_sync ended before its write-back did; the lane ran them in the syncs' order, never two at once.
    assert events.index(("sync ended", SyncName.RA_SYNC)) < events.index(("write-back ended", SyncName.RA_SYNC))
    started = [sync for what, sync in events if what == "write-back started"]
    assert started == [SyncName.RA_SYNC, SyncName.ITEM_RECEIPT_TO_NETSUITE, SyncName.REFUND_SYNC]
    # Each sync's summary gains its write-back's counts; the failed one is reported and the next still ran.
    assert summaries[SyncName.RA_SYNC]["counts"]["Loop note written"] == 2
    assert summaries[SyncName.RA_SYNC]["counts"]["returns whose NetSuite numbers run_all writes back"] == 2
    assert summaries[SyncName.REFUND_SYNC]["counts"]["Loop note written"] == 1
    assert [(sync, "Loop refused the note" in (message or "")) for sync, message in failed] == [
        (SyncName.ITEM_RECEIPT_TO_NETSUITE, True)
    ]
    assert summaries[SyncName.ITEM_RECEIPT_TO_NETSUITE]["errors"] == 1


def test_a_sync_on_its_own_writes_back_before_it_ends(prefect_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netsuite_numbers, "write_back_task", recording_write_back)
    events.clear()
    next_sync_ran.set()

    @flow(name="write-back-alone-probe")
    def probe() -> BatchResult:
        return write_back_netsuite_numbers(_posted(SyncName.REFUND_SYNC, "3"))

    result = probe()
    assert result.counts["Loop note written"] == 1
    assert events == [("write-back started", SyncName.REFUND_SYNC), ("write-back ended", SyncName.REFUND_SYNC)]
