"""Sync 6 (NetSuite → Loop): cancel the Loop return (and its exchange) when its RA is closed in NetSuite."""

from __future__ import annotations

from datetime import datetime

from prefect import flow

from returns_sync.domain.syncs import SyncName
from returns_sync.flows.common import FlowOutcome, finish, run_netsuite_sync
from returns_sync.tasks.ra_cancellation import cancel_loop_returns

__all__ = ["ra_cancellation"]

SYNC = SyncName.RA_CANCELLATION


@flow(
    name=SYNC.value,
    persist_result=True,  # a state read back from the API keeps its summary (run_all, the CLI): no MissingResult
    flow_run_name=f"{SYNC} · {{store}}",
    description="RA closed or cancelled in NetSuite → Loop return cancelled (toggle cancel_loop_on_ra_close).",
)
def ra_cancellation(
    store: str, return_ids: list[str] | None = None, since: datetime | None = None, dry_run: bool = False
) -> FlowOutcome:
    """Cancel Loop returns whose RA someone closed in NetSuite (see ra_sync for the parameters)."""
    result = run_netsuite_sync(
        sync=SYNC, store=store, return_ids=return_ids, since=since, dry_run=dry_run, batch_task=cancel_loop_returns
    )
    return finish(result)
