"""Refund sync's gaps between Loop and NetSuite: refunds made before the goods came back, and units refunded but never received.

POSTING.md's rows "Refunded in Loop before the goods came back" and "Partial receipt, then Loop refunds anyway":
the money has left in Loop, so the run report says so (``BatchResult.reported``) until NetSuite shows it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.lines import received_in_loop
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.netsuite import RaStatus, RecordRole, RecordType
from returns_sync.domain.outcomes import payout
from returns_sync.domain.plan import PostingPlan, return_memo
from returns_sync.tasks.item_receipt_to_netsuite import ra_line_map
from returns_sync.tasks.loading import ReturnWork
from returns_sync.tasks.netsuite_bodies import close_lines_body
from returns_sync.tasks.ra_matching import RaMatch
from returns_sync.tasks.results import BatchResult, PostedRecord
from returns_sync.tasks.runtime import SyncRuntime, utcnow

__all__ = [
    "book_unbooked",
    "close_not_refunded",
    "close_unreceived",
    "loop_refunded_the_rest",
    "ra_holds_more_than_the_return",
    "received_by_plan_line",
]


def _refund_moment(r: LoopReturn) -> datetime | None:
    return r.processed("refund_processed") or r.processed("gift_card_processed")


def book_unbooked(runtime: SyncRuntime, w: ReturnWork, result: BatchResult) -> bool:
    """Toggle off, nothing received: report "refunded in Loop, not yet booked"; True once unbooked_refund_days have passed.

    POSTING.md, "Refunded in Loop before the goods came back": the money has left, so every run says so,
    with the amount and its age, and the optional StoreSettings.unbooked_refund_days books it as the toggle on would.
    """
    r = w.loop_return
    paid = payout(r, r.currency)
    refunded_at = _refund_moment(r)
    age = utcnow() - refunded_at if refunded_at is not None else None
    days = runtime.settings.unbooked_refund_days
    due = days is not None and age is not None and age >= timedelta(days=days)
    age_text = f"{age.days} days {age.seconds // 3600} h" if age is not None else "age unknown"
    result.reported.append(
        (
            w.id,
            f"refunded in Loop, not yet booked: {paid.total} {r.currency}, {age_text} ago"
            + (f" (booked now: older than {days} days)" if due else ""),
        )
    )
    result.count("refunded in Loop, not yet booked")
    if due:
        result.count("booked after unbooked_refund_days")
    return due


def loop_refunded_the_rest(w: ReturnWork) -> bool:
    """Loop refunded the return although NetSuite received only part of it, and no receipt is still to come.

    Units Loop marked received (``returned_at``) reach NetSuite through sync 3; while NetSuite holds fewer than
    those, a receipt is still on its way and the refund waits. Otherwise the missing units were never received.
    """
    assert w.ra is not None and w.plan is not None
    ra = w.plan.record(RecordRole.RA)
    returned_in_loop = sum(received_in_loop(w.loop_return, ra.lines).values()) if ra else 0
    return w.ra.received_units > 0 and w.ra.received_units >= returned_in_loop


def received_by_plan_line(w: ReturnWork) -> dict[int, int]:
    """RA plan index -> units NetSuite received on that RA line."""
    assert w.ra is not None
    by_line = {line.line: line for line in w.ra.lines}
    return {index: by_line[number].received for index, number in (ra_line_map(w) or {}).items() if number in by_line}


def close_unreceived(runtime: SyncRuntime, w: ReturnWork, plan: PostingPlan, result: BatchResult) -> None:
    """Loop refunded units that never came back: close the RA lines still expecting them and report the units."""
    assert w.ra is not None
    for units in plan.refunded_not_received:
        result.reported.append(
            (
                w.id,
                f"refunded but never received: {units.quantity} x {units.sku or '?'} ({units.amount} {plan.currency} before tax)",
            )
        )
    result.count("returns refunded with units never received")
    waiting = [line.line for line in w.ra.lines if not line.closed and line.received < line.quantity]
    _close_lines(runtime, w, waiting, result, note="refunded by Loop, the rest never received")


def _close_lines(runtime: SyncRuntime, w: ReturnWork, lines: list[int], result: BatchResult, *, note: str) -> None:
    """Close ``lines`` of the return's RA (lines already done stay as they are) and record the RA as closed by us."""
    assert w.ra is not None
    if lines:
        memo = return_memo(w.loop_return, w.so, with_exchange=True)
        runtime.netsuite.update_record(RecordType.RETURN_AUTHORIZATION, w.ra.id, close_lines_body(lines, memo=memo))
        result.created.append(
            PostedRecord(
                w.id,
                w.loop_return.order_name,
                f"{RecordType.RETURN_AUTHORIZATION} (lines closed)",
                str(w.ra.id),
                str(ExternalId(runtime.store, w.id, RecordRole.RA)),
                note=note,
            )
        )
    with runtime.ledger.session() as repo:
        repo.upsert_link(runtime.store, w.id, ra_closed_by_us_at=utcnow(), ra_status_seen=RaStatus.CLOSED)


def ra_holds_more_than_the_return(w: ReturnWork, match: RaMatch) -> bool:
    """The RA still expects units the Loop return no longer holds (Loop's Remove Line Items took them off)."""
    assert w.ra is not None
    return bool(match.unplanned) or sum(line.quantity for line in w.ra.lines if not line.closed) > match.wanted_units


def close_not_refunded(runtime: SyncRuntime, w: ReturnWork, plan: PostingPlan, result: BatchResult) -> None:
    """Loop refunded fewer units than the RA holds: report them and close the RA lines not fully credited.

    POSTING.md, "Partial receipt, then Loop refunds anyway": the money document credits what Loop refunded and
    the RA's remaining lines are closed, so the RA leaves NetSuite's pending lists; lines fully credited stay as they
    are (the RA ends Refunded when one was, Closed when none).
    """
    assert w.ra is not None
    for units in plan.not_refunded:
        result.reported.append(
            (
                w.id,
                f"not refunded by Loop, RA line closed: {units.quantity} x {units.sku or '?'} "
                f"({units.amount} {plan.currency} before tax)",
            )
        )
    result.count("RAs closed after Loop refunded fewer units")
    remaining = [line.line for line in w.ra.lines if not line.closed and line.billed < line.quantity]
    _close_lines(runtime, w, remaining, result, note="Loop refunded fewer units than the RA holds")
