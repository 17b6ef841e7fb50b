"""Sync 5 (Loop → NetSuite): close the RA when the Loop return is cancelled."""

from __future__ import annotations

from datetime import datetime

from prefect import flow

from returns_sync.domain.loop import ReturnState
from returns_sync.domain.syncs import SyncName
from returns_sync.flows.common import FlowOutcome, finish, run_loop_sync
from returns_sync.tasks.return_cancellation import close_cancelled_return_authorizations

__all__ = ["LOOP_STATES", "return_cancellation"]

# The Loop states this sync lists (run_all lists the union of its Loop-driven syncs once).
LOOP_STATES = [ReturnState.CANCELLED]
SYNC = SyncName.RETURN_CANCELLATION


@flow(
    name=SYNC.value,
    persist_result=True,  # a state read back from the API keeps its summary (run_all, the CLI): no MissingResult
    flow_run_name=f"{SYNC} · {{store}}",
    description="Loop return cancelled → its NetSuite RA lines closed (toggle close_ra_on_loop_cancel).",
)
def return_cancellation(
    store: str, return_ids: list[str] | None = None, since: datetime | None = None, dry_run: bool = False
) -> FlowOutcome:
    """Close the RAs of cancelled Loop returns (see ra_sync for the parameters)."""
    result = run_loop_sync(
        sync=SYNC,
        store=store,
        return_ids=return_ids,
        since=since,
        dry_run=dry_run,
        states=LOOP_STATES,
        batch_task=close_cancelled_return_authorizations,
    )
    return finish(result)
