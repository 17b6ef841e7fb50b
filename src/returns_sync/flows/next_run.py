"""When the sync runs next for the store, for a failure message's "they will be retried at …"."""

from __future__ import annotations

from datetime import datetime

from returns_sync.domain.syncs import SyncName

__all__ = ["next_scheduled_run"]

# Scheduled runs read per look-up: every deployment of the sync (one per store) has a few queued ahead.
_SCHEDULED_RUNS_READ = 200


def next_scheduled_run(sync: SyncName, store: str) -> datetime | None:
    """The expected start of the next scheduled run of ``sync`` for ``store``; None when none is scheduled.

    Looked up by flow name and the run's ``store`` parameter, not by the running flow's deployment: a sync
    run inside ``run_all`` (a webhook burst, ``returns-sync run``) has no schedule of its own, yet the sync's
    own deployment for the store will retry what failed. Only a hint in a message, so a failed lookup gives
    None rather than a second failure.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    try:
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[sync.value])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                limit=_SCHEDULED_RUNS_READ,
            )
    except Exception:  # a hint only; the failure being reported matters, not this lookup
        return None
    return next((run.expected_start_time for run in runs if (run.parameters or {}).get("store") == store), None)
