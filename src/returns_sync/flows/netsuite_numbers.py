"""After a sync posted to NetSuite: write the records' numbers back where people work (Loop notes, Shopify orders).

A sync run on its own writes them back before it ends. Within run_all its ``WriteBackLane`` takes every posting
sync's returns batch by batch and writes them back one task run at a time, while the syncs go on: the notes change
nothing a sync reads, and one write-back never races another of the same run_all for a note.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from contextvars import Context, copy_context
from dataclasses import dataclass, field
from itertools import islice

from prefect import get_run_logger
from prefect.futures import PrefectFuture
from prefect.states import State

from returns_sync.domain.syncs import SyncName
from returns_sync.tasks.failures import FailedStep, credentials_refused, failure_of
from returns_sync.tasks.results import RUN_ROWS_KEPT, BatchResult
from returns_sync.tasks.run_scoped import RunScoped
from returns_sync.tasks.write_backs import write_back_netsuite_numbers as write_back_task

__all__ = ["SYNCS_THAT_WRITE_BACK", "WriteBackLane", "hand_batch_to_lane", "write_back_netsuite_numbers"]

WHAT = "NetSuite numbers in Loop and Shopify"
# The syncs whose flows end with ``write_back_netsuite_numbers`` (the ones that post NetSuite records).
SYNCS_THAT_WRITE_BACK = frozenset({SyncName.RA_SYNC, SyncName.ITEM_RECEIPT_TO_NETSUITE, SyncName.REFUND_SYNC})
# Most returns one write-back task run of the lane takes. A backlog's held returns are all released when the cycle
# ends (``finish``): in one task run, its ledger rows, SuiteQL answers and notes were all in memory at once, the
# highest RSS of a 20,000-return cycle (issue 12). In chunks, memory stays flat and task runs grow like pages.
WRITE_BACK_CHUNK = 250


# Set by run_all around each sync: the lane that writes back the returns the sync posts for.
_LANE: RunScoped[WriteBackLane] = RunScoped("write_back_lane")


def _posted_returns(result: BatchResult) -> list[str]:
    if result.dry_run or result.skipped or result.credentials_refused:
        return []
    return result.posted_return_ids()


def hand_batch_to_lane(batch: BatchResult) -> None:
    """Within run_all, a posting sync's batch that ended hands its returns to the lane at once, not when the sync ends."""
    lane = _LANE.current()
    if lane is not None and batch.sync in SYNCS_THAT_WRITE_BACK:
        lane.offer(batch.sync, _posted_returns(batch))


def write_back_netsuite_numbers(result: BatchResult) -> BatchResult:
    """Name each NetSuite record this run created or linked in Loop (and Shopify); a failure is reported, the postings stand.

    Within run_all the work is handed to its lane and the sync ends without waiting for it.
    """
    return_ids = _posted_returns(result)
    if not return_ids:
        return result
    lane = _LANE.current()
    if lane is not None:
        lane.offer(result.sync, return_ids)  # most came batch by batch already (``hand_batch_to_lane``)
        result.count("returns whose NetSuite numbers run_all writes back", len(return_ids))
        return result
    state = write_back_task(result.store, result.sync, return_ids, return_state=True)
    return merge_write_back(result, state, records=len(return_ids))


def merge_write_back(result: BatchResult, state: State[BatchResult], *, records: int) -> BatchResult:
    """Add a write-back's outcome to ``result``: its counts, or its failure as a failed step (refused credentials stop)."""
    if state.is_completed():
        return result.merge(state.result())
    cause = failure_of(state)
    if cause.credentials is not None:
        result.credentials_refused = credentials_refused(cause.credentials, result.store, result.sync)
    else:
        result.errors.append((WHAT, cause.describe()))
        result.failed_steps.append(FailedStep(where=WHAT, records=records, what="returns", cause=cause))
    get_run_logger().error("%s %s: writing NetSuite numbers back failed: %s", result.sync, result.store, cause.describe())
    return result


@dataclass
class WriteBackLane:
    """run_all's write-back: the returns of every sync that posts, named in Loop (and Shopify) while the syncs go on.

    Each batch hands its returns over as it ends (``offer``), and one task run at a time writes back the returns
    handed over since the last began, at most ``WRITE_BACK_CHUNK`` of them: Loop's 300 requests a minute per key are a store's scarcest budget, and
    notes written at the end of the cycle kept a big store's pass waiting on Loop with NetSuite idle (issue 12).
    A return that a later sync of the cycle may still post for (``holds``: its receipt or refund is due) waits
    for that sync, so its RA, receipt and refund share one Loop note instead of three. Task runs start in run_all's
    task runner, whichever sync's batch hands them work, so no sync waits for them; ``finish`` waits for the last.
    """

    store: str
    holds: Mapping[str, SyncName] = field(default_factory=dict)
    _context: Context = field(default_factory=copy_context)  # run_all's, taken where the lane is made
    _offered: dict[SyncName, set[str]] = field(default_factory=dict)  # by sync: no tuple per return of a backlog
    _ready: dict[str, None] = field(default_factory=dict)
    _held: dict[str, SyncName] = field(default_factory=dict)
    _ended: set[SyncName] = field(default_factory=set)
    _running: _RunningWriteBack | None = None
    _outcome: BatchResult | None = None
    _caught_up: bool = False
    # run_all's item_receipt_to_loop runs beside two posting syncs (``flows.cycle``): their batches hand over at once.
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def taking(self) -> AbstractContextManager[None]:
        """Around one sync's run: the returns it would write back come here instead."""
        return _LANE.given(self)

    def offer(self, sync: SyncName, return_ids: Iterable[str]) -> None:
        """Take returns ``sync`` posted for (each once per sync); start a write-back if none is running."""
        with self._lock:
            self._offer(sync, return_ids)

    def _offer(self, sync: SyncName, return_ids: Iterable[str]) -> None:
        offered = self._offered.setdefault(sync, set())
        for rid in return_ids:
            if rid in offered:
                continue
            offered.add(rid)
            holder = self.holds.get(rid)
            if holder is not None and holder is not sync and holder not in self._ended:
                self._held[rid] = holder
            else:
                self._held.pop(rid, None)  # held for this very sync, which has now posted for it
                self._ready[rid] = None
        self._advance()

    def ended(self, sync: SyncName) -> None:
        """``sync`` has ended: the returns held for it are ready."""
        with self._lock:
            self._ended.add(sync)
            for rid, holder in list(self._held.items()):
                if holder in self._ended:
                    del self._held[rid]
                    self._ready[rid] = None
            self._advance()

    def finish(self, *, catch_up: bool = False) -> BatchResult | None:
        """Write back everything handed over, waiting for it: the outcomes together; None when nothing ran.

        With ``catch_up`` (a scheduled run_all's end) the last write-back also takes up what earlier runs left:
        notes never begun because a run died between posting and writing back, found in the ledger. Only here,
        once every sync of the cycle has ended: earlier, it would take up this run's own held returns (and a
        webhook burst's, in another run), splitting notes the holds keep together.
        """
        with self._lock:
            self._ready.update(dict.fromkeys(self._held))
            self._held.clear()
            self._advance(last=catch_up)
        while (running := self._running) is not None:
            running.future.wait()
            with self._lock:
                self._advance(last=catch_up)  # collects it, and starts the next if returns were handed over meanwhile
        with self._lock:
            outcome, self._outcome = self._outcome, None
        return outcome

    def _advance(self, *, last: bool = False) -> None:
        """Collect a write-back that has ended; start the next with the first ready returns (none after refused credentials).

        ``last``: the cycle has ended; the next write-back is the catch-up one, even with no return ready.
        """
        running = self._running
        if running is not None:
            if not running.done.is_set():
                return
            running.future.wait()  # done: this keeps its final state on the future
            self._running = None
            outcome = self._outcome or BatchResult(sync=SyncName.RUN_ALL, store=self.store, row_limit=RUN_ROWS_KEPT)
            self._outcome = merge_write_back(outcome, running.future.state, records=running.records)
        if self._outcome is not None and self._outcome.credentials_refused:
            return
        catch_up = last and not self._caught_up
        if not self._ready and not catch_up:
            return
        return_ids = list(islice(self._ready, WRITE_BACK_CHUNK))
        for rid in return_ids:
            del self._ready[rid]
        self._caught_up = self._caught_up or catch_up
        # In run_all's context: the task runs in its task runner, not in that of the sync whose batch just ended.
        future = self._context.run(write_back_task.submit, self.store, SyncName.RUN_ALL, return_ids, catch_up=catch_up)
        done = threading.Event()
        future.add_done_callback(lambda _: done.set())
        self._running = _RunningWriteBack(future, done, len(return_ids))


@dataclass(frozen=True)
class _RunningWriteBack:
    future: PrefectFuture[BatchResult]
    done: threading.Event
    records: int
