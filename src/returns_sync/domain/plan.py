"""The posting plan: which NetSuite records a return becomes, their lines, and the GL entries they imply."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator, model_validator

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.money import ZERO, Money, quantize, to_decimal
from returns_sync.domain.netsuite import AccountRole, LineKind, RecordRole, RecordType, SalesOrderSnapshot
from returns_sync.domain.outcomes import Outcome

__all__ = [
    "ExchangeOrderMissingError",
    "GlEntry",
    "MissingSettingError",
    "PlannedLine",
    "PlannedRecord",
    "PlanningError",
    "PostingPlan",
    "PostingSettings",
    "UnbalancedPlanError",
    "UnreceivedUnits",
    "assert_balanced",
    "gl_preview",
    "return_memo",
]

# An amount in the plan's currency (``PostingPlan.currency``); ``Money`` where the two travel apart.
Amount = Annotated[Decimal, BeforeValidator(to_decimal)]
# Stored as the value object, written and read as its text (a plan dumped to JSON shows ``loop-north-7001-ra``).
ExternalIdField = Annotated[
    ExternalId,
    BeforeValidator(lambda value: ExternalId.parse(value) if isinstance(value, str) else value),
    PlainSerializer(str, return_type=str),
]


class PlanningError(ValueError):
    """A return cannot be planned as it stands; ``problems`` are the reasons in words."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class MissingSettingError(PlanningError):
    """The plan needs a StoreSettings value (a special item, a location) that is not set."""


class ExchangeOrderMissingError(PlanningError):
    """An upsell deposit needs the exchange order's sales order, which NetSuite does not have yet (wait)."""


class UnbalancedPlanError(PlanningError):
    """The GL entries of a plan do not balance: a bug in the posting rules, never a data problem."""


LocationRef = int | Literal["main", "damaged"]


class PostingSettings(BaseModel):
    """The part of a store's settings the posting rules read (StoreSettings builds it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    store: str
    refund_mode: Literal["auto", "cash_refund", "credit_memo"] = "auto"
    exchange_mode: Literal["zero_value", "credit"] = "zero_value"
    handling_fee_item_id: int | None = None
    store_credit_item_id: int | None = None
    bonus_item_id: int | None = None
    price_adjustment_item_id: int | None = None
    gift_card_payment_item_id: int | None = None
    shipping_item_id: int | None = None
    tax_rounding_item_id: int | None = None
    main_location_id: int | None = None
    damaged_location_id: int | None = None
    # Loop disposition_outcome -> location ("main", "damaged" or an internal id); see location_for.
    disposition_locations: dict[str, LocationRef] = Field(default_factory=dict)
    ra_loop_id_field: str = "custbody_loop_return_id"
    # Stripe's fee on upsells collected through Loop: rate x amount + fixed per charge. Loop does not report it
    # (help.loopreturns.com/en/articles/1914625: "assessed and tracked separately within Stripe").
    upsell_fee_rate: Amount = ZERO
    upsell_fee_fixed: Amount = ZERO
    tolerance: Amount = Decimal("0.01")  # per line, for reconciling with Loop's totals

    @field_validator("disposition_locations")
    @classmethod
    def _lowercase_dispositions(cls, value: dict[str, LocationRef]) -> dict[str, LocationRef]:
        return {key.strip().lower(): ref for key, ref in value.items()}

    def item_for(self, kind: LineKind, why: str) -> int:
        """The special item for ``kind`` lines; ``why`` says what needs it (for the error)."""
        field = f"{kind.value}_item_id" if kind is not LineKind.ADJUSTMENT else "price_adjustment_item_id"
        item_id: int | None = getattr(self, field, None)
        if item_id is None:
            raise MissingSettingError(f"{why} needs StoreSettings.{field}")
        return item_id

    def location_for(self, disposition: str | None) -> int | None:
        """Receiving location of a unit with Loop ``disposition_outcome`` ``disposition``.

        The map wins; otherwise no disposition or ``restock`` -> main, anything else -> damaged
        (main when no damaged-goods location is set).
        """
        key = (disposition or "").strip().lower()
        ref = self.disposition_locations.get(key, "main" if key in ("", "restock") else "damaged")
        if ref == "main":
            return self.main_location_id
        if ref == "damaged":
            return self.damaged_location_id if self.damaged_location_id is not None else self.main_location_id
        return ref


def return_memo(loop_return: LoopReturn, so: SalesOrderSnapshot | None = None, *, with_exchange: bool = False) -> str:
    """``Loop return <id> · order <name>`` (the SO's tranid when Loop sent no order name).

    ``with_exchange`` appends `` · exchange <name>`` once Loop has created the exchange order(s), so
    the RA names the order that replaced the goods (POSTING.md: "linked in the ledger and RA memo").
    """
    name = loop_return.order_name_key or (so.tranid if so else None) or "?"
    memo = f"Loop return {loop_return.id} · order {name}"
    named = [e.exchange_order_name or e.exchange_order_id for e in loop_return.exchanges]
    exchange_orders = list(dict.fromkeys(order for order in named if order))
    if with_exchange and exchange_orders:
        memo += " · exchange " + ", ".join(exchange_orders)
    return memo


class _PlanModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlannedLine(_PlanModel):
    """One line of a planned record. ``order_line`` is the original SO line; ``ra_index`` (0-based) is the
    RA line this line receives, credits or closes (map it to the RA's own ``line`` after creating it)."""

    kind: LineKind
    item_id: int
    sku: str | None = None
    quantity: int
    rate: Amount
    amount: Amount
    tax_amount: Amount = ZERO
    tax_code: str | None = None
    order_line: int | None = None
    ra_index: int | None = None
    description: str = ""
    loop_line_item_ids: list[str] = Field(default_factory=list)
    location_id: int | None = None
    # What the customer paid for these units (differs from amount/tax_amount on zero-value exchange lines).
    paid_amount: Amount | None = None
    paid_tax: Amount | None = None
    # Loop's tax for the line minus the tax NetSuite computes from its code (``tax_amount``); a money document
    # books the sum of its lines' differences as one tax-rounding line.
    tax_difference: Amount = ZERO

    @property
    def total(self) -> Decimal:
        return self.amount + self.tax_amount


_SUMMED_ROLES = {RecordRole.RA, RecordRole.CM, RecordRole.CR}


class PlannedRecord(_PlanModel):
    """One NetSuite record to create (or, for ``close_ra``, the RA lines to close).

    ``source`` is what it is created from: ``(salesOrder, id)`` for the RA, ``(returnAuthorization, None)``
    = this plan's RA for IR/CM/CR/close, ``(creditMemo, None)`` = this plan's credit memo for the
    customer refund, ``(salesOrder, id)`` of the exchange order for a deposit.
    """

    role: RecordRole
    record_type: RecordType
    external_id: ExternalIdField
    source: tuple[RecordType, int | None]
    memo: str
    custom_fields: dict[str, str] = Field(default_factory=dict)
    customer_id: int | None = None
    location_id: int | None = None
    apply_to_sales_order_id: int | None = None  # credit-mode CM, deposits and their fee: the exchange order's SO
    lines: list[PlannedLine] = Field(default_factory=list)
    total: Amount

    @property
    def credits_exchange(self) -> bool:
        """A record paying the exchange order's invoice (``credit`` exchange mode): a credit memo carrying exchanged
        units at their value (the part not paid out to the card), or the application of a Loop-collected upsell."""
        if self.role is RecordRole.DEPAPP:
            return True
        return self.role is RecordRole.CM and any(line.kind is LineKind.EXCHANGE and line.amount for line in self.lines)

    @model_validator(mode="after")
    def _total_is_sum_of_lines(self) -> PlannedRecord:
        if self.role in _SUMMED_ROLES:
            summed = sum((line.total for line in self.lines), ZERO)
            if summed != self.total:
                raise ValueError(f"{self.external_id}: total {self.total} is not the sum of its lines {summed}")
        return self


class GlEntry(_PlanModel):
    """One GL line a record will post: exactly one of debit/credit is positive."""

    record_role: RecordRole
    account_role: AccountRole
    debit: Amount = ZERO
    credit: Amount = ZERO

    @model_validator(mode="after")
    def _one_side(self) -> GlEntry:
        if self.debit < ZERO or self.credit < ZERO or (self.debit > ZERO) == (self.credit > ZERO):
            raise ValueError(f"a GL entry needs exactly one positive side, not Dr {self.debit} / Cr {self.credit}")
        return self


class UnreceivedUnits(_PlanModel):
    """Units of one RA line and what they are worth before tax: refunded by Loop but never received, or not refunded."""

    sku: str | None
    quantity: int
    amount: Amount  # credited before tax


class PostingPlan(_PlanModel):
    """Everything a Loop return becomes in NetSuite, in posting order, with its GL effect and checks."""

    store: str
    loop_return_id: str
    outcome: Outcome
    currency: str
    records: list[PlannedRecord] = Field(default_factory=list)
    gl_preview: list[GlEntry] = Field(default_factory=list)
    checks: dict[str, bool] = Field(default_factory=dict)
    problems: list[str] = Field(default_factory=list)
    # Loop's shipping refund (tax included) left off the money document because no shipping item is set: reported, never posted.
    shipping_left_out: Amount = ZERO
    # Units Loop refunded that NetSuite never received (partial receipt, then Loop refunded anyway): reported.
    refunded_not_received: list[UnreceivedUnits] = Field(default_factory=list)
    # Units the RA holds that Loop did not refund (it refunded fewer, e.g. only what arrived): off the document,
    # their RA lines closed, reported.
    not_refunded: list[UnreceivedUnits] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every check passed (the return may post)."""
        return all(self.checks.values()) and not self.problems

    def records_of(self, role: RecordRole) -> list[PlannedRecord]:
        return [record for record in self.records if record.role == role]

    def record(self, role: RecordRole) -> PlannedRecord | None:
        """The first record with ``role``, or None."""
        found = self.records_of(role)
        return found[0] if found else None

    def money(self, record: PlannedRecord) -> Money:
        """``record``'s total in the plan's currency."""
        return Money(record.total, self.currency)

    def total_of(self, role: RecordRole) -> Money:
        """Sum of the totals of the records with ``role`` (zero when there are none)."""
        return Money.total((self.money(record) for record in self.records_of(role)), self.currency)


_LINE_ACCOUNT = {
    LineKind.ITEM: AccountRole.SALES_RETURNS,
    LineKind.EXCHANGE: AccountRole.SALES_RETURNS,
    LineKind.PRICE_ADJUSTMENT: AccountRole.SALES_RETURNS,
    LineKind.ADJUSTMENT: AccountRole.SALES_RETURNS,
    LineKind.TAX_ROUNDING: AccountRole.TAX_ROUNDING,
    LineKind.SHIPPING: AccountRole.SHIPPING_INCOME,
    LineKind.HANDLING_FEE: AccountRole.OTHER_INCOME,
    LineKind.BONUS: AccountRole.RETURN_INCENTIVE_EXPENSE,
    LineKind.STORE_CREDIT: AccountRole.GIFT_CARD_LIABILITY,
    LineKind.GIFT_CARD_PAYMENT: AccountRole.GIFT_CARD_LIABILITY,
}


def _record_postings(record: PlannedRecord, unit_costs: Mapping[int, Decimal]) -> list[tuple[AccountRole, Decimal]]:
    """Signed amounts per account (positive = debit) that ``record`` posts."""
    if record.role is RecordRole.IR:
        postings = []
        for line in record.lines:
            if line.item_id in unit_costs:
                cost = unit_costs[line.item_id] * line.quantity
                postings += [(AccountRole.INVENTORY, cost), (AccountRole.COGS, -cost)]
        return postings
    if record.role in (RecordRole.CM, RecordRole.CR):
        postings = []
        for line in record.lines:
            postings.append((_LINE_ACCOUNT[line.kind], line.amount))
            postings.append((AccountRole.TAX_PAYABLE, line.tax_amount))
        counter = AccountRole.CASH if record.role is RecordRole.CR else AccountRole.AR
        postings.append((counter, -record.total))
        return postings
    if record.role is RecordRole.CREF:
        return [(AccountRole.AR, record.total), (AccountRole.CASH, -record.total)]
    if record.role is RecordRole.DEP:
        # The gross upsell: what the customer paid, so the deposit applies in full to the exchange order.
        return [(AccountRole.STRIPE_CLEARING, record.total), (AccountRole.CUSTOMER_DEPOSITS, -record.total)]
    if record.role is RecordRole.DEPAPP:
        # The deposit pays the exchange order's invoice: the liability goes, so does the receivable.
        return [(AccountRole.CUSTOMER_DEPOSITS, record.total), (AccountRole.AR, -record.total)]
    if record.role is RecordRole.FEE:
        # Stripe keeps its fee from the payout: Stripe Clearing then nets to what Stripe actually pays out.
        return [(AccountRole.MERCHANT_FEES, record.total), (AccountRole.STRIPE_CLEARING, -record.total)]
    return []  # the RA and closing its lines post nothing


def gl_preview(plan: PostingPlan, unit_costs: Mapping[int, Decimal] | None = None) -> list[GlEntry]:
    """The GL entries the plan's records will post, one per record and account, debits first.

    Item receipts post Dr Inventory / Cr COGS only for items whose unit cost is given.

    Raises:
        UnbalancedPlanError: a record's or the plan's debits and credits differ.
    """
    entries: list[GlEntry] = []
    for record in plan.records:
        net: dict[AccountRole, Decimal] = {}
        for account, amount in _record_postings(record, unit_costs or {}):
            net[account] = net.get(account, ZERO) + amount
        rounded = {account: quantize(amount, plan.currency) for account, amount in net.items()}
        nil = quantize(ZERO, plan.currency)
        debits = [GlEntry(record_role=record.role, account_role=a, debit=v, credit=nil) for a, v in rounded.items() if v > ZERO]
        credits = [GlEntry(record_role=record.role, account_role=a, debit=nil, credit=-v) for a, v in rounded.items() if v < ZERO]
        assert_balanced(debits + credits, f"{record.external_id} ({record.record_type})")
        entries += debits + credits
    assert_balanced(entries, f"plan for Loop return {plan.loop_return_id}")
    return entries


def assert_balanced(entries: list[GlEntry], what: str = "plan") -> None:
    """Raise :class:`UnbalancedPlanError` unless the debits equal the credits."""
    debit = sum((entry.debit for entry in entries), ZERO)
    credit = sum((entry.credit for entry in entries), ZERO)
    if debit != credit:
        raise UnbalancedPlanError(f"{what} does not balance: debits {debit}, credits {credit}")
