"""Tiny builders of Loop returns, sales orders and posting settings for the domain tests (POSTING.md's Order #1001)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.netsuite import SalesOrderLine, SalesOrderSnapshot
from returns_sync.domain.plan import PostingSettings

SHIRT = 812
JACKET = 813
HANDLING_FEE, STORE_CREDIT, BONUS, PRICE_ADJUSTMENT, GIFT_CARD_PAYMENT, SHIPPING = 901, 902, 903, 904, 905, 906
TAX_ROUNDING = 907
MAIN, DAMAGED = 1, 2
RECEIVED_AT = "2024-03-09T10:02:40.000Z"


def settings(**overrides: Any) -> PostingSettings:
    values: dict[str, Any] = {
        "store": "north",
        "handling_fee_item_id": HANDLING_FEE,
        "store_credit_item_id": STORE_CREDIT,
        "bonus_item_id": BONUS,
        "price_adjustment_item_id": PRICE_ADJUSTMENT,
        "gift_card_payment_item_id": GIFT_CARD_PAYMENT,
        "shipping_item_id": SHIPPING,
        "tax_rounding_item_id": TAX_ROUNDING,
        "main_location_id": MAIN,
        "damaged_location_id": DAMAGED,
        "disposition_locations": {"restock": "main", "dispose": "damaged"},
    }
    values.update(overrides)
    return PostingSettings(**values)


def unit(
    line_item_id: str,
    sku: str | None = "SHIRT",
    price: str = "50.00",
    discount: str = "5.00",
    tax: str = "3.60",
    *,
    received: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """One returned unit as Loop renders it (strings for money, like the list endpoint)."""
    line = {
        "line_item_id": line_item_id,
        "provider_line_item_id": f"shop-{sku}",
        "sku": sku,
        "title": sku.title() if sku else None,
        "price": price,
        "discount": discount,
        "tax": tax,
        "returned_at": RECEIVED_AT if received else None,
    }
    line.update(extra)
    return line


def loop_return(*units: dict[str, Any], **fields: Any) -> LoopReturn:
    """A Loop return; ``return_total``/``return_tax_total`` default to what the units add up to."""
    units = units or (unit("L1"),)
    tax = sum((Decimal(u["tax"]) for u in units), Decimal("0"))
    paid = sum((Decimal(u["price"]) - Decimal(u["discount"]) for u in units), Decimal("0"))
    data: dict[str, Any] = {
        "id": "7001",
        "state": "closed",
        "order_name": "#1001",
        "currency": "USD",
        "return_tax_total": str(tax),
        "return_total": str(paid + tax),
        "line_items": list(units),
    }
    data.update(fields)
    return LoopReturn.model_validate(data)


def so_line(line: int = 1, item_id: int = SHIRT, sku: str | None = "SHIRT", quantity: int = 2, **extra: Any) -> SalesOrderLine:
    rate = Decimal("50.00")
    extra.setdefault("tax_code", "TAX-8")
    extra.setdefault("tax_rate", Decimal("0.08"))
    return SalesOrderLine(line=line, item_id=item_id, sku=sku, quantity=quantity, rate=rate, **extra)


def sales_order(*lines: SalesOrderLine, billing: str = "cash_sale", currency: str = "USD") -> SalesOrderSnapshot:
    return SalesOrderSnapshot(
        id=5001,
        tranid="SO1001",
        currency=currency,
        customer_id=42,
        subsidiary_id=1,
        location_id=MAIN,
        billing=billing,
        lines=list(lines) or [so_line()],
    )
