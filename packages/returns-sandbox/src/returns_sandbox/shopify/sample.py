"""A small hand-made world for the Shopify emulator's tests and docs (the full seed comes from ``returns_sandbox.seed``).

Store ``north`` (USD) has ``order_count`` orders ``#1001``...; ``#1001`` has three lines (a discounted,
taxed tee x2, a hoodie, a cap) and ``#1002`` was paid partly with a gift card. Store ``south`` (EUR)
has two orders. All ids are fixed so tests can name them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
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

__all__ = ["BASE_TIME", "NORTH", "SOUTH", "ManualClock", "line_id", "order_id", "sample_world", "transaction_id"]

BASE_TIME = datetime(2025, 10, 1, 12, 0, tzinfo=UTC)
D = Decimal


class ManualClock:
    """A clock for ``ShopifyBackend(clock=...)`` that only moves when told (bucket refill tests)."""

    def __init__(self, start: datetime = BASE_TIME + timedelta(days=2)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _store(key: str, name: str, currency: str, location: int, first_number: int, sub: int) -> StoreSpec:
    return StoreSpec(
        key=key,
        name=name,
        shop_domain=f"{key}-outfitters.myshopify.com",
        currency=currency,
        loop_shop_id=sub,
        loop_api_key=f"loop-{key}",
        loop_webhook_secret=f"loop-whsec-{key}",
        shopify_access_token=f"shpat_{key}_sandbox_token",
        shopify_app_secret=f"shpss_{key}_app_secret",
        shopify_location_id=location,
        ns_subsidiary_id=sub,
        ns_subsidiary_name=name,
        ns_currency_id=sub,
        ns_location_id=10 + sub,
        ns_damaged_location_id=20 + sub,
        ns_token_id=f"tok-{key}",
        ns_token_secret=f"toksec-{key}",
        sku_field="itemid",
        billing="invoice",
        first_order_number=first_number,
    )


NORTH = _store("north", "North Outfitters", "USD", 70001, 1001, 1)
SOUTH = _store("south", "South Outfitters", "EUR", 70002, 5001, 2)

_CATALOG = (
    CatalogItem(
        ns_id=501,
        itemid="TEE-RED-M",
        sku="TEE-RED-M",
        custitem_shopify_sku=None,
        display_name="Red Tee - M",
        item_type="InvtPart",
        price=D("25.00"),
        cost=D("8.00"),
        shopify_variant_ids={"north": 40001, "south": 41001},
        shopify_inventory_item_ids={"north": 50001, "south": 51001},
        shopify_product_ids={"north": 30001, "south": 31001},
    ),
    CatalogItem(
        ns_id=502,
        itemid="HOODIE-BLK-L",
        sku="HOODIE-BLK-L",
        custitem_shopify_sku=None,
        display_name="Black Hoodie - L",
        item_type="InvtPart",
        price=D("60.00"),
        cost=D("22.00"),
        shopify_variant_ids={"north": 40002, "south": 41002},
        shopify_inventory_item_ids={"north": 50002, "south": 51002},
        shopify_product_ids={"north": 30002, "south": 31002},
    ),
    CatalogItem(
        ns_id=503,
        itemid="CAP-GRN",
        sku="CAP-GRN",
        custitem_shopify_sku=None,
        display_name="Green Cap",
        item_type="InvtPart",
        price=D("15.00"),
        cost=D("4.00"),
        shopify_variant_ids={"north": 40003},
        shopify_inventory_item_ids={"north": 50003},
        shopify_product_ids={"north": 30003},
    ),
)


def order_id(store: str, index: int) -> int:
    """Shopify id of the store's ``index``-th sample order (0 = the first)."""
    return (900_000 if store == "north" else 910_000) + index


def line_id(store: str, index: int, position: int) -> int:
    return order_id(store, index) * 10 + position


def transaction_id(store: str, index: int, position: int = 0) -> int:
    return order_id(store, index) * 10 + 5 + position


def _line(
    store: str, index: int, position: int, sku: str, title: str, qty: int, price: str, discount: str = "0", rate: str = "0"
) -> OrderLine:
    paid = D(price) - D(discount)
    return OrderLine(
        shopify_line_id=line_id(store, index, position),
        sku=sku,
        title=title,
        quantity=qty,
        unit_price=D(price),
        unit_discount=D(discount),
        unit_tax=(paid * D(rate)).quantize(D("0.01")),
        tax_rate=D(rate),
        ns_item_id=None,
        ns_line=position + 1,
    )


def _order(
    store: StoreSpec,
    index: int,
    lines: tuple[OrderLine, ...],
    email: str,
    *,
    gift_card: Decimal = D("0"),
    tags: tuple[str, ...] = (),
) -> Order:
    draft = Order(
        store=store.key,
        shopify_id=order_id(store.key, index),
        name=f"#{store.first_order_number + index}",
        created_at=BASE_TIME + timedelta(hours=index),
        currency=store.currency,
        customer_email=email,
        lines=lines,
        shipping=D("5.00"),
        shipping_tax=D("0"),
        transactions=(),
        tags=tags,
    )
    txns = []
    if gift_card:
        txns.append(OrderTransaction(transaction_id(store.key, index, 1), "SALE", "gift_card", gift_card))
    txns.append(OrderTransaction(transaction_id(store.key, index, 0), "SALE", "shopify_payments", draft.total - gift_card))
    return replace(draft, transactions=tuple(txns))


def sample_world(order_count: int = 12) -> World:
    """Two stores, three variants, one customer each, ``order_count`` north orders and two south orders."""
    north, south = NORTH, SOUTH
    orders = [
        _order(
            north,
            0,
            (
                _line("north", 0, 0, "TEE-RED-M", "Red Tee - M", 2, "25.00", "5.00", "0.08"),
                _line("north", 0, 1, "HOODIE-BLK-L", "Black Hoodie - L", 1, "60.00", "0", "0.08"),
                _line("north", 0, 2, "CAP-GRN", "Green Cap", 1, "15.00"),
            ),
            "ada@example.com",
            tags=("vip",),
        ),
        _order(
            north,
            1,
            (_line("north", 1, 0, "HOODIE-BLK-L", "Black Hoodie - L", 1, "60.00"),),
            "ada@example.com",
            gift_card=D("20.00"),
        ),
    ]
    for index in range(2, order_count):
        orders.append(
            _order(
                north,
                index,
                (_line("north", index, 0, "TEE-RED-M", "Red Tee - M", 1, "25.00"),),
                "ada@example.com",
                tags=("wholesale",) if index % 3 == 0 else (),
            )
        )
    for index in range(2):
        orders.append(
            _order(
                south, index, (_line("south", index, 0, "TEE-RED-M", "Red Tee - M", 1, "25.00", "0", "0.19"),), "bo@example.com"
            )
        )
    return World(
        seed=1,
        now=BASE_TIME + timedelta(days=2),
        account=NetSuiteAccount("TSTDRV1", "ck", "cs"),
        stores=(north, south),
        catalog=_CATALOG,
        customers=(
            Customer("north", "ada@example.com", "Ada", "Lovelace", 60001, 1),
            Customer("south", "bo@example.com", "Bo", "Diddley", 61001, 2),
        ),
        orders=tuple(orders),
        returns=[],
    )
