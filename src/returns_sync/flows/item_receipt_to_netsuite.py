"""Sync 3 (Loop → NetSuite): Item Receipts for returns the warehouse received in Loop."""

from __future__ import annotations

from datetime import datetime

from prefect import flow

from returns_sync.domain.loop import ReturnState
from returns_sync.domain.syncs import SyncName
from returns_sync.flows.common import FlowOutcome, finish, run_loop_sync
from returns_sync.flows.netsuite_numbers import write_back_netsuite_numbers
from returns_sync.tasks.item_receipt_to_netsuite import post_item_receipts

__all__ = ["LOOP_STATES", "item_receipt_to_netsuite"]

# The Loop states this sync lists (run_all lists the union of its Loop-driven syncs once).
LOOP_STATES = [ReturnState.OPEN, ReturnState.REVIEW, ReturnState.CLOSED]
SYNC = SyncName.ITEM_RECEIPT_TO_NETSUITE


@flow(
    name=SYNC.value,
    persist_result=True,  # a state read back from the API keeps its summary (run_all, the CLI): no MissingResult
    flow_run_name=f"{SYNC} · {{store}}",
    description="Units received in Loop → NetSuite Item Receipt on the RA, at the disposition's location.",
)
def item_receipt_to_netsuite(
    store: str, return_ids: list[str] | None = None, since: datetime | None = None, dry_run: bool = False
) -> FlowOutcome:
    """Receive in NetSuite what Loop marked received (see ra_sync for the parameters)."""
    result = run_loop_sync(
        sync=SYNC,
        store=store,
        return_ids=return_ids,
        since=since,
        dry_run=dry_run,
        states=LOOP_STATES,
        batch_task=post_item_receipts,
    )
    return finish(write_back_netsuite_numbers(result))
