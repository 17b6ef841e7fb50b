"""Sync 2 (NetSuite → Loop): process or flag Loop returns from NetSuite receipts, and pass RA flags on.

Every Loop write is checked against the return's current state first and recorded in the ledger,
so a rerun never processes or flags twice; the RA flag is sent once per change of its value.
"""

from __future__ import annotations

from prefect import task

from returns_sync.domain.loop import ReturnState
from returns_sync.domain.netsuite import RecordType
from returns_sync.domain.syncs import SyncName
from returns_sync.ledger import ReturnLink
from returns_sync.tasks import netsuite_lookup as lookup
from returns_sync.tasks.loop_actions import act_on_loop
from returns_sync.tasks.netsuite_lookup import ChildRecord, RaState
from returns_sync.tasks.results import BatchResult, one_record, quarantine_rejected
from returns_sync.tasks.retry import RETRY_OPTIONS
from returns_sync.tasks.runtime import SyncRuntime, open_runtime, utcnow
from returns_sync.tasks.shared_loop_listing import current_listing

__all__ = ["flag_value", "update_loop_from_receipts"]

SYNC = SyncName.ITEM_RECEIPT_TO_LOOP

_TRUE = {"t", "true", "1", "yes", "y"}


def flag_value(raw: str | None) -> str:
    """NetSuite checkbox values come back as 'T'/'F' (or true/false); normalise to 'T' or 'F'."""
    return "T" if (raw or "").strip().lower() in _TRUE else "F"


def _sync_flag(
    runtime: SyncRuntime, ra: RaState, rid: str, state: ReturnState, synced: str | None, result: BatchResult
) -> str | None:
    """Flag the Loop return once when the RA flag turns on; remember every change so it is never re-sent."""
    if not runtime.settings.ra_flag_field:
        return None
    value = flag_value(ra.flag)
    if value == (synced or "F"):
        return None
    if value == "T" and state is ReturnState.OPEN and not result.dry_run:
        if act_on_loop(result, rid, "flag", lambda: runtime.loop.flag_return(rid)):
            result.loop_actions.append((rid, f"flagged for manual review (flag set on {ra.tranid} in NetSuite)"))
            result.count("flagged from the RA flag")
    return value


def _loop_done(link: ReturnLink | None) -> bool:
    """The ledger last saw the Loop return closed, cancelled or expired: nothing left to process or flag."""
    return link is not None and link.loop_state_seen is not None and ReturnState(link.loop_state_seen).is_terminal()


def _needs_loop(runtime: SyncRuntime, ra: RaState, link: ReturnLink | None) -> bool:
    """Whether this RA change can mean a Loop write; saves a Loop read (300 a minute per key) for every other RA."""
    if runtime.settings.ra_flag_field and flag_value(ra.flag) != ((link.ra_flag_synced if link else None) or "F"):
        return True
    if not ra.received_units or _loop_done(link):
        return False
    if link and link.loop_processed_by_us_at:
        return True  # processing is asynchronous in Loop: confirm it closed the return, or ask again
    fully = ra.received_units >= ra.ordered_units
    return fully or not (link and link.loop_flagged_by_us_at)


def _note_received(runtime: SyncRuntime, ra: RaState, rid: str) -> None:
    """Keep the ledger's received units in step with NetSuite's (they gate what is still returnable)."""
    totals: dict[int, int] = {}
    for line in ra.lines:
        if line.order_line is not None and line.received:
            totals[line.order_line] = totals.get(line.order_line, 0) + line.received
    if totals:
        with runtime.ledger.session() as repo:
            if repo.returned_lines(runtime.store, rid):
                repo.mark_lines_received(runtime.store, rid, totals)


def _listed_states(store: str) -> dict[str, ReturnState]:
    """Where run_all's one Loop listing of this cycle saw each return (empty outside run_all, or once the sharing ended).

    The listing holds every state (run_all lists the union of the Loop-driven syncs' states, which is all five)
    for returns changed since the earliest of their windows; run_all drops it as soon as a sync wrote to Loop.
    """
    listing = current_listing()
    if listing is None or listing.store != store:
        return {}
    return listing.latest_states()


def _update_one(
    runtime: SyncRuntime,
    ra: RaState,
    rid: str,
    link: ReturnLink | None,
    result: BatchResult,
    receipts: list[ChildRecord],
    listed: ReturnState | None,
) -> None:
    if not _needs_loop(runtime, ra, link):
        result.count("no Loop update needed")
        if link is not None and link.ra_status_seen != ra.status and not result.dry_run:
            # Noted even without a Loop write: a new RA status (goods received, RA closed) is what tells
            # refund_sync that a return waiting on NetSuite may move on (tasks/cursors.refund_recheck_due).
            with runtime.ledger.session() as repo:
                repo.upsert_link(runtime.store, rid, ra_status_seen=ra.status)
        return
    # The cycle's Loop listing already says where the return stands; Get Return Details only for a return it
    # does not hold (unchanged in Loop since the syncs' windows began). A stale "open" costs nothing: Loop refuses
    # the action on a return no longer open, and act_on_loop reads "already in that state" as done.
    state = listed if listed is not None else runtime.loop.get_return(rid).state
    changes: dict[str, object] = {"ra_status_seen": ra.status, "loop_state_seen": state}
    new_flag = _sync_flag(runtime, ra, rid, state, link.ra_flag_synced if link else None, result)
    if new_flag is not None:
        changes["ra_flag_synced"] = new_flag
        if new_flag == "T" and state is ReturnState.OPEN:
            # Flag Return moves an open return to manual review; were it refused, the return was not open either.
            # Either way it is not processed in this run (as a read would have found).
            state = ReturnState.REVIEW
    if ra.received_units and state is ReturnState.OPEN:
        names = ", ".join(c.tranid or str(c.id) for c in receipts if c.record_type is RecordType.ITEM_RECEIPT)
        if result.dry_run:
            result.planned.append(
                {"loop_return_id": rid, "action": "process" if ra.received_units >= ra.ordered_units else "flag"}
            )
        elif ra.received_units >= ra.ordered_units:
            details = {"netsuite_return_authorization": ra.tranid, "netsuite_item_receipts": names}
            if act_on_loop(result, rid, "process", lambda: runtime.loop.process_return(rid, details)):
                changes["loop_processed_by_us_at"] = utcnow()
                _note_received(runtime, ra, rid)
                result.loop_actions.append((rid, f"processed (received in NetSuite on {names})"))
                result.count("processed in Loop")
        elif not (link and link.loop_flagged_by_us_at):
            note = f"{ra.received_units} of {ra.ordered_units} units received in NetSuite on {names}; flagged for review by returns-sync"
            if act_on_loop(result, rid, "flag", lambda: runtime.loop.flag_return(rid)):
                runtime.loop.create_note(rid, note[:254])
                changes["loop_flagged_by_us_at"] = utcnow()
                result.loop_actions.append((rid, f"flagged for review: {note}"))
                result.count("flagged: partial receipt")
    if not result.dry_run:
        with runtime.ledger.session() as repo:
            repo.upsert_link(runtime.store, rid, **changes)


@task(name="update Loop from NetSuite receipts", task_run_name=f"{SYNC} · {{store}} · batch {{batch}}", **RETRY_OPTIONS)
def update_loop_from_receipts(store: str, ras: list[RaState], batch: int = 1, dry_run: bool = False) -> BatchResult:
    """Process Loop returns whose goods NetSuite received, flag partial receipts and RA flags (once per change).

    Example:
        >>> update_loop_from_receipts.fn("north", ras, batch=1)  # doctest: +SKIP
    """
    result = BatchResult(sync=SYNC, store=store, dry_run=dry_run)
    with open_runtime(store) as runtime:
        with runtime.ledger.session() as repo:
            links = {ra.loop_return_id: repo.get_link(store, ra.loop_return_id) for ra in ras if ra.loop_return_id}
        received = [ra.id for ra in ras if ra.received_units]
        children = lookup.find_children(runtime.netsuite, received) if received else {}
        listed = _listed_states(store)
        for ra in ras:
            if rid := ra.loop_return_id:
                with one_record(result, rid), quarantine_rejected(runtime, result, sync=SYNC, loop_return_id=rid):
                    _update_one(runtime, ra, rid, links.get(rid), result, children.get(ra.id, []), listed.get(rid))
    result.raise_if_transient()
    return result
