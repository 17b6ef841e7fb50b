"""Read side of the Shopify backend: rows and one order's full snapshot (lines, money, refunds, totals)."""

from __future__ import annotations

import json
import sqlite3
import threading
from decimal import Decimal
from typing import Any

from returns_sandbox.shopify.db import dec, loads

__all__ = ["ReadsMixin", "financial_status"]

_ZERO = Decimal("0")
_PAYMENT_KINDS = ("SALE", "CAPTURE")


def financial_status(*, total: Decimal, received: Decimal, refunded: Decimal, authorized: bool) -> str:
    """``displayFinancialStatus`` from the money that moved."""
    if refunded > 0:
        return "REFUNDED" if refunded >= received else "PARTIALLY_REFUNDED"
    if received > 0:
        return "PAID" if received >= total else "PARTIALLY_PAID"
    if authorized:
        return "AUTHORIZED"
    return "PAID" if total == 0 else "PENDING"


class ReadsMixin:
    """Queries shared by the resolvers, the mutations and the webhook payloads."""

    _conn: sqlite3.Connection
    _lock: threading.RLock

    def _one(self, sql: str, *params: Any) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def _all(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._conn.execute(sql, params).fetchall()]

    # --- simple lookups -------------------------------------------------------------------------
    def order_row(self, shop: str, order_id: int) -> dict[str, Any] | None:
        return self._one('SELECT * FROM "order" WHERE shop = ? AND id = ?', shop, order_id)

    def order_rows(self, shop: str) -> list[dict[str, Any]]:
        return self._all('SELECT * FROM "order" WHERE shop = ?', shop)

    def customer_row(self, shop: str, customer_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM customer WHERE shop = ? AND id = ?", shop, customer_id)

    def product_row(self, shop: str, product_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM product WHERE shop = ? AND id = ?", shop, product_id)

    def variant_row(self, shop: str, variant_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM variant WHERE shop = ? AND id = ?", shop, variant_id)

    def variant_by_sku(self, shop: str, sku: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM variant WHERE shop = ? AND sku = ? ORDER BY id LIMIT 1", shop, sku)

    def variant_by_inventory_item(self, shop: str, item_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM variant WHERE shop = ? AND inventory_item_id = ?", shop, item_id)

    def inventory_item_row(self, shop: str, item_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM inventory_item WHERE shop = ? AND id = ?", shop, item_id)

    def location_row(self, shop: str, location_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM location WHERE shop = ? AND id = ?", shop, location_id)

    def location_rows(self, shop: str) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM location WHERE shop = ? ORDER BY id", shop)

    def inventory_level_row(self, shop: str, item_id: int, location_id: int) -> dict[str, Any] | None:
        row = self._one(
            "SELECT * FROM inventory_level WHERE shop = ? AND inventory_item_id = ? AND location_id = ?",
            shop,
            item_id,
            location_id,
        )
        if row is not None:
            row["quantities"] = json.loads(row["quantities"])
        return row

    def inventory_level_rows(self, shop: str, item_id: int) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT * FROM inventory_level WHERE shop = ? AND inventory_item_id = ? ORDER BY location_id", shop, item_id
        )
        for row in rows:
            row["quantities"] = json.loads(row["quantities"])
        return rows

    def inventory_level_by_id(self, shop: str, level_id: int) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM inventory_level WHERE shop = ? AND id = ?", shop, level_id)
        if row is not None:
            row["quantities"] = json.loads(row["quantities"])
        return row

    def gift_card_row(self, shop: str, card_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM gift_card WHERE shop = ? AND id = ?", shop, card_id)

    def gift_card_transaction_rows(self, shop: str, card_id: int) -> list[dict[str, Any]]:
        return self._all(
            "SELECT x.* FROM gift_card_transaction x JOIN gift_card g ON g.id = x.gift_card_id "
            "WHERE g.shop = ? AND g.id = ? ORDER BY x.processed_at, x.id",
            shop,
            card_id,
        )

    def gift_card_rows(self, shop: str) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM gift_card WHERE shop = ? ORDER BY id", shop)

    def webhook_subscription_rows(self, shop: str, topic: str | None = None) -> list[dict[str, Any]]:
        if topic is None:
            return self._all("SELECT * FROM webhook_subscription WHERE shop = ? ORDER BY id", shop)
        return self._all("SELECT * FROM webhook_subscription WHERE shop = ? AND topic = ? ORDER BY id", shop, topic)

    def webhook_subscription_by_id(self, shop: str, subscription_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM webhook_subscription WHERE shop = ? AND id = ?", shop, subscription_id)

    def adjustment_group_row(self, shop: str, group_id: int) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM inventory_adjustment_group WHERE shop = ? AND id = ?", shop, group_id)
        if row is not None:
            row["changes"] = json.loads(row["changes"])
        return row

    def order_id_of(self, shop: str, table: str, object_id: int) -> int | None:
        """The order a refund, return, line item or transaction belongs to."""
        if table not in ("refund", "return", "line_item", "order_transaction"):
            raise ValueError(table)
        row = self._one(f'SELECT order_id FROM "{table}" WHERE shop = ? AND id = ?', shop, object_id)
        return row["order_id"] if row else None

    # --- the whole order ------------------------------------------------------------------------
    def order_snapshot(self, shop: str, order_id: int) -> dict[str, Any] | None:
        """Everything about one order, computed once: lines with refunded quantities, money, refunds, returns, totals."""
        with self._lock:
            order = self.order_row(shop, order_id)
            if order is None:
                return None
            order["tags"] = loads(order["tags"]) or []
            order["custom_attributes"] = loads(order["custom_attributes"]) or []
            lines = self._all(
                "SELECT li.*, v.inventory_item_id, v.product_id, "
                "(SELECT COALESCE(SUM(r.quantity), 0) FROM refund_line_item r WHERE r.line_item_id = li.id) AS refunded_quantity "
                "FROM line_item li LEFT JOIN variant v ON v.id = li.variant_id WHERE li.order_id = ? ORDER BY li.position, li.id",
                order_id,
            )
            transactions = self._all("SELECT * FROM order_transaction WHERE order_id = ? ORDER BY processed_at, id", order_id)
            refunds = self._all("SELECT * FROM refund WHERE order_id = ? ORDER BY created_at, id", order_id)
            refund_lines = self._all(
                "SELECT rli.* FROM refund_line_item rli JOIN refund r ON r.id = rli.refund_id WHERE r.order_id = ? ORDER BY rli.id",
                order_id,
            )
            returns = self._all('SELECT * FROM "return" WHERE order_id = ? ORDER BY created_at, id', order_id)
            return_lines = self._all(
                'SELECT rli.* FROM return_line_item rli JOIN "return" r ON r.id = rli.return_id WHERE r.order_id = ? ORDER BY rli.id',
                order_id,
            )
            customer = self.customer_row(shop, order["customer_id"]) if order["customer_id"] else None
        for key in ("shipping", "shipping_tax"):
            order[key] = dec(order[key])
        for line in lines:
            for key in ("unit_price", "unit_discount", "unit_tax", "tax_rate"):
                line[key] = dec(line[key])
            line["unit_paid"] = line["unit_price"] - line["unit_discount"]
            line["current_quantity"] = line["quantity"] - line["refunded_quantity"]
        for txn in transactions:
            txn["amount"] = dec(txn["amount"])
            txn["test"] = bool(txn["test"])
        for rli in refund_lines:
            for key in ("price", "subtotal", "total_tax"):
                rli[key] = dec(rli[key])
            rli["restocked"] = bool(rli["restocked"])
        for refund in refunds:
            refund["shipping"] = dec(refund["shipping"])
            refund["line_items"] = [r for r in refund_lines if r["refund_id"] == refund["id"]]
            refund["transactions"] = [t for t in transactions if t["refund_id"] == refund["id"]]
            refund["amount"] = sum(
                (t["amount"] for t in refund["transactions"] if t["kind"] == "REFUND" and t["status"] == "SUCCESS"), _ZERO
            )
        for ret in returns:
            ret["line_items"] = [r for r in return_lines if r["return_id"] == ret["id"]]
            ret["refund_ids"] = [r["id"] for r in refunds if r["return_id"] == ret["id"]]
        snapshot = {
            "order": order,
            "customer": customer,
            "lines": lines,
            "transactions": transactions,
            "refunds": refunds,
            "returns": returns,
        }
        snapshot["totals"] = _totals(snapshot)
        return snapshot


def _totals(snap: dict[str, Any]) -> dict[str, Any]:
    order, lines, txns = snap["order"], snap["lines"], snap["transactions"]
    subtotal = sum((line["unit_paid"] * line["quantity"] for line in lines), _ZERO)
    discounts = sum((line["unit_discount"] * line["quantity"] for line in lines), _ZERO)
    line_tax = sum((line["unit_tax"] * line["quantity"] for line in lines), _ZERO)
    tax = line_tax + order["shipping_tax"]
    total = subtotal + tax + order["shipping"]
    ok = [t for t in txns if t["status"] == "SUCCESS"]
    received = sum((t["amount"] for t in ok if t["kind"] in _PAYMENT_KINDS), _ZERO)
    refunded = sum((t["amount"] for t in ok if t["kind"] == "REFUND"), _ZERO)
    removed = sum((rli["subtotal"] + rli["total_tax"] for refund in snap["refunds"] for rli in refund["line_items"]), _ZERO)
    removed += sum((refund["shipping"] for refund in snap["refunds"]), _ZERO)
    authorized = any(t["kind"] == "AUTHORIZATION" for t in ok)
    return {
        "subtotal": subtotal,
        "discounts": discounts,
        "tax": tax,
        "shipping": order["shipping"],
        "total": total,
        "received": received,
        "refunded": refunded,
        "net_payment": received - refunded,
        "current_total": total - removed,
        "financial_status": financial_status(total=total, received=received, refunded=refunded, authorized=authorized),
    }


def refundable_by_parent(snap: dict[str, Any]) -> dict[int, Decimal]:
    """For each successful SALE/CAPTURE: its amount minus the successful refunds that name it as parent."""
    available = {t["id"]: t["amount"] for t in snap["transactions"] if t["kind"] in _PAYMENT_KINDS and t["status"] == "SUCCESS"}
    for txn in snap["transactions"]:
        if txn["kind"] == "REFUND" and txn["status"] == "SUCCESS" and txn["parent_id"] in available:
            available[txn["parent_id"]] -= txn["amount"]
    return available
