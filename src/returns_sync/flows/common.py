"""How every sync runs: window, fetch, batches through one task each, cursor, artifact."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from functools import partial
from typing import Literal, Protocol, TypeVar

from prefect import get_run_logger
from prefect.futures import PrefectFuture, as_completed
from prefect.states import Completed, Failed, State
from prefect.utilities.annotations import quote

from returns_sync.domain.listed_returns import ListedReturn
from returns_sync.domain.loop import ReturnState
from returns_sync.domain.syncs import SyncName
from returns_sync.flows import quiet_failed_run
from returns_sync.flows.batch_order import InBatchOrder
from returns_sync.flows.netsuite_numbers import hand_batch_to_lane
from returns_sync.flows.next_run import next_scheduled_run
from returns_sync.tasks.abandoned_intents import abandoned_intents, settle_abandoned_intents
from returns_sync.tasks.changed_ras import ChangedRaPage
from returns_sync.tasks.cursors import advance_sync_cursor, drop_unchanged, open_sync_window
from returns_sync.tasks.exclusive_run import exclusive_run, run_lock_wait
from returns_sync.tasks.failures import (
    CREDENTIALS_REFUSED,
    FailedStep,
    credentials_refused,
    failure_of,
    records_left_message,
    run_failure_message,
)
from returns_sync.tasks.loop_fetch import fetch_changed_returns, fetch_returns_by_id, hold_malformed_returns
from returns_sync.tasks.netsuite_fetch import fetch_changed_return_authorizations, fetch_return_authorizations_by_return
from returns_sync.tasks.netsuite_lookup import RaState
from returns_sync.tasks.reporting import RunSummary, publish_run_artifact, summarise
from returns_sync.tasks.results import RUN_ROWS_KEPT, BatchResult
from returns_sync.tasks.runtime import utcnow
from returns_sync.tasks.shared_loop_listing import current_listing
from returns_sync.tasks.shared_loop_reads import LoopReads, current_reads

__all__ = [
    "BATCHES_IN_FLIGHT",
    "BATCH_SIZE",
    "BatchTask",
    "FlowOutcome",
    "batched_together",
    "chunked",
    "finish",
    "run_loop_sync",
    "run_netsuite_sync",
]

BATCH_SIZE = 100
# A sync's batches run this many at once, so NetSuite's slots stay full while one batch reads, validates or
# finishes its last records. The account's limit (``connectors.ratelimit.AccountSlots``) still bounds the requests.
BATCHES_IN_FLIGHT = 3

quiet_failed_run.install()

# What a sync's flow returns: its summary, or a Failed state carrying the same report when batches failed.
FlowOutcome = RunSummary | State

Item = TypeVar("Item", ListedReturn, RaState)
Queued = TypeVar("Queued")  # an item as the flow holds it until its batch starts (a Loop return kept small)
BatchItem = TypeVar("BatchItem")  # invariant: the task takes a list of exactly these


class BatchTask(Protocol[BatchItem]):
    """A sync's batch task (``post_return_authorizations``, ``cancel_loop_returns`` ...) as the flow calls it."""

    def __call__(
        self, store: str, items: list[BatchItem], /, *, batch: int, dry_run: bool, return_state: Literal[True]
    ) -> State[BatchResult]: ...

    def submit(self, store: str, items: list[BatchItem], /, *, batch: int, dry_run: bool) -> PrefectFuture[BatchResult]: ...


def chunked(items: Sequence[Queued], size: int) -> list[list[Queued]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _created_order(r: ListedReturn) -> tuple[str, int, str]:
    return (r.created_at.isoformat() if r.created_at else "", int(r.id) if r.id.isdigit() else 0, r.id)


def run_loop_sync(
    *,
    sync: SyncName,
    store: str,
    return_ids: list[str] | None,
    since: datetime | None,
    dry_run: bool,
    states: list[ReturnState],
    batch_task: BatchTask[ListedReturn],
    batch_size: int = BATCH_SIZE,
) -> BatchResult:
    """Fetch the returns this run must look at and push them through ``batch_task`` in batches.

    The window is the cursor's (or ``since`` for a backfill); returns the ledger wants revisited
    (quarantined, waiting) are added. Batches go oldest return first, so several returns on one
    order take their units in the order the customer made them. The cursor moves only when every
    batch succeeded and never on dry runs or backfills. While another run of ``sync`` for ``store``
    goes on, this one waits briefly and then skips (``result.skipped``).
    """
    result = BatchResult(sync=sync, store=store, dry_run=dry_run, row_limit=RUN_ROWS_KEPT)
    with exclusive_run(store, sync) as held:
        if held:
            started = utcnow()
            _read_and_post_returns(result, return_ids, since, states, batch_task, batch_size)
            _settle_abandoned_intents(result, started)
        else:
            _skip(result)
    return result


def _order_of(r: ListedReturn) -> str:
    """Returns of one order share its returnable units: they go to one batch (``batched_together``)."""
    return r.order_name_key or f"return {r.id}"


def _skip(result: BatchResult) -> None:
    result.skipped = f"another run of {result.sync} holds store {result.store} (waited {run_lock_wait():g} s)"
    get_run_logger().warning("%s for store %s skipped: %s", result.sync, result.store, result.skipped)


def _read_and_post_returns(
    result: BatchResult,
    return_ids: list[str] | None,
    since: datetime | None,
    states: list[ReturnState],
    batch_task: BatchTask[ListedReturn],
    batch_size: int,
) -> None:
    sync, store, dry_run = result.sync, result.store, result.dry_run
    window = None
    revisit: list[str] = []
    shared = current_reads() if return_ids else None
    if return_ids:
        read_before = shared.taken(store, return_ids) if shared else None
        state = fetch_returns_by_id(
            store, sync, list(return_ids), return_ids_count=len(return_ids), read_before=quote(read_before), return_state=True
        )
    else:
        listing = current_listing() if since is None else None
        # Within run_all's cycle the window ends where its one Loop listing ended, so that listing covers it.
        window, revisit = open_sync_window(store, sync, since, run_started_at=listing.end if listing else None)
        if listing is not None and not listing.covers(store, states, window.start):
            listing = None
        # No boundary de-duplication: timestamps are coarse (NetSuite's are whole seconds) and a record can
        # change again within the cursor's second; every step is idempotent, so re-reading is safe.
        state = fetch_changed_returns(
            store, sync, window.start, window.end, states, also=revisit, listed=quote(listing), return_state=True
        )
    if not _read(state, result, what="reading Loop returns"):
        return
    fetched = state.result()
    if shared is not None:  # the later Loop-driven syncs of this run_all take this read instead of asking Loop again
        shared.keep(
            store, return_ids or [], LoopReads(tuple(fetched.returns), tuple(fetched.malformed), tuple(fetched.refused_ids))
        )
    if fetched.malformed or fetched.refused_ids or fetched.readable_again:
        held = hold_malformed_returns(  # type: ignore[call-overload]  # Prefect unwraps quote(), as below
            store, sync, quote(fetched.malformed), fetched.refused_ids, fetched.readable_again, dry_run=dry_run
        )
        result.merge(held)
    returns = sorted(fetched.returns, key=_created_order)
    result.count("Loop returns read", len(returns) + len(fetched.malformed))
    if window is not None:
        returns = drop_unchanged(returns, window, revisit, result)
    all_ok = _run_batches(
        returns,
        batch_task,
        load=list,  # parsed inside the task run (read_returns): its parameters stay small
        store=store,
        dry_run=dry_run,
        batch_size=batch_size,
        result=result,
        what="returns",
        same_batch=_order_of,
    )
    if window is not None and all_ok and not dry_run:
        seen = [(rid, updated) for rid, updated in fetched.seen() if window.contains(updated)]
        advance_sync_cursor(window, quote(seen))  # type: ignore[call-overload]  # Prefect unwraps quote(); its Task types do not model that


def _settle_abandoned_intents(result: BatchResult, started: datetime) -> None:
    """Settle the pending intents of the sync this run did not touch (usually none: one ledger read, no task run)."""
    if result.dry_run or result.credentials_refused:
        return
    intents = abandoned_intents(result.store, result.sync, untouched_since=started)
    if not intents:
        return
    state = settle_abandoned_intents(result.store, result.sync, quote(intents), return_state=True)
    if state.is_completed():
        result.merge(state.result())
    else:
        _read(state, result, what="settling intents left pending")


def _read(state: State, result: BatchResult, *, what: str) -> bool:
    """True when a read task completed; else its cause goes into ``result`` (a refused credential stops the run)."""
    if state.is_completed():
        return True
    cause = failure_of(state)
    if cause.credentials is not None:
        result.credentials_refused = credentials_refused(cause.credentials, result.store, result.sync)
    else:
        result.errors.append((what, cause.describe()))
        result.failed_steps.append(FailedStep(where=what, records=None, what="returns", cause=cause))
    get_run_logger().error(
        "%s %s: %s failed: %s", result.sync, result.store, what, result.credentials_refused or cause.describe()
    )
    return False


def _run_batches(
    items: list[Queued],
    batch_task: BatchTask[Item],
    *,
    load: Callable[[list[Queued]], list[Item]],
    store: str,
    dry_run: bool,
    batch_size: int,
    result: BatchResult,
    what: str,
    same_batch: Callable[[Queued], Hashable] | None = None,
) -> bool:
    """One task run per batch, up to ``BATCHES_IN_FLIGHT`` at once; a batch that still fails is reported and the others
    go on, unless credentials were refused: then no further batch starts.

    Items sharing a ``same_batch`` key (the returns of one order) go to one batch, where they stay in sequence.
    ``load`` turns a batch's items into what ``batch_task`` takes, as the batch starts.
    Results merge in batch order, so the report reads the same whatever finished first, and as soon as every earlier
    batch has merged: a batch's rows (a posted record per return) are not kept until the sync ends, only what
    ``result`` keeps of them (issue 12: at 20,000 returns they were tens of MB until each sync's end).
    """
    batches = batched_together(items, batch_size, same_batch)
    waiting = iter(enumerate(batches, start=1))
    running: dict[PrefectFuture[BatchResult], int] = {}
    ended: InBatchOrder[State[BatchResult]] = InBatchOrder()
    all_ok = True

    def start_next() -> None:
        for number, batch in waiting:
            # quote(): the batch is plain data; Prefect need not walk every model in it looking for futures.
            future = batch_task.submit(store, quote(load(batch)), batch=number, dry_run=dry_run)  # type: ignore[arg-type]  # Prefect unwraps quote()
            running[future] = number
            return

    for _ in range(BATCHES_IN_FLIGHT):
        start_next()
    stopped = False
    while running:
        done = next(as_completed(list(running)))
        number = running.pop(done)
        done.wait()  # done already; this keeps its final state (with the result or exception) on the future
        state = done.state
        if state.is_completed():
            hand_batch_to_lane(state.result())  # run_all writes its NetSuite numbers back while the others post
        elif failure_of(state).credentials is not None:
            stopped = True  # every later batch would be refused alike; the ones already running end on their own
        for merged, merged_state in ended.add(number, state):
            all_ok = _merge_batch(result, merged_state, number=merged, size=len(batches[merged - 1]), what=what) and all_ok
        del done, state  # the last state merged stays until the next one: a batch at most
        if not stopped:
            start_next()
    for merged, merged_state in ended.rest():  # after refused credentials, batches that never ran leave gaps
        all_ok = _merge_batch(result, merged_state, number=merged, size=len(batches[merged - 1]), what=what) and all_ok
    return all_ok


def _merge_batch(result: BatchResult, state: State[BatchResult], *, number: int, size: int, what: str) -> bool:
    """Merge one ended batch into ``result``: its result, or its failure (refused credentials stop, quarantine nothing)."""
    if state.is_completed():
        result.merge(state.result())
        return True
    cause = failure_of(state)
    logger = get_run_logger()
    if cause.credentials is not None:
        # No record is at fault and every later batch would be refused alike: stop, quarantine nothing.
        if not result.credentials_refused:
            result.credentials_refused = credentials_refused(cause.credentials, result.store, result.sync)
            logger.error("%s %s stopped at batch %s: %s", result.sync, result.store, number, result.credentials_refused)
        return False
    result.errors.append((f"batch {number} ({size} {what})", cause.describe()))
    result.failed_steps.append(FailedStep(where=f"batch {number}", records=size, what=what, cause=cause))
    logger.error("%s %s batch %s failed: %s", result.sync, result.store, number, cause.describe())
    return False


def batched_together(items: Sequence[Queued], size: int, same_batch: Callable[[Queued], Hashable] | None) -> list[list[Queued]]:
    """Batches of about ``size`` in the items' order, the items of one ``same_batch`` key kept in one batch.

    Batches run side by side, so two returns of one order in different batches could take its units out of
    the customer's order; in one batch they run one after another (``for_each_grouped``).
    """
    if same_batch is None:
        return chunked(items, size)
    groups: dict[Hashable, list[Queued]] = {}
    for item in items:
        groups.setdefault(same_batch(item), []).append(item)
    batches: list[list[Queued]] = []
    for members in groups.values():
        if batches and len(batches[-1]) + len(members) <= size:
            batches[-1].extend(members)
        else:
            batches.append(list(members))
    return batches


def finish(result: BatchResult) -> FlowOutcome:
    """Publish the run's artifact; a run stopped by refused credentials, or whose batches failed, ends Failed naming why.

    A skipped run ends Completed, named ``Skipped``, with the reason as its message and in its artifact.
    """
    publish_run_artifact(result)
    summary = summarise(result)
    if result.credentials_refused:
        return Failed(name=CREDENTIALS_REFUSED, message=f"{result.sync} stopped: {result.credentials_refused}")
    if result.skipped:
        # Not a failure: the run holding the store does this work. Named so the UI shows why nothing happened.
        return Completed(name="Skipped", message=f"Skipped: {result.skipped}", data=summary)
    if result.failed_steps or result.errors:
        next_run = next_scheduled_run(result.sync, result.store)
        if result.failed_steps:
            message = run_failure_message(result.sync, result.store, result.failed_steps, next_run)
        else:
            message = records_left_message(result.sync, result.store, result.errors, next_run)
        # One plain line for the log; the same sentence is the state message the UI shows in the run's header.
        get_run_logger().error("%s", message)
        return Failed(message=message)
    return summary


def run_netsuite_sync(
    *,
    sync: SyncName,
    store: str,
    return_ids: list[str] | None,
    since: datetime | None,
    dry_run: bool,
    batch_task: BatchTask[RaState],
    batch_size: int = BATCH_SIZE,
) -> BatchResult:
    """Like ``run_loop_sync`` but reading our RAs that changed in NetSuite (``lastmodifieddate`` window)."""
    result = BatchResult(sync=sync, store=store, dry_run=dry_run, row_limit=RUN_ROWS_KEPT)
    with exclusive_run(store, sync) as held:
        if held:
            started = utcnow()
            _read_and_post_ras(result, return_ids, since, batch_task, batch_size)
            _settle_abandoned_intents(result, started)
        else:
            _skip(result)
    return result


def _read_and_post_ras(
    result: BatchResult,
    return_ids: list[str] | None,
    since: datetime | None,
    batch_task: BatchTask[RaState],
    batch_size: int,
) -> None:
    sync, store, dry_run = result.sync, result.store, result.dry_run
    run = partial(_run_batches, batch_task=batch_task, load=list, store=store, dry_run=dry_run, batch_size=batch_size)
    if return_ids:
        _post_ras_of_returns(result, list(return_ids), run)
        return
    window, revisit = open_sync_window(store, sync, since)
    fetch = partial(fetch_changed_return_authorizations.submit, store, sync, window.start, window.end, window.handled_through)
    seen: list[tuple[str, datetime]] = []  # what the cursor needs: small, where the RAs themselves are not kept
    read_ids: set[str] = set()
    all_ok = True
    pending: PrefectFuture[ChangedRaPage] | None = fetch(after=None)
    while pending is not None:
        pending.wait()
        if not _read(pending.state, result, what="reading changed RAs"):
            return
        page = pending.state.result()
        # A backlog is read a page at a time, the next page while this one's batches run: two pages held at most.
        pending = fetch(after=page.next_after) if page.next_after is not None else None
        result.count("changed RAs read", len(page.ras))
        all_ok = run(page.ras, result=result, what="RAs") and all_ok
        if result.credentials_refused:  # every later page would be refused alike: the run stops here
            if pending is not None:
                pending.wait()
            return
        seen += [
            (ra.external_id or str(ra.id), ra.last_modified)
            for ra in page.ras
            if ra.last_modified and window.contains(ra.last_modified)
        ]
        read_ids.update(ra.loop_return_id for ra in page.ras if ra.loop_return_id)
    # Returns the ledger wants looked at again, whose RAs did not change in the window.
    extra = [return_id for return_id in revisit if return_id not in read_ids]
    if extra:
        all_ok = _post_ras_of_returns(result, extra, run) and all_ok
    if all_ok and not dry_run:
        advance_sync_cursor(window, quote(seen))  # type: ignore[call-overload]  # Prefect unwraps quote(), as above


def _post_ras_of_returns(result: BatchResult, return_ids: list[str], run: Callable[..., bool]) -> bool:
    state = fetch_return_authorizations_by_return(
        result.store, result.sync, return_ids, return_ids_count=len(return_ids), return_state=True
    )
    if not _read(state, result, what="reading changed RAs"):
        return False
    ras = state.result()
    result.count("changed RAs read", len(ras))
    return run(ras, result=result, what="RAs")
