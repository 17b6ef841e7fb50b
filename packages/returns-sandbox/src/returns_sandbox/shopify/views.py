"""GraphQL-shaped views of backend rows: camelCase scalars ready to serialise, ``_``-keys for the resolvers.

Every view carries ``__typename`` so interfaces (``Node``, ``ReturnLineItemType``) resolve without help.
Relationships (``order.lineItems``, ``refund.transactions`` ...) are resolved lazily in ``resolvers.py``
from the per-request order snapshot kept on ``RequestContext``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from returns_sandbox.shopify.access import AccessGrant
from returns_sandbox.shopify.constants import gid

if TYPE_CHECKING:
    from returns_sandbox.shopify.models import ShopifyBackend, ShopInfo

__all__ = [
    "RequestContext",
    "bag",
    "line_view",
    "money",
    "order_view",
    "refund_line_view",
    "refund_view",
    "return_line_view",
    "return_view",
    "simple_view",
    "transaction_view",
]


@dataclass
class RequestContext:
    """What every resolver sees: the backend, the calling shop, the API version and a snapshot cache."""

    backend: ShopifyBackend
    shop: ShopInfo
    api_version: str
    grant: AccessGrant = field(default_factory=lambda: AccessGrant())
    _snapshots: dict[int, dict[str, Any] | None] = field(default_factory=dict)

    def snapshot(self, order_id: int) -> dict[str, Any] | None:
        if order_id not in self._snapshots:
            self._snapshots[order_id] = self.backend.order_snapshot(self.shop.domain, order_id)
        return self._snapshots[order_id]

    def forget(self, order_id: int) -> None:
        """Drop a cached snapshot after a mutation changed the order."""
        self._snapshots.pop(order_id, None)


def money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currencyCode": currency}


def bag(amount: Decimal, currency: str) -> dict[str, Any]:
    """A ``MoneyBag``; the sandbox has no multi-currency, so presentment money equals shop money."""
    return {"shopMoney": money(amount, currency), "presentmentMoney": money(amount, currency)}


def order_view(row: dict[str, Any]) -> dict[str, Any]:
    """Scalars of an order from its row (raw or from a snapshot)."""
    tags = row["tags"] if isinstance(row["tags"], list) else json.loads(row["tags"] or "[]")
    attributes = (
        row["custom_attributes"] if isinstance(row["custom_attributes"], list) else json.loads(row["custom_attributes"] or "[]")
    )
    return {
        "__typename": "Order",
        "_id": row["id"],
        "id": gid("Order", row["id"]),
        "legacyResourceId": row["id"],
        "name": row["name"],
        "email": row["email"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "processedAt": row["processed_at"],
        "cancelledAt": row["cancelled_at"],
        "closedAt": row["closed_at"],
        "closed": row["closed_at"] is not None,
        "test": False,
        "displayFulfillmentStatus": row["fulfillment_status"],
        "note": row["note"],
        "tags": tags,
        "customAttributes": attributes,
        "currencyCode": row["currency"],
        "presentmentCurrencyCode": row["currency"],
    }


def line_view(line: dict[str, Any], order_id: int, currency: str) -> dict[str, Any]:
    quantity = line["quantity"]
    tax_lines = []
    if line["unit_tax"] or line["tax_rate"]:
        rate = float(line["tax_rate"])
        tax_lines.append(
            {
                "title": "Tax",
                "rate": rate,
                "ratePercentage": round(rate * 100, 4),
                "priceSet": bag(line["unit_tax"] * quantity, currency),
            }
        )
    return {
        "__typename": "LineItem",
        "_id": line["id"],
        "_order_id": order_id,
        "_variant_id": line["variant_id"],
        "_product_id": line["product_id"],
        "_tax_lines": tax_lines,
        "id": gid("LineItem", line["id"]),
        "name": line["title"],
        "title": line["title"],
        "sku": line["sku"],
        "quantity": quantity,
        "currentQuantity": line["current_quantity"],
        "refundableQuantity": line["current_quantity"],
        "originalUnitPriceSet": bag(line["unit_price"], currency),
        "discountedUnitPriceSet": bag(line["unit_paid"], currency),
        "originalTotalSet": bag(line["unit_price"] * quantity, currency),
        "discountedTotalSet": bag(line["unit_paid"] * quantity, currency),
        "totalDiscountSet": bag(line["unit_discount"] * quantity, currency),
    }


def transaction_view(txn: dict[str, Any], currency: str) -> dict[str, Any]:
    return {
        "__typename": "OrderTransaction",
        "_id": txn["id"],
        "_order_id": txn["order_id"],
        "_parent_id": txn["parent_id"],
        "id": gid("OrderTransaction", txn["id"]),
        "kind": txn["kind"],
        "status": txn["status"],
        "gateway": txn["gateway"],
        "test": txn["test"],
        "processedAt": txn["processed_at"],
        "createdAt": txn["processed_at"],
        "amountSet": bag(txn["amount"], currency),
    }


def refund_view(refund: dict[str, Any], currency: str) -> dict[str, Any]:
    return {
        "__typename": "Refund",
        "_id": refund["id"],
        "_order_id": refund["order_id"],
        "_return_id": refund["return_id"],
        "_refund": refund,
        "id": gid("Refund", refund["id"]),
        "legacyResourceId": refund["id"],
        "createdAt": refund["created_at"],
        "updatedAt": refund["updated_at"],
        "note": refund["note"],
        "totalRefundedSet": bag(refund["amount"], currency),
    }


def refund_line_view(rli: dict[str, Any], order_id: int, currency: str) -> dict[str, Any]:
    return {
        "__typename": "RefundLineItem",
        "_id": rli["id"],
        "_order_id": order_id,
        "_line_item_id": rli["line_item_id"],
        "_location_id": rli["location_id"],
        "id": gid("RefundLineItem", rli["id"]),
        "quantity": rli["quantity"],
        "restocked": rli["restocked"],
        "restockType": rli["restock_type"],
        "priceSet": bag(rli["price"], currency),
        "subtotalSet": bag(rli["subtotal"], currency),
        "totalTaxSet": bag(rli["total_tax"], currency),
    }


def return_view(ret: dict[str, Any]) -> dict[str, Any]:
    return {
        "__typename": "Return",
        "_id": ret["id"],
        "_order_id": ret["order_id"],
        "_return": ret,
        "id": gid("Return", ret["id"]),
        "name": ret["name"],
        "status": ret["status"],
        "createdAt": ret["created_at"],
        "closedAt": ret["closed_at"],
        "totalQuantity": sum(line["quantity"] for line in ret["line_items"]),
    }


def return_line_view(line: dict[str, Any], order_id: int) -> dict[str, Any]:
    return {
        "__typename": "ReturnLineItem",
        "_id": line["id"],
        "id": gid("ReturnLineItem", line["id"]),
        "quantity": line["quantity"],
        "customerNote": line["customer_note"],
        "returnReason": line["return_reason"],
        "returnReasonNote": "",
        "fulfillmentLineItem": {
            "__typename": "FulfillmentLineItem",
            "_order_id": order_id,
            "_line_item_id": line["line_item_id"],
            "id": gid("FulfillmentLineItem", line["line_item_id"]),
            "quantity": line["quantity"],
        },
    }


def simple_view(type_name: str, row: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Views of catalogue objects: id, legacyResourceId and the given fields."""
    return {
        "__typename": type_name,
        "_id": row["id"],
        "_row": row,
        "id": gid(type_name, row["id"]),
        "legacyResourceId": row["id"],
        **fields,
    }
