"""Sync 6 (NetSuite → Loop): cancel the Loop return when someone closes or cancels its RA in NetSuite.

The Loop return's current state is read first and the cancel recorded in the ledger, so a rerun
never cancels twice, and an RA returns-sync closed itself (sync 5) is never echoed back to Loop.
"""

from __future__ import annotations

from prefect import task

from returns_sync.domain.loop import ReturnState
from returns_sync.domain.netsuite import RaStatus
from returns_sync.domain.syncs import SyncName
from returns_sync.ledger import LineStatus
from returns_sync.tasks.loop_actions import act_on_loop
from returns_sync.tasks.netsuite_lookup import RaState
from returns_sync.tasks.results import BatchResult, one_record, quarantine_rejected
from returns_sync.tasks.retry import RETRY_OPTIONS
from returns_sync.tasks.runtime import SyncRuntime, open_runtime, utcnow

__all__ = ["cancel_loop_returns"]

SYNC = SyncName.RA_CANCELLATION


@task(name="cancel Loop returns of closed RAs", task_run_name=f"{SYNC} · {{store}} · batch {{batch}}", **RETRY_OPTIONS)
def cancel_loop_returns(store: str, ras: list[RaState], batch: int = 1, dry_run: bool = False) -> BatchResult:
    """Cancel the Loop return of every RA someone closed or cancelled in NetSuite (toggle ``cancel_loop_on_ra_close``).

    Example:
        >>> cancel_loop_returns.fn("north", ras, batch=1)  # doctest: +SKIP
    """
    result = BatchResult(sync=SYNC, store=store, dry_run=dry_run)
    with open_runtime(store) as runtime:
        for ra in ras:
            rid = ra.loop_return_id
            if not rid or ra.status not in (RaStatus.CLOSED, RaStatus.CANCELLED):
                continue
            with one_record(result, rid), quarantine_rejected(runtime, result, sync=SYNC, loop_return_id=rid):
                _cancel_one(runtime, ra, rid, result)
    result.raise_if_transient()
    return result


def _cancel_one(runtime: SyncRuntime, ra: RaState, rid: str, result: BatchResult) -> None:
    store = runtime.store
    with runtime.ledger.session() as repo:
        link = repo.get_link(store, rid)
    if link and link.ra_closed_by_us_at:
        result.count("closed by returns-sync (nothing to do)")
        return
    if not runtime.settings.cancel_loop_on_ra_close:
        result.count("RA closed; cancelling in Loop is off for this store")
        return
    loop_return = runtime.loop.get_return(rid)
    if loop_return.state not in (ReturnState.OPEN, ReturnState.REVIEW):
        result.count(f"Loop return already {loop_return.state.value}")
        return
    if result.dry_run:
        result.planned.append({"loop_return_id": rid, "action": "cancel", "ra": ra.tranid})
        return
    if act_on_loop(result, rid, "cancel", lambda: runtime.loop.cancel_return(rid)):
        with runtime.ledger.session() as repo:
            repo.upsert_link(
                store, rid, loop_cancelled_by_us_at=utcnow(), loop_state_seen=ReturnState.CANCELLED, ra_status_seen=ra.status
            )
            repo.set_lines_status(store, rid, LineStatus.CANCELLED)
        result.loop_actions.append((rid, f"cancelled (RA {ra.tranid} closed in NetSuite)"))
        result.count("cancelled in Loop")
