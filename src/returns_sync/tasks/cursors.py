"""The ledger side of a run: its window, the returns it must look at again, and moving the cursor after it."""

from __future__ import annotations

from datetime import datetime, timedelta

from prefect import task

from returns_sync.domain.listed_returns import ListedReturn
from returns_sync.domain.netsuite import RecordRole
from returns_sync.domain.syncs import SyncName
from returns_sync.ledger import ReturnLink, Window
from returns_sync.tasks.results import BatchResult
from returns_sync.tasks.retry import NEVER_CACHED
from returns_sync.tasks.runtime import ledger_for, load_settings, utcnow

__all__ = [
    "REFUND_WAIT_RECHECK",
    "advance_sync_cursor",
    "drop_unchanged",
    "open_sync_window",
    "refund_recheck_due",
    "returns_to_revisit",
]


@task(name="open sync window", task_run_name="{sync} · {store} · open window", **NEVER_CACHED)
def open_sync_window(
    store: str, sync: SyncName, since: datetime | None = None, run_started_at: datetime | None = None
) -> tuple[Window, list[str]]:
    """``[cursor − overlap, run start)`` (or ``[since, run start)`` for a backfill that never moves the cursor),
    and the returns the ledger wants looked at again whatever the window (see ``returns_to_revisit``)."""
    settings = load_settings(store)
    with ledger_for().session() as repo:
        window = repo.open_window(
            store,
            sync,
            run_started_at=run_started_at or utcnow(),
            overlap=settings.cursor_overlap,
            initial_lookback=settings.initial_lookback,
            since=since,
        )
    return window, returns_to_revisit(store, sync)


@task(name="advance cursor", task_run_name="{window.sync} · {window.store} · advance cursor", **NEVER_CACHED)
def advance_sync_cursor(window: Window, seen: list[tuple[str, datetime]]) -> None:
    """Move the cursor over everything the run handled (no-op for backfills and dry runs)."""
    if not seen:
        return
    with ledger_for().session() as repo:
        repo.advance_cursor(window, seen)


# A quarantined return is looked at again after 30 min, then 1 h, 2 h … at most every 12 h: data fixed in
# NetSuite (an item, an order) is picked up by the next sweeps without re-reading hopeless returns every run.
# A change in Loop brings it back at once through the window; `returns-sync rerun` forces it.
_QUARANTINE_FIRST_RETRY = timedelta(minutes=30)
_QUARANTINE_MAX_WAIT = timedelta(hours=12)


def quarantine_retry_due(attempts: int, last_seen: datetime, now: datetime) -> bool:
    wait = min(_QUARANTINE_FIRST_RETRY * 2 ** max(attempts - 1, 0), _QUARANTINE_MAX_WAIT)
    return now - last_seen >= wait


# A return refund_sync found waiting (for a receipt, the exchange order's invoice ...) is not read again from Loop
# and NetSuite on every run. It comes back when Loop lists it as changed (the window), when a sync changed its
# ledger link since the check (item_receipt_to_loop notes every RA status NetSuite reports, so a receipt or a
# close entered in NetSuite counts), and at the latest this long after the last check, for the changes no list
# reports (an invoice created for the exchange order).
REFUND_WAIT_RECHECK = timedelta(hours=1)


def refund_recheck_due(link: ReturnLink, now: datetime) -> bool:
    """Whether refund_sync should read a waiting return again (see ``REFUND_WAIT_RECHECK``)."""
    checked = link.refund_wait_checked_at
    if checked is None:
        return True
    changed_since = link.updated_at is not None and link.updated_at > checked
    return changed_since or now - checked >= REFUND_WAIT_RECHECK


def returns_to_revisit(store: str, sync: SyncName) -> list[str]:
    """Quarantined returns due for another try, and returns the ledger says are waiting on this sync."""
    now = utcnow()
    with ledger_for().session() as repo:
        ids = [
            entry.loop_return_id
            for entry in repo.open_quarantine(store, sync)
            if quarantine_retry_due(entry.attempts, entry.last_seen, now)
        ]
        if sync == SyncName.REFUND_SYNC:
            # Closed in Loop, with no refund document yet, whether posted by us or by the Shopify connector.
            waiting = repo.links_closed_without_refund(store, _REFUND_ROLES)
            ids += [link.loop_return_id for link in waiting if refund_recheck_due(link, now)]
        if sync == SyncName.ITEM_RECEIPT_TO_LOOP:
            # Loop processes asynchronously: look again at returns we asked it to process until it reports them closed.
            ids += repo.links_awaiting_loop_close(store)
    return list(dict.fromkeys(ids))


# A refund document posted, by us or by the Shopify connector: the money side of the return is done.
_REFUND_ROLES = (RecordRole.CM, RecordRole.CR, RecordRole.CONNECTOR_REFUND)


def drop_unchanged(returns: list[ListedReturn], window: Window, revisit: list[str], result: BatchResult) -> list[ListedReturn]:
    """Leave out the returns read again though nothing changed since a run handled them (``Window.handled_through``).

    A scheduled run past the cursor's overlap re-reads the returns of the watermark's second (Loop's
    filter is inclusive); handling them again would cost NetSuite and Shopify reads for nothing. Returns
    the ledger asked for (quarantined, waiting) are always kept.
    """
    mark = window.handled_through
    if mark is None:
        return returns
    wanted = set(revisit)
    fresh = [r for r in returns if r.id in wanted or r.updated_at is None or r.updated_at > mark]
    if len(fresh) < len(returns):
        result.count("unchanged since handled", len(returns) - len(fresh))
    return fresh
