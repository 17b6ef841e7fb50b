"""Read Loop returns for a sync: the changes in its window, or named returns (reruns, retries of quarantined ones)."""

from __future__ import annotations

from datetime import datetime

from prefect import task

from returns_sync.connectors.errors import PermanentApiError
from returns_sync.domain.loop import LoopReturn, ReturnState
from returns_sync.domain.syncs import SyncName
from returns_sync.tasks.retry import RETRY_OPTIONS
from returns_sync.tasks.runtime import SyncRuntime, open_runtime

__all__ = ["fetch_changed_returns", "fetch_returns_by_id"]


@task(name="fetch changed Loop returns", task_run_name="{sync} · {store} · fetch Loop returns", **RETRY_OPTIONS)
def fetch_changed_returns(
    store: str, sync: SyncName, start: datetime, end: datetime, states: list[ReturnState], also: list[str] | None = None
) -> list[LoopReturn]:
    """Every return of ``states`` updated in ``[start, end)`` (one list call per state and page), plus the ``also`` ids.

    Example:
        >>> fetch_changed_returns.fn("north", SyncName.RA_SYNC, start, end, [ReturnState.OPEN, ReturnState.CLOSED])  # doctest: +SKIP
    """
    found: dict[str, LoopReturn] = {}
    with open_runtime(store) as runtime:
        for page in runtime.loop.iter_return_pages(updated_from=start, updated_to=end, states=states):
            for loop_return in page:
                found[loop_return.id] = loop_return
        for loop_return in _by_id(runtime, [i for i in also or [] if i not in found]):
            found[loop_return.id] = loop_return
    return list(found.values())


def _by_id(runtime: SyncRuntime, return_ids: list[str]) -> list[LoopReturn]:
    found = []
    for return_id in dict.fromkeys(return_ids):
        try:
            found.append(runtime.loop.get_return(return_id))
        except PermanentApiError as exc:
            if exc.status_code != 404:
                raise
    return found


@task(name="fetch Loop returns by id", task_run_name="{sync} · {store} · fetch {return_ids_count} Loop returns", **RETRY_OPTIONS)
def fetch_returns_by_id(store: str, sync: SyncName, return_ids: list[str], return_ids_count: int = 0) -> list[LoopReturn]:
    """The named returns; ids Loop does not know (deleted, other shop) are left out."""
    with open_runtime(store) as runtime:
        return _by_id(runtime, return_ids)
