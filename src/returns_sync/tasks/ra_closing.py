"""Close what is still open on a return's RA when nothing more will be received or refunded on it.

An exchange's RA (nothing to refund) and an expired instant exchange's RA (the goods will not come back) end the
same way: their open lines are closed in NetSuite, so the RA leaves the "pending" lists, and the ledger records it.
"""

from __future__ import annotations

from returns_sync.domain.netsuite import RaStatus, RecordType
from returns_sync.ledger import LineStatus
from returns_sync.tasks.loading import ReturnWork
from returns_sync.tasks.netsuite_bodies import close_lines_body
from returns_sync.tasks.results import BatchResult, PostedRecord
from returns_sync.tasks.runtime import SyncRuntime, utcnow

__all__ = ["close_open_ra_lines"]


def close_open_ra_lines(
    runtime: SyncRuntime, w: ReturnWork, result: BatchResult, *, memo: str, external_id: str, counter: str, note: str
) -> None:
    """Close the RA lines still open (if the RA is), report it under ``counter``, and mark the return closed in the ledger."""
    if w.ra is None:
        return
    open_lines = [line.line for line in w.ra.lines if not line.closed]
    if open_lines and w.ra.status.is_open():
        runtime.netsuite.update_record(RecordType.RETURN_AUTHORIZATION, w.ra.id, close_lines_body(open_lines, memo=memo))
        result.count(counter)
        result.created.append(
            PostedRecord(
                w.id,
                w.loop_return.order_name,
                f"{RecordType.RETURN_AUTHORIZATION} (lines closed)",
                str(w.ra.id),
                external_id,
                note=note,
            )
        )
    with runtime.ledger.session() as repo:
        repo.upsert_link(
            runtime.store,
            w.id,
            ra_closed_by_us_at=utcnow(),
            ra_status_seen=RaStatus.CLOSED,
            exchange_ns_sales_order_id=w.exchange_so_id,
        )
        repo.set_lines_status(runtime.store, w.id, LineStatus.CLOSED)
