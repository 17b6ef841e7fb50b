"""Plain-language reasons for failed checks, written for a finance or operations person."""

from __future__ import annotations

from typing import Any

__all__ = ["RULES", "reason_for"]

RULES = (
    "sku_unknown",
    "sku_ambiguous",
    "order_not_in_netsuite",
    "order_ambiguous",
    "quantity_exceeds_returnable",
    "currency_mismatch",
    "negative_amount",
    "total_mismatch",
    "tax_mismatch",
)


def _join(values: list[str]) -> str:
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + " and " + values[-1]


def _money(minor: Any, currency: str) -> str:
    from decimal import Decimal

    from returns_sync.domain.money import minor_units

    return f"{Decimal(int(minor)).scaleb(-minor_units(currency))} {currency}"


def reason_for(rule: str, row: dict[str, Any]) -> str:
    """The sentence shown in the quarantine list and the run artifact for ``rule`` failing on ``row``."""
    sku = row.get("sku")
    order = row.get("order_name") or "(no order name)"
    currency = row.get("loop_currency") or ""
    if rule == "sku_unknown":
        return f"SKU {sku} is not in NetSuite: no active item has {row.get('sku_field')} = '{sku}'"
    if rule == "sku_ambiguous":
        return f"SKU {sku} matches items {_join(str(row.get('item_ids', '')).split(','))} in NetSuite"
    if rule == "order_not_in_netsuite":
        return f"Order {order} is not in NetSuite yet: no sales order carries its Shopify order id or name"
    if rule == "order_ambiguous":
        return f"Order {order} matches {row.get('sales_order_match_count')} sales orders in NetSuite ({_join(str(row.get('sales_order_tranids', '')).split(','))})"
    if rule == "quantity_exceeds_returnable":
        so = str(row.get("sales_order_tranids") or "the sales order")
        return (
            f"{row.get('quantity')} × {sku} returned but only {row.get('returnable')} remain returnable on {so} "
            f"(ordered {row.get('ordered_quantity')}, already on other returns {row.get('already_returned')})"
        )
    if rule == "currency_mismatch":
        so = str(row.get("sales_order_tranids") or "the sales order")
        return f"Loop return is in {currency} but sales order {so} is in {row.get('so_currency')}"
    if rule == "negative_amount":
        return f"Line {sku} has a negative amount ({_money(row.get('unit_amount_minor'), currency)} per unit, tax {_money(row.get('tax_amount_minor'), currency)})"
    if rule == "total_mismatch":
        return (
            f"Planned lines total {_money(row.get('plan_total_minor'), currency)} but Loop says {_money(row.get('expected_total_minor'), currency)} "
            f"(difference {_money(row.get('total_difference_minor'), currency)}, tolerance {_money(row.get('tolerance_minor'), currency)})"
        )
    if rule == "tax_mismatch":
        return (
            f"Planned tax {_money(row.get('plan_tax_minor'), currency)} but Loop says {_money(row.get('expected_tax_minor'), currency)} "
            f"(difference {_money(row.get('tax_difference_minor'), currency)}, tolerance {_money(row.get('tolerance_minor'), currency)})"
        )
    raise ValueError(f"unknown rule {rule!r}")
