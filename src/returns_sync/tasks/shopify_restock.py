"""After inspection: received units whose Loop disposition means back to stock go back into Shopify stock, once each.

Behind ``StoreSettings.restock_in_shopify``. ``inventoryAdjustQuantities`` adds a delta with a reason and a
reference document (https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventoryAdjustQuantities,
https://shopify.dev/docs/api/admin-graphql/latest/input-objects/InventoryAdjustQuantitiesInput) and takes an
``@idempotent`` key (https://shopify.dev/docs/api/usage/idempotent-requests): each unit's key is derived from
its Loop line item, so a resend after a lost answer, or a rerun, never adds the unit twice. The ledger's
write-backs keep reruns from calling Shopify at all.
"""

from __future__ import annotations

from returns_sync.domain.netsuite import RecordRole
from returns_sync.domain.netsuite_numbers import BACK_TO_STOCK, restock_operation_id
from returns_sync.domain.shopify import ShopifyOrder, parse_gid
from returns_sync.ledger import WriteBackStatus, WriteBackTarget
from returns_sync.tasks.results import BatchResult, one_record
from returns_sync.tasks.runtime import SyncRuntime

__all__ = ["restock_received_units"]

TARGET = WriteBackTarget.SHOPIFY_RESTOCK


def _inventory_items(order: ShopifyOrder) -> dict[int, str]:
    """Shopify line item number -> its variant's inventory item id."""
    items = {}
    for line in order.line_items:
        if line.variant is not None and line.variant.inventory_item:
            items[parse_gid(line.id)[1]] = line.variant.inventory_item
    return items


def _restock_return(runtime: SyncRuntime, rid: str, result: BatchResult) -> None:
    with runtime.ledger.session() as repo:
        link = repo.get_link(runtime.store, rid)
        received = repo.netsuite_records(runtime.store, rid, role=RecordRole.IR)
    if not received or link is None or not link.shopify_order_id:
        return  # inspected units are restocked only once NetSuite holds their receipt
    units = [
        u for u in runtime.loop.get_return(rid).line_items if u.returned_at and (u.disposition_outcome or "") in BACK_TO_STOCK
    ]
    with runtime.ledger.session() as repo:
        todo = [
            u
            for u in units
            if (done := repo.get_write_back(runtime.store, TARGET, f"loop-line:{u.line_item_id}")) is None
            or done.status is not WriteBackStatus.WRITTEN
        ]
    if not todo:
        return
    order = runtime.shopify.get_order(link.shopify_order_id)
    items = _inventory_items(order) if order is not None else {}
    location = runtime.settings.shopify_location_id
    assert location is not None  # StoreSettings refuses restock_in_shopify without it
    for unit in todo:
        shopify_line = unit.provider_line_item_id or ""
        inventory_item = items.get(int(shopify_line)) if shopify_line.isdigit() else None
        if inventory_item is None:
            result.errors.append(
                (rid, f"Loop line {unit.line_item_id}: no Shopify inventory item on the order; restock it by hand")
            )
            continue
        key = f"loop-line:{unit.line_item_id}"
        with runtime.ledger.session() as repo:
            repo.begin_write_back(
                store=runtime.store,
                target=TARGET,
                record_key=key,
                loop_return_id=rid,
                content=f"+1 {inventory_item} at {location}",
            )
            repo.mark_attempted(runtime.store, TARGET, key)
        runtime.shopify.adjust_inventory(
            inventory_item_id=str(parse_gid(inventory_item)[1]) if inventory_item.startswith("gid://") else inventory_item,
            location_id=str(location),
            delta=1,
            operation_id=restock_operation_id(runtime.store, rid, unit.line_item_id),
            reason="restock",
            reference_document_uri=f"gid://returns-sync/LoopReturn/{rid}",
        )
        with runtime.ledger.session() as repo:
            repo.mark_written(runtime.store, TARGET, key)
        result.count("unit restocked in Shopify")


def restock_received_units(runtime: SyncRuntime, return_ids: list[str], result: BatchResult) -> None:
    """Restock in Shopify, at the store's location, each received unit meant for stock, if the store wants it."""
    if not runtime.settings.restock_in_shopify:
        return
    for rid in dict.fromkeys(return_ids):
        with one_record(result, rid):
            _restock_return(runtime, rid, result)
