"""Shopify orders of the demo: customers, line pricing (discount allocation, per-unit tax), transactions, ids.

Money rules (the same Shopify and the connector use in the demo): an order-level discount is
allocated to units in cents so the order's discount total is exact and every unit of a line carries
the same ``unit_discount``; tax is computed per unit on the discounted price and rounded half-up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from returns_sandbox.money import ZERO, quantize
from returns_sandbox.seed.world import Customer, Order, OrderLine, OrderTransaction

__all__ = [
    "DiscountSpec",
    "IdAllocator",
    "LineSpec",
    "OrderDraft",
    "build_customers",
    "fixed_discount",
    "percent_discount",
    "price_lines",
]

_FIRST = (
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Emma",
    "Farid",
    "Grace",
    "Hugo",
    "Isla",
    "Jon",
    "Kira",
    "Liam",
    "Maya",
    "Noah",
    "Olive",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Yuki",
    "Zoe",
)
_LAST = (
    "Lopez",
    "Nguyen",
    "Smith",
    "Okafor",
    "Martin",
    "Chen",
    "Kowalski",
    "Dubois",
    "Haddad",
    "Ito",
    "Brown",
    "Silva",
    "Murphy",
    "Singh",
    "Novak",
    "Rossi",
    "Kim",
    "Walker",
    "Tremblay",
    "Gagnon",
)


class IdAllocator:
    """Named counters: ``next("loop_return")`` returns base+1, base+2, … so ids are stable for a given build order."""

    _BASES = {
        "ns_customer": 5000,
        "ns_so": 20000,
        "shopify_customer:north": 7110000000000,
        "shopify_customer:south": 7120000000000,
        "shopify_customer:east": 7130000000000,
        "shopify_customer:west": 7140000000000,
        "shopify_order:north": 5610000000000,
        "shopify_order:south": 5620000000000,
        "shopify_order:east": 5630000000000,
        "shopify_order:west": 5640000000000,
        "shopify_line:north": 14110000000000,
        "shopify_line:south": 14120000000000,
        "shopify_line:east": 14130000000000,
        "shopify_line:west": 14140000000000,
        "shopify_txn:north": 6610000000000,
        "shopify_txn:south": 6620000000000,
        "shopify_txn:east": 6630000000000,
        "shopify_txn:west": 6640000000000,
        "shopify_refund:north": 9310000000000,
        "shopify_refund:south": 9320000000000,
        "shopify_refund:east": 9330000000000,
        "shopify_refund:west": 9340000000000,
        "shopify_gift_card": 5710000000000,
        "loop_order": 5500000,
        "loop_return": 48200000,
        "loop_line": 90800000,
        "loop_exchange": 771000,
    }

    def __init__(self) -> None:
        self._last = dict(self._BASES)

    def next(self, name: str) -> int:
        self._last[name] += 1
        return self._last[name]


@dataclass(frozen=True)
class LineSpec:
    """One order line before pricing: SKU, title, quantity and list price."""

    sku: str
    title: str
    quantity: int
    unit_price: Decimal
    ns_item_id: int | None


@dataclass(frozen=True)
class DiscountSpec:
    """An order-level discount code and its allocation: the discount per unit of each line, in cents."""

    code: str
    per_unit: tuple[Decimal, ...]  # one value per line, in cents

    def total(self, quantities: tuple[int, ...]) -> Decimal:
        return sum((d * q for d, q in zip(self.per_unit, quantities)), ZERO)


def percent_discount(specs: list[LineSpec], percent: Decimal, currency: str, code: str) -> DiscountSpec:
    """``percent`` off every unit, rounded half-up per unit; the order total is the sum of the units."""
    return DiscountSpec(code, tuple(quantize(s.unit_price * percent, currency) for s in specs))


def fixed_discount(specs: list[LineSpec], amount: Decimal, code: str) -> DiscountSpec | None:
    """Allocate ``amount`` off the order pro rata to the units, in cents, summing exactly to ``amount``.

    Every unit of a line gets the same share, so the cents left over after flooring go to a line whose
    quantity divides them (a single-unit line always does). ``None`` when no exact allocation exists
    or the amount is not below the subtotal.
    """
    cents = int(amount * 100)
    prices = [int(s.unit_price * 100) for s in specs]
    subtotal = sum(p * s.quantity for p, s in zip(prices, specs))
    if cents >= subtotal:
        return None
    shares = [(Decimal(p) * cents / subtotal).to_integral_value(rounding=ROUND_FLOOR) for p in prices]
    per_unit = [int(x) for x in shares]
    left = cents - sum(d * s.quantity for d, s in zip(per_unit, specs))
    if left:
        for i, spec in sorted(enumerate(specs), key=lambda pair: pair[1].quantity):
            if left % spec.quantity == 0 and per_unit[i] + left // spec.quantity < prices[i]:
                per_unit[i] += left // spec.quantity
                left = 0
                break
    if left:
        return None
    return DiscountSpec(code, tuple(Decimal(d).scaleb(-2) for d in per_unit))


def price_lines(
    specs: list[LineSpec], discount: DiscountSpec | None, tax_rate: Decimal, currency: str, line_ids: list[int]
) -> tuple[OrderLine, ...]:
    """Turn line specs into priced ``OrderLine``s: allocated unit discount, per-unit tax on the discounted price."""
    lines = []
    for index, (spec, line_id) in enumerate(zip(specs, line_ids)):
        unit_discount = discount.per_unit[index] if discount else Decimal("0.00")
        unit_tax = quantize((spec.unit_price - unit_discount) * tax_rate, currency)
        lines.append(
            OrderLine(
                shopify_line_id=line_id,
                sku=spec.sku,
                title=spec.title,
                quantity=spec.quantity,
                unit_price=spec.unit_price,
                unit_discount=unit_discount,
                unit_tax=unit_tax,
                tax_rate=tax_rate,
                ns_item_id=spec.ns_item_id,
                ns_line=index + 1,
            )
        )
    return tuple(lines)


@dataclass
class OrderDraft:
    """A Shopify order while the world is being built (transactions still growing); ``freeze()`` makes the ``Order``."""

    store: str
    created_at: datetime
    customer: Customer
    specs: list[LineSpec]
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    shipping: Decimal = Decimal("0.00")
    gift_card_amount: Decimal | None = None  # paid partly by gift card: this much
    in_netsuite: bool = True
    tags: tuple[str, ...] = ()
    # Filled by finalise():
    number: int = 0
    shopify_id: int = 0
    lines: tuple[OrderLine, ...] = ()
    shipping_tax: Decimal = Decimal("0.00")
    discount_code: str | None = None
    transactions: list[OrderTransaction] = field(default_factory=list)
    ns_so_id: int | None = None
    loop_order_id: int = 0

    @property
    def name(self) -> str:
        return f"#{self.number}"

    @property
    def total(self) -> Decimal:
        return sum(((ln.unit_paid + ln.unit_tax) * ln.quantity for ln in self.lines), ZERO) + self.shipping + self.shipping_tax

    def sale(self, gateway: str) -> OrderTransaction:
        return next(t for t in self.transactions if t.kind == "SALE" and t.gateway == gateway)

    def freeze(self, currency: str, billing: str) -> Order:
        return Order(
            store=self.store,
            shopify_id=self.shopify_id,
            name=self.name,
            created_at=self.created_at,
            currency=currency,
            customer_email=self.customer.email,
            lines=self.lines,
            shipping=self.shipping,
            shipping_tax=self.shipping_tax,
            transactions=tuple(self.transactions),
            tags=self.tags,
            note=None if self.discount_code is None else f"Discount code {self.discount_code}",
            ns_so_id=self.ns_so_id if self.in_netsuite else None,
            ns_tranid=f"SO{self.number}" if self.in_netsuite else None,
            ns_currency=currency if self.in_netsuite else None,
            billing=billing,  # type: ignore[arg-type]
        )


def build_customers(rng: random.Random, store: str, count: int, ids: IdAllocator) -> list[Customer]:
    """``count`` customers of ``store`` with unique e-mails."""
    customers = []
    for index in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        customers.append(
            Customer(
                store=store,
                email=f"{first}.{last}.{store}{index + 1}@example.com".lower(),
                first_name=first,
                last_name=last,
                shopify_id=ids.next(f"shopify_customer:{store}"),
                ns_id=ids.next("ns_customer"),
            )
        )
    return customers
