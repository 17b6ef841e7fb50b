"""After a sync posted to NetSuite: write the records' numbers back where people work (Loop notes, Shopify orders).

A sync run on its own writes them back before it ends. Within run_all they go to a lane (``WriteBackLane``) that
writes them while the next syncs run: the notes spend only Loop's budget, which the NetSuite work of the next sync
does not need, and change nothing a sync reads. The lane writes one sync's numbers after another, never two at
once, so two senders never race for one note.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from prefect import get_run_logger
from prefect.futures import PrefectFuture
from prefect.states import State
from prefect.utilities.annotations import allow_failure

from returns_sync.domain.syncs import SyncName
from returns_sync.tasks.failures import FailedStep, credentials_refused, failure_of
from returns_sync.tasks.results import BatchResult
from returns_sync.tasks.write_backs import write_back_netsuite_numbers as write_back_task

__all__ = ["WriteBackLane", "write_back_netsuite_numbers"]

WHAT = "NetSuite numbers in Loop and Shopify"


@dataclass(frozen=True)
class _Deferred:
    sync: SyncName
    return_ids: list[str]


# Set by run_all around each sync: where that sync leaves its write-back instead of doing it.
_DEFERRED: ContextVar[list[_Deferred] | None] = ContextVar("deferred_write_backs", default=None)


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
        deferred.append(_Deferred(result.sync, return_ids))
        result.count("returns whose NetSuite numbers run_all writes back", len(return_ids))
        return result
    return merge_write_back(result, write_back_task(result.store, result.sync, return_ids, return_state=True))


def merge_write_back(result: BatchResult, state: State[BatchResult]) -> BatchResult:
    """Add a write-back's outcome to ``result``: its counts, or its failure as a failed step (refused credentials stop)."""
    if state.is_completed():
        return result.merge(state.result())
    cause = failure_of(state)
    if cause.credentials is not None:
        result.credentials_refused = credentials_refused(cause.credentials, result.store, result.sync)
    else:
        result.errors.append((WHAT, cause.describe()))
        result.failed_steps.append(FailedStep(where=WHAT, records=None, what="returns", cause=cause))
    get_run_logger().error("%s %s: writing NetSuite numbers back failed: %s", result.sync, result.store, cause.describe())
    return result


@dataclass
class WriteBackLane:
    """run_all's write-backs: each sync's starts when the sync ends and runs on while the next syncs do."""

    store: str
    _started: list[tuple[SyncName, PrefectFuture[BatchResult]]] = field(default_factory=list)

    @contextmanager
    def taking(self) -> Iterator[None]:
        """Around one sync's run: its write-back is left here, then started, after the previous one."""
        deferred: list[_Deferred] = []
        token = _DEFERRED.set(deferred)
        try:
            yield
        finally:
            _DEFERRED.reset(token)
        for item in deferred:
            # After the previous one even when it failed: each sync's numbers stand on their own.
            previous = [allow_failure(self._started[-1][1])] if self._started else []
            future = write_back_task.submit(self.store, item.sync, item.return_ids, wait_for=previous, return_state=False)
            self._started.append((item.sync, future))

    def finish(self) -> list[tuple[SyncName, BatchResult]]:
        """Wait for every write-back started; each sync's outcome, a failure as a failed step of it."""
        outcomes = []
        for sync, future in self._started:
            future.wait()
            outcomes.append((sync, merge_write_back(BatchResult(sync=sync, store=self.store), future.state)))
        self._started.clear()
        return outcomes
