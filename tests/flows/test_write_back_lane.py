"""Within run_all the NetSuite numbers are written back while the syncs post, batch by batch, one task run at a time in
run_all's task runner (issue 12: a big store's pass waited on Loop at its end with NetSuite idle); a return whose refund
is due later in the cycle waits for it, so they share a note; a failure is reported and refused credentials stop the
lane; a sync on its own writes back itself."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from prefect import flow, task

from returns_sync.connectors.errors import AuthenticationError
from returns_sync.domain.syncs import SyncName
from returns_sync.flows import netsuite_numbers
from returns_sync.flows.netsuite_numbers import WriteBackLane, hand_batch_to_lane, write_back_netsuite_numbers
from returns_sync.flows.run_all import _finish_write_back
from returns_sync.tasks.results import BatchResult, PostedRecord
from returns_sync.tasks.retry import RETRY_OPTIONS

pytestmark = [pytest.mark.flow]

calls: list[tuple[SyncName, list[str]]] = []
catch_ups: list[bool] = []
fail_with: list[Exception] = []


gate = threading.Event()


@task(**{**RETRY_OPTIONS, "retries": 0})
def gated_write_back(
    store: str, sync: SyncName, return_ids: list[str], dry_run: bool = False, catch_up: bool = False
) -> BatchResult:
    calls.append((sync, list(return_ids)))
    catch_ups.append(catch_up)
    assert gate.wait(timeout=20), "the write-back was never let go: a sync waited for it"
    if fail_with:
        raise fail_with.pop(0)
    result = BatchResult(sync=sync, store=store)
    result.count("Loop note written", len(return_ids))
    return result


def _posted(sync: SyncName, *return_ids: str) -> BatchResult:
    result = BatchResult(sync=sync, store="north")
    for rid in return_ids:
        result.created.append(PostedRecord(rid, f"#{rid}", "returnAuthorization", "1", f"loop-north-{rid}-ra"))
    return result


def _cycle() -> tuple[list[tuple[SyncName, str | None]], list[int]]:
    """ra_sync posts 1-3 in one batch and 4 in the next; 3's refund is due later in the cycle, so its note waits."""

    @flow(name="posting-sync-probe")
    def posting_sync(sync: SyncName, batches: list[list[str]]) -> int:
        for batch in batches:
            hand_batch_to_lane(_posted(sync, *batch))
        # The sync's own end hands its returns over again: nothing new, no further write-back.
        return write_back_netsuite_numbers(_posted(sync, *[r for b in batches for r in b])).counts[
            "returns whose NetSuite numbers run_all writes back"
        ]

    @flow(name="write-back-lane-probe")
    def probe() -> tuple[list[tuple[SyncName, str | None]], list[int]]:
        lane = WriteBackLane("north", holds={"3": SyncName.REFUND_SYNC})
        seen = []
        with lane.taking():
            deferred = posting_sync(SyncName.RA_SYNC, [["1", "2", "3"], ["4"]])
        # ra_sync ended while its first write-back still waits at the gate: it ran in run_all's task runner.
        seen.append(len(calls))
        lane.ended(SyncName.RA_SYNC)
        gate.set()
        with lane.taking():
            posting_sync(SyncName.REFUND_SYNC, [["3"]])
        lane.ended(SyncName.REFUND_SYNC)
        failed: list[tuple[SyncName, str | None]] = []
        assert _finish_write_back(lane, failed, catch_up=False) is None
        seen.append(deferred)
        return failed, seen

    calls.clear()
    gate.clear()
    return probe()


def test_write_backs_run_while_the_syncs_post_one_at_a_time(prefect_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netsuite_numbers, "write_back_task", gated_write_back)
    fail_with.clear()
    failed, (started_during_ra_sync, deferred) = _cycle()
    assert started_during_ra_sync == 1
    # The first took batch 1 without 3 (its refund was due); 4 waited for it to end, then went with 3.
    assert [ids for _, ids in calls] == [["1", "2"], ["4", "3"]]
    assert {sync for sync, _ in calls} == {SyncName.RUN_ALL}
    assert deferred == 4
    assert failed == []


def test_a_failed_write_back_is_reported_as_run_alls_and_the_next_still_runs(
    prefect_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(netsuite_numbers, "write_back_task", gated_write_back)
    fail_with[:] = [ValueError("Loop refused the note")]
    failed, _ = _cycle()
    assert len(calls) == 2
    assert [(sync, "Loop refused the note" in (message or "")) for sync, message in failed] == [(SyncName.RUN_ALL, True)]


def test_refused_credentials_start_no_further_write_back(prefect_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netsuite_numbers, "write_back_task", gated_write_back)
    fail_with[:] = [AuthenticationError("Invalid API key.", vendor="loop", status_code=401, code="UNAUTHORIZED")]
    calls.clear()
    gate.set()

    @flow(name="write-back-refused-probe")
    def probe() -> str | None:
        lane = WriteBackLane("north")
        with lane.taking():
            hand_batch_to_lane(_posted(SyncName.RA_SYNC, "1"))
        lane.ended(SyncName.RA_SYNC)
        with lane.taking():
            hand_batch_to_lane(_posted(SyncName.REFUND_SYNC, "2"))
        return _finish_write_back(lane, [], catch_up=True)

    refused = probe()
    assert refused is not None and "refused store north's credentials" in refused
    assert [ids for _, ids in calls] == [["1"]]


def test_a_sync_on_its_own_writes_back_before_it_ends(prefect_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netsuite_numbers, "write_back_task", gated_write_back)
    fail_with.clear()
    calls.clear()
    gate.set()

    @flow(name="write-back-alone-probe")
    def probe() -> BatchResult:
        return write_back_netsuite_numbers(_posted(SyncName.REFUND_SYNC, "3"))

    result = probe()
    assert result.counts["Loop note written"] == 1
    assert calls == [(SyncName.REFUND_SYNC, ["3"])]


def test_a_scheduled_cycle_ends_with_one_write_back_that_takes_up_what_earlier_runs_left(
    prefect_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run killed between posting and writing back left notes no later run posts for: the next cycle's last
    write-back takes them up (from the ledger), with the cycle's last returns, once every sync has ended."""
    monkeypatch.setattr(netsuite_numbers, "write_back_task", gated_write_back)
    fail_with.clear()

    @flow(name="write-back-catch-up-probe")
    def probe(posts: list[str]) -> str | None:
        lane = WriteBackLane("north", holds={"2": SyncName.REFUND_SYNC})
        with lane.taking():
            hand_batch_to_lane(_posted(SyncName.RA_SYNC, *posts))
        lane.ended(SyncName.RA_SYNC)
        return _finish_write_back(lane, [], catch_up=True)

    for posts, expected in (([], [[]]), (["2"], [["2"]])):
        calls.clear()
        catch_ups.clear()
        gate.set()
        assert probe(posts) is None
        assert ([ids for _, ids in calls], catch_ups) == (expected, [True])


def test_a_return_written_back_twice_in_one_run_is_written_back_twice(prefect_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A closed return's receipt and, later, its refund: the same arguments twice in one run_all, which persists its
    results. Prefect's default cache policy (inputs + task source + run id) would answer the second from the first
    (https://docs.prefect.io/v3/develop/task-caching) and its refund would never be noted; our tasks never cache."""
    monkeypatch.setattr(netsuite_numbers, "write_back_task", gated_write_back)
    fail_with.clear()
    calls.clear()
    gate.set()

    @flow(name="write-back-twice-probe", persist_result=True)  # as run_all
    def probe() -> None:
        lane = WriteBackLane("north")
        with lane.taking():
            hand_batch_to_lane(_posted(SyncName.ITEM_RECEIPT_TO_NETSUITE, "7"))
        lane.ended(SyncName.ITEM_RECEIPT_TO_NETSUITE)
        lane.finish()  # the receipt's write-back has ended before the refund is posted
        with lane.taking():
            hand_batch_to_lane(_posted(SyncName.REFUND_SYNC, "7"))
        lane.ended(SyncName.REFUND_SYNC)
        lane.finish()

    probe()
    assert [ids for _, ids in calls] == [["7"], ["7"]]


def test_a_backlog_is_written_back_a_chunk_per_task_run(prefect_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Held returns released at the cycle's end go a chunk at a time, not all in one task run (issue 12's peak RSS)."""
    monkeypatch.setattr(netsuite_numbers, "write_back_task", gated_write_back)
    monkeypatch.setattr(netsuite_numbers, "WRITE_BACK_CHUNK", 2)
    fail_with.clear()
    calls.clear()
    catch_ups.clear()
    gate.set()

    @flow(name="write-back-chunks-probe")
    def probe() -> str | None:
        lane = WriteBackLane("north", holds={rid: SyncName.REFUND_SYNC for rid in "1234567"})
        with lane.taking():
            hand_batch_to_lane(_posted(SyncName.RA_SYNC, *"1234567"))
        lane.ended(SyncName.RA_SYNC)  # not the refund sync: all seven wait for the cycle's end
        return _finish_write_back(lane, [], catch_up=True)

    assert probe() is None
    assert [ids for _, ids in calls] == [["1", "2"], ["3", "4"], ["5", "6"], ["7"]]
    assert catch_ups == [True, False, False, False]  # the catch-up once, with the first chunk of the cycle's end
