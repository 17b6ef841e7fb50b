"""Write side of the Shopify backend: the operations behind each mutation, validated like Shopify.

Each takes the mutation's input as GraphQL delivers it (camelCase keys, GIDs, ``Decimal`` money),
raises ``ShopifyUserErrors`` without writing anything when the input is refused, and otherwise
commits and queues the webhooks the change triggers.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from returns_sandbox.shopify.constants import gid_type, parse_gid
from returns_sandbox.shopify.db import iso, loads
from returns_sandbox.shopify.errors import ShopifyUserErrors, UserError
from returns_sandbox.shopify.host import BackendHost
from returns_sandbox.shopify.queries import refundable_by_parent

__all__ = ["OperationsMixin", "normalize_tags"]

_RESTOCKING = ("RETURN", "CANCEL")
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

    # ShopifyBackend supplies _tx, _next_id, _emit, clock, shop and the ReadsMixin lookups.

    # --- refunds ---------------------------------------------------------------------------------
    def refund_create(self, shop: str, data: dict[str, Any], *, idempotency_key: str | None = None) -> int:
        """``refundCreate``: validate lines, quantities and amounts, write the refund and its REFUND transactions."""
        with self._tx() as conn:
            if idempotency_key and (done := self._replayed(shop, idempotency_key, "refundCreate", data)) is not None:
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
                self._remember(shop, idempotency_key, "refundCreate", refund_id, data)
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
    def _replayed(self, shop: str, key: str, operation: str, data: dict[str, Any]) -> int | None:
        """The first result under ``key``, ``None`` for a new key. A key reused for another operation or other
        input is refused: Shopify's IDEMPOTENCY_KEY_PARAMETER_MISMATCH ("The same idempotency key cannot be used
        with different operation parameters.", https://shopify.dev/docs/api/usage/implementing-idempotency)."""
        row = self._conn.execute(
            "SELECT operation, result_id, fingerprint FROM idempotency_key WHERE shop = ? AND key = ?", (shop, key)
        ).fetchone()
        if row is None:
            return None
        if row["operation"] != operation or row["fingerprint"] != _fingerprint(data):
            code = "IDEMPOTENCY_KEY_PARAMETER_MISMATCH" if operation == "inventoryAdjustQuantities" else None
            raise ShopifyUserErrors(
                [UserError("The same idempotency key cannot be used with different operation parameters.", None, code)]
            )
        return row["result_id"]

    def _remember(self, shop: str, key: str, operation: str, result_id: int, data: dict[str, Any]) -> None:
        self._conn.execute(
            "INSERT INTO idempotency_key (shop, key, operation, result_id, fingerprint) VALUES (?, ?, ?, ?, ?)",
            (shop, key, operation, result_id, _fingerprint(data)),
        )


def _fingerprint(data: dict[str, Any]) -> str:
    """The mutation's input, canonically: the same request always gives the same text."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
