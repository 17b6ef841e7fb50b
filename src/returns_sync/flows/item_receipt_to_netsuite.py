"""Sync 3 (Loop → NetSuite): Item Receipts for returns the warehouse received in Loop."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow

from returns_sync.flows.common import finish, run_loop_sync
from returns_sync.tasks.item_receipt_to_netsuite import post_item_receipts

__all__ = ["item_receipt_to_netsuite"]


@flow(name="item_receipt_to_netsuite", flow_run_name="item_receipt_to_netsuite · {store}",
      description="Units received in Loop → NetSuite Item Receipt on the RA, at the disposition's location.")
def item_receipt_to_netsuite(store: str, return_ids: list[str] | None = None, since: datetime | None = None, dry_run: bool = False) -> Any:
    """Receive in NetSuite what Loop marked received (see ra_sync for the parameters)."""
    result = run_loop_sync(sync="item_receipt_to_netsuite", store=store, return_ids=return_ids, since=since, dry_run=dry_run,
                           states=["open", "review", "closed"], batch_task=post_item_receipts)
    return finish(result)
