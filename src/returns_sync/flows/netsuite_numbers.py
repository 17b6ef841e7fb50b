"""After a sync posted to NetSuite: write the records' numbers back where people work (Loop notes, Shopify orders).

A sync run on its own writes them back before it ends. Within run_all one write-back covers every sync's returns
(``WriteBackLane``), after the last sync that posts: the notes change nothing a sync reads, and one run's
write-back never races another of the same run_all for a note.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from prefect import get_run_logger
from prefect.futures import PrefectFuture
from prefect.states import State

from returns_sync.domain.syncs import SyncName
from returns_sync.tasks.failures import FailedStep, credentials_refused, failure_of
from returns_sync.tasks.results import BatchResult
from returns_sync.tasks.write_backs import write_back_netsuite_numbers as write_back_task

__all__ = ["SYNCS_THAT_WRITE_BACK", "WriteBackLane", "write_back_netsuite_numbers"]

WHAT = "NetSuite numbers in Loop and Shopify"
# The syncs whose flows end with ``write_back_netsuite_numbers`` (the ones that post NetSuite records).
SYNCS_THAT_WRITE_BACK = frozenset({SyncName.RA_SYNC, SyncName.ITEM_RECEIPT_TO_NETSUITE, SyncName.REFUND_SYNC})


# Set by run_all around each sync: the returns whose write-back the sync leaves to run_all, in posting order.
_DEFERRED: ContextVar[dict[str, None] | None] = ContextVar("deferred_write_backs", default=None)


def write_back_netsuite_numbers(result: BatchResult) -> BatchResult:
    """Name each NetSuite record this run created or linked in Loop (and Shopify); a failure is reported, the postings stand.

    Within run_all the work is handed to its lane and the sync ends without waiting for it.
    """
    if result.dry_run or result.skipped or result.credentials_refused:
        return result
    return_ids = list(dict.fromkeys(r.loop_return_id for r in [*result.created, *result.linked]))
    if not return_ids:
        return result
    deferred = _DEFERRED.get()
    if deferred is not None:
        deferred.update(dict.fromkeys(return_ids))
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
    """run_all's write-back: the returns of every sync that posted, named in Loop (and Shopify) in one task run.

    One task for the cycle, not one per sync: a return whose RA, receipt and refund were posted in one cycle gets
    them in one Loop note instead of three (the notes were about 70 % of Loop's requests, and Loop's 300 a minute
    per key is a store's scarcest budget). It starts as soon as the last sync that posts has ended
    (``start``), so it runs while the cancellation syncs do.
    """

    store: str
    _return_ids: dict[str, None] = field(default_factory=dict)
    _started: PrefectFuture[BatchResult] | None = None

    @contextmanager
    def taking(self) -> Iterator[None]:
        """Around one sync's run: the returns it would write back are kept here instead."""
        token = _DEFERRED.set(self._return_ids)
        try:
            yield
        finally:
            _DEFERRED.reset(token)

    def start(self) -> None:
        """Start the write-back of the returns kept so far (once; later syncs of the run must not post any)."""
        if self._started is None and self._return_ids:
            self._started = write_back_task.submit(self.store, SyncName.RUN_ALL, list(self._return_ids), return_state=False)

    def finish(self) -> BatchResult | None:
        """Start it if not yet started, wait for it: its outcome, a failure as a failed step; None when nothing posted."""
        self.start()
        if self._started is None:
            return None
        future, self._started = self._started, None
        records = len(self._return_ids)
        self._return_ids.clear()
        future.wait()
        return merge_write_back(BatchResult(sync=SyncName.RUN_ALL, store=self.store), future.state, records=records)
