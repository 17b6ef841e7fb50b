"""POSTING.md's GL rows for one return, worked out from how the seed built it: what each record must post, to the cent.

Like ``expected.py`` this reads the plan, the store's settings and the catalogue, never the Loop JSON or the
product's code. Rows are (record kind, account role, signed amount; + = debit), summed per kind and account:
``ir`` (receipts), ``cr``/``cm`` (the refund document), ``cref``, ``dep``, ``depapp`` and ``fee``, the externalId
suffixes.

Per POSTING.md's worked example: a refund debits Sales Returns with the paid price and Sales Tax Payable with the
tax NetSuite computes per line, books Loop's per-unit rounding on the tax-rounding account, credits Other Income
with a handling fee and Gift Card Liability with what goes back to a gift card or as store credit (a bonus debits
Return Incentive Expense), and credits the rest to cash (cash refund) or A/R (credit memo, then a customer refund
Dr A/R / Cr cash). An advanced-exchange difference is split into net and tax with the exchanged line's rate; the
tax part is never Sales Returns. A Loop-collected upsell debits Stripe Clearing gross, and its fee journal
debits Merchant Fees and credits Stripe Clearing. In credit exchange mode that deposit is applied to the exchange
order's invoice: Dr Customer Deposits / Cr A/R, and a Loop exchange bonus spent on that order is a bonus line on the
credit memo: Dr Return Incentive Expense / Cr A/R.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from returns_sandbox.money import ZERO, quantize
from returns_sandbox.seed.catalog import Catalog
from returns_sandbox.seed.scenarios import ONLY_RECEIVED, ReturnPlan
from returns_sandbox.seed.world import ExpectedLine, ExpectedOutcome, StoreSpec

__all__ = ["GlRow", "credit_mode_bonus", "exchange_total", "expected_gl"]

GlRow = tuple[str, str, Decimal]


def expected_gl(plan: ReturnPlan, store: StoreSpec, expected: ExpectedOutcome, catalog: Catalog) -> tuple[GlRow, ...]:
    """The GL of the return's records as ``expected`` describes them (empty for bad data and nothing posted)."""
    cur = store.currency
    rows: dict[tuple[str, str], Decimal] = {}

    def post(kind: str, role: str, amount: Decimal) -> None:
        if amount:
            rows[(kind, role)] = rows.get((kind, role), ZERO) + amount

    units = sum(line.quantity for line in expected.ra_lines)
    if units and expected.item_receipt_quantity == units:
        cost = {item.ns_id: item.cost for item in catalog.items}
        for line in expected.ra_lines:
            value = quantize(cost[line.ns_item_id] * line.quantity, cur)
            post("ir", "inventory", value)
            post("ir", "cogs", -value)
    if expected.refund_record is not None:
        _refund_document(plan, store, expected, post)
        # Credit mode: the bonus spent on the exchange is on the memo, Dr Return Incentive Expense (Cr A/R below).
        post("cm", "return_incentive_expense", credit_mode_bonus(plan, store, catalog))
    if expected.customer_refund_total:
        post("cref", "ar", expected.customer_refund_total)
        post("cref", store.refund_account or "cash", -expected.customer_refund_total)
    post("dep", "stripe_clearing", expected.deposit_total)
    post("dep", "customer_deposits", -expected.deposit_total)
    if store.exchange_mode == "credit":
        # Credit mode: the deposit pays the rest of the exchange order's invoice (a deposit application).
        post("depapp", "customer_deposits", expected.deposit_total)
        post("depapp", "ar", -expected.deposit_total)
    post("fee", "merchant_fees", expected.fee_total)
    post("fee", "stripe_clearing", -expected.fee_total)
    for kind in {kind for kind, _ in rows}:
        balance = sum((amount for (k, _), amount in rows.items() if k == kind), ZERO)
        assert balance == 0, f"oracle bug: {kind} of return {expected.return_id} does not balance ({balance})"
    return tuple(sorted((kind, role, amount) for (kind, role), amount in rows.items() if amount))


def exchange_total(plan: ReturnPlan, catalog: Catalog, currency: str, rate: Decimal) -> Decimal:
    """What the exchange items cost at full price with tax (a variant costs what the returned unit did)."""
    total = ZERO
    units = [plan.draft.lines[i] for i, n in plan.picks for _ in range(n)]
    for line, pick in zip(units, plan.exchanges):
        if pick.kind == "variant":
            total += line.unit_paid + line.unit_tax
        else:
            price = catalog.price(pick.sku)
            total += price + quantize(price * rate, currency)
    return total


def credit_mode_bonus(plan: ReturnPlan, store: StoreSpec, catalog: Catalog) -> Decimal:
    """The Loop exchange bonus a credit-mode credit memo carries: the part of ``plan.bonus`` the dearer exchange
    spends (Loop's bonus works like a discount on the exchange; what is not spent is lost)."""
    if store.exchange_mode != "credit" or plan.unit_outcome != "exchange" or not plan.bonus:
        return Decimal("0.00")
    value = sum(((plan.draft.lines[i].unit_paid + plan.draft.lines[i].unit_tax) * n for i, n in plan.picks), ZERO)
    rate = plan.draft.lines[plan.picks[0][0]].tax_rate
    return min(plan.bonus, max(exchange_total(plan, catalog, store.currency, rate) - value, ZERO))


def _credited_line(plan: ReturnPlan, index: int, units: int, currency: str) -> ExpectedLine:
    """A document line for ``units`` of order line ``index``: paid rate, tax with the SO line's rate, once per line."""
    line = plan.draft.lines[index]
    assert line.ns_item_id is not None
    tax = quantize(line.unit_paid * units * line.tax_rate, currency)
    return ExpectedLine(sku=line.sku, ns_item_id=line.ns_item_id, quantity=units, rate=line.unit_paid, tax=tax)


def _document_lines(plan: ReturnPlan, expected: ExpectedOutcome, currency: str) -> list[ExpectedLine]:
    """The valued item lines of the refund document, each taxed once by NetSuite.

    After a partial receipt the received units stay on their RA line and the refunded, never-received ones go on a
    line of their own (NetSuite credits an RA line only for received units), so each part is taxed on its own.
    """
    if plan.flavour == ONLY_RECEIVED:
        return [_credited_line(plan, index, units, currency) for index, units in plan.refunded_picks]
    if plan.scenario == "partial_receipt_refunded":
        left, lines = plan.lifecycle.received_quantity or 0, []
        for index, units in plan.picks:
            got = min(units, left)
            left -= got
            lines += [_credited_line(plan, index, part, currency) for part in (got, units - got) if part]
        return lines
    return [line for line in expected.ra_lines if line.rate]


def _refund_document(
    plan: ReturnPlan, store: StoreSpec, expected: ExpectedOutcome, post: Callable[[str, str, Decimal], None]
) -> None:
    cur = store.currency
    kind = "cr" if expected.refund_record == "cashRefund" else "cm"
    loop_tax = ZERO
    # The units Loop refunded: all of them, or only the received ones when support removed the rest (POSTING.md,
    # "Partial receipt, then Loop refunds": the document credits what Loop refunded, the RA's other lines close).
    picks = plan.refunded_picks
    valued = _document_lines(plan, expected, cur)
    for line in valued:
        post(kind, "sales_returns", quantize(line.rate * line.quantity, cur))
        post(kind, "tax_payable", line.tax)
    if valued:
        loop_tax = sum((plan.draft.lines[i].unit_tax * n for i, n in picks), ZERO)
        post(kind, "tax_rounding", loop_tax - sum((line.tax for line in valued), ZERO))
    returned = sum(((plan.draft.lines[i].unit_paid + plan.draft.lines[i].unit_tax) * n for i, n in picks), ZERO)
    if plan.unit_outcome == "exchange" and not valued:
        # Zero-value exchange, downsell: Loop pays the tax-inclusive difference (to the card or as store credit),
        # taxed at the exchanged line's rate.
        difference = expected.refund_total + expected.store_credit_total
        post(kind, "gift_card_liability", -expected.store_credit_total)
        rate = plan.draft.lines[plan.picks[0][0]].tax_rate
        net = quantize(difference / (1 + rate), cur)
        tax = quantize(net * rate, cur)
        post(kind, "sales_returns", net)
        post(kind, "tax_payable", tax)
        post(kind, "tax_rounding", difference - net - tax)
    if plan.refund_shipping and expected.shipping_refund_total:
        # POSTING.md "Shipping refunded by Loop": Dr Shipping Income (and its tax) on the refund document. The seed
        # taxes shipping once, on the whole line, as NetSuite does with the SO's shipping code (builders.py).
        post(kind, "shipping_income", plan.draft.shipping)
        post(kind, "tax_payable", plan.draft.shipping_tax)
    if plan.unit_outcome == "refund":
        post(kind, "other_income", -plan.handling_fee)
        post(kind, "gift_card_liability", -expected.store_credit_total)
    elif plan.unit_outcome == "credit":
        post(kind, "gift_card_liability", -(returned + plan.bonus))
        post(kind, "return_incentive_expense", plan.bonus)
    counter = "ar" if kind == "cm" else (store.refund_account or "undeposited_funds")
    post(kind, counter, -expected.refund_total)
