"""When the deployment of the running flow runs next, for a failure message's "they will be retried at …"."""

from __future__ import annotations

from datetime import datetime

__all__ = ["next_scheduled_run"]


def next_scheduled_run() -> datetime | None:
    """The expected start of the next scheduled run of this flow run's deployment; None when it has none.

    A run started by hand (``returns-sync run``, a test) has no deployment, and a sub-flow of run_all none
    of its own: the message then says "at the next scheduled run". Only a hint in a message, so a failed
    lookup gives None rather than a second failure.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.runtime import deployment

    # Empty outside a deployment run (https://docs.prefect.io/v3/concepts/runtime-context).
    deployment_id = deployment.id
    if not deployment_id:
        return None
    try:
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                limit=1,
            )
    except Exception:  # a hint only; the failure being reported matters, not this lookup
        return None
    return runs[0].expected_start_time if runs else None
