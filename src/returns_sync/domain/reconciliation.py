"""Reconcile a posting plan with Loop's own figures: the plan's totals as Money, and each comparison within tolerance."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.money import ZERO, Money
from returns_sync.domain.netsuite import LineKind, RecordRole
from returns_sync.domain.outcomes import payout
from returns_sync.domain.plan import PostingPlan

__all__ = ["PlanTotals", "Reconciliation", "plan_totals", "reconcile"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlanTotals(_Frozen):
    """The plan's money, summed the way Loop reports it, each in the plan's currency."""

    currency: str
    lines: int  # RA lines: the tolerance is per line
    returned_amount: Money  # what the customer paid for the returned units, before tax (exchanged ones too)
    returned_tax: Money
    ra_total: Money  # the RA as posted (exchange lines at 0.00 in zero_value mode)
    refund_to_card: Money  # cash refund total, or the customer refund paying out a credit memo
    gift_card_refund: Money
    store_credit: Money  # Loop's gift_card: credit + bonus
    bonus: Money
    handling_fee: Money
    shipping: Money  # refunded shipping including its tax
    price_adjustment: Money  # advanced-exchange difference
    adjustment: Money  # unexplained difference to Loop's payout
    applied_to_exchange: Money  # credit-mode credit memo left for the exchange order
    deposit: Money

    @property
    def returned_total(self) -> Money:
        return self.returned_amount + self.returned_tax


def plan_totals(plan: PostingPlan) -> PlanTotals:
    """Sum the plan for reconciliation with Loop's ``return_total``, ``return_tax_total``, ``refund``, ``gift_card``."""
    cur = plan.currency

    def total(amounts: Iterable[Decimal]) -> Money:
        return Money(sum(amounts, ZERO), cur)

    ra = plan.record(RecordRole.RA)
    ra_lines = ra.lines if ra else []
    documents = plan.records_of(RecordRole.CM) + plan.records_of(RecordRole.CR)
    doc_lines = [line for record in documents for line in record.lines]

    def of(kind: LineKind) -> Money:
        return total(line.total for line in doc_lines if line.kind is kind)

    credit_memo = plan.record(RecordRole.CM)
    credit_exchange = credit_memo is not None and credit_memo.credits_exchange
    applied = plan.total_of(RecordRole.CM) - plan.total_of(RecordRole.CREF)
    return PlanTotals(
        currency=cur,
        lines=len(ra_lines),
        returned_amount=total(line.amount if line.paid_amount is None else line.paid_amount for line in ra_lines),
        returned_tax=total(line.tax_amount if line.paid_tax is None else line.paid_tax for line in ra_lines),
        ra_total=plan.total_of(RecordRole.RA),
        refund_to_card=plan.total_of(RecordRole.CR) + plan.total_of(RecordRole.CREF),
        gift_card_refund=-of(LineKind.GIFT_CARD_PAYMENT),
        store_credit=-of(LineKind.STORE_CREDIT),
        bonus=of(LineKind.BONUS),
        handling_fee=-of(LineKind.HANDLING_FEE),
        shipping=of(LineKind.SHIPPING),
        price_adjustment=of(LineKind.PRICE_ADJUSTMENT),
        adjustment=of(LineKind.ADJUSTMENT),
        applied_to_exchange=applied if credit_exchange else Money.zero(cur),
        deposit=plan.total_of(RecordRole.DEP),
    )


class Reconciliation(_Frozen):
    """One comparison of the plan with Loop's numbers; ``ok`` within ``allowed``."""

    name: str
    expected: Money  # Loop's figure
    actual: Money  # the plan's figure
    allowed: Money

    @property
    def difference(self) -> Money:
        return self.actual - self.expected

    @property
    def ok(self) -> bool:
        return abs(self.difference) <= self.allowed

    @property
    def message(self) -> str:
        return (
            f"{self.name}: plan {self.actual.amount} vs Loop {self.expected.amount}, "
            f"difference {self.difference.amount} (allowed {self.allowed.amount})"
        )


def reconcile(plan: PostingPlan, loop_return: LoopReturn, tolerance: Decimal = Decimal("0.01")) -> list[Reconciliation]:
    """Compare the plan with Loop's totals, allowing ``tolerance`` per RA line (POSTING.md checks).

    - ``return_total``: value of the returned units (paid price + tax) vs ``return_total``;
    - ``return_tax_total``: their tax vs ``return_tax_total``;
    - ``refund``: money back to the original payment methods vs ``refund``;
    - ``store_credit``: store-credit line vs ``gift_card``;
    - ``unexplained_difference``: the adjustment line the rules could not explain, vs 0;
    - ``exchange_credit_total``: in ``credit`` exchange mode, what the credit memo pays the exchange order vs Loop's
      ``exchange_credit_total``.
    """
    totals = plan_totals(plan)
    cur = plan.currency
    allowed = Money(tolerance * max(totals.lines, 1), cur)
    paid = payout(loop_return, cur)

    def row(name: str, expected: Decimal, actual: Money) -> Reconciliation:
        # Loop's figures are in the return's currency; a mismatch with the plan's is its own failed check.
        return Reconciliation(name=name, expected=Money(expected, cur), actual=actual, allowed=allowed)

    rows = [
        row("return_total", loop_return.return_total, totals.returned_total),
        row("return_tax_total", loop_return.return_tax_total, totals.returned_tax),
        # A shipping refund left out for want of a shipping item is reported, not posted (POSTING.md, shipping).
        row("refund", paid.refund - plan.shipping_left_out, totals.refund_to_card + totals.gift_card_refund),
        row("store_credit", paid.store_credit, totals.store_credit),
        row("unexplained_difference", ZERO, totals.adjustment),
    ]
    credit_memo = plan.record(RecordRole.CM)
    if credit_memo is not None and credit_memo.credits_exchange:
        # Credit mode: the memo pays the exchange order what Loop credited it (returned value plus any bonus spent).
        rows.append(row("exchange_credit_total", loop_return.exchange_credit_total, totals.applied_to_exchange))
    return rows
