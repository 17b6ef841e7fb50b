"""Render a return plan as Loop's list/details JSON (money as 2-decimal strings), plus its exchange order and Shopify refunds.

Loop arithmetic used throughout (reference §3): ``return_total`` = product − discount + tax over the
unit lines; ``return_credit_total`` = ``return_total`` + bonus; the credit is spent as
``refund + gift_card + exchange_credit_total + handling_fee``; ``exchange_total`` =
``exchange_credit_total + upsell``. ``refunds[]`` splits ``refund`` by gateway.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from returns_sandbox.money import ZERO, quantize
from returns_sandbox.seed.catalog import Catalog
from returns_sandbox.seed.orders import IdAllocator, OrderDraft
from returns_sandbox.seed.scenarios import ReturnPlan
from returns_sandbox.seed.stores import CARRIERS, COUNTRIES, LOOP_DESTINATIONS, TAX_RATES, store_by_key
from returns_sandbox.seed.world import Order, OrderLine, OrderTransaction

__all__ = ["DOWNSELL_AS_STORE_CREDIT", "RenderedReturn", "gift_card_share", "loop_timestamp", "render_return"]

# An advanced-exchange downsell whose difference Loop pays as store credit (a gift card), not back to the card.
DOWNSELL_AS_STORE_CREDIT = "downsell_as_store_credit"

_REASONS = (
    ("Fit", "Too small"),
    ("Fit", "Too big"),
    ("Style", "Not as pictured"),
    ("Style", "Changed my mind"),
    ("Quality", "Damaged or defective"),
    ("Other", "Arrived too late"),
)
_FIT = (("Fit", "Too small"), ("Fit", "Too big"))


def loop_timestamp(moment: datetime | None) -> str | None:
    """Loop's list timestamp form: ``2024-03-02T14:11:05.000Z``."""
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def gift_card_share(refund: Decimal, draft: OrderDraft, currency: str) -> Decimal:
    """The part of ``refund`` going back to the gift card: pro rata to how the order was paid, rounded half-up."""
    if not draft.gift_card_amount or refund <= ZERO:
        return Decimal("0.00")
    return quantize(refund * draft.gift_card_amount / draft.total, currency)


@dataclass
class RenderedReturn:
    loop_return: dict[str, Any]
    exchange_order: Order | None  # the EX order (already existing for an instant exchange)
    updated_at: datetime


def _m(amount: Decimal) -> str:
    # Both demo currencies have two decimals; Loop renders money as such strings.
    return str(quantize(amount, "USD"))


def _seconds(span: timedelta, low: float, high: float, rng: random.Random) -> timedelta:
    return timedelta(seconds=int(span.total_seconds() * rng.uniform(low, high)))


def _exchange_values(plan: ReturnPlan, catalog: Catalog) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """(sku, price, discount, tax) of each exchange item: a variant at the returned unit's terms, a product at its own price."""
    values = []
    units = [plan.draft.lines[i] for i, n in plan.picks for _ in range(n)]
    currency = store_by_key(plan.store).currency
    for line, pick in zip(units, plan.exchanges):
        if pick.kind == "variant":
            values.append((pick.sku, line.unit_price, line.unit_discount, line.unit_tax))
        else:
            price = catalog.price(pick.sku)
            values.append((pick.sku, price, Decimal("0.00"), quantize(price * TAX_RATES[plan.store], currency)))
    return values


def _exchange_order(
    plan: ReturnPlan, return_id: str, catalog: Catalog, ids: IdAllocator, created_at: datetime, upsell: Decimal, instant: bool
) -> Order:
    """The EX order: new items with the return credit as discount; an upsell paid in Shopify carries its SALE."""
    store, draft = plan.store, plan.draft
    spec = store_by_key(store)
    grouped: dict[str, list[tuple[Decimal, Decimal]]] = {}
    for sku, price, _discount, tax in _exchange_values(plan, catalog):
        grouped.setdefault(sku, []).append((price, tax))
    lines = []
    returned = plan.draft.lines[plan.picks[0][0]]
    for index, (sku, units) in enumerate(grouped.items()):
        price = units[0][0]
        if upsell > ZERO:
            # One unit: the credit (and Loop's exchange bonus) covers the old paid price and tax; the customer pays the
            # rest incl. the tax difference.
            unit_discount, unit_tax = returned.unit_paid + plan.bonus, units[0][1] - returned.unit_tax
        else:
            unit_discount, unit_tax = price, Decimal("0.00")
        item = catalog.by_sku[sku]
        lines.append(
            OrderLine(
                shopify_line_id=ids.next(f"shopify_line:{store}"),
                sku=sku,
                title=item.display_name,
                quantity=len(units),
                unit_price=price,
                unit_discount=unit_discount,
                unit_tax=unit_tax,
                tax_rate=TAX_RATES[store],
                ns_item_id=item.ns_id,
                ns_line=index + 1,
            )
        )
    shopify_id = ids.next(f"shopify_order:{store}")
    transactions: tuple[OrderTransaction, ...] = ()
    if upsell > ZERO and plan.upsell_via == "shopify":
        transactions = (OrderTransaction(ids.next(f"shopify_txn:{store}"), "SALE", "shopify_payments", upsell),)
    return Order(
        store=store,
        shopify_id=shopify_id,
        name=f"#EX-{draft.number}",
        created_at=created_at,
        currency=spec.currency,
        customer_email=draft.customer.email,
        lines=tuple(lines),
        shipping=Decimal("0.00"),
        shipping_tax=Decimal("0.00"),
        transactions=transactions,
        tags=("loop-exchange",),
        note=f"Loop exchange for return {return_id}",
        ns_so_id=ids.next("ns_so") if instant else None,
        ns_tranid=f"SO{draft.number}-EX" if instant else None,
        ns_currency=spec.currency if instant else None,
        billing=spec.billing,
        exchange_for_return=return_id,
    )


def render_return(
    plan: ReturnPlan,
    *,
    return_id: int,
    created_at: datetime,
    now: datetime,
    rng: random.Random,
    ids: IdAllocator,
    catalog: Catalog,
) -> RenderedReturn:
    """Build the Loop return JSON of ``plan``; for returns processed before any sync, record Shopify's refund too."""
    store, draft = plan.store, plan.draft
    spec = store_by_key(store)
    currency = plan.loop_currency or spec.currency
    rid = str(return_id)
    left = now - created_at
    label_at = created_at + timedelta(seconds=rng.randint(60, 600))
    processed_at = returned_at = refund_at = None
    updated_at = label_at
    if plan.initial == "processed":
        processed_at = created_at + _seconds(left, 0.45, 0.85, rng)
        returned_at = max(label_at + timedelta(seconds=30), processed_at - timedelta(seconds=rng.randint(120, 1800)))
        refund_at = processed_at + timedelta(seconds=2)
        updated_at = processed_at + timedelta(seconds=5)
    elif plan.initial == "rbi" and plan.refund_age_days:
        # Refunded weeks ago, goods still not back; a label update since keeps it in today's list window.
        updated_at = created_at + _seconds(left, 0.2, 0.6, rng)
        refund_at = now - timedelta(days=plan.refund_age_days)
        created_at = refund_at - timedelta(hours=rng.randint(2, 30))
        label_at = created_at + timedelta(seconds=rng.randint(60, 600))
    elif plan.initial == "rbi":
        refund_at = created_at + _seconds(left, 0.2, 0.6, rng)
        updated_at = refund_at + timedelta(seconds=3)
    elif plan.initial in ("cancelled", "review"):
        updated_at = created_at + _seconds(left, 0.1, 0.6, rng)
    exchange_at = created_at + timedelta(seconds=40) if plan.instant else None

    # -- lines -----------------------------------------------------------------------------------
    line_items, label_line_ids = [], []
    product = discount = tax = ZERO
    # A part-exchange return (Loop's "exchange+refund") has exchanges[] for its first units and refunds the rest.
    ex_values = _exchange_values(plan, catalog) if plan.unit_outcome == "exchange" or plan.exchange_units else []
    unit_no = 0
    for index, count in plan.picks:
        line = draft.lines[index]
        item = catalog.by_sku[line.sku]
        for _ in range(count):
            line_id = ids.next("loop_line")
            label_line_ids.append(line_id)
            paid = line.unit_paid
            exchanged = plan.unit_outcome == "exchange" or unit_no < plan.exchange_units
            credit_lines = not exchanged
            product, discount, tax = product + line.unit_price, discount + line.unit_discount, tax + line.unit_tax
            reason = (
                ("Quality", "Damaged or defective")
                if plan.scenario == "exchange_same"
                else rng.choice(_FIT if exchanged else _REASONS)
            )
            new_variant = None
            if exchanged and ex_values:
                new_variant = str(catalog.by_sku[ex_values[unit_no][0]].shopify_variant_ids[store])
            entry: dict[str, Any] = {
                "line_item_id": str(line_id),
                "provider_line_item_id": str(line.shopify_line_id),
                "product_id": str(item.shopify_product_ids[store]),
                "variant_id": str(item.shopify_variant_ids[store]),
                "sku": line.sku,
                "barcode": item.upccode,
                "title": line.title,
                "price": _m(line.unit_price),
                "discount": _m(line.unit_discount),
                "tax": _m(line.unit_tax),
                "refund": _m(paid + line.unit_tax if credit_lines else ZERO),
                "refund_item": _m(paid if credit_lines else ZERO),
                "refund_tax": _m(line.unit_tax if credit_lines else ZERO),
                "returned_at": loop_timestamp(returned_at),
                "exchange_variant": new_variant,
                "return_reason": reason[1],
                "parent_return_reason": reason[0],
                "return_comment": "",
                "outcome": "credit" if unit_no < plan.store_credit_units else "exchange" if exchanged else plan.unit_outcome,
                "provider_restock_location_id": None,
                "condition": None,
                "disposition": None,
            }
            if returned_at is not None:
                restock = rng.random() < 0.8
                inspected = loop_timestamp(returned_at + timedelta(seconds=rng.randint(10, 100)))
                entry["condition"] = {
                    "condition_category": "new" if restock else "damaged",
                    "description": "Unworn, tags attached" if restock else "Torn seam",
                    "return_processor": "warehouse",
                    "note": None,
                    "inspected_at": inspected,
                }
                entry["disposition"] = {
                    "disposition_outcome": "restock" if restock else "dispose",
                    "return_processor": "warehouse",
                    "note": None,
                    "inspected_at": inspected,
                }
            line_items.append(entry)
            unit_no += 1
    return_total = product - discount + tax
    credit = return_total + plan.bonus

    # -- exchanges and money ---------------------------------------------------------------------
    exchanges, ex_total = [], ZERO
    ex_product = ex_discount = ex_tax = ZERO
    for _sku, price, ex_disc, ex_t in ex_values:
        ex_product, ex_discount, ex_tax = ex_product + price, ex_discount + ex_disc, ex_tax + ex_t
        ex_total += price - ex_disc + ex_t
    exchange_credit = min(credit, ex_total) if ex_values else ZERO
    upsell = ex_total - exchange_credit if ex_values else ZERO
    gift_card = credit if plan.unit_outcome == "credit" else ZERO
    if plan.store_credit_units:
        # A mixed return: the first units' value goes to store credit, the rest back to the card.
        units = [draft.lines[i] for i, n in plan.picks for _ in range(n)]
        gift_card = sum((line.unit_paid + line.unit_tax for line in units[: plan.store_credit_units]), ZERO)
    if plan.flavour == DOWNSELL_AS_STORE_CREDIT and ex_values:
        gift_card = credit - plan.handling_fee - exchange_credit  # the cheaper exchange's difference as store credit
    refund = credit - plan.handling_fee - gift_card - exchange_credit
    shipping = draft.shipping if plan.refund_shipping else ZERO
    shipping_tax = draft.shipping_tax if plan.refund_shipping else ZERO
    refund += shipping + shipping_tax
    exchange_order = None
    if ex_values:
        exchange_order = _exchange_order(plan, rid, catalog, ids, exchange_at or created_at, upsell, plan.instant)
        for (sku, price, ex_disc, ex_t), pick in zip(ex_values, plan.exchanges):
            item = catalog.by_sku[sku]
            exchanges.append(
                {
                    "exchange_id": str(ids.next("loop_exchange")),
                    "exchange_order_id": str(exchange_order.shopify_id) if plan.instant else None,
                    "exchange_order_name": exchange_order.name if plan.instant else None,
                    "product_id": str(item.shopify_product_ids[store]),
                    "variant_id": str(item.shopify_variant_ids[store]),
                    "sku": sku,
                    "type": pick.kind,
                    "title": item.display_name,
                    "price": _m(price),
                    "discount": _m(ex_disc),
                    "tax": _m(ex_t),
                    "total": _m(price - ex_disc + ex_t),
                    "out_of_stock": plan.out_of_stock,
                    "out_of_stock_resolution": None,
                }
            )

    refund_done = refund_at is not None
    gc_part = gift_card_share(refund, draft, currency)
    parts = [("shopify_payments", refund - gc_part), ("gift_card", gc_part)]
    refund_id = ids.next(f"shopify_refund:{store}") if refund_done and refund > ZERO else None
    refunds = [
        {"gateway": gw, "amount": _m(amount), "currency": currency, "provider_refund_id": refund_id and str(refund_id)}
        for gw, amount in parts
        if amount > ZERO
    ]
    if refund_id is not None:
        for gateway, amount in parts:
            if amount > ZERO:
                draft.transactions.append(
                    OrderTransaction(
                        ids.next(f"shopify_txn:{store}"), "REFUND", gateway, amount, parent_id=draft.sale(gateway).shopify_id
                    )
                )

    state = {"open": "open", "processed": "closed", "rbi": "closed", "cancelled": "cancelled", "review": "review"}[plan.initial]
    label_status = (
        "delivered"
        if returned_at
        else rng.choice(
            ("pre_transit", "in_transit", "delivered") if plan.lifecycle.warehouse else ("new", "pre_transit", "in_transit")
        )
    )
    label_updated = label_at if returned_at is None else label_at + (returned_at - label_at) / 2
    tracking = "".join(str(rng.randint(0, 9)) for _ in range(22 if store == "north" else 16))
    label_rate = rng.randint(650, 1250)
    label_url = f"https://labels.example.com/{rid}.pdf"
    country, country_code = COUNTRIES[store]
    outcome = {"refund": "refund", "credit": "credit"}.get(plan.unit_outcome, "upsell" if upsell > ZERO else "exchange")
    if plan.exchange_units:
        # Loop's combined outcome values (https://docs.loopreturns.com/mcp/tools/returns-read, "outcome").
        outcome = "exchange+refund"
    outcome_stamp = loop_timestamp(refund_at)
    body: dict[str, Any] = {
        "id": rid,
        "state": state,
        "type": "standard",
        "outcome": outcome,
        "created_at": loop_timestamp(created_at),
        "updated_at": loop_timestamp(updated_at),
        "edited_at": None,
        "order_id": str(draft.loop_order_id),
        "order_name": draft.name,
        "order_number": str(draft.number),
        "provider_order_id": str(draft.shopify_id),
        "provider_order_number": str(draft.number),
        "customer": draft.customer.email,
        "origin_country": country,
        "origin_country_code": country_code,
        "currency": currency,
        "multi_currency": False,
        "total": _m(return_total),
        "return_product_total": _m(product),
        "return_discount_total": _m(discount),
        "return_tax_total": _m(tax),
        "return_total": _m(return_total),
        "return_credit_total": _m(credit),
        "refund_shipping_total": _m(shipping),
        "refund_shipping_tax_total": _m(shipping_tax),
        "exchange_product_total": _m(ex_product),
        "exchange_discount_total": _m(ex_discount),
        "exchange_tax_total": _m(ex_tax),
        "exchange_total": _m(ex_total),
        "exchange_credit_total": _m(exchange_credit),
        "gift_card": _m(gift_card),
        "gift_card_order_id": str(draft.shopify_id) if gift_card and refund_done else None,
        "gift_card_order_name": draft.name if gift_card and refund_done else None,
        "handling_fee": _m(plan.handling_fee),
        "refund": _m(refund),
        "upsell": _m(upsell),
        "is_gift_return": False,
        "refund_before_inspection": plan.initial == "rbi",
        "was_processed": processed_at is not None,
        "outcomes_processed_at": {
            "return_processed": loop_timestamp(processed_at),
            "refund_processed": outcome_stamp if refund > ZERO else None,
            "gift_card_processed": outcome_stamp if gift_card > ZERO else None,
            "exchange_processed": loop_timestamp(exchange_at) if exchange_at else (outcome_stamp if ex_values else None),
        },
        "refunds": refunds,
        "carrier": CARRIERS[store],
        "tracking_number": tracking,
        "label_status": label_status,
        "label_url": label_url,
        "label_rate": _m(Decimal(label_rate) / 100),
        "label_updated_at": loop_timestamp(label_updated),
        "status_page_url": f"https://{store}.loopreturns.com/#/return/{uuid.UUID(int=rng.getrandbits(128))}",
        "destination_id": LOOP_DESTINATIONS[store],
        "return_method": {"provider": "loop", "method_type": "ship-by-mail", "state": label_status},
        "line_items": line_items,
        "exchanges": exchanges,
        "labels": [
            {
                "status": label_status,
                "updated_at": loop_timestamp(label_updated),
                "url": label_url,
                "rate": label_rate,
                "carrier": CARRIERS[store],
                "tracking_number": tracking,
                "line_items": label_line_ids,
            }
        ],
    }
    return RenderedReturn(body, exchange_order, updated_at)
