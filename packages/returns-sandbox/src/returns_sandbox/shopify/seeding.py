"""Loading the seeded ``World`` into the Shopify backend: shops, catalogue, customers, orders and past refunds."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from returns_sandbox.shopify.db import iso
from returns_sandbox.shopify.host import BackendHost
from returns_sandbox.shopify.operations import normalize_tags

if TYPE_CHECKING:
    from returns_sandbox.seed.world import Order, World

__all__ = ["SeedingMixin"]


class SeedingMixin(BackendHost):
    """``load_world`` and the order insert that ``create_order`` shares with it (ShopifyBackend supplies the rest)."""

    # --- the seeded world ------------------------------------------------------------------------
    def load_world(self, world: World) -> None:
        """One shop per ``StoreSpec`` with its location, catalogue variants, customers and orders.

        Raises ``ValueError`` when one of the world's shops already exists (``reset(reseed=False)`` first).
        """
        for store in world.stores:
            if self._one("SELECT 1 AS x FROM shop WHERE domain = ?", store.shop_domain):
                raise ValueError(f"shop {store.shop_domain} is already loaded; reset the backend before loading a world again")
        with self._tx():
            for store in world.stores:
                self.add_shop(
                    store.shop_domain,
                    access_tokens=[store.shopify_access_token],
                    app_secret=store.shopify_app_secret,
                    currency=store.currency,
                    name=store.name,
                )
                self.add_location(store.shop_domain, store.shopify_location_id, f"{store.name} warehouse")
                for item in world.catalog:
                    variant_id = item.shopify_variant_ids.get(store.key)
                    if variant_id is None:
                        continue
                    self.add_variant(
                        store.shop_domain,
                        variant_id=variant_id,
                        sku=item.sku,
                        title=item.display_name,
                        price=item.price,
                        product_id=item.shopify_product_ids.get(store.key),
                        inventory_item_id=item.shopify_inventory_item_ids.get(store.key),
                    )
                for customer in world.customers:
                    if customer.store == store.key:
                        self.add_customer(
                            store.shop_domain,
                            customer_id=customer.shopify_id,
                            email=customer.email,
                            first_name=customer.first_name,
                            last_name=customer.last_name,
                        )
                for order in world.orders:
                    if order.store == store.key:
                        self._insert_order(store.shop_domain, order, fulfilled=True)
                self._attach_seeded_refunds(store.shop_domain, store.key, world)
        self._world = world

    def _insert_order(self, shop: str, order: Order, *, fulfilled: bool) -> int:
        with self._tx() as conn:
            if self.order_row(shop, order.shopify_id) is not None:
                return order.shopify_id
            customer = self._one("SELECT id FROM customer WHERE shop = ? AND email = ?", shop, order.customer_email)
            digits = order.name.lstrip("#")
            number = int(digits) if digits.isdigit() else order.shopify_id
            created = iso(order.created_at)
            conn.execute(
                'INSERT INTO "order" (id, shop, name, number, email, customer_id, currency, created_at, updated_at, processed_at, note, tags,'
                " shipping, shipping_tax, fulfillment_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    order.shopify_id,
                    shop,
                    order.name,
                    number,
                    order.customer_email,
                    customer["id"] if customer else None,
                    order.currency,
                    created,
                    created,
                    created,
                    order.note,
                    json.dumps(normalize_tags(order.tags)),
                    str(order.shipping),
                    str(order.shipping_tax),
                    "FULFILLED" if fulfilled else "UNFULFILLED",
                ),
            )
            for position, line in enumerate(order.lines):
                variant = self.variant_by_sku(shop, line.sku) if line.sku else None
                conn.execute(
                    "INSERT INTO line_item (id, shop, order_id, position, title, sku, variant_id, quantity, unit_price, unit_discount, unit_tax, tax_rate)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        line.shopify_line_id,
                        shop,
                        order.shopify_id,
                        position,
                        line.title,
                        line.sku,
                        variant["id"] if variant else None,
                        line.quantity,
                        str(line.unit_price),
                        str(line.unit_discount),
                        str(line.unit_tax),
                        str(line.tax_rate),
                    ),
                )
            for txn in order.transactions:
                conn.execute(
                    "INSERT INTO order_transaction (id, shop, order_id, kind, status, gateway, amount, parent_id, processed_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        txn.shopify_id,
                        shop,
                        order.shopify_id,
                        txn.kind,
                        txn.status,
                        txn.gateway,
                        str(txn.amount),
                        txn.parent_id,
                        created,
                    ),
                )
        return order.shopify_id

    def _attach_seeded_refunds(self, shop: str, store_key: str, world: World) -> None:
        """Turn the seed's REFUND transactions into Refund objects, under the ids Loop reports as ``provider_refund_id``.

        The seed records a Loop refund as REFUND transactions on the order plus the refund id in the Loop
        return; Shopify always groups them in a Refund with its refund line items, so build that here.
        """
        for case in world.returns:
            loop_return: dict[str, Any] = case.loop_return
            parts = [p for p in loop_return.get("refunds") or [] if p.get("provider_refund_id")]
            order_id = str(loop_return.get("provider_order_id") or "")
            if case.store != store_key or not parts or not order_id.isdigit():
                continue
            snap = self.order_snapshot(shop, int(order_id))
            refund_id = int(parts[0]["provider_refund_id"])
            if snap is None or any(r["id"] == refund_id for r in snap["refunds"]):
                continue
            stamp = (loop_return.get("outcomes_processed_at") or {}).get("refund_processed") or loop_return.get("updated_at")
            when = iso(datetime.fromisoformat(stamp.replace("Z", "+00:00"))) if stamp else snap["order"]["created_at"]
            self._conn.execute(
                "INSERT INTO refund (id, shop, order_id, note, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (refund_id, shop, int(order_id), f"Loop return {loop_return.get('id')}", when, when),
            )
            lines = {line["id"]: line for line in snap["lines"]}
            units = Counter(
                int(li["provider_line_item_id"])
                for li in loop_return.get("line_items") or []
                if str(li.get("provider_line_item_id") or "").isdigit() and li.get("outcome") in (None, "refund")
            )
            for line_id, quantity in units.items():
                line = lines.get(line_id)
                quantity = min(quantity, line["current_quantity"]) if line else 0
                if line and quantity > 0:
                    self._conn.execute(
                        "INSERT INTO refund_line_item (id, refund_id, line_item_id, quantity, restock_type, restocked, location_id, price, subtotal, total_tax)"
                        " VALUES (?, ?, ?, ?, 'NO_RESTOCK', 0, NULL, ?, ?, ?)",
                        (
                            self._next_id("refund_line_item"),
                            refund_id,
                            line_id,
                            quantity,
                            str(line["unit_paid"]),
                            str(line["unit_paid"] * quantity),
                            str(line["unit_tax"] * quantity),
                        ),
                    )
            claimed: set[int] = set()
            for part in parts:
                txn = next(
                    (
                        t
                        for t in snap["transactions"]
                        if t["kind"] == "REFUND"
                        and t["refund_id"] is None
                        and t["id"] not in claimed
                        and t["gateway"] == part.get("gateway")
                        and t["amount"] == Decimal(str(part.get("amount")))
                    ),
                    None,
                )
                if txn is not None:
                    claimed.add(txn["id"])
                    self._conn.execute(
                        "UPDATE order_transaction SET refund_id = ?, processed_at = ? WHERE id = ?", (refund_id, when, txn["id"])
                    )
