"""Sync 4 (Loop → NetSuite): cash refund, credit memo + customer refund, store credit, exchange differences, deposits."""

from __future__ import annotations

from datetime import datetime

from prefect import flow

from returns_sync.domain.loop import ReturnState
from returns_sync.domain.syncs import SyncName
from returns_sync.flows.common import FlowOutcome, finish, run_loop_sync
from returns_sync.flows.netsuite_numbers import write_back_netsuite_numbers
from returns_sync.tasks.refunds import post_refunds

__all__ = ["LOOP_STATES", "refund_sync"]

# The Loop states this sync lists (run_all lists the union of its Loop-driven syncs once).
LOOP_STATES = [ReturnState.CLOSED, ReturnState.EXPIRED]  # expired: instant-exchange charges
SYNC = SyncName.REFUND_SYNC


@flow(
    name=SYNC.value,
    persist_result=True,  # a state read back from the API keeps its summary (run_all, the CLI): no MissingResult
    flow_run_name=f"{SYNC} · {{store}}",
    description="Loop refund / store credit / exchange → NetSuite money records linked to the original order.",
)
def refund_sync(
    store: str, return_ids: list[str] | None = None, since: datetime | None = None, dry_run: bool = False
) -> FlowOutcome:
    """Post the money side of processed returns (see ra_sync for the parameters)."""
    result = run_loop_sync(
        sync=SYNC,
        store=store,
        return_ids=return_ids,
        since=since,
        dry_run=dry_run,
        states=LOOP_STATES,
        batch_task=post_refunds,
    )
    return finish(write_back_netsuite_numbers(result))
