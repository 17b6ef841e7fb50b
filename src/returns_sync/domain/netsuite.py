"""NetSuite vocabulary for returns: the sales order as read, item matches, RA status, record types, roles and GL roles."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from returns_sync.domain.money import to_decimal

__all__ = [
    "AccountRole",
    "Billing",
    "ItemMatch",
    "LineKind",
    "RaStatus",
    "RecordRole",
    "RecordType",
    "SalesOrderLine",
    "SalesOrderSnapshot",
    "item_match_problem",
]

Billing = Literal["invoice", "cash_sale"]
_Amount = Annotated[Decimal, BeforeValidator(to_decimal)]


class RecordType(StrEnum):
    """NetSuite REST record type ids (the camelCase names used in ``/record/v1/<type>`` paths)."""

    SALES_ORDER = "salesOrder"
    RETURN_AUTHORIZATION = "returnAuthorization"
    ITEM_RECEIPT = "itemReceipt"
    CREDIT_MEMO = "creditMemo"
    CASH_REFUND = "cashRefund"
    CUSTOMER_REFUND = "customerRefund"
    CUSTOMER_DEPOSIT = "customerDeposit"
    CUSTOMER_PAYMENT = "customerPayment"
    CASH_SALE = "cashSale"
    INVOICE = "invoice"
    JOURNAL_ENTRY = "journalEntry"
    DEPOSIT_APPLICATION = "depositApplication"

    @property
    def suiteql_type(self) -> str:
        """The ``transaction.type`` code SuiteQL uses for this record type (``RtnAuth``, ``CustCred`` ...)."""
        return _SUITEQL_TYPES[self]

    @classmethod
    def from_suiteql_type(cls, code: str) -> RecordType:
        """The record type of a SuiteQL ``transaction.type`` code.

        Raises:
            ValueError: a transaction type the sync never reads.
        """
        for record_type, known in _SUITEQL_TYPES.items():
            if known == code:
                return record_type
        raise ValueError(f"not a transaction type of the returns sync: {code!r}")


_SUITEQL_TYPES = {
    RecordType.SALES_ORDER: "SalesOrd",
    RecordType.RETURN_AUTHORIZATION: "RtnAuth",
    RecordType.ITEM_RECEIPT: "ItemRcpt",
    RecordType.CREDIT_MEMO: "CustCred",
    RecordType.CASH_REFUND: "CashRfnd",
    RecordType.CUSTOMER_REFUND: "CustRfnd",
    RecordType.CUSTOMER_DEPOSIT: "CustDep",
    RecordType.CUSTOMER_PAYMENT: "CustPymt",
    RecordType.CASH_SALE: "CashSale",
    RecordType.INVOICE: "CustInvc",
    RecordType.JOURNAL_ENTRY: "Journal",
    RecordType.DEPOSIT_APPLICATION: "DepAppl",
}


class RaStatus(StrEnum):
    """Return Authorization status letters (SuiteQL ``transaction.status``, search code ``RtnAuth:<letter>``)."""

    PENDING_APPROVAL = "A"
    PENDING_RECEIPT = "B"
    CANCELLED = "C"
    PARTIALLY_RECEIVED = "D"
    PENDING_REFUND_PARTIALLY_RECEIVED = "E"
    PENDING_REFUND = "F"
    REFUNDED = "G"
    CLOSED = "H"

    @classmethod
    def parse(cls, value: str) -> RaStatus:
        """Read a status as NetSuite renders it: ``B``, ``RtnAuth:B``, ``pendingReceipt`` or ``Pending Receipt``.

        Raises:
            ValueError: the value names no RA status.
        """
        text = str(value).strip()
        if ":" in text:
            text = text.rsplit(":", 1)[1]
        if len(text) == 1 and text.upper() in cls._value2member_map_:
            return cls(text.upper())
        key = "".join(ch for ch in text.lower() if ch.isalpha())
        if key in _STATUS_NAMES:
            return _STATUS_NAMES[key]
        raise ValueError(f"not a Return Authorization status: {value!r}")

    def is_terminal(self) -> bool:
        """Nothing more will happen on the RA: cancelled, refunded or closed."""
        return self in (RaStatus.CANCELLED, RaStatus.REFUNDED, RaStatus.CLOSED)

    def is_open(self) -> bool:
        """The RA still holds returnable quantity (every status that is not terminal)."""
        return not self.is_terminal()

    def allows_receipt(self) -> bool:
        """An Item Receipt can be transformed from the RA (approved and not fully received)."""
        return self in (RaStatus.PENDING_RECEIPT, RaStatus.PARTIALLY_RECEIVED, RaStatus.PENDING_REFUND_PARTIALLY_RECEIVED)

    def allows_refund(self) -> bool:
        """A Credit Memo / Cash Refund can be transformed from the RA (something received and not yet credited)."""
        return self in (RaStatus.PENDING_REFUND_PARTIALLY_RECEIVED, RaStatus.PENDING_REFUND)

    def closable_on_loop_cancel(self) -> bool:
        """LIFECYCLE.md sync 5: close the RA when the Loop return is cancelled only while it is A, B or D."""
        return self in (RaStatus.PENDING_APPROVAL, RaStatus.PENDING_RECEIPT, RaStatus.PARTIALLY_RECEIVED)


_STATUS_NAMES = {
    "pendingapproval": RaStatus.PENDING_APPROVAL,
    "pendingreceipt": RaStatus.PENDING_RECEIPT,
    "cancelled": RaStatus.CANCELLED,
    "canceled": RaStatus.CANCELLED,
    "partiallyreceived": RaStatus.PARTIALLY_RECEIVED,
    "pendingrefundpartreceived": RaStatus.PENDING_REFUND_PARTIALLY_RECEIVED,
    "pendingrefundpartiallyreceived": RaStatus.PENDING_REFUND_PARTIALLY_RECEIVED,
    "pendingrefund": RaStatus.PENDING_REFUND,
    "refunded": RaStatus.REFUNDED,
    "closed": RaStatus.CLOSED,
}


class _NsModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SalesOrderLine(_NsModel):
    """One item line of the original sales order (``line`` is NetSuite's line number, not a position)."""

    line: int
    item_id: int
    sku: str | None = None
    quantity: int
    rate: _Amount
    tax_code: str | None = None  # the line's legacy tax code (salestaxitem id); a transformed line keeps it
    tax_rate: Decimal | None = None  # that code's rate as a fraction (0.08); None: no code, NetSuite taxes nothing
    location_id: int | None = None
    # The Shopify order line id when the Shopify connector stored it on the line (a custcol); matches
    # Loop's provider_line_item_id exactly, so it wins over matching by item.
    shopify_line_id: str | None = None


class SalesOrderSnapshot(_NsModel):
    """The original Shopify order as a NetSuite sales order, as far as posting a return needs it."""

    id: int
    tranid: str
    currency: str
    customer_id: int
    subsidiary_id: int | None = None
    location_id: int | None = None
    billing: Billing = "invoice"
    lines: list[SalesOrderLine] = Field(default_factory=list)

    def line(self, line: int) -> SalesOrderLine | None:
        """The SO line with NetSuite line number ``line``."""
        return next((candidate for candidate in self.lines if candidate.line == line), None)


class ItemMatch(_NsModel):
    """The active NetSuite items whose SKU field equals a Loop SKU; exactly one is needed to post."""

    sku: str
    item_ids: list[int] = Field(default_factory=list)

    @property
    def item_id(self) -> int | None:
        """The matched item when the match is unique."""
        return self.item_ids[0] if len(self.item_ids) == 1 else None

    def problem(self) -> str | None:
        """The quarantine reason in words, or None when the SKU maps to exactly one item."""
        return item_match_problem(self.sku, self.item_ids)

    @classmethod
    def from_mapping(cls, matches: dict[str, list[int]]) -> list[ItemMatch]:
        return [cls(sku=sku, item_ids=ids) for sku, ids in matches.items()]


def item_match_problem(sku: str | None, item_ids: list[int] | None) -> str | None:
    """Describe a SKU that maps to zero or several NetSuite items; None when it maps to one."""
    ids = sorted(set(item_ids or []))
    if sku is None:
        return "a returned line has no SKU"
    if not ids:
        return f"SKU {sku} matches no active item in NetSuite"
    if len(ids) > 1:
        listed = ", ".join(str(i) for i in ids[:-1]) + f" and {ids[-1]}"
        return f"SKU {sku} matches items {listed} in NetSuite"
    return None


class LineKind(StrEnum):
    """What a planned line stands for; decides its special item and its GL account."""

    ITEM = "item"  # returned units credited at the paid rate
    EXCHANGE = "exchange"  # exchanged units (rate 0 in zero_value mode)
    SHIPPING = "shipping"
    HANDLING_FEE = "handling_fee"
    STORE_CREDIT = "store_credit"
    BONUS = "bonus"
    PRICE_ADJUSTMENT = "price_adjustment"  # advanced-exchange price difference
    GIFT_CARD_PAYMENT = "gift_card_payment"  # the part refunded to the gift card the order was paid with
    ADJUSTMENT = "adjustment"  # unexplained difference to what Loop paid (price-adjustment item; fails a check)
    TAX_ROUNDING = "tax_rounding"  # Loop's per-unit tax minus NetSuite's per-line tax, within the tolerance


class RecordRole(StrEnum):
    """What a NetSuite record is to a Loop return: in the posting plan, in the ledger, in our externalIds.

    The roles of records we create are the suffixes of their externalIds (see ``ExternalId``).
    """

    RA = "ra"  # return authorization
    IR = "ir"  # item receipt (``ir-<n>``: a return may be received in several)
    CM = "cm"  # credit memo
    CR = "cr"  # cash refund
    CREF = "cref"  # customer refund paying out the credit memo
    DEP = "dep"  # customer deposit for an upsell collected outside Shopify
    PAY = "pay"  # customer payment: Loop charged an instant exchange's card because the goods never came back
    FEE = "fee"  # journal entry for the processor's fee on that upsell (Dr Merchant Fees / Cr Stripe Clearing)
    DEPAPP = "depapp"  # credit-mode exchange: the deposit applied to the exchange order's invoice (Dr Deposits / Cr A/R)
    CLOSE_RA = "close_ra"  # planned only: close the RA lines of an exchange (a PATCH, no new record)
    CONNECTOR_REFUND = "connector_refund"  # the Shopify connector's own refund document, linked, never posted


class AccountRole(StrEnum):
    """GL accounts by role; the merchant's chart of accounts maps each to an account."""

    SALES_RETURNS = "sales_returns"
    TAX_PAYABLE = "tax_payable"
    SHIPPING_INCOME = "shipping_income"
    CASH = "cash"
    AR = "ar"
    GIFT_CARD_LIABILITY = "gift_card_liability"
    OTHER_INCOME = "other_income"
    RETURN_INCENTIVE_EXPENSE = "return_incentive_expense"
    CUSTOMER_DEPOSITS = "customer_deposits"
    STRIPE_CLEARING = "stripe_clearing"
    MERCHANT_FEES = "merchant_fees"
    INVENTORY = "inventory"
    COGS = "cogs"
    TAX_ROUNDING = "tax_rounding"
