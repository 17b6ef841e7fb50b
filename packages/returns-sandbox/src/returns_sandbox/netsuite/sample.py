"""A tiny ``World`` with POSTING.md's worked example (order #1001: 2 × Shirt, 10 % off, 8 % tax), for emulator tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from returns_sandbox.seed.world import (
    CatalogItem,
    Customer,
    NetSuiteAccount,
    Order,
    OrderLine,
    OrderTransaction,
    StoreSpec,
    World,
)

__all__ = ["SAMPLE_ACCOUNT_ID", "sample_world"]

SAMPLE_ACCOUNT_ID = "1234567_SB1"


def _store(key: str, number: int, billing: str, currency: str) -> StoreSpec:
    return StoreSpec(
        key=key,
        name=f"{key.title()} Outfitters",
        shop_domain=f"{key}-outfitters.myshopify.com",
        currency=currency,
        loop_shop_id=number,
        loop_api_key=f"loop-key-{key}",
        loop_webhook_secret=f"loop-whsec-{key}",
        shopify_access_token=f"shpat_{key}",
        shopify_app_secret=f"shpss_{key}",
        shopify_location_id=9000 + number,
        ns_subsidiary_id=number,
        ns_subsidiary_name=f"{key.title()} Outfitters Inc.",
        ns_currency_id=number,
        ns_location_id=10 + number,
        ns_damaged_location_id=20 + number,
        ns_token_id=f"token-{key}",
        ns_token_secret=f"token-secret-{key}",
        sku_field="itemid",
        billing=billing,  # type: ignore[arg-type]
        first_order_number=1001 if key == "north" else 2001,
    )


def _order(
    store: str, shopify_id: int, name: str, email: str, so_id: int | None, billing: str, currency: str, quantity: int = 2
) -> Order:
    line = OrderLine(
        shopify_line_id=shopify_id * 10,
        sku="SHIRT-M-BLU",
        title="Shirt M Blue",
        quantity=quantity,
        unit_price=Decimal("50.00"),
        unit_discount=Decimal("5.00"),
        unit_tax=Decimal("3.60"),
        tax_rate=Decimal("0.08"),
        ns_item_id=501,
        ns_line=1,
    )
    jacket = OrderLine(
        shopify_line_id=shopify_id * 10 + 1,
        sku="JACKET-L",
        title="Jacket L",
        quantity=1,
        unit_price=Decimal("70.00"),
        unit_discount=Decimal("0"),
        unit_tax=Decimal("5.60"),
        tax_rate=Decimal("0.08"),
        ns_item_id=502,
        ns_line=2,
    )
    lines = (line, jacket)
    total = sum((x.unit_paid + x.unit_tax) * x.quantity for x in lines) + Decimal("5.00") + Decimal("0.40")
    return Order(
        store=store,
        shopify_id=shopify_id,
        name=name,
        created_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        currency=currency,
        customer_email=email,
        lines=lines,
        shipping=Decimal("5.00"),
        shipping_tax=Decimal("0.40"),
        transactions=(OrderTransaction(shopify_id=shopify_id * 100, kind="SALE", gateway="shopify_payments", amount=total),),
        ns_so_id=so_id,
        ns_tranid=None if so_id is None else f"SO{name.lstrip('#')}",
        billing=billing,  # type: ignore[arg-type]
    )


def sample_world() -> World:
    """Two stores: ``north`` bills by invoice (SO 7001, order #1001), ``south`` by cash sale (SO 7002, order #2001).

    Each order: 2 × Shirt (item 501, 50.00 − 5.00 discount, tax 3.60/unit, cost 20.00) on line 1, 1 × Jacket
    (item 502, 70.00, tax 5.60, cost 30.00) on line 2, shipping 5.00 + 0.40 tax. ``north`` also has order
    #1002 (Shopify id 1002) that is not in NetSuite yet, usable as an exchange order.
    """
    north, south = _store("north", 1, "invoice", "USD"), _store("south", 2, "cash_sale", "USD")
    catalog = (
        CatalogItem(
            ns_id=501,
            itemid="SHIRT-M-BLU",
            sku="SHIRT-M-BLU",
            custitem_shopify_sku="SHIRT-M-BLU",
            display_name="Shirt M Blue",
            item_type="InvtPart",
            price=Decimal("50.00"),
            cost=Decimal("20.00"),
        ),
        CatalogItem(
            ns_id=502,
            itemid="JACKET-L",
            sku="JACKET-L",
            custitem_shopify_sku=None,
            display_name="Jacket L",
            item_type="InvtPart",
            price=Decimal("70.00"),
            cost=Decimal("30.00"),
        ),
    )
    customers = (
        Customer(store="north", email="ann@example.com", first_name="Ann", last_name="Lee", shopify_id=301, ns_id=401),
        Customer(store="south", email="bob@example.com", first_name="Bob", last_name="Ray", shopify_id=302, ns_id=402),
    )
    orders = (
        _order("north", 1001, "#1001", "ann@example.com", 7001, "invoice", "USD"),
        _order("south", 2001, "#2001", "bob@example.com", 7002, "cash_sale", "USD"),
        _order("north", 1002, "#1002", "ann@example.com", None, "invoice", "USD", quantity=1),
    )
    return World(
        seed=1,
        now=datetime(2024, 5, 10, 12, 0, tzinfo=UTC),
        account=NetSuiteAccount(account_id=SAMPLE_ACCOUNT_ID, consumer_key="consumer-key", consumer_secret="consumer-secret"),
        stores=(north, south),
        catalog=catalog,
        customers=customers,
        orders=orders,
        returns=[],
        special_items={
            "handling_fee": 601,
            "store_credit": 602,
            "bonus": 603,
            "price_adjustment": 604,
            "gift_card_payment": 605,
            "shipping": 606,
        },
        accounts={},
    )
