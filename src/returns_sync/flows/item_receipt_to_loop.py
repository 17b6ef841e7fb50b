"""Sync 2 (NetSuite → Loop): mark the Loop return Processed when its goods are received in NetSuite; pass RA flags on."""

from __future__ import annotations

from datetime import datetime

from prefect import flow

from returns_sync.domain.syncs import SyncName
from returns_sync.flows.common import FlowOutcome, finish, run_netsuite_sync
from returns_sync.tasks.item_receipt_to_loop import update_loop_from_receipts

__all__ = ["item_receipt_to_loop"]

SYNC = SyncName.ITEM_RECEIPT_TO_LOOP


@flow(
    name=SYNC.value,
    persist_result=True,  # a state read back from the API keeps its summary (run_all, the CLI): no MissingResult
    flow_run_name=f"{SYNC} · {{store}}",
    description="NetSuite Item Receipt → Loop return processed; partial receipt or RA flag → Loop manual review (once per change).",
)
def item_receipt_to_loop(
    store: str, return_ids: list[str] | None = None, since: datetime | None = None, dry_run: bool = False
) -> FlowOutcome:
    """Update Loop from RAs that changed in NetSuite (see ra_sync for the parameters)."""
    result = run_netsuite_sync(
        sync=SYNC, store=store, return_ids=return_ids, since=since, dry_run=dry_run, batch_task=update_loop_from_receipts
    )
    return finish(result)
