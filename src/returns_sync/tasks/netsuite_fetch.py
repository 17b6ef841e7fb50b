"""Read our Return Authorizations that changed in NetSuite, a page at a time: the input of the NetSuite → Loop syncs (2 and 6)."""

from __future__ import annotations

from datetime import datetime

from prefect import task

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.netsuite import RecordRole
from returns_sync.domain.syncs import SyncName
from returns_sync.tasks import netsuite_lookup as lookup
from returns_sync.tasks.changed_ras import ChangedRaPage, RaPageKey, changed_return_authorizations
from returns_sync.tasks.netsuite_lookup import RaState
from returns_sync.tasks.retry import RETRY_OPTIONS
from returns_sync.tasks.runtime import SyncRuntime, open_runtime

__all__ = ["fetch_changed_return_authorizations", "fetch_return_authorizations_by_return"]


def _ras_of(runtime: SyncRuntime, return_ids: list[str]) -> list[RaState]:
    s = runtime.settings
    wanted = [ExternalId(runtime.store, return_id, RecordRole.RA) for return_id in dict.fromkeys(return_ids)]
    found = lookup.find_return_authorizations(
        runtime.netsuite, wanted, loop_id_field=s.ra_loop_id_field, flag_field=s.ra_flag_field, time_zone=s.netsuite_time_zone
    )
    return list(found.values())


# A backlog's changed RAs are read this many at a time, with their lines, and a sync holds two pages at most (the next
# is read while this one's batches run). NetSuite pages SuiteQL up to 1,000 rows; a quarter of that keeps what a
# big backlog holds at once near what one cycle of a normal day reads, for one more query per 250 RAs (issue 12).
CHANGED_RA_PAGE_ROWS = 250


@task(name="fetch changed return authorizations", task_run_name="{sync} · {store} · fetch changed RAs", **RETRY_OPTIONS)
def fetch_changed_return_authorizations(
    store: str,
    sync: SyncName,
    start: datetime,
    end: datetime,
    unchanged_through: datetime | None = None,
    after: RaPageKey | None = None,
) -> ChangedRaPage:
    """One page of our RAs of ``store`` modified in ``[start, end)`` (UTC; NetSuite reads them in the user's time zone), after
    the key ``after`` (None: the first page). RAs last modified at or before ``unchanged_through`` (``Window.handled_through``:
    a run already handled them as they are) are left out before their lines are read.

    Example:
        >>> fetch_changed_return_authorizations.fn("north", SyncName.RA_CANCELLATION, start, end)  # doctest: +SKIP
    """
    with open_runtime(store) as runtime:
        s = runtime.settings
        return changed_return_authorizations(
            runtime.netsuite,
            store=store,
            since=start,
            until=end,
            loop_id_field=s.ra_loop_id_field,
            flag_field=s.ra_flag_field,
            time_zone=s.netsuite_time_zone,
            unchanged_through=unchanged_through,
            after=after,
            page_size=CHANGED_RA_PAGE_ROWS,
        )


@task(
    name="fetch return authorizations by Loop return",
    task_run_name="{sync} · {store} · fetch RAs of {return_ids_count} returns",
    **RETRY_OPTIONS,
)
def fetch_return_authorizations_by_return(
    store: str, sync: SyncName, return_ids: list[str], return_ids_count: int = 0
) -> list[RaState]:
    """The RAs of the named Loop returns (a rerun); returns without an RA are left out."""
    with open_runtime(store) as runtime:
        return _ras_of(runtime, return_ids)
