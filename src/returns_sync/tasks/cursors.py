"""The ledger side of a run: its window, the returns it must look at again, and moving the cursor after it."""

from __future__ import annotations

from datetime import datetime

from prefect import task

from returns_sync.ledger import Window
from returns_sync.tasks.runtime import load_settings, ledger_for, utcnow

__all__ = ["open_sync_window", "advance_sync_cursor", "returns_to_revisit"]


@task(name="open sync window", task_run_name="{sync} · {store} · open window")
def open_sync_window(store: str, sync: str, since: datetime | None = None, run_started_at: datetime | None = None) -> tuple[Window, list[str]]:
    """``[cursor − overlap, run start)`` (or ``[since, run start)`` for a backfill that never moves the cursor),
    and the returns the ledger wants looked at again whatever the window (see ``returns_to_revisit``)."""
    settings = load_settings(store)
    with ledger_for().session() as repo:
        window = repo.open_window(
            store, sync, run_started_at=run_started_at or utcnow(), overlap=settings.cursor_overlap,
            initial_lookback=settings.initial_lookback, since=since,
        )
    return window, returns_to_revisit(store, sync)


@task(name="advance cursor", task_run_name="{window.sync} · {window.store} · advance cursor")
def advance_sync_cursor(window: Window, seen: list[tuple[str, datetime]]) -> None:
    """Move the cursor over everything the run handled (no-op for backfills and dry runs)."""
    if not seen:
        return
    with ledger_for().session() as repo:
        repo.advance_cursor(window, seen)


def returns_to_revisit(store: str, sync: str) -> list[str]:
    """Quarantined returns (retried every run until their data is fixed) and returns the ledger says wait on this sync."""
    with ledger_for().session() as repo:
        ids = [entry.loop_return_id for entry in repo.open_quarantine(store, sync)]
        if sync == "refund_sync":
            for link in repo.links_with_ra(store):
                if link.loop_state_seen == "closed" and not link.ra_closed_by_us_at and not _money_done(repo, store, link.loop_return_id):
                    ids.append(link.loop_return_id)
        if sync == "item_receipt_to_loop":
            # Loop processes asynchronously: look again at returns we asked it to process until it reports them closed.
            ids += [link.loop_return_id for link in repo.links_with_ra(store)
                    if link.loop_processed_by_us_at and link.loop_state_seen not in ("closed", "cancelled", "expired")]
    return list(dict.fromkeys(ids))


def _money_done(repo, store: str, loop_return_id: str) -> bool:
    roles = {record.role for record in repo.netsuite_records(store, loop_return_id)}
    return bool(roles & {"cm", "cr", "connector_refund"})
