"""The RA's number on the Shopify order (a tag and a note line), behind ``StoreSettings.rma_on_shopify_order``.

Both writes are safe to repeat, which is why a lost answer is simply sent again: ``tagsAdd`` adds without
touching the other tags and ignores one already there
(https://shopify.dev/docs/api/admin-graphql/latest/mutations/tagsAdd), and ``orderUpdate`` sets the whole
note (https://shopify.dev/docs/api/admin-graphql/latest/input-objects/OrderInput, "Overwrites the existing
note"), so the connector reads the note, keeps it and appends the line once. The ledger's write-backs keep a
rerun from calling Shopify at all for an order already written.
"""

from __future__ import annotations

from datetime import datetime

from returns_sync.domain.netsuite import RecordRole, RecordType
from returns_sync.domain.netsuite_numbers import record_key, shopify_rma_note_line, shopify_rma_tag
from returns_sync.domain.shopify import gid
from returns_sync.ledger import WriteBackStatus, WriteBackTarget
from returns_sync.tasks.netsuite_numbers import netsuite_number
from returns_sync.tasks.results import BatchResult, one_record
from returns_sync.tasks.runtime import SyncRuntime

__all__ = ["rma_writes_left_undone", "write_rma_to_shopify_orders"]

TARGET = WriteBackTarget.SHOPIFY_ORDER_TAG


def _write_one(runtime: SyncRuntime, rid: str, result: BatchResult) -> None:
    with runtime.ledger.session() as repo:
        link = repo.get_link(runtime.store, rid)
        ras = repo.netsuite_records(runtime.store, rid, role=RecordRole.RA)
    if link is None or not link.shopify_order_id:
        return
    order = gid("Order", link.shopify_order_id)
    for ra in ras:
        key = record_key(RecordType.RETURN_AUTHORIZATION, ra.ns_id)
        with runtime.ledger.session() as repo:
            done = repo.get_write_back(runtime.store, TARGET, key)
        if done is not None and done.status is WriteBackStatus.WRITTEN:
            continue
        tranid = netsuite_number(runtime, ra, RecordType.RETURN_AUTHORIZATION)
        if tranid is None:
            result.count("RA without a number, not written to Shopify")
            continue
        line = shopify_rma_note_line(tranid, rid)
        with runtime.ledger.session() as repo:
            repo.begin_write_back(store=runtime.store, target=TARGET, record_key=key, loop_return_id=rid, content=line)
            repo.mark_attempted(runtime.store, TARGET, key)
        runtime.shopify.tags_add(order, [shopify_rma_tag(tranid)])
        runtime.shopify.append_order_note(order, line)
        with runtime.ledger.session() as repo:
            repo.mark_written(runtime.store, TARGET, key)
        result.count("RMA written to the Shopify order")


def write_rma_to_shopify_orders(runtime: SyncRuntime, return_ids: list[str], result: BatchResult) -> None:
    """Tag each return's Shopify order with its RA number and append a note line, once per RA, if the store wants it."""
    if not runtime.settings.rma_on_shopify_order:
        return
    for rid in dict.fromkeys(return_ids):
        with one_record(result, rid):
            _write_one(runtime, rid, result)


def rma_writes_left_undone(runtime: SyncRuntime, since: datetime) -> list[str]:
    """Returns whose RA (recorded since ``since``) is not yet on the Shopify order: never begun, or begun and not done.

    A run that died between posting the RA and writing back (or whose write-back failed) leaves them; no later run
    posts for those returns again. Empty when the store does not write RMAs to Shopify.
    """
    if not runtime.settings.rma_on_shopify_order:
        return []
    with runtime.ledger.session() as repo:
        never_begun = repo.returns_without_write_backs(runtime.store, TARGET, roles=[RecordRole.RA.value], since=since)
        unfinished = [write_back.loop_return_id for write_back in repo.pending_write_backs(runtime.store, TARGET)]
    return list(dict.fromkeys([*never_begun, *unfinished]))
