"""Within run_all the NetSuite numbers of every sync are written back by one task run, started when the last sync that
posts has ended and running while the later syncs do (issue 12: a return's RA, receipt and refund of one cycle share
one Loop note, and Loop's budget is a store's scarcest); a failure is reported; a sync on its own writes back itself."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from prefect import flow, task

from returns_sync.domain.syncs import SyncName
from returns_sync.flows import netsuite_numbers
from returns_sync.flows.netsuite_numbers import WriteBackLane, write_back_netsuite_numbers
from returns_sync.flows.run_all import _finish_write_back
from returns_sync.tasks.results import BatchResult, PostedRecord
from returns_sync.tasks.retry import RETRY_OPTIONS

pytestmark = [pytest.mark.flow]

calls: list[tuple[SyncName, list[str]]] = []
later_sync_ran = threading.Event()
fail_with: list[Exception] = []


@task(**{**RETRY_OPTIONS, "retries": 0})
def recording_write_back(store: str, sync: SyncName, return_ids: list[str], dry_run: bool = False) -> BatchResult:
    calls.append((sync, list(return_ids)))
    # It ends only once a later sync has run: that sync cannot have waited for it.
    assert later_sync_ran.wait(timeout=20), "the sync after the last posting one waited for the write-back"
    if fail_with:
        raise fail_with[0]
    result = BatchResult(sync=sync, store=store)
    result.count("Loop note written", len(return_ids))
    return result


def _posted(sync: SyncName, *return_ids: str) -> BatchResult:
    result = BatchResult(sync=sync, store="north")
    for rid in return_ids:
        result.created.append(PostedRecord(rid, f"#{rid}", "returnAuthorization", "1", f"loop-north-{rid}-ra"))
    return result


def _cycle() -> tuple[list[tuple[SyncName, str | None]], dict[SyncName, int]]:
    @flow(name="write-back-lane-probe")
    def probe() -> tuple[list[tuple[SyncName, str | None]], dict[SyncName, int]]:
        lane = WriteBackLane("north")
        deferred = {}
        for sync, ids in (
            (SyncName.RA_SYNC, ("1", "2")),
            (SyncName.ITEM_RECEIPT_TO_NETSUITE, ("1",)),
            (SyncName.REFUND_SYNC, ("2", "3")),
        ):
            with lane.taking():
                result = write_back_netsuite_numbers(_posted(sync, *ids))
            deferred[sync] = result.counts["returns whose NetSuite numbers run_all writes back"]
            assert calls == [], "a sync wrote back before the last posting sync ended"
        lane.start()
        later_sync_ran.set()  # return_cancellation and ra_cancellation run here
        failed: list[tuple[SyncName, str | None]] = []
        refused = _finish_write_back(lane, failed)
        assert refused is None
        return failed, deferred

    calls.clear()
    later_sync_ran.clear()
    return probe()


def test_one_write_back_for_the_cycle_runs_behind_the_later_syncs(prefect_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netsuite_numbers, "write_back_task", recording_write_back)
    fail_with.clear()
    failed, deferred = _cycle()
    assert calls == [(SyncName.RUN_ALL, ["1", "2", "3"])]  # each return once, in the order the syncs posted them
    assert deferred == {SyncName.RA_SYNC: 2, SyncName.ITEM_RECEIPT_TO_NETSUITE: 1, SyncName.REFUND_SYNC: 2}
    assert failed == []


def test_a_failed_write_back_is_reported_as_run_alls(prefect_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netsuite_numbers, "write_back_task", recording_write_back)
    fail_with[:] = [ValueError("Loop refused the note")]
    failed, _ = _cycle()
    assert len(calls) == 1
    assert [(sync, "Loop refused the note" in (message or "")) for sync, message in failed] == [(SyncName.RUN_ALL, True)]


def test_a_sync_on_its_own_writes_back_before_it_ends(prefect_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netsuite_numbers, "write_back_task", recording_write_back)
    fail_with.clear()
    calls.clear()
    later_sync_ran.set()

    @flow(name="write-back-alone-probe")
    def probe() -> BatchResult:
        return write_back_netsuite_numbers(_posted(SyncName.REFUND_SYNC, "3"))

    result = probe()
    assert result.counts["Loop note written"] == 1
    assert calls == [(SyncName.REFUND_SYNC, ["3"])]
