"""Write side of the Shopify backend: the operations behind each mutation, validated like Shopify.

Each takes the mutation's input as GraphQL delivers it (camelCase keys, GIDs, ``Decimal`` money),
raises ``ShopifyUserErrors`` without writing anything when the input is refused, and otherwise
commits and queues the webhooks the change triggers.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from returns_sandbox.shopify.constants import ADJUSTABLE_QUANTITY_NAMES, INVENTORY_REASONS, gid_type, parse_gid
from returns_sandbox.shopify.db import iso, loads
from returns_sandbox.shopify.errors import ShopifyUserErrors, UserError
from returns_sandbox.shopify.host import BackendHost
from returns_sandbox.shopify.queries import refundable_by_parent

__all__ = ["OperationsMixin", "normalize_tags"]

_RESTOCKING = ("RETURN", "CANCEL")
# Quantity states that are part of on_hand: moving one of them moves on_hand too.
_PART_OF_ON_HAND = ("available", "damaged", "quality_control", "reserved", "safety_stock")
_TAGGABLE = {"Order": '"order"', "Customer": "customer", "Product": "product"}


def normalize_tags(tags: Any) -> list[str]:
    """Tags from a list or a comma-separated string: trimmed, blanks dropped, duplicates (any case) removed."""
    items = [tags] if isinstance(tags, str) else list(tags or [])
    out: list[str] = []
    seen: set[str] = set()
    for item in items:
        for tag in str(item).split(","):
            tag = tag.strip()
            if tag and tag.lower() not in seen:
                seen.add(tag.lower())
                out.append(tag)
    return out


def _dollars(amount: Decimal) -> str:
    return f"${amount:.2f}"


class OperationsMixin(BackendHost):
    """Mutations as Python methods; the GraphQL resolvers and the sandbox hub both call these."""

    # ShopifyBackend supplies _tx, _next_id, _emit, clock, shop (BackendHost declares them) and the ReadsMixin lookups.

    # --- refunds ---------------------------------------------------------------------------------
    def refund_create(self, shop: str, data: dict[str, Any], *, idempotency_key: str | None = None) -> int:
        """``refundCreate``: validate lines, quantities and amounts, write the refund and its REFUND transactions."""
        with self._tx() as conn:
            if idempotency_key and (done := self._idempotent_result(shop, idempotency_key)) is not None:
                return done
            order_id = parse_gid(data.get("orderId"), "Order")
            snap = self.order_snapshot(shop, order_id) if order_id is not None else None
            if snap is None:
                raise ShopifyUserErrors([UserError("Order does not exist", ["orderId"])])
            errors: list[UserError] = []
            lines = self._plan_refund_lines(shop, snap, data.get("refundLineItems") or [], errors)
            txns = self._plan_refund_transactions(snap, data, errors)
            shipping = self._plan_refund_shipping(snap, data.get("shipping"), errors)
            currency = data.get("currency")
            if currency and currency != snap["order"]["currency"]:
                errors.append(UserError("Currency must match the order's presentment currency", ["currency"]))
            if errors:
                raise ShopifyUserErrors(errors)
            now = iso(self.clock())
            refund_id = self._next_id("refund")
            conn.execute(
                "INSERT INTO refund (id, shop, order_id, note, created_at, updated_at, shipping) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (refund_id, shop, order_id, data.get("note"), now, now, str(shipping)),
            )
            for line, quantity, restock, location_id in lines:
                restocked = restock in _RESTOCKING and line["inventory_item_id"] is not None
                conn.execute(
                    "INSERT INTO refund_line_item (id, refund_id, line_item_id, quantity, restock_type, restocked, location_id, price, subtotal, total_tax)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        self._next_id("refund_line_item"),
                        refund_id,
                        line["id"],
                        quantity,
                        restock,
                        int(restocked),
                        location_id,
                        str(line["unit_paid"]),
                        str(line["unit_paid"] * quantity),
                        str(line["unit_tax"] * quantity),
                    ),
                )
                if restocked:
                    self._move_stock(shop, line["inventory_item_id"], location_id, {"available": quantity, "on_hand": quantity})
            for gateway, amount, parent_id in txns:
                conn.execute(
                    "INSERT INTO order_transaction (id, shop, order_id, refund_id, kind, status, gateway, amount, parent_id, processed_at)"
                    " VALUES (?, ?, ?, ?, 'REFUND', 'SUCCESS', ?, ?, ?, ?)",
                    (self._next_id("order_transaction"), shop, order_id, refund_id, gateway, str(amount), parent_id, now),
                )
            conn.execute('UPDATE "order" SET updated_at = ? WHERE id = ?', (now, order_id))
            if idempotency_key:
                self._remember(shop, idempotency_key, "refundCreate", refund_id)
            self._emit(shop, "REFUNDS_CREATE", ("refund", order_id, refund_id))
            self._emit(shop, "ORDERS_UPDATED", ("order", order_id, None))
        return refund_id

    def _plan_refund_lines(
        self, shop: str, snap: dict[str, Any], items: list[dict[str, Any]], errors: list[UserError]
    ) -> list[tuple]:
        by_id = {line["id"]: line for line in snap["lines"]}
        asked: dict[int, int] = defaultdict(int)
        planned = []
        for index, item in enumerate(items):
            path = ["refundLineItems", str(index)]
            line = by_id.get(parse_gid(item.get("lineItemId"), "LineItem"))
            if line is None:
                errors.append(UserError("Line item does not exist", path + ["lineItemId"]))
                continue
            quantity = int(item.get("quantity") or 0)
            if quantity < 1:
                errors.append(UserError("Quantity must be greater than 0", path + ["quantity"]))
                continue
            asked[line["id"]] += quantity
            if asked[line["id"]] > line["current_quantity"]:
                errors.append(UserError("Quantity cannot refund more items than were purchased", path + ["quantity"]))
                continue
            restock = item.get("restockType") or "NO_RESTOCK"
            if restock == "LEGACY_RESTOCK":
                errors.append(UserError("Restock type LEGACY_RESTOCK is not supported on create", path + ["restockType"]))
                continue
            location_id = None
            if restock in _RESTOCKING:
                raw = item.get("locationId")
                location_id = parse_gid(raw, "Location") if raw else self.shop(shop).primary_location_id
                if location_id is None or self.location_row(shop, location_id) is None:
                    errors.append(UserError("Location does not exist", path + ["locationId"]))
                    continue
            planned.append((line, quantity, restock, location_id))
        return planned

    def _plan_refund_transactions(self, snap: dict[str, Any], data: dict[str, Any], errors: list[UserError]) -> list[tuple]:
        available = refundable_by_parent(snap)
        gateways = {t["id"]: t["gateway"] for t in snap["transactions"]}
        planned = []
        for index, txn in enumerate(data.get("transactions") or []):
            path = ["transactions", str(index)]
            kind = str(txn.get("kind") or "")
            if kind != "REFUND":
                errors.append(UserError(f"Kind {kind.lower()} is not a valid transaction", path + ["kind"]))
                continue
            parent_id = parse_gid(txn.get("parentId"), "OrderTransaction")
            if parent_id not in available:
                errors.append(UserError("Transactions require a parent_id associated with the order", ["transactions"]))
                continue
            amount = Decimal(txn.get("amount") or 0)
            if amount <= 0:
                errors.append(UserError("Amount must be greater than 0", path + ["amount"]))
                continue
            if amount > available[parent_id] and not data.get("allowOverRefunding"):
                errors.append(
                    UserError(
                        f"Refund amount {_dollars(amount)} is greater than net payment received {_dollars(available[parent_id])}",
                        path + ["amount"],
                    )
                )
                continue
            available[parent_id] -= amount
            planned.append((txn.get("gateway") or gateways[parent_id], amount, parent_id))
        return planned

    def _plan_refund_shipping(self, snap: dict[str, Any], shipping: dict[str, Any] | None, errors: list[UserError]) -> Decimal:
        if not shipping:
            return Decimal("0")
        remaining = snap["order"]["shipping"] - sum((r["shipping"] for r in snap["refunds"]), Decimal("0"))
        amount = remaining if shipping.get("fullRefund") else Decimal(shipping.get("amount") or 0)
        if amount < 0 or amount > remaining:
            errors.append(
                UserError(
                    f"Shipping refund amount {_dollars(amount)} is greater than the refundable shipping {_dollars(remaining)}",
                    ["shipping", "amount"],
                )
            )
        return amount

    # --- order note, tags, attributes ------------------------------------------------------------
    def order_update(self, shop: str, data: dict[str, Any]) -> int:
        """``orderUpdate``: note, tags, customAttributes and email REPLACE what was there."""
        with self._tx() as conn:
            order_id = parse_gid(data.get("id"), "Order")
            if order_id is None or self.order_row(shop, order_id) is None:
                raise ShopifyUserErrors([UserError("Order does not exist", ["id"])])
            sets: dict[str, Any] = {}
            if "note" in data:
                sets["note"] = data["note"]
            if data.get("tags") is not None:
                sets["tags"] = json.dumps(normalize_tags(data["tags"]))
            if data.get("customAttributes") is not None:
                sets["custom_attributes"] = json.dumps(
                    [{"key": a["key"], "value": a.get("value")} for a in data["customAttributes"]]
                )
            if data.get("email") is not None:
                sets["email"] = data["email"]
            sets["updated_at"] = iso(self.clock())
            assignments = ", ".join(f"{name} = ?" for name in sets)
            conn.execute(f'UPDATE "order" SET {assignments} WHERE id = ?', (*sets.values(), order_id))
            self._emit(shop, "ORDERS_UPDATED", ("order", order_id, None))
        return order_id

    def tags_add(self, shop: str, node_id: str, tags: Any) -> tuple[str, int]:
        """``tagsAdd``: add tags, keeping the others; re-adding an existing tag changes nothing."""
        return self._change_tags(shop, node_id, normalize_tags(tags), add=True)

    def tags_remove(self, shop: str, node_id: str, tags: Any) -> tuple[str, int]:
        """``tagsRemove``: drop the given tags (case-insensitively); absent tags are ignored."""
        return self._change_tags(shop, node_id, normalize_tags(tags), add=False)

    def _change_tags(self, shop: str, node_id: str, tags: list[str], *, add: bool) -> tuple[str, int]:
        with self._tx() as conn:
            type_name, object_id = gid_type(node_id), parse_gid(node_id)
            table = _TAGGABLE.get(type_name or "")
            row = (
                conn.execute(f"SELECT tags FROM {table} WHERE shop = ? AND id = ?", (shop, object_id)).fetchone()
                if table
                else None
            )
            if row is None:
                raise ShopifyUserErrors([UserError(f"{type_name or 'Resource'} does not exist", ["id"])])
            current = loads(row["tags"]) or []
            if add:
                new = normalize_tags(current + tags)
            else:
                drop = {t.lower() for t in tags}
                new = [t for t in current if t.lower() not in drop]
            if new != current:
                conn.execute(f"UPDATE {table} SET tags = ? WHERE id = ?", (json.dumps(new), object_id))
                if type_name == "Order":
                    conn.execute('UPDATE "order" SET updated_at = ? WHERE id = ?', (iso(self.clock()), object_id))
                    self._emit(shop, "ORDERS_UPDATED", ("order", object_id, None))
        return type_name, object_id  # type: ignore[return-value]

    # --- inventory -------------------------------------------------------------------------------
    def inventory_adjust(self, shop: str, data: dict[str, Any], *, idempotency_key: str | None = None) -> int:
        """``inventoryAdjustQuantities``: apply deltas per item and location; returns the adjustment group id."""
        with self._tx() as conn:
            if idempotency_key and (done := self._idempotent_result(shop, idempotency_key)) is not None:
                return done
            name, reason, reference = data.get("name"), data.get("reason"), data.get("referenceDocumentUri")
            errors: list[UserError] = []
            if reason not in INVENTORY_REASONS:
                errors.append(UserError("The specified reason is invalid.", ["input", "reason"], "INVALID_REASON"))
            if name not in ADJUSTABLE_QUANTITY_NAMES:
                errors.append(UserError("The specified quantity name is invalid.", ["input", "name"], "INVALID_QUANTITY_NAME"))
            if reference is not None and not _is_uri(reference):
                errors.append(
                    UserError(
                        "The specified reference document is invalid.",
                        ["input", "referenceDocumentUri"],
                        "INVALID_REFERENCE_DOCUMENT",
                    )
                )
            changes_in = (
                (data.get("changes") or []) if name in ADJUSTABLE_QUANTITY_NAMES else []
            )  # ledger rules depend on a valid name
            planned = [p for i, ch in enumerate(changes_in) if (p := self._plan_change(shop, name, i, ch, errors))]
            if errors:
                raise ShopifyUserErrors(errors)
            assert name is not None  # one of ADJUSTABLE_QUANTITY_NAMES, or errors were raised above
            changes: list[dict[str, Any]] = []
            for item_id, location_id, delta, ledger in planned:
                deltas = {name: delta}
                if name in _PART_OF_ON_HAND:
                    deltas["on_hand"] = delta
                elif name == "on_hand":
                    deltas["available"] = delta
                after = self._move_stock(shop, item_id, location_id, deltas)
                for quantity_name, change in deltas.items():
                    changes.append(
                        {
                            "name": quantity_name,
                            "delta": change,
                            "quantityAfterChange": after[quantity_name],
                            "inventoryItemId": item_id,
                            "locationId": location_id,
                            "ledgerDocumentUri": ledger if quantity_name == name else None,
                        }
                    )
            group_id = self._next_id("inventory_adjustment_group")
            conn.execute(
                "INSERT INTO inventory_adjustment_group (id, shop, created_at, reason, reference_document_uri, changes) VALUES (?, ?, ?, ?, ?, ?)",
                (group_id, shop, iso(self.clock()), reason, reference, json.dumps(changes)),
            )
            if idempotency_key:
                self._remember(shop, idempotency_key, "inventoryAdjustQuantities", group_id)
        return group_id

    def _plan_change(
        self, shop: str, name: str | None, index: int, change: dict[str, Any], errors: list[UserError]
    ) -> tuple[int, int, int, str | None] | None:
        """(item_id, location_id, delta, ledger document) of one valid change; None (errors appended) otherwise."""
        path = ["input", "changes", str(index)]
        item_id = parse_gid(change.get("inventoryItemId"), "InventoryItem")
        item = self.inventory_item_row(shop, item_id) if item_id is not None else None
        if item_id is None or item is None:
            errors.append(
                UserError(
                    "The specified inventory item could not be found.", path + ["inventoryItemId"], "INVALID_INVENTORY_ITEM"
                )
            )
            return None
        if not item["tracked"]:
            errors.append(
                UserError(
                    "The specified inventory item is not allowed to be adjusted via API.",
                    path + ["inventoryItemId"],
                    "NON_MUTABLE_INVENTORY_ITEM",
                )
            )
            return None
        location_id = parse_gid(change.get("locationId"), "Location")
        if location_id is None or self.location_row(shop, location_id) is None:
            errors.append(UserError("The specified location could not be found.", path + ["locationId"], "INVALID_LOCATION"))
            return None
        level = self.inventory_level_row(shop, item_id, location_id)
        if level is None:
            errors.append(
                UserError(
                    "The specified inventory item is not stocked at the location.",
                    path + ["locationId"],
                    "ITEM_NOT_STOCKED_AT_LOCATION",
                )
            )
            return None
        ledger = change.get("ledgerDocumentUri")
        ledger_path = path + ["ledgerDocumentUri"]
        if name == "available" and ledger:
            errors.append(
                UserError(
                    "A ledger document URI is not allowed when adjusting available.", ledger_path, "INVALID_AVAILABLE_DOCUMENT"
                )
            )
            return None
        if name != "available" and not ledger:
            errors.append(
                UserError(
                    "A ledger document URI is required except when adjusting available.", ledger_path, "INVALID_QUANTITY_DOCUMENT"
                )
            )
            return None
        if ledger and ledger.startswith("gid://shopify/"):
            errors.append(
                UserError(
                    "Internal (gid://shopify/) ledger documents are not allowed to be adjusted via API.",
                    ledger_path,
                    "INTERNAL_LEDGER_DOCUMENT",
                )
            )
            return None
        if ledger and not _is_uri(ledger):
            errors.append(UserError("The specified ledger document is invalid.", ledger_path, "INVALID_LEDGER_DOCUMENT"))
            return None
        delta = int(change.get("delta") or 0)
        current = int(level["quantities"].get(name or "", 0))
        expected = change.get("changeFromQuantity")
        if expected is not None and int(expected) != current:
            errors.append(
                UserError("The specified compare quantity is stale.", path + ["changeFromQuantity"], "CHANGE_FROM_QUANTITY_STALE")
            )
            return None
        if current + delta > 2_000_000_000:
            errors.append(
                UserError("The quantity can't be higher than 2,000,000,000.", path + ["delta"], "INVALID_QUANTITY_TOO_HIGH")
            )
            return None
        if current + delta < -2_000_000_000:
            errors.append(
                UserError("The quantity can't be lower than -2,000,000,000.", path + ["delta"], "INVALID_QUANTITY_TOO_LOW")
            )
            return None
        return item_id, location_id, delta, ledger

    def _move_stock(self, shop: str, item_id: int, location_id: int, deltas: dict[str, int]) -> dict[str, int]:
        level = self.inventory_level_row(shop, item_id, location_id)
        quantities: dict[str, int] = dict(level["quantities"]) if level else {}
        for name, delta in deltas.items():
            quantities[name] = int(quantities.get(name, 0)) + delta
        now = iso(self.clock())
        if level:
            self._conn.execute(
                "UPDATE inventory_level SET quantities = ?, updated_at = ? WHERE id = ?",
                (json.dumps(quantities), now, level["id"]),
            )
        else:
            self._conn.execute(
                "INSERT INTO inventory_level (id, shop, inventory_item_id, location_id, quantities, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (self._next_id("inventory_level"), shop, item_id, location_id, json.dumps(quantities), now),
            )
        return quantities

    # --- webhook subscriptions -------------------------------------------------------------------
    def webhook_subscription_create(self, shop: str, topic: str, data: dict[str, Any], *, api_version: str) -> int:
        """``webhookSubscriptionCreate`` (``callbackUrl`` or the newer ``uri``); http is allowed, unlike Shopify, for local receivers."""
        url = data.get("callbackUrl") or data.get("uri")
        field = ["webhookSubscription", "uri" if data.get("uri") and not data.get("callbackUrl") else "callbackUrl"]
        if not url:
            raise ShopifyUserErrors([UserError("Address can't be blank", field)])
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ShopifyUserErrors([UserError("Address is invalid", field)])
        fmt = data.get("format") or "JSON"
        if fmt != "JSON":
            raise ShopifyUserErrors(
                [UserError("Format XML is not supported by the sandbox; use JSON", ["webhookSubscription", "format"])]
            )
        with self._tx() as conn:
            taken = conn.execute(
                "SELECT 1 FROM webhook_subscription WHERE shop = ? AND topic = ? AND callback_url = ?", (shop, topic, url)
            ).fetchone()
            if taken:
                raise ShopifyUserErrors([UserError("Address for this topic has already been taken", field)])
            now = iso(self.clock())
            sub_id = self._next_id("webhook_subscription")
            conn.execute(
                "INSERT INTO webhook_subscription (id, shop, topic, callback_url, format, include_fields, api_version, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sub_id, shop, topic, url, fmt, json.dumps(list(data.get("includeFields") or [])), api_version, now, now),
            )
        return sub_id

    def webhook_subscription_delete(self, shop: str, subscription_id: str) -> int:
        """``webhookSubscriptionDelete``; deliveries already queued still go out."""
        with self._tx() as conn:
            numeric = parse_gid(subscription_id, "WebhookSubscription")
            cursor = conn.execute("DELETE FROM webhook_subscription WHERE shop = ? AND id = ?", (shop, numeric))
            if cursor.rowcount == 0:
                raise ShopifyUserErrors([UserError("Webhook subscription does not exist", ["id"])])
        return numeric  # type: ignore[return-value]

    # --- idempotency (@idempotent, 2026-01+) -----------------------------------------------------
    def _idempotent_result(self, shop: str, key: str) -> int | None:
        row = self._conn.execute("SELECT result_id FROM idempotency_key WHERE shop = ? AND key = ?", (shop, key)).fetchone()
        return row["result_id"] if row else None

    def _remember(self, shop: str, key: str, operation: str, result_id: int) -> None:
        self._conn.execute(
            "INSERT INTO idempotency_key (shop, key, operation, result_id) VALUES (?, ?, ?, ?)", (shop, key, operation, result_id)
        )


def _is_uri(value: str) -> bool:
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path)
