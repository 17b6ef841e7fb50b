"""Small builders of Loop-shaped return dicts (list/details JSON) for tests; the demo's world comes from the seed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from returns_sandbox.loop.clock import to_api

__all__ = ["make_return", "make_returns"]

_TWO = Decimal("0.01")


def _s(value: Decimal) -> str:
    return str(value.quantize(_TWO))


def make_return(
    return_id: int,
    *,
    created_at: datetime,
    updated_at: datetime | None = None,
    state: str = "open",
    outcome: str = "refund",
    lines: int = 1,
    unit_price: Decimal = Decimal("45.00"),
    unit_discount: Decimal = Decimal("4.50"),
    unit_tax: Decimal = Decimal("1.80"),
    order_name: str | None = None,
    provider_order_id: str | None = None,
    line_outcomes: Iterable[str] | None = None,
) -> dict[str, Any]:
    """One return of ``lines`` units (one line per unit, as Loop sends them) with consistent totals.

    ``outcome`` is ``refund``, ``credit`` (store credit as a gift card) or ``exchange``; ``line_outcomes``
    overrides the per-line outcome (mixed returns). Money is rendered as decimal strings.
    """
    per_line = list(line_outcomes) if line_outcomes is not None else [outcome] * lines
    paid = unit_price - unit_discount + unit_tax
    items = []
    for index, line_outcome in enumerate(per_line, start=1):
        items.append(
            {
                "line_item_id": str(return_id * 100 + index),
                "provider_line_item_id": str(14200000000000 + return_id * 100 + index),
                "product_id": "8011223344",
                "variant_id": str(44011223300 + index),
                "sku": f"SKU-{index:03d}",
                "barcode": f"08100{index:08d}",
                "title": f"Item {index}",
                "price": _s(unit_price),
                "discount": _s(unit_discount),
                "tax": _s(unit_tax),
                "refund": _s(paid),
                "refund_item": _s(unit_price - unit_discount),
                "refund_tax": _s(unit_tax),
                "returned_at": None,
                "exchange_variant": str(44011229900 + index) if line_outcome == "exchange" else None,
                "return_reason": "Too small",
                "parent_return_reason": "Fit",
                "return_comment": "",
                "outcome": line_outcome,
            }
        )
    count = Decimal(len(per_line))
    refund = sum((paid for o in per_line if o == "refund"), Decimal("0"))
    credit = sum((paid for o in per_line if o == "credit"), Decimal("0"))
    exchanged = sum((paid for o in per_line if o == "exchange"), Decimal("0"))
    name = order_name or f"#{1000 + return_id}"
    return {
        "id": str(return_id),
        "state": state,
        "type": "standard",
        "outcome": outcome,
        "created_at": to_api(created_at),
        "updated_at": to_api(updated_at or created_at),
        "edited_at": None,
        "order_id": str(5500000 + return_id),
        "order_name": name,
        "order_number": name.lstrip("#"),
        "provider_order_id": provider_order_id or str(5638291000000 + return_id),
        "provider_order_number": name.lstrip("#"),
        "customer": f"customer{return_id}@example.com",
        "currency": "USD",
        "multi_currency": False,
        "total": _s(refund + credit),
        "return_product_total": _s(unit_price * count),
        "return_discount_total": _s(unit_discount * count),
        "return_tax_total": _s(unit_tax * count),
        "return_total": _s(paid * count),
        "return_credit_total": _s(paid * count),
        "exchange_product_total": _s(exchanged),
        "exchange_total": _s(exchanged),
        "gift_card": _s(credit),
        "gift_card_order_id": None,
        "gift_card_id": None,
        "gift_card_order_name": None,
        "handling_fee": "0.00",
        "refund": _s(refund),
        "upsell": "0.00",
        "refund_before_inspection": False,
        "was_processed": False,
        "outcomes_processed_at": {
            "return_processed": None,
            "refund_processed": None,
            "gift_card_processed": None,
            "exchange_processed": None,
        },
        "label_status": "in_transit",
        "destination_id": "1201",
        "line_items": items,
        "exchanges": [
            {
                "exchange_id": str(return_id * 10 + i),
                "exchange_order_id": None,
                "exchange_order_name": None,
                "variant_id": line["exchange_variant"],
                "sku": f"EXC-{i:03d}",
                "type": "variant",
                "title": f"Exchange {i}",
                "price": line["price"],
                "discount": line["discount"],
                "tax": line["tax"],
                "total": line["refund"],
                "out_of_stock": False,
            }
            for i, line in enumerate(items, start=1)
            if line["outcome"] == "exchange"
        ],
    }


def make_returns(
    count: int,
    *,
    start: datetime,
    step: timedelta = timedelta(minutes=1),
    first_id: int = 1000,
    states: Iterable[str] = ("open",),
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """``count`` returns with ids from ``first_id``, created (and updated) ``step`` apart from ``start``, cycling ``states``."""
    cycle = list(states)
    return [make_return(first_id + n, created_at=start + step * n, state=cycle[n % len(cycle)], **kwargs) for n in range(count)]
