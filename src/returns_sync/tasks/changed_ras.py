"""Our Return Authorizations that changed in NetSuite, read a page at a time by key.

The NetSuite → Loop syncs (2 and 6) read the RAs modified in their window; the NetSuite poll reads those
modified since its mark. A first run, or a day's backlog, is thousands of RAs: the syncs take them a page
(up to 1,000 headers, NetSuite's largest SuiteQL page) at a time, and the next page starts after the last
key read, so no more than a page or two of RAs is held at once whatever the backlog.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from zoneinfo import ZoneInfo

from returns_sync.connectors.netsuite import MAX_PAGE_SIZE, NetSuiteClient
from returns_sync.tasks import suiteql_statements as sql
from returns_sync.tasks.netsuite_dates import parse_datetime
from returns_sync.tasks.netsuite_lookup import RaState, ra_state, ra_states_with_lines
from returns_sync.tasks.suiteql_statements import StatementFields

__all__ = [
    "ChangedRaPage",
    "ChangedRaWindow",
    "RaPageKey",
    "changed_ra_header_page",
    "changed_ra_headers",
    "changed_return_authorizations",
    "modified_return_authorizations",
]


@dataclass(frozen=True, slots=True)
class RaPageKey:
    """Where a page of changed RAs ended: the statement orders by modification, then id."""

    modified: datetime
    ra_id: int


@dataclass(frozen=True, slots=True)
class ChangedRaWindow:
    """Which RAs a read of changed RAs asks for: ``store``'s, modified in ``[since, until)`` (UTC; no ``until``: to now),
    read with ``fields``, their dates in the NetSuite user's ``zone``."""

    fields: StatementFields
    store: str
    since: datetime
    until: datetime | None
    zone: ZoneInfo


@dataclass(frozen=True, slots=True)
class ChangedRaPage:
    """One page of changed RAs (with their lines); ``next_after`` is where the next page starts, None after the last."""

    ras: list[RaState]
    headers_read: int
    next_after: RaPageKey | None


def changed_ra_header_page(
    ns: NetSuiteClient, window: ChangedRaWindow, after: RaPageKey | None = None, page_size: int = MAX_PAGE_SIZE
) -> tuple[list[dict[str, str]], RaPageKey | None]:
    """One page of the headers of the RAs of ``window``, after the key ``after``.

    Paging by offset skips a row whenever a row of an earlier page is modified while the later pages are read:
    its new modification moves it out of the window (or to its end), every later row moves up one place, and
    the row that crossed the page boundary is never read. The cursor then moves past it, and its change is
    lost. That happens whenever a backlog lists more than a page while anything edits our RAs (the posting
    syncs beside this one, or a person). Each page here asks for the rows after the last one read, in the
    statement's order (modification, then id), so a row changed meanwhile only leaves or moves to the end.

    Returns the page's rows and the key of the next page (None when this page was the last).
    """
    bounds = sql.changed_window(
        window.store, window.since, window.until, window.zone, after=None if after is None else (after.modified, after.ra_id)
    )
    # islice stops the connector's own paging after the first page: the next request is never sent.
    page = list(islice(ns.suiteql(sql.RETURN_AUTHORIZATIONS_CHANGED(window.fields, bounds), page_size=page_size), page_size))
    if len(page) < page_size:
        return page, None
    modified = parse_datetime(page[-1].get("lastmodifieddate"), window.zone)
    if modified is None:  # NetSuite sets it on every record; without it there is no key to page by
        raise ValueError(f"RA {page[-1].get('id')} came back without lastmodifieddate")
    return page, RaPageKey(modified, int(page[-1]["id"]))


def changed_ra_headers(ns: NetSuiteClient, window: ChangedRaWindow, page_size: int = MAX_PAGE_SIZE) -> list[dict[str, str]]:
    """Every page of ``changed_ra_header_page`` at once. Without ``until`` a row modified while the later pages are
    read is read again at the end: it is kept once, as last read."""
    headers: dict[str, dict[str, str]] = {}
    after: RaPageKey | None = None
    while True:
        page, after = changed_ra_header_page(ns, window, after, page_size)
        headers.update((row["id"], row) for row in page)
        if after is None:
            return list(headers.values())


def changed_return_authorizations(
    ns: NetSuiteClient,
    *,
    store: str,
    since: datetime,
    until: datetime,
    loop_id_field: str,
    flag_field: str | None,
    time_zone: str,
    unchanged_through: datetime | None = None,
    after: RaPageKey | None = None,
    page_size: int = MAX_PAGE_SIZE,
) -> ChangedRaPage:
    """One page of our RAs of ``store`` modified in ``[since, until)`` (UTC), with their lines; NetSuite reads the
    bounds in the user's ``time_zone``. Start with ``after=None`` and go on with each page's ``next_after``.

    Headers last modified at or before ``unchanged_through`` are dropped before their lines are read (the page's
    end is still where the next page starts).
    """
    zone = ZoneInfo(time_zone)
    fields = StatementFields(loop_id_field=loop_id_field, flag_field=flag_field)
    headers, next_after = changed_ra_header_page(ns, ChangedRaWindow(fields, store, since, until, zone), after, page_size)
    read = len(headers)
    if unchanged_through is not None:
        headers = [h for h in headers if _modified_after(h, unchanged_through, zone)]
    changed = ra_states_with_lines(ns, headers, zone) if headers else []
    # LIKE 'loop-north-%' also matches the RAs of a store keyed north-eu.
    ours = [ra for ra in changed if (external := ra.ours) is not None and external.store == store]
    return ChangedRaPage(ras=ours, headers_read=read, next_after=next_after)


def modified_return_authorizations(
    ns: NetSuiteClient, *, store: str, since: datetime, loop_id_field: str, flag_field: str | None, time_zone: str
) -> list[RaState]:
    """Our RAs of ``store`` modified at or after ``since`` (UTC), headers only: one query, whatever changed."""
    zone = ZoneInfo(time_zone)
    fields = StatementFields(loop_id_field=loop_id_field, flag_field=flag_field)
    headers = changed_ra_headers(ns, ChangedRaWindow(fields, store, since, None, zone))
    ras = [ra_state(h, zone, ()) for h in headers]
    return [ra for ra in ras if (ours := ra.ours) is not None and ours.store == store]


def _modified_after(header: dict[str, str], mark: datetime, zone: ZoneInfo) -> bool:
    modified = parse_datetime(header.get("lastmodifieddate"), zone)
    return modified is None or modified > mark
