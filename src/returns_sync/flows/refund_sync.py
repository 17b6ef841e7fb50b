"""Sync 4 (Loop → NetSuite): cash refund, credit memo + customer refund, store credit, exchange differences, deposits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow

from returns_sync.flows.common import finish, run_loop_sync
from returns_sync.tasks.refunds import post_refunds

__all__ = ["refund_sync"]


@flow(name="refund_sync", flow_run_name="refund_sync · {store}",
      description="Loop refund / store credit / exchange → NetSuite money records linked to the original order.")
def refund_sync(store: str, return_ids: list[str] | None = None, since: datetime | None = None, dry_run: bool = False) -> Any:
    """Post the money side of processed returns (see ra_sync for the parameters)."""
    result = run_loop_sync(sync="refund_sync", store=store, return_ids=return_ids, since=since, dry_run=dry_run,
                           states=["closed"], batch_task=post_refunds)
    return finish(result)
