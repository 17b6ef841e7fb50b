"""Pydantic models of the Loop Returns objects the sync reads (returns, lines, exchanges, refunds)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from returns_sync.domain.money import ZERO, to_decimal

__all__ = [
    "Amount",
    "LabelStatus",
    "LoopExchange",
    "LoopLineItem",
    "LoopRefundPart",
    "LoopReturn",
    "LoopWebhook",
    "ReturnState",
]


def _money(value: Any) -> Decimal:
    amount = _amount_of_text(value) if isinstance(value, str) and len(value) <= 32 else to_decimal(value)
    if not amount.is_finite():  # Decimal reads "NaN" and "Infinity"; neither is money, and both break every sum after
        raise ValueError("expected a finite money amount")
    return amount


def _opt_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


@lru_cache(maxsize=4096)
def _amount_of_text(text: str) -> Decimal:
    # Loop repeats amounts ("0.00", a catalogue's prices) return after return; a Decimal is immutable, so parsed
    # returns share one per text (24 a two-line return, 104 bytes each; issue 12's batches in flight).
    return to_decimal(text)


# A money amount as Loop renders it (string or number); the currency is the return's.
Amount = Annotated[Decimal, BeforeValidator(_money)]
OptStr = Annotated[str | None, BeforeValidator(_opt_str)]
# Loop renders ids as strings in some places and integers in others.
Id = Annotated[str, BeforeValidator(lambda v: str(v))]


class ReturnState(StrEnum):
    """Loop return ``state``; ``review`` is the manual-review (flagged) state."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REVIEW = "review"

    def is_terminal(self) -> bool:
        return self in (ReturnState.CLOSED, ReturnState.CANCELLED, ReturnState.EXPIRED)


class LabelStatus(StrEnum):
    """The return label's shipment status, "according to EasyPost" (https://docs.loopreturns.com/reference/label-webhook).

    ``new`` is the status of a label bought and not yet scanned, as ``labels[].status`` shows it; ``N/A`` is the
    label webhook's "no shipment status" yet.
    """

    NEW = "new"
    NOT_AVAILABLE = "N/A"
    PRE_TRANSIT = "pre_transit"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    ERROR = "error"
    FAILURE = "failure"


class _LoopModel(BaseModel):
    # Loop adds fields without notice; never reject unknown ones.
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def model_post_init(self, context: Any, /) -> None:
        # Pydantic keeps with each model the set of field names its input had: about 2.3 KB, over half of a parsed
        # return with its lines, and a store's batches in flight hold hundreds of returns (issue 12's memory run).
        # Loop sends the same names return after return, so models share one set per combination. Nothing reads
        # it (no ``exclude_unset``, no ``model_fields_set``) and no Loop model is assigned to after parsing.
        object.__setattr__(self, "__pydantic_fields_set__", _shared_names(self.__pydantic_fields_set__))


_NAME_SETS: dict[frozenset[str], set[str]] = {}
_MOST_NAME_SETS = 1_000  # combinations shared; past that (a Loop gone odd) each model keeps its own


def _shared_names(names: set[str]) -> set[str]:
    key = frozenset(names)
    shared = _NAME_SETS.get(key)
    if shared is not None:
        return shared
    if len(_NAME_SETS) >= _MOST_NAME_SETS:
        return names
    return _NAME_SETS.setdefault(key, names)


class LoopLineItem(_LoopModel):
    """One returned *unit* (Loop has no quantity field: two units are two lines)."""

    line_item_id: Id
    provider_line_item_id: OptStr = None
    product_id: OptStr = None
    variant_id: OptStr = None
    sku: OptStr = None
    barcode: OptStr = None
    title: OptStr = None
    price: Amount = ZERO
    discount: Amount = ZERO
    tax: Amount = ZERO
    refund: Amount = ZERO
    refund_item: Amount | None = None
    refund_tax: Amount | None = None
    returned_at: datetime | None = None
    exchange_variant: OptStr = None
    return_reason: OptStr = None
    parent_return_reason: OptStr = None
    outcome: OptStr = None
    provider_restock_location_id: OptStr = None
    condition: dict[str, Any] | None = None
    disposition: dict[str, Any] | None = None

    @property
    def paid_unit_price(self) -> Decimal:
        """What the customer actually paid for the unit before tax: price minus allocated discount."""
        return self.price - self.discount

    @property
    def disposition_outcome(self) -> str | None:
        return (self.disposition or {}).get("disposition_outcome")


class LoopExchange(_LoopModel):
    exchange_id: Id
    exchange_order_id: OptStr = None
    exchange_order_name: OptStr = None
    product_id: OptStr = None
    variant_id: OptStr = None
    sku: OptStr = None
    type: OptStr = None
    title: OptStr = None
    price: Amount = ZERO
    discount: Amount = ZERO
    tax: Amount = ZERO
    total: Amount = ZERO
    out_of_stock: bool = False
    out_of_stock_resolution: OptStr = None


class LoopRefundPart(_LoopModel):
    """One gateway's share of the refund (``refunds[]``); ``amount`` may arrive as a number."""

    gateway: str
    amount: Amount
    currency: str | None = None
    provider_refund_id: OptStr = None


class LoopReturn(_LoopModel):
    """A Loop return as the list, details and webhook endpoints render it (money as Decimal)."""

    id: Id
    state: ReturnState
    type: str | None = None
    outcome: OptStr = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    edited_at: datetime | None = None
    order_id: OptStr = None
    order_name: OptStr = None
    order_number: OptStr = None
    provider_order_id: OptStr = None
    customer: OptStr = None
    currency: str = "USD"
    multi_currency: bool = False
    total: Amount = ZERO
    return_product_total: Amount = ZERO
    return_discount_total: Amount = ZERO
    return_tax_total: Amount = ZERO
    return_total: Amount = ZERO
    return_credit_total: Amount = ZERO
    refund_shipping_total: Amount = ZERO
    refund_shipping_tax_total: Amount = ZERO
    exchange_product_total: Amount = ZERO
    exchange_discount_total: Amount = ZERO
    exchange_tax_total: Amount = ZERO
    exchange_total: Amount = ZERO
    exchange_credit_total: Amount = ZERO
    gift_card: Amount = ZERO
    gift_card_order_id: OptStr = None
    gift_card_order_name: OptStr = None
    gift_card_id: OptStr = None  # the Shopify gift card holding the store credit (sandbox docs/loop.md)
    handling_fee: Amount = ZERO
    refund: Amount = ZERO
    upsell: Amount = ZERO
    refund_before_inspection: bool = False
    was_processed: bool = False
    outcomes_processed_at: dict[str, datetime | None] = Field(default_factory=dict)
    refunds: list[LoopRefundPart] = Field(default_factory=list)
    # The flat copy of the return's (main) label; kept as text so an odd label never makes the return unreadable.
    carrier: OptStr = None
    tracking_number: OptStr = None
    label_status: OptStr = None
    label_updated_at: OptStr = None
    destination_id: OptStr = None
    line_items: list[LoopLineItem] = Field(default_factory=list)
    exchanges: list[LoopExchange] = Field(default_factory=list)

    @property
    def order_name_key(self) -> str | None:
        """The Shopify order name with its leading ``#``, as the NetSuite SO stores it."""
        if not self.order_name:
            return None
        return self.order_name if self.order_name.startswith("#") else f"#{self.order_name}"

    def processed(self, outcome: str) -> datetime | None:
        """When Loop executed ``outcome`` (``refund_processed``, ``gift_card_processed`` ...)."""
        return self.outcomes_processed_at.get(outcome)


class LoopWebhook(_LoopModel):
    """A webhook delivery: the return fields plus ``topic``/``trigger``/``shop_id``."""

    topic: str
    trigger: str
    shop_id: int | str | None = None
    id: OptStr = None
    return_id: OptStr = None

    @property
    def loop_return_id(self) -> str | None:
        return self.return_id or self.id
