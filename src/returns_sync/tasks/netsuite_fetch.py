"""Read our Return Authorizations that changed in NetSuite: the input of the NetSuite → Loop syncs (2 and 6)."""

from __future__ import annotations

from datetime import datetime, timedelta

from prefect import task

from returns_sync.tasks import netsuite_lookup as lookup
from returns_sync.tasks.netsuite_lookup import RaState
from returns_sync.tasks.retry import RETRY_OPTIONS
from returns_sync.tasks.runtime import open_runtime

__all__ = ["fetch_changed_return_authorizations"]


@task(name="fetch changed return authorizations", task_run_name="{sync} · {store} · fetch changed RAs", **RETRY_OPTIONS)
def fetch_changed_return_authorizations(
    store: str, sync: str, start: datetime, end: datetime, ra_ids: list[str] | None = None, also: list[str] | None = None
) -> list[RaState]:
    """Our RAs of ``store`` modified in ``[start, end)`` (NetSuite times are UTC here) plus the ``also`` externalIds,
    or only the ``ra_ids`` externalIds."""
    with open_runtime(store) as runtime:
        s = runtime.settings

        def named(ids: list[str]) -> list[RaState]:
            return list(lookup.find_return_authorizations(runtime.netsuite, ids, loop_id_field=s.ra_loop_id_field,
                                                          flag_field=s.ra_flag_field).values())

        if ra_ids:
            return named(ra_ids)
        # NetSuite keeps whole seconds: round the end up, or a change in the run's first second is missed.
        until = (end + timedelta(seconds=1) if end.microsecond else end).strftime("%Y-%m-%d %H:%M:%S")
        changed = lookup.changed_return_authorizations(
            runtime.netsuite, store=store, since=start.strftime("%Y-%m-%d %H:%M:%S"), until=until,
            loop_id_field=s.ra_loop_id_field, flag_field=s.ra_flag_field,
        )
        known = {ra.external_id for ra in changed}
        extra = [i for i in also or [] if i not in known]
        return changed + (named(extra) if extra else [])
