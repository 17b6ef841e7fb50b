"""Sync 1 (Loop → NetSuite): a Return Authorization, linked to the original sales order, for each new Loop return."""

from __future__ import annotations

from datetime import datetime

from prefect import flow

from returns_sync.domain.loop import ReturnState
from returns_sync.domain.syncs import SyncName
from returns_sync.flows.common import FlowOutcome, finish, run_loop_sync
from returns_sync.flows.netsuite_numbers import write_back_netsuite_numbers
from returns_sync.tasks.return_authorizations import post_return_authorizations

__all__ = ["LOOP_STATES", "ra_sync"]

# The Loop states this sync lists (run_all lists the union of its Loop-driven syncs once).
LOOP_STATES = [ReturnState.OPEN, ReturnState.REVIEW, ReturnState.CLOSED]
SYNC = SyncName.RA_SYNC


@flow(
    name=SYNC.value,
    persist_result=True,  # a state read back from the API keeps its summary (run_all, the CLI): no MissingResult
    flow_run_name=f"{SYNC} · {{store}}",
    description="Loop return → NetSuite Return Authorization (transform of the original SO).",
)
def ra_sync(store: str, return_ids: list[str] | None = None, since: datetime | None = None, dry_run: bool = False) -> FlowOutcome:
    """Create the missing RAs of ``store``.

    Args:
        store: Store key; its settings block is ``store-<key>``.
        return_ids: Only these Loop returns (the cursor does not move).
        since: Backfill from this time (the cursor does not move).
        dry_run: Plan and validate, post nothing; the artifact shows the plan.
    """
    result = run_loop_sync(
        sync=SYNC,
        store=store,
        return_ids=return_ids,
        since=since,
        dry_run=dry_run,
        states=LOOP_STATES,
        batch_task=post_return_authorizations,
    )
    return finish(write_back_netsuite_numbers(result))
