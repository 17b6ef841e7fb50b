"""POSTING.md's worked example, one row per outcome: the NetSuite records, their lines and totals, and the GL."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from posting_factory import (
    BONUS,
    GIFT_CARD_PAYMENT,
    HANDLING_FEE,
    MAIN,
    PRICE_ADJUSTMENT,
    SHIPPING,
    SHIRT,
    STORE_CREDIT,
    loop_return,
    sales_order,
    settings,
    so_line,
    unit,
)

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.lines import group_return_lines
from returns_sync.domain.money import Money
from returns_sync.domain.netsuite import RecordRole, RecordType, SalesOrderLine
from returns_sync.domain.outcomes import Outcome
from returns_sync.domain.plan import (
    ExchangeOrderMissingError,
    GlEntry,
    MissingSettingError,
    PlannedRecord,
    PlanningError,
    PostingPlan,
    UnbalancedPlanError,
    assert_balanced,
)
from returns_sync.domain.posting import plan_posting, plan_refund, plan_return_authorization
from returns_sync.domain.reconciliation import plan_totals

EXCHANGE_SO = 6001
Line = tuple[str, int, int, str, str, str]  # kind, item, quantity, rate, amount, tax


def item(quantity: int = 1, rate: str = "45.00", amount: str = "45.00", tax: str = "3.60", kind: str = "item") -> Line:
    return (kind, SHIRT, quantity, rate, amount, tax)


def special(kind: str, item_id: int, amount: str, tax: str = "0.00") -> Line:
    return (kind, item_id, 1, amount, amount, tax)


EXCHANGED = item(rate="0.00", amount="0.00", tax="0.00", kind="exchange")
IR_GL = [("ir", "inventory", "20.00", "0.00"), ("ir", "cogs", "0.00", "20.00")]
EXCHANGES = [{"exchange_id": "E1", "sku": "SHIRT-L", "exchange_order_name": "#1001-EXC"}]
# Loop's figures for a 5.00 exchange bonus toward a jacket at 70.00 + 5.60 tax (return_credit_total = value + bonus).
BONUS_EXCHANGE: dict[str, Any] = {
    "exchanges": [{"exchange_id": "E1", "sku": "JACKET", "price": "70.00", "tax": "5.60", "total": "75.60"}],
    "return_credit_total": "53.60",
    "exchange_credit_total": "53.60",
    "exchange_total": "75.60",
    "upsell": "22.00",
}


def exchanged_unit(line_item_id: str = "L1", **extra: Any) -> dict[str, Any]:
    return unit(line_item_id, outcome="exchange", exchange_variant="4401", **extra)


@dataclass(frozen=True)
class Row:
    name: str
    outcome: Outcome
    ra: list[Line]
    records: list[tuple[str, str, list[Line]]]  # role, total, lines (after the RA and the IR)
    gl: list[tuple[str, str, str, str]]  # record role, account role, debit, credit
    fields: dict[str, Any] = field(default_factory=dict)
    units: tuple[dict[str, Any], ...] = (unit("L1"),)
    billing: str = "cash_sale"
    overrides: dict[str, Any] = field(default_factory=dict)
    upsell_paid_in_shopify: bool = True
    so_lines: tuple[SalesOrderLine, ...] = ()


ROWS = [
    Row(
        "refund_cash_sale",
        Outcome.REFUND,
        [item()],
        [("cr", "48.60", [item()])],
        IR_GL
        + [("cr", "sales_returns", "45.00", "0.00"), ("cr", "tax_payable", "3.60", "0.00")]
        + [("cr", "cash", "0.00", "48.60")],
        fields={"refund": "48.60"},
    ),
    Row(
        "refund_invoiced_credit_memo_and_customer_refund",
        Outcome.REFUND,
        [item()],
        [("cm", "48.60", [item()]), ("cref", "48.60", [])],
        IR_GL
        + [("cm", "sales_returns", "45.00", "0.00"), ("cm", "tax_payable", "3.60", "0.00"), ("cm", "ar", "0.00", "48.60")]
        + [("cref", "ar", "48.60", "0.00"), ("cref", "cash", "0.00", "48.60")],
        fields={"refund": "48.60"},
        billing="invoice",
    ),
    Row(
        "refund_forced_credit_memo_on_cash_sale",
        Outcome.REFUND,
        [item()],
        [("cm", "48.60", [item()]), ("cref", "48.60", [])],
        IR_GL
        + [("cm", "sales_returns", "45.00", "0.00"), ("cm", "tax_payable", "3.60", "0.00"), ("cm", "ar", "0.00", "48.60")]
        + [("cref", "ar", "48.60", "0.00"), ("cref", "cash", "0.00", "48.60")],
        fields={"refund": "48.60"},
        overrides={"refund_mode": "credit_memo"},
    ),
    Row(
        "refund_with_handling_fee",
        Outcome.REFUND,
        [item()],
        [("cr", "43.60", [item(), special("handling_fee", HANDLING_FEE, "-5.00")])],
        IR_GL
        + [("cr", "sales_returns", "45.00", "0.00"), ("cr", "tax_payable", "3.60", "0.00")]
        + [("cr", "other_income", "0.00", "5.00"), ("cr", "cash", "0.00", "43.60")],
        fields={"refund": "43.60", "handling_fee": "5.00"},
    ),
    Row(
        "store_credit",
        Outcome.STORE_CREDIT,
        [item()],
        [("cm", "0.00", [item(), special("store_credit", STORE_CREDIT, "-48.60")])],
        IR_GL
        + [("cm", "sales_returns", "45.00", "0.00"), ("cm", "tax_payable", "3.60", "0.00")]
        + [("cm", "gift_card_liability", "0.00", "48.60")],
        fields={"gift_card": "48.60"},
    ),
    Row(
        "store_credit_with_bonus",
        Outcome.STORE_CREDIT,
        [item()],
        [("cm", "0.00", [item(), special("bonus", BONUS, "5.00"), special("store_credit", STORE_CREDIT, "-53.60")])],
        IR_GL
        + [("cm", "sales_returns", "45.00", "0.00"), ("cm", "tax_payable", "3.60", "0.00")]
        + [("cm", "return_incentive_expense", "5.00", "0.00"), ("cm", "gift_card_liability", "0.00", "53.60")],
        fields={"gift_card": "53.60", "return_credit_total": "53.60"},
        billing="invoice",
    ),
    Row(
        "exchange_zero_value",
        Outcome.EXCHANGE,
        [EXCHANGED],
        [("close_ra", "0.00", [EXCHANGED])],
        IR_GL,
        fields={"exchanges": EXCHANGES},
        units=(exchanged_unit(),),
    ),
    Row(
        "exchange_credit_mode",
        Outcome.EXCHANGE,
        [item(kind="exchange")],
        [("cm", "48.60", [item(kind="exchange")])],
        IR_GL + [("cm", "sales_returns", "45.00", "0.00"), ("cm", "tax_payable", "3.60", "0.00"), ("cm", "ar", "0.00", "48.60")],
        fields={"exchanges": EXCHANGES, "exchange_credit_total": "48.60"},
        units=(exchanged_unit(),),
        billing="invoice",
        overrides={"exchange_mode": "credit"},
    ),
    Row(
        "exchange_bonus_credit_mode",
        Outcome.ADVANCED_EXCHANGE_UPSELL,
        [item(kind="exchange")],
        # POSTING.md's bonus 5.00 spent on a jacket (70.00 + 5.60 tax) in credit mode: Loop credits the exchange
        # 48.60 + 5.00, the customer pays 22.00 in Shopify. The memo carries the bonus line, so it pays 53.60 of the
        # exchange invoice: Dr Return Incentive Expense 5.00 / Cr A/R, as the store-credit bonus row does with GC.
        [("cm", "53.60", [item(kind="exchange"), special("bonus", BONUS, "5.00")])],
        IR_GL
        + [("cm", "sales_returns", "45.00", "0.00"), ("cm", "tax_payable", "3.60", "0.00")]
        + [("cm", "return_incentive_expense", "5.00", "0.00"), ("cm", "ar", "0.00", "53.60")],
        fields=BONUS_EXCHANGE,
        units=(exchanged_unit(),),
        billing="invoice",
        overrides={"exchange_mode": "credit"},
    ),
    Row(
        "advanced_exchange_upsell_via_stripe",
        Outcome.ADVANCED_EXCHANGE_UPSELL,
        [EXCHANGED],
        # POSTING.md: the deposit is the gross upsell; a -fee journal books Stripe's 2.9 % + 0.30 = 0.92.
        [("dep", "21.40", []), ("fee", "0.92", []), ("close_ra", "0.00", [EXCHANGED])],
        IR_GL
        + [("dep", "stripe_clearing", "21.40", "0.00"), ("dep", "customer_deposits", "0.00", "21.40")]
        + [("fee", "merchant_fees", "0.92", "0.00"), ("fee", "stripe_clearing", "0.00", "0.92")],
        fields={"exchanges": EXCHANGES, "upsell": "21.40"},
        units=(exchanged_unit(),),
        overrides={"upsell_fee_rate": "0.029", "upsell_fee_fixed": "0.30"},
        upsell_paid_in_shopify=False,
    ),
    Row(
        "advanced_exchange_upsell_via_stripe_credit_mode",
        Outcome.ADVANCED_EXCHANGE_UPSELL,
        [item(kind="exchange")],
        # Credit mode: the memo pays 48.60 of the exchange invoice, the deposit the upsell: a deposit application
        # Dr Customer Deposits / Cr A/R 21.40 on the same invoice (POSTING.md, credit row and upsell row).
        [("cm", "48.60", [item(kind="exchange")]), ("dep", "21.40", []), ("depapp", "21.40", []), ("fee", "0.92", [])],
        IR_GL
        + [("cm", "sales_returns", "45.00", "0.00"), ("cm", "tax_payable", "3.60", "0.00"), ("cm", "ar", "0.00", "48.60")]
        + [("dep", "stripe_clearing", "21.40", "0.00"), ("dep", "customer_deposits", "0.00", "21.40")]
        + [("depapp", "customer_deposits", "21.40", "0.00"), ("depapp", "ar", "0.00", "21.40")]
        + [("fee", "merchant_fees", "0.92", "0.00"), ("fee", "stripe_clearing", "0.00", "0.92")],
        fields={"exchanges": EXCHANGES, "upsell": "21.40", "exchange_credit_total": "48.60"},
        units=(exchanged_unit(),),
        billing="invoice",
        overrides={"exchange_mode": "credit", "upsell_fee_rate": "0.029", "upsell_fee_fixed": "0.30"},
        upsell_paid_in_shopify=False,
    ),
    Row(
        "advanced_exchange_upsell_paid_in_shopify",
        Outcome.ADVANCED_EXCHANGE_UPSELL,
        [EXCHANGED],
        [("close_ra", "0.00", [EXCHANGED])],
        IR_GL,
        fields={"exchanges": EXCHANGES, "upsell": "21.40"},
        units=(exchanged_unit(),),
    ),
    Row(
        "advanced_exchange_downsell",
        Outcome.ADVANCED_EXCHANGE_DOWNSELL,
        [EXCHANGED],
        # POSTING.md: Loop refunds 10.80 = a 10.00 difference taxed with the SO line's code (0.80), tax not to revenue.
        [("cr", "10.80", [EXCHANGED, special("price_adjustment", PRICE_ADJUSTMENT, "10.00", "0.80")])],
        IR_GL
        + [("cr", "sales_returns", "10.00", "0.00"), ("cr", "tax_payable", "0.80", "0.00"), ("cr", "cash", "0.00", "10.80")],
        fields={"exchanges": EXCHANGES, "refund": "10.80"},
        units=(exchanged_unit(),),
    ),
    Row(
        "advanced_exchange_downsell_as_store_credit",
        Outcome.ADVANCED_EXCHANGE_DOWNSELL,
        [EXCHANGED],
        [
            (
                "cm",
                "0.00",
                [
                    EXCHANGED,
                    special("price_adjustment", PRICE_ADJUSTMENT, "10.00", "0.80"),
                    special("store_credit", STORE_CREDIT, "-10.80"),
                ],
            )
        ],
        IR_GL
        + [
            ("cm", "sales_returns", "10.00", "0.00"),
            ("cm", "tax_payable", "0.80", "0.00"),
            ("cm", "gift_card_liability", "0.00", "10.80"),
        ],
        fields={"exchanges": EXCHANGES, "gift_card": "10.80"},
        units=(exchanged_unit(),),
    ),
    Row(
        "refund_paid_partly_by_gift_card",
        Outcome.REFUND,
        [item()],
        [("cr", "28.60", [item(), special("gift_card_payment", GIFT_CARD_PAYMENT, "-20.00")])],
        IR_GL
        + [("cr", "sales_returns", "45.00", "0.00"), ("cr", "tax_payable", "3.60", "0.00")]
        + [("cr", "gift_card_liability", "0.00", "20.00"), ("cr", "cash", "0.00", "28.60")],
        fields={
            "refund": "48.60",
            "refunds": [{"gateway": "shopify_payments", "amount": 28.6}, {"gateway": "gift_card", "amount": "20.00"}],
        },
    ),
    Row(
        "instant_exchange",
        Outcome.INSTANT_EXCHANGE,
        [EXCHANGED],
        [("close_ra", "0.00", [EXCHANGED])],
        IR_GL,
        fields={"state": "open", "exchanges": [{**EXCHANGES[0], "exchange_order_id": "9901"}]},
        units=(exchanged_unit(received=False),),
    ),
    Row(
        "mixed_refund_and_store_credit",
        Outcome.MIXED,
        [item(2, amount="90.00", tax="7.20")],
        [("cr", "48.60", [item(2, amount="90.00", tax="7.20"), special("store_credit", STORE_CREDIT, "-48.60")])],
        [("ir", "inventory", "40.00", "0.00"), ("ir", "cogs", "0.00", "40.00")]
        + [("cr", "sales_returns", "90.00", "0.00"), ("cr", "tax_payable", "7.20", "0.00")]
        + [("cr", "gift_card_liability", "0.00", "48.60"), ("cr", "cash", "0.00", "48.60")],
        fields={"refund": "48.60", "gift_card": "48.60"},
        units=(unit("L1", outcome="refund"), unit("L2", outcome="credit")),
    ),
    Row(
        "refund_with_shipping",
        Outcome.REFUND,
        [item()],
        [("cr", "54.00", [item(), special("shipping", SHIPPING, "5.00", "0.40")])],
        IR_GL
        + [("cr", "sales_returns", "45.00", "0.00"), ("cr", "tax_payable", "4.00", "0.00")]
        + [("cr", "shipping_income", "5.00", "0.00"), ("cr", "cash", "0.00", "54.00")],
        fields={"refund": "54.00", "refund_shipping_total": "5.00", "refund_shipping_tax_total": "0.40"},
        # The order's shipping line carries the tax code NetSuite taxes the shipping refund with.
        so_lines=(so_line(), so_line(2, SHIPPING, None, 1)),
    ),
]


def _plan(row: Row):
    return plan_posting(
        loop_return(*row.units, **row.fields),
        sales_order(*row.so_lines, billing=row.billing),
        {"SHIRT": [SHIRT]},
        {},
        settings(**row.overrides),
        upsell_paid_in_shopify=row.upsell_paid_in_shopify,
        exchange_so_id=EXCHANGE_SO,
        unit_costs={SHIRT: Decimal("20.00")},
    )


def _post(ret, so=None, matches=None):
    return plan_posting(ret, so or sales_order(), matches or {"SHIRT": [SHIRT]}, {}, settings(), upsell_paid_in_shopify=True)


def _lines(record: PlannedRecord) -> list[Line]:
    return [(ln.kind.value, ln.item_id, ln.quantity, str(ln.rate), str(ln.amount), str(ln.tax_amount)) for ln in record.lines]


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
class TestWorkedExample:
    def test_outcome_and_checks(self, row: Row) -> None:
        plan = _plan(row)
        assert plan.outcome is row.outcome
        assert plan.problems == []
        assert plan.ok, plan.checks

    def test_return_authorization_lines(self, row: Row) -> None:
        ra = _plan(row).records[0]
        assert (ra.role, ra.record_type, ra.external_id) == (
            RecordRole.RA,
            RecordType.RETURN_AUTHORIZATION,
            ExternalId("north", "7001", RecordRole.RA),
        )
        assert _lines(ra) == row.ra
        assert ra.total == sum((Decimal(amount) + Decimal(tax) for *_, amount, tax in row.ra), Decimal("0.00"))

    def test_item_receipt_then_money_records(self, row: Row) -> None:
        plan = _plan(row)
        receipt = plan.records[1]
        assert (receipt.role, str(receipt.external_id), receipt.total) == (RecordRole.IR, "loop-north-7001-ir-1", Decimal("0.00"))
        assert sum(line.quantity for line in receipt.lines) == len(row.units)
        money = plan.records[2:]
        assert [(r.role.value, str(r.total), _lines(r)) for r in money] == row.records

    def test_gl_entries(self, row: Row) -> None:
        plan = _plan(row)
        got = [(e.record_role.value, e.account_role.value, str(e.debit), str(e.credit)) for e in plan.gl_preview]
        assert got == row.gl
        assert sum(e.debit for e in plan.gl_preview) == sum(e.credit for e in plan.gl_preview)


class TestRecordDetails:
    def test_return_authorization_body(self) -> None:
        ra = _plan(ROWS[0]).records[0]
        assert ra.source == (RecordType.SALES_ORDER, 5001)
        assert ra.memo == "Loop return 7001 · order #1001"
        assert ra.custom_fields == {"custbody_loop_return_id": "7001"}
        assert (ra.customer_id, ra.location_id) == (42, MAIN)
        line = ra.lines[0]
        assert (line.order_line, line.tax_code, line.loop_line_item_ids, line.location_id) == (1, "TAX-8", ["L1"], MAIN)

    def test_custom_loop_id_field(self) -> None:
        ret = loop_return(refund="48.60")
        so = sales_order()
        groups = group_return_lines(ret, so, {"SHIRT": [SHIRT]}, {})
        ra = plan_return_authorization(ret, so, groups, settings(ra_loop_id_field="custbody_rma_loop"))
        assert ra.custom_fields == {"custbody_rma_loop": "7001"}

    def test_money_records_point_at_the_plan_records(self) -> None:
        plan = _plan(ROWS[1])
        credit_memo, customer_refund = plan.records[2:]
        assert (str(credit_memo.external_id), credit_memo.source) == (
            "loop-north-7001-cm",
            (RecordType.RETURN_AUTHORIZATION, None),
        )
        assert (str(customer_refund.external_id), customer_refund.source) == (
            "loop-north-7001-cref",
            (RecordType.CREDIT_MEMO, None),
        )
        assert [line.ra_index for line in credit_memo.lines] == [0]

    def test_credit_mode_memo_is_applied_to_the_exchange_order(self) -> None:
        plan = _plan(next(row for row in ROWS if row.name == "exchange_credit_mode"))
        assert plan.record(RecordRole.CM).apply_to_sales_order_id == EXCHANGE_SO
        assert plan.record(RecordRole.CREF) is None

    def test_deposit_sits_on_the_exchange_sales_order(self) -> None:
        plan = _plan(next(row for row in ROWS if row.name == "advanced_exchange_upsell_via_stripe"))
        deposit = plan.record(RecordRole.DEP)
        assert (deposit.record_type, str(deposit.external_id)) == (RecordType.CUSTOMER_DEPOSIT, "loop-north-7001-dep")
        assert (deposit.source, deposit.total, deposit.customer_id) == (
            (RecordType.SALES_ORDER, EXCHANGE_SO),
            Decimal("21.40"),
            42,
        )
        fee = plan.record(RecordRole.FEE)
        assert (fee.record_type, str(fee.external_id), fee.total) == (
            RecordType.JOURNAL_ENTRY,
            "loop-north-7001-fee",
            Decimal("0.92"),
        )

    def test_credit_mode_deposit_is_applied_to_the_exchange_invoice(self) -> None:
        plan = _plan(next(row for row in ROWS if row.name == "advanced_exchange_upsell_via_stripe_credit_mode"))
        application = plan.record(RecordRole.DEPAPP)
        assert application is not None and application.credits_exchange
        assert (application.record_type, str(application.external_id), application.total) == (
            RecordType.DEPOSIT_APPLICATION,
            "loop-north-7001-depapp",
            Decimal("21.40"),
        )
        assert application.apply_to_sales_order_id == EXCHANGE_SO

    def test_no_fee_journal_without_a_fee_rate(self) -> None:
        row = next(row for row in ROWS if row.name == "advanced_exchange_upsell_via_stripe")
        plan = _plan(dataclasses.replace(row, overrides={}))
        assert plan.record(RecordRole.DEP) is not None and plan.record(RecordRole.FEE) is None

    def test_fee_never_exceeds_the_upsell(self) -> None:
        row = next(row for row in ROWS if row.name == "advanced_exchange_upsell_via_stripe")
        tiny = dataclasses.replace(row, fields={**row.fields, "upsell": "0.20"})
        assert _plan(tiny).record(RecordRole.FEE).total == Decimal("0.20")

    def test_total_of(self) -> None:
        plan = _plan(ROWS[1])
        assert (plan.total_of(RecordRole.RA), plan.total_of(RecordRole.CM), plan.total_of(RecordRole.CREF)) == (
            Money("48.60", "USD"),
        ) * 3
        assert str(plan.total_of(RecordRole.DEP)) == "0.00 USD"


class TestCombinations:
    def test_exchanged_line_rides_at_zero_on_the_refund_so_the_ra_is_fully_credited(self) -> None:
        hat = unit("L2", sku="HAT", price="20.00", discount="0.00", tax="1.60", outcome="refund")
        so = sales_order(so_line(), so_line(2, 555, "HAT", 1))
        ret = loop_return(exchanged_unit(), hat, exchanges=EXCHANGES, refund="21.60")
        plan = _post(ret, so, {"SHIRT": [SHIRT], "HAT": [555]})
        assert plan.outcome is Outcome.MIXED and plan.ok, plan.problems
        refund = plan.record(RecordRole.CR)
        assert _lines(refund) == [EXCHANGED, ("item", 555, 1, "20.00", "20.00", "1.60")]
        assert [line.ra_index for line in refund.lines] == [0, 1]
        assert plan.record(RecordRole.CLOSE_RA) is None

    def test_one_order_line_split_between_exchange_and_refund_is_held_before_the_ra(self) -> None:
        # Two shirts of one SO line, one exchanged and one refunded: the RA would need two lines with one orderLine,
        # which the transform merges (the demo posted an RA with only the exchange line); nothing may be posted.
        shirt = unit("L2", sku="SHIRT", price="45.00", discount="0.00", tax="3.60", outcome="refund")
        ret = loop_return(exchanged_unit(), shirt, exchanges=EXCHANGES, refund="48.60")
        groups = group_return_lines(ret, sales_order(so_line()), {"SHIRT": [SHIRT]}, {})
        with pytest.raises(PlanningError, match="line 1: the return exchanges some of its units and refunds"):
            plan_return_authorization(ret, sales_order(so_line()), groups, settings(), strict=False)

    def test_credit_mode_downsell_refunds_the_difference_from_the_credit_memo(self) -> None:
        ret = loop_return(exchanged_unit(), exchanges=EXCHANGES, refund="10.00", exchange_credit_total="38.60")
        st = settings(exchange_mode="credit")
        so = sales_order(billing="invoice")
        plan = plan_posting(ret, so, {"SHIRT": [SHIRT]}, {}, st, upsell_paid_in_shopify=True, exchange_so_id=EXCHANGE_SO)
        assert [(r.role.value, str(r.total)) for r in plan.records[2:]] == [("cm", "48.60"), ("cref", "10.00")]
        assert plan_totals(plan).applied_to_exchange == Money("38.60", "USD")
        assert [(e.record_role.value, e.account_role.value, str(e.debit), str(e.credit)) for e in plan.gl_preview] == [
            ("cm", "sales_returns", "45.00", "0.00"),
            ("cm", "tax_payable", "3.60", "0.00"),
            ("cm", "ar", "0.00", "48.60"),
            ("cref", "ar", "10.00", "0.00"),
            ("cref", "cash", "0.00", "10.00"),
        ]

    def test_credit_mode_bonus_memo_pays_what_loop_credited_the_exchange(self) -> None:
        plan = _plan(next(row for row in ROWS if row.name == "exchange_bonus_credit_mode"))
        assert plan_totals(plan).applied_to_exchange == Money("53.60", "USD")
        assert plan.record(RecordRole.CREF) is None and plan.record(RecordRole.DEP) is None
        assert plan.checks["exchange_credit_total_reconciles"]

    def test_credit_mode_bonus_never_exceeds_the_bonus_loop_granted(self) -> None:
        # Loop says it credited the exchange 58.60, but granted only 5.00 of bonus: the memo stays at 53.60 and the
        # exchange-credit check refuses the return instead of booking 5.00 of incentive nobody gave.
        row = next(row for row in ROWS if row.name == "exchange_bonus_credit_mode")
        plan = _plan(dataclasses.replace(row, fields={**row.fields, "exchange_credit_total": "58.60"}))
        assert plan.record(RecordRole.CM).total == Decimal("53.60")
        assert not plan.ok and not plan.checks["exchange_credit_total_reconciles"]
        assert "exchange_credit_total: plan 53.60 vs Loop 58.60" in " ".join(plan.problems)

    def test_credit_mode_without_loop_exchange_credit_is_refused(self) -> None:
        row = next(row for row in ROWS if row.name == "exchange_credit_mode")
        plan = _plan(dataclasses.replace(row, fields={"exchanges": EXCHANGES}))
        assert not plan.checks["exchange_credit_total_reconciles"]

    def test_zero_value_bonus_exchange_posts_no_bonus_line(self) -> None:
        # zero_value mode: the bonus is part of the exchange order's discount, nothing is credited (LIFECYCLE.md).
        row = next(row for row in ROWS if row.name == "exchange_bonus_credit_mode")
        plan = _plan(dataclasses.replace(row, overrides={}, billing="cash_sale"))
        assert plan.ok, plan.problems
        assert [r.role for r in plan.records[2:]] == [RecordRole.CLOSE_RA]

    def test_exchange_order_is_named_on_the_ra_and_its_close(self) -> None:
        row = next(row for row in ROWS if row.name == "exchange_zero_value")
        plan = _plan(row)
        memo = "Loop return 7001 · order #1001 · exchange #1001-EXC"
        assert (plan.record(RecordRole.RA).memo, plan.record(RecordRole.CLOSE_RA).memo) == (memo, memo)
        assert plan.record(RecordRole.IR).memo == "Loop return 7001 · order #1001"

    @pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
    def test_plan_survives_a_json_round_trip(self, row: Row) -> None:
        plan = _plan(row)
        assert PostingPlan.model_validate_json(plan.model_dump_json()) == plan


class TestRefusals:
    def test_missing_special_item_names_the_setting(self) -> None:
        ret = loop_return(refund="43.60", handling_fee="5.00")
        so = sales_order()
        ra = plan_return_authorization(ret, so, group_return_lines(ret, so, {"SHIRT": [SHIRT]}, {}), settings())
        with pytest.raises(MissingSettingError, match=r"^a handling fee of 5\.00 needs StoreSettings\.handling_fee_item_id$"):
            plan_refund(ret, ra.lines, so, settings(handling_fee_item_id=None), upsell_paid_in_shopify=True, exchange_so_id=None)

    def test_upsell_outside_shopify_waits_for_the_exchange_order(self) -> None:
        ret = loop_return(exchanged_unit(), exchanges=EXCHANGES, upsell="21.40")
        so = sales_order()
        ra = plan_return_authorization(ret, so, group_return_lines(ret, so, {"SHIRT": [SHIRT]}, {}), settings())
        with pytest.raises(ExchangeOrderMissingError, match="upsell 21.40 of Loop return 7001 waits for the exchange order"):
            plan_refund(ret, ra.lines, so, settings(), upsell_paid_in_shopify=False, exchange_so_id=None)
        plan = plan_posting(ret, so, {"SHIRT": [SHIRT]}, {}, settings(), upsell_paid_in_shopify=False)
        assert plan.checks["exchange_order_known"] is False
        assert [r.role.value for r in plan.records] == ["ra", "ir", "close_ra"]

    def test_strict_ra_refuses_quantity_above_returnable(self) -> None:
        ret = loop_return(unit("L1"), unit("L2"))
        so = sales_order()
        groups = group_return_lines(ret, so, {"SHIRT": [SHIRT]}, {1: 1})
        with pytest.raises(PlanningError) as info:
            plan_return_authorization(ret, so, groups, settings())
        assert info.value.problems == [
            "SKU SHIRT: 2 units returned but only 1 returnable on sales order SO1001 line 1 "
            "(2 ordered, 1 already on other return authorizations)"
        ]
        assert plan_return_authorization(ret, so, groups, settings(), strict=False).lines[0].quantity == 2

    def test_strict_ra_refuses_a_currency_mismatch(self) -> None:
        ret = loop_return(currency="EUR")
        so = sales_order()
        with pytest.raises(PlanningError, match="Loop return is in EUR but sales order SO1001 is in USD"):
            plan_return_authorization(ret, so, group_return_lines(ret, so, {"SHIRT": [SHIRT]}, {}), settings())

    @pytest.mark.parametrize(
        ("matches", "check", "problem"),
        [
            ({}, "skus_match_one_item", "SKU SHIRT matches no active item in NetSuite"),
            ({"SHIRT": [977, 812]}, "skus_match_one_item", "SKU SHIRT matches items 812 and 977 in NetSuite"),
        ],
    )
    def test_bad_sku_gives_no_records_and_says_why(self, matches: dict[str, list[int]], check: str, problem: str) -> None:
        plan = plan_posting(loop_return(refund="48.60"), sales_order(), matches, {}, settings(), upsell_paid_in_shopify=True)
        assert plan.records == [] and plan.gl_preview == []
        assert plan.checks[check] is False
        assert plan.problems[0] == problem

    def test_item_not_on_the_sales_order(self) -> None:
        so = sales_order(so_line(item_id=555, sku="HAT"))
        plan = plan_posting(loop_return(refund="48.60"), so, {"SHIRT": [SHIRT]}, {}, settings(), upsell_paid_in_shopify=True)
        assert plan.checks["lines_on_sales_order"] is False
        assert "SKU SHIRT (item 812) is not on sales order SO1001" in plan.problems

    def test_currency_mismatch_is_a_failed_check(self) -> None:
        plan = _post(loop_return(currency="EUR", refund="48.60"))
        assert plan.checks["currency_matches"] is False
        assert "Loop return is in EUR but sales order SO1001 is in USD" in plan.problems


class TestReconciliation:
    def test_loop_total_that_does_not_add_up_fails_with_the_numbers(self) -> None:
        plan = _post(loop_return(refund="48.60", return_total="50.00"))
        assert plan.checks["return_total_reconciles"] is False
        assert "return_total: plan 48.60 vs Loop 50.00, difference -1.40 (allowed 0.01)" in plan.problems

    def test_tolerance_is_per_line(self) -> None:
        two_skus = (unit("L1"), unit("L2", sku="HAT", price="20.00", discount="0.00", tax="1.60"))
        so = sales_order(so_line(), so_line(2, 555, "HAT", 1))
        ret = loop_return(*two_skus, refund="70.20", return_total="70.22")
        plan = plan_posting(ret, so, {"SHIRT": [SHIRT], "HAT": [555]}, {}, settings(), upsell_paid_in_shopify=True)
        assert plan.checks["return_total_reconciles"] is True
        ret = loop_return(*two_skus, refund="70.20", return_total="70.23")
        plan = plan_posting(ret, so, {"SHIRT": [SHIRT], "HAT": [555]}, {}, settings(), upsell_paid_in_shopify=True)
        assert plan.checks["return_total_reconciles"] is False

    def test_unexplained_refund_difference_is_an_adjustment_line_and_a_failed_check(self) -> None:
        plan = _post(loop_return(refund="50.00"))
        refund = plan.record(RecordRole.CR)
        assert refund.total == Decimal("50.00")
        assert _lines(refund)[-1] == special("adjustment", PRICE_ADJUSTMENT, "1.40")
        assert plan.checks["unexplained_difference_reconciles"] is False
        assert plan.checks["refund_reconciles"] is True


class TestBalance:
    def test_unbalanced_entries_raise_with_the_sums(self) -> None:
        entries = [
            GlEntry(record_role="cr", account_role="sales_returns", debit=Decimal("45.00")),
            GlEntry(record_role="cr", account_role="cash", credit=Decimal("44.99")),
        ]
        with pytest.raises(UnbalancedPlanError, match=r"^loop-x-cr does not balance: debits 45.00, credits 44.99$"):
            assert_balanced(entries, "loop-x-cr")

    def test_gl_entry_needs_one_positive_side(self) -> None:
        with pytest.raises(ValueError, match="exactly one positive side"):
            GlEntry(record_role="cr", account_role="cash", debit=Decimal("1.00"), credit=Decimal("1.00"))

    def test_record_total_must_be_the_sum_of_its_lines(self) -> None:
        record = _plan(ROWS[0]).record(RecordRole.CR)
        with pytest.raises(ValueError, match="total 48.61 is not the sum of its lines 48.60"):
            PlannedRecord(**{**record.model_dump(), "total": Decimal("48.61")})
