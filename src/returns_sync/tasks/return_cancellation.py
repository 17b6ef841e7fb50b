"""Sync 5 (Loop → NetSuite): close the RA of a return cancelled in Loop, when nothing on it was received or refunded."""

from __future__ import annotations

from prefect import task

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.listed_returns import BatchOfReturns, read_returns
from returns_sync.domain.loop import ReturnState
from returns_sync.domain.netsuite import RaStatus, RecordRole, RecordType
from returns_sync.domain.syncs import SyncName
from returns_sync.ledger import LineStatus
from returns_sync.tasks import netsuite_lookup as lookup
from returns_sync.tasks.netsuite_bodies import close_lines_body
from returns_sync.tasks.results import BatchResult, PostedRecord, one_record
from returns_sync.tasks.retry import RETRY_OPTIONS
from returns_sync.tasks.runtime import open_runtime, utcnow

__all__ = ["close_cancelled_return_authorizations"]

SYNC = SyncName.RETURN_CANCELLATION


@task(name="close RAs of cancelled returns", task_run_name=f"{SYNC} · {{store}} · batch {{batch}}", **RETRY_OPTIONS)
def close_cancelled_return_authorizations(
    store: str, returns: BatchOfReturns, batch: int = 1, dry_run: bool = False
) -> BatchResult:
    """Close every open line of the RA of each cancelled Loop return (toggle ``close_ra_on_loop_cancel``).

    An RA with goods received or money credited is left alone and reported: closing it would hide
    units that are physically back.

    Example:
        >>> close_cancelled_return_authorizations.fn("north", returns, batch=1)  # doctest: +SKIP
    """
    result = BatchResult(sync=SYNC, store=store, dry_run=dry_run)
    cancelled = [r for r in read_returns(returns) if r.state is ReturnState.CANCELLED]
    if not cancelled:
        return result
    with open_runtime(store) as runtime:
        s = runtime.settings
        ras = lookup.find_return_authorizations(
            runtime.netsuite,
            [ExternalId(store, r.id, RecordRole.RA) for r in cancelled],
            loop_id_field=s.ra_loop_id_field,
            flag_field=s.ra_flag_field,
            time_zone=s.netsuite_time_zone,
        )
        for r in cancelled:
            ra = ras.get(ExternalId(store, r.id, RecordRole.RA))
            if ra is None:
                result.count("no RA (nothing to close)")
                continue
            with runtime.ledger.session() as repo:
                link = repo.get_link(store, r.id)
            if link and link.loop_cancelled_by_us_at:
                result.count("cancelled by returns-sync (RA already closed in NetSuite)")
                continue
            if not s.close_ra_on_loop_cancel:
                result.count("return cancelled; closing the RA is off for this store")
                continue
            if not ra.status.closable_on_loop_cancel() or any(line.billed for line in ra.lines):
                if ra.status.is_terminal():
                    result.count("RA already closed")
                else:
                    result.count("RA left open: goods received or credited")
                    result.waiting.append((r.id, f"a person: {ra.tranid} has receipts or credits, close it by hand if right"))
                continue
            open_lines = [line.line for line in ra.lines if not line.closed]
            if dry_run:
                result.planned.append({"loop_return_id": r.id, "action": "close RA lines", "ra": ra.tranid, "lines": open_lines})
                continue
            with one_record(result, r.id):
                memo = f"Loop return {r.id} cancelled in Loop"
                runtime.netsuite.update_record(RecordType.RETURN_AUTHORIZATION, ra.id, close_lines_body(open_lines, memo=memo))
                with runtime.ledger.session() as repo:
                    repo.upsert_link(
                        store,
                        r.id,
                        ra_closed_by_us_at=utcnow(),
                        loop_state_seen=ReturnState.CANCELLED,
                        ra_status_seen=RaStatus.CLOSED,
                    )
                    repo.set_lines_status(store, r.id, LineStatus.CANCELLED)
                    repo.audit(
                        store=store,
                        sync=SYNC,
                        loop_return_id=r.id,
                        action=f"closed {RecordType.RETURN_AUTHORIZATION} lines",
                        detail={"ra": ra.id, "lines": open_lines},
                    )
                result.created.append(
                    PostedRecord(
                        r.id,
                        r.order_name,
                        f"{RecordType.RETURN_AUTHORIZATION} (lines closed)",
                        str(ra.id),
                        ra.external_id or "",
                        note="Loop return cancelled",
                    )
                )
                result.count("RAs closed")
    result.raise_if_transient()
    return result
