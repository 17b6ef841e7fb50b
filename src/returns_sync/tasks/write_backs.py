"""The task that writes NetSuite numbers back where people work, after a sync posted: Loop notes, Shopify orders."""

from __future__ import annotations

from prefect import task

from returns_sync.domain.syncs import SyncName
from returns_sync.tasks.loop_notes import FORGOTTEN_WITHIN, loop_notes_left_undone, write_loop_notes
from returns_sync.tasks.results import BatchResult
from returns_sync.tasks.retry import RETRY_OPTIONS
from returns_sync.tasks.runtime import open_runtime, utcnow
from returns_sync.tasks.shopify_restock import restock_received_units
from returns_sync.tasks.shopify_rma import rma_writes_left_undone, write_rma_to_shopify_orders

__all__ = ["write_back_netsuite_numbers"]


@task(name="write back NetSuite numbers", task_run_name="{sync} · {store} · NetSuite numbers", **RETRY_OPTIONS)
def write_back_netsuite_numbers(
    store: str, sync: SyncName, return_ids: list[str], dry_run: bool = False, catch_up: bool = False
) -> BatchResult:
    """Note in Loop each NetSuite record posted for these returns; if the store wants it, RMA on the Shopify order and restock.

    ``catch_up`` (a scheduled run_all's last write-back) also takes up what earlier runs left undone: Loop notes
    and Shopify RMAs of the last week that no run began or finished. Restocks are not taken up this way.

    Example:
        >>> result = write_back_netsuite_numbers.fn("north", SyncName.RA_SYNC, ["7001"])  # doctest: +SKIP
        >>> result.counts["Loop note written"]
        1
    """
    result = BatchResult(sync=sync, store=store, dry_run=dry_run)
    if dry_run or not (return_ids or catch_up):
        return result
    with open_runtime(store) as runtime:
        since = utcnow() - FORGOTTEN_WITHIN
        notes_left = _not_given(loop_notes_left_undone(runtime, since) if catch_up else [], return_ids)
        if notes_left:
            result.count("returns whose Loop note an earlier run never began", len(notes_left))
        write_loop_notes(runtime, [*return_ids, *notes_left], result)
        rmas_left = _not_given(rma_writes_left_undone(runtime, since) if catch_up else [], return_ids)
        write_rma_to_shopify_orders(runtime, [*return_ids, *rmas_left], result)
        restock_received_units(runtime, return_ids, result)
    result.raise_if_transient()
    return result


def _not_given(left: list[str], given: list[str]) -> list[str]:
    """What a catch-up found that this write-back was not already given."""
    named = set(given)
    return [rid for rid in left if rid not in named]
