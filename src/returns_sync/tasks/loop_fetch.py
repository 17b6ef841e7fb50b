"""Read Loop returns for a sync: the changes in its window, or named returns (reruns, retries of quarantined ones).

Returns are read one at a time: one Loop sent in a shape the sync cannot read is held back with its field
and reason (``hold_malformed_returns``), and the others go on. Ids that cannot be Loop's are never sent:
Loop would answer 422, and that must not fail the valid ids of the same run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from prefect import get_run_logger, task

from returns_sync.connectors.errors import PermanentApiError, RecordRejected
from returns_sync.domain.listed_returns import ListedReturn
from returns_sync.domain.loop import ReturnState
from returns_sync.domain.loop_records import MALFORMED_RULE, MalformedReturn, is_loop_return_id
from returns_sync.domain.packed_shelf import PackedShelf
from returns_sync.domain.syncs import SyncName
from returns_sync.tasks.results import BatchResult, QuarantinedReturn
from returns_sync.tasks.retry import NEVER_CACHED, RETRY_OPTIONS
from returns_sync.tasks.runtime import SyncRuntime, ledger_for, open_runtime
from returns_sync.tasks.shared_loop_listing import SharedLoopListing
from returns_sync.tasks.shared_loop_reads import LoopReads

__all__ = ["FetchedReturns", "fetch_changed_returns", "fetch_returns_by_id", "hold_malformed_returns"]


@dataclass
class FetchedReturns:
    """What a fetch brought back: the returns to work on, the ones Loop shaped unexpectedly, and refused ids."""

    returns: list[ListedReturn] = field(default_factory=list)  # kept small until their batch reads them
    malformed: list[MalformedReturn] = field(default_factory=list)
    refused_ids: list[str] = field(default_factory=list)  # not Loop return ids: never sent
    readable_again: list[str] = field(default_factory=list)  # held for their shape before, readable now

    def seen(self) -> list[tuple[str, datetime]]:
        """``(id, updated_at)`` of every return read, readable or not: the cursor moves past both."""
        read = [(r.id, r.updated_at) for r in self.returns if r.updated_at]
        held = [(m.loop_return_id, m.updated_at) for m in self.malformed if m.loop_return_id and m.updated_at]
        return read + held


@task(name="fetch changed Loop returns", task_run_name="{sync} · {store} · fetch Loop returns", **RETRY_OPTIONS)
def fetch_changed_returns(
    store: str,
    sync: SyncName,
    start: datetime,
    end: datetime,
    states: list[ReturnState],
    also: list[str] | None = None,
    listed: SharedLoopListing | None = None,
) -> FetchedReturns:
    """Every return of ``states`` updated in ``[start, end)`` (one list call per state and page), plus the ``also`` ids.

    With ``listed`` (run_all's one listing for the cycle, covering this window) no list call is made.

    Example:
        >>> fetch_changed_returns.fn("north", SyncName.RA_SYNC, start, end, [ReturnState.OPEN, ReturnState.CLOSED])  # doctest: +SKIP
    """
    found: dict[str, ListedReturn] = {}
    fetched = FetchedReturns()
    with open_runtime(store) as runtime:
        if listed is not None:
            taken, fetched.malformed = listed.take(states, start)
            found.update((loop_return.id, loop_return) for loop_return in taken)
        else:
            pages = runtime.loop.iter_listed_return_pages(
                updated_from=start, updated_to=end, states=states, on_malformed=fetched.malformed.append
            )
            for page in pages:
                for loop_return in page:
                    found[loop_return.id] = loop_return
        held = {m.loop_return_id for m in fetched.malformed}
        # Revisits can be thousands (a big store's returns waiting for a receipt or a refund): kept small, as listed ones are.
        _by_id(runtime, [i for i in also or [] if i not in found and i not in held], fetched, small=True)
        fetched.returns = [*found.values(), *fetched.returns]  # the by-id ones are not among the listed ones
        _note_readable_again(runtime, sync, fetched)
    return fetched


def _note_readable_again(runtime: SyncRuntime, sync: SyncName, fetched: FetchedReturns) -> None:
    with runtime.ledger.session() as repo:
        held = {e.loop_return_id for e in repo.open_quarantine(runtime.store, sync) if e.rule == MALFORMED_RULE}
    fetched.readable_again = [r.id for r in fetched.returns if r.id in held]


def _by_id(runtime: SyncRuntime, return_ids: list[str], fetched: FetchedReturns, *, small: bool) -> None:
    """Read ``return_ids`` one by one: ``small`` packs each (``ListedReturn``); else each stays parsed, for the few
    returns of a webhook burst that every sync of its run reads."""
    shelf = PackedShelf() if small and return_ids else None
    for return_id in dict.fromkeys(return_ids):
        if not is_loop_return_id(return_id):
            fetched.refused_ids.append(return_id)
            continue
        try:
            read = (
                runtime.loop.get_listed_return(return_id, shelf=shelf)
                if small
                else ListedReturn.holding(runtime.loop.get_return(return_id))
            )
            fetched.returns.append(read)
        except RecordRejected as exc:
            if not isinstance(exc.record, MalformedReturn):
                raise
            fetched.malformed.append(exc.record)
        except PermanentApiError as exc:
            if exc.status_code != 404:
                raise


@task(name="fetch Loop returns by id", task_run_name="{sync} · {store} · fetch {return_ids_count} Loop returns", **RETRY_OPTIONS)
def fetch_returns_by_id(
    store: str, sync: SyncName, return_ids: list[str], return_ids_count: int = 0, read_before: LoopReads | None = None
) -> FetchedReturns:
    """The named returns; ids Loop does not know (deleted, other shop) are left out, ids that cannot be Loop's refused.

    With ``read_before`` (an earlier sync of the same run_all read these ids: ``SharedLoopReads``) Loop is not asked again.
    """
    fetched = FetchedReturns()
    with open_runtime(store) as runtime:
        if read_before is None:
            _by_id(runtime, return_ids, fetched, small=False)
        else:
            fetched.returns = list(read_before.returns)
            fetched.malformed = list(read_before.malformed)
            fetched.refused_ids = list(read_before.refused_ids)
        _note_readable_again(runtime, sync, fetched)
    return fetched


@task(name="hold malformed Loop returns", task_run_name="{sync} · {store} · hold malformed Loop returns", **NEVER_CACHED)
def hold_malformed_returns(
    store: str,
    sync: SyncName,
    malformed: list[MalformedReturn],
    refused_ids: list[str],
    readable_again: list[str],
    *,
    dry_run: bool,
) -> BatchResult:
    """Quarantine the returns Loop sent in a shape the sync cannot read (field and reason), report refused ids,
    and release the returns held for their shape that read well now.

    Example:
        >>> hold_malformed_returns.fn("north", SyncName.RA_SYNC, fetched.malformed, [], ["48213377"], dry_run=False)  # doctest: +SKIP
    """
    result = BatchResult(sync=sync, store=store, dry_run=dry_run)
    logger = get_run_logger()
    for return_id in refused_ids:
        result.count("ids refused (not a Loop return id)")
        logger.warning("%s %s: %r is not a Loop return id; nothing was asked of Loop for it", sync, store, return_id[:40])
    for record in malformed:
        if record.loop_return_id is None:
            result.count("unreadable Loop records without an id")
            logger.warning("%s %s: %s", sync, store, record.message)
            continue
        result.quarantined.append(QuarantinedReturn(record.loop_return_id, None, MALFORMED_RULE, record.message))
        result.count("quarantined")
    if dry_run:
        return result
    readable = set(readable_again)
    with ledger_for().session() as repo:
        for record in malformed:
            if record.loop_return_id is not None:
                repo.quarantine(
                    store=store,
                    sync=sync,
                    loop_return_id=record.loop_return_id,
                    rule=MALFORMED_RULE,
                    reason=record.message,
                    details={"rules": [MALFORMED_RULE], "field": record.field},
                )
        for entry in repo.open_quarantine(store, sync):
            # Only the shape is released here: a return held for its data stays until its own sync passes it.
            if entry.rule == MALFORMED_RULE and entry.loop_return_id in readable:
                repo.release(store=store, sync=sync, loop_return_id=entry.loop_return_id)
                result.count("released from quarantine")
    return result
