"""Pydantic models of the Shopify Admin GraphQL objects the sync reads: orders, lines, refunds, transactions (money as Decimal)."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from returns_sync.domain.money import ZERO, to_decimal

__all__ = [
    "FinancialStatus",
    "Money",
    "MoneyBag",
    "MoneyV2",
    "RestockType",
    "ReturnStatus",
    "ShopifyInventoryAdjustment",
    "ShopifyInventoryChange",
    "ShopifyLineItem",
    "ShopifyLineRef",
    "ShopifyOrder",
    "ShopifyRefund",
    "ShopifyRefundLineItem",
    "ShopifyReturn",
    "ShopifyReturnLineItem",
    "ShopifyTaxLine",
    "ShopifyTransaction",
    "ShopifyVariant",
    "TransactionKind",
    "TransactionStatus",
    "gid",
    "legacy_id",
    "parse_gid",
]

_GID = re.compile(r"^gid://shopify/(?P<type>[A-Za-z]+)/(?P<id>\d+)(?:\?.*)?$")


def gid(type_name: str, value: int | str) -> str:
    """The GID of a ``type_name`` object from its numeric id (or the GID itself, checked). Raises ``ValueError`` on junk."""
    if isinstance(value, str) and value.startswith("gid://"):
        kind, _ = parse_gid(value)
        if kind != type_name:
            raise ValueError(f"expected a {type_name} GID, got {value!r}")
        return value
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(f"not a Shopify {type_name} id: {value!r}")
    return f"gid://shopify/{type_name}/{int(text)}"


def parse_gid(value: str) -> tuple[str, int]:
    """(type, numeric id) of ``gid://shopify/<Type>/<n>`` (a ``?query`` tail is allowed)."""
    match = _GID.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"not a Shopify GID: {value!r}")
    return match["type"], int(match["id"])


def legacy_id(value: str | int) -> int:
    """The numeric (REST / webhook) id of a GID, or of a number already numeric."""
    if isinstance(value, int):
        return value
    return int(value) if value.strip().isdigit() else parse_gid(value)[1]


def _unwrap_connection(value: Any) -> Any:
    """``{nodes: [...]}`` or ``{edges: [{node}]}`` -> the list; plain lists pass through."""
    if value is None:
        return []
    if isinstance(value, dict):
        if value.get("nodes") is not None:
            return value["nodes"]
        return [edge["node"] for edge in value.get("edges") or []]
    return value


Money = Annotated[Decimal, BeforeValidator(to_decimal)]
_Ref = Annotated[str | None, BeforeValidator(lambda v: v.get("id") if isinstance(v, dict) else v)]


class _Model(BaseModel):
    # Shopify adds fields every quarter; never reject unknown ones. Python names are snake_case.
    model_config = ConfigDict(extra="ignore", populate_by_name=True, alias_generator=to_camel)


class TransactionKind(StrEnum):
    SALE = "SALE"
    CAPTURE = "CAPTURE"
    AUTHORIZATION = "AUTHORIZATION"
    VOID = "VOID"
    REFUND = "REFUND"
    CHANGE = "CHANGE"
    EMV_AUTHORIZATION = "EMV_AUTHORIZATION"
    SUGGESTED_REFUND = "SUGGESTED_REFUND"


class TransactionStatus(StrEnum):
    SUCCESS = "SUCCESS"
    PENDING = "PENDING"
    FAILURE = "FAILURE"
    ERROR = "ERROR"
    AWAITING_RESPONSE = "AWAITING_RESPONSE"
    UNKNOWN = "UNKNOWN"

    def is_terminal(self) -> bool:
        return self in (TransactionStatus.SUCCESS, TransactionStatus.FAILURE, TransactionStatus.ERROR)


class FinancialStatus(StrEnum):
    AUTHORIZED = "AUTHORIZED"
    EXPIRED = "EXPIRED"
    PAID = "PAID"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    PENDING = "PENDING"
    REFUNDED = "REFUNDED"
    VOIDED = "VOIDED"

    def is_terminal(self) -> bool:
        return self in (FinancialStatus.REFUNDED, FinancialStatus.VOIDED, FinancialStatus.EXPIRED)


class ReturnStatus(StrEnum):
    REQUESTED = "REQUESTED"
    OPEN = "OPEN"
    CLOSED = "CLOSED"
    DECLINED = "DECLINED"
    CANCELED = "CANCELED"

    def is_terminal(self) -> bool:
        return self in (ReturnStatus.CLOSED, ReturnStatus.DECLINED, ReturnStatus.CANCELED)


class RestockType(StrEnum):
    RETURN = "RETURN"
    CANCEL = "CANCEL"
    NO_RESTOCK = "NO_RESTOCK"
    LEGACY_RESTOCK = "LEGACY_RESTOCK"


# Enum fields still accept values Shopify adds later (kept as plain strings).
Kind = Annotated[TransactionKind | str, Field(union_mode="left_to_right")]
TxnStatus = Annotated[TransactionStatus | str, Field(union_mode="left_to_right")]
Financial = Annotated[FinancialStatus | str, Field(union_mode="left_to_right")]
ReturnState = Annotated[ReturnStatus | str, Field(union_mode="left_to_right")]
Restock = Annotated[RestockType | str, Field(union_mode="left_to_right")]


def _fulfillment_line(value: Any) -> Any:
    """``fulfillmentLineItem { lineItem { id } }`` -> the order line's GID."""
    if isinstance(value, dict):
        return (value.get("lineItem") or {}).get("id")
    return value


class MoneyV2(_Model):
    amount: Money
    currency_code: str | None = None


class MoneyBag(_Model):
    shop_money: MoneyV2
    presentment_money: MoneyV2 | None = None

    @property
    def amount(self) -> Decimal:
        """The shop-currency amount (what NetSuite books)."""
        return self.shop_money.amount


class ShopifyVariant(_Model):
    id: str
    sku: str | None = None
    inventory_item: _Ref = None


class ShopifyTaxLine(_Model):
    title: str | None = None
    rate: Decimal | None = None
    price_set: MoneyBag | None = None


class ShopifyLineItem(_Model):
    id: str
    name: str | None = None
    sku: str | None = None
    quantity: int
    current_quantity: int | None = None
    refundable_quantity: int | None = None
    variant: ShopifyVariant | None = None
    original_unit_price_set: MoneyBag | None = None
    discounted_unit_price_set: MoneyBag | None = None
    discounted_total_set: MoneyBag | None = None
    tax_lines: list[ShopifyTaxLine] = Field(default_factory=list)

    @property
    def legacy_id(self) -> int:
        return legacy_id(self.id)

    @property
    def unit_price(self) -> Decimal:
        return self.original_unit_price_set.amount if self.original_unit_price_set else ZERO

    @property
    def unit_paid(self) -> Decimal:
        """Price per unit after the line's discounts, before tax."""
        return self.discounted_unit_price_set.amount if self.discounted_unit_price_set else self.unit_price

    @property
    def tax(self) -> Decimal:
        """Tax of the whole line (all units)."""
        return sum((t.price_set.amount for t in self.tax_lines if t.price_set), ZERO)

    @property
    def inventory_item_id(self) -> str | None:
        return self.variant.inventory_item if self.variant else None


class ShopifyTransaction(_Model):
    id: str
    kind: Kind
    status: TxnStatus
    gateway: str | None = None
    test: bool = False
    processed_at: datetime | None = None
    amount_set: MoneyBag
    parent_transaction: _Ref = None

    @property
    def amount(self) -> Decimal:
        return self.amount_set.amount

    @property
    def parent_id(self) -> str | None:
        return self.parent_transaction

    @property
    def succeeded(self) -> bool:
        return self.status == TransactionStatus.SUCCESS


class ShopifyLineRef(_Model):
    """A line item named from elsewhere (``refundLineItems { lineItem { id sku } }``)."""

    id: str
    sku: str | None = None


class ShopifyRefundLineItem(_Model):
    id: str | None = None
    quantity: int
    restock_type: Restock | None = None
    restocked: bool | None = None
    line_item: ShopifyLineRef | None = None
    location: _Ref = None
    price_set: MoneyBag | None = None
    subtotal_set: MoneyBag | None = None
    total_tax_set: MoneyBag | None = None

    @property
    def line_item_id(self) -> str | None:
        return self.line_item.id if self.line_item else None


class ShopifyRefund(_Model):
    id: str
    legacy_resource_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    note: str | None = None
    total_refunded_set: MoneyBag | None = None
    return_: _Ref = Field(default=None, alias="return")
    refund_line_items: Annotated[list[ShopifyRefundLineItem], BeforeValidator(_unwrap_connection)] = Field(default_factory=list)
    transactions: Annotated[list[ShopifyTransaction], BeforeValidator(_unwrap_connection)] = Field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        """Money returned: the successful REFUND transactions, or ``totalRefundedSet`` when those were not selected."""
        if self.transactions:
            return sum((t.amount for t in self.transactions if t.kind == TransactionKind.REFUND and t.succeeded), ZERO)
        return self.total_refunded_set.amount if self.total_refunded_set else ZERO


class ShopifyReturnLineItem(_Model):
    id: str
    quantity: int
    return_reason: str | None = None
    customer_note: str | None = None
    line_item_id: Annotated[str | None, BeforeValidator(_fulfillment_line)] = Field(
        default=None, validation_alias="fulfillmentLineItem"
    )


class ShopifyReturn(_Model):
    id: str
    name: str | None = None
    status: ReturnState
    created_at: datetime | None = None
    closed_at: datetime | None = None
    return_line_items: Annotated[list[ShopifyReturnLineItem], BeforeValidator(_unwrap_connection)] = Field(default_factory=list)


class ShopifyOrder(_Model):
    """An order as ``order(id:)`` returns it; connections are flattened to lists.

    No customer: the syncs never need one, and its name, email, phone and address are protected customer data
    the app is not approved for (the connector does not ask for them)."""

    id: str
    legacy_resource_id: int | None = None
    name: str
    created_at: datetime | None = None
    updated_at: datetime | None = None
    processed_at: datetime | None = None
    cancelled_at: datetime | None = None
    display_financial_status: Financial | None = None
    display_fulfillment_status: str | None = None
    note: str | None = None
    tags: list[str] = Field(default_factory=list)
    currency_code: str | None = None
    presentment_currency_code: str | None = None
    total_refunded_set: MoneyBag | None = None
    current_total_price_set: MoneyBag | None = None
    total_price_set: MoneyBag | None = None
    line_items: Annotated[list[ShopifyLineItem], BeforeValidator(_unwrap_connection)] = Field(default_factory=list)
    refunds: Annotated[list[ShopifyRefund], BeforeValidator(_unwrap_connection)] = Field(default_factory=list)
    transactions: Annotated[list[ShopifyTransaction], BeforeValidator(_unwrap_connection)] = Field(default_factory=list)
    returns: Annotated[list[ShopifyReturn], BeforeValidator(_unwrap_connection)] = Field(default_factory=list)
    custom_attributes: list[dict[str, str | None]] = Field(default_factory=list)

    @property
    def numeric_id(self) -> int:
        return self.legacy_resource_id or legacy_id(self.id)

    @property
    def attributes(self) -> dict[str, str | None]:
        return {key: a.get("value") for a in self.custom_attributes if (key := a.get("key")) is not None}

    def line_item(self, line_id: str | int) -> ShopifyLineItem | None:
        """The line with this GID or numeric id."""
        wanted = legacy_id(line_id)
        return next((line for line in self.line_items if line.legacy_id == wanted), None)

    def refunded_quantity(self, line_id: str | int) -> int:
        """Units of a line already refunded across all refunds."""
        wanted = legacy_id(line_id)
        return sum(
            r.quantity
            for refund in self.refunds
            for r in refund.refund_line_items
            if r.line_item_id and legacy_id(r.line_item_id) == wanted
        )

    def refund_with_note(self, marker: str) -> ShopifyRefund | None:
        """The refund whose note contains ``marker`` (how a refund made outside this connector, e.g. by Loop, is recognised)."""
        return next((r for r in self.refunds if r.note and marker in r.note), None)

    def refundable_by_parent(self) -> dict[str, Decimal]:
        """For each successful SALE/CAPTURE (by GID): what is still refundable on it."""
        left = {
            t.id: t.amount for t in self.transactions if t.kind in (TransactionKind.SALE, TransactionKind.CAPTURE) and t.succeeded
        }
        for txn in self.transactions:
            if txn.kind == TransactionKind.REFUND and txn.succeeded and txn.parent_id in left:
                left[txn.parent_id] -= txn.amount
        return left


class ShopifyInventoryChange(_Model):
    name: str
    delta: int
    quantity_after_change: int | None = None


class ShopifyInventoryAdjustment(_Model):
    created_at: datetime | None = None
    reason: str | None = None
    reference_document_uri: str | None = None
    changes: list[ShopifyInventoryChange] = Field(default_factory=list)
