"""Tax as NetSuite computes it (per line, from the SO line's code) against Loop's per-unit tax: rounding line or quarantine."""

from __future__ import annotations

from decimal import Decimal

import pytest
from posting_factory import SHIPPING, SHIRT, TAX_ROUNDING, loop_return, sales_order, settings, so_line, unit

from returns_sync.domain.netsuite import AccountRole, LineKind, RecordRole
from returns_sync.domain.plan import PostingPlan
from returns_sync.domain.posting import plan_posting
from returns_sync.domain.tax import TaxRateError, netsuite_line_tax, parse_tax_rate, tax_difference_problem

D = Decimal


class TestRates:
    @pytest.mark.parametrize(
        ("text", "rate"),
        [("8.00%", D("0.08")), ("8", D("0.08")), (" 13.00 % ", D("0.13")), ("8.25%", D("0.0825")), ("0%", D("0"))],
    )
    def test_netsuite_percentages(self, text: str, rate: Decimal) -> None:
        assert parse_tax_rate(text) == rate

    @pytest.mark.parametrize("text", ["", "%", "eight", "120%", "-1%", "NaN"])
    def test_anything_else_is_refused(self, text: str) -> None:
        with pytest.raises(TaxRateError, match="tax rate"):
            parse_tax_rate(text)


class TestLineTax:
    @pytest.mark.parametrize(
        ("amount", "rate", "currency", "tax"),
        [
            ("30.15", "0.08", "USD", "2.41"),  # three units at 10.05: per unit it would be 3 × 0.80 = 2.40
            ("0.10", "0.05", "USD", "0.01"),  # half a cent rounds up, not to even
            ("45.00", "0.13", "CAD", "5.85"),
            ("1234", "0.10", "JPY", "123"),
            ("10.000", "0.0825", "KWD", "0.825"),
        ],
    )
    def test_rounded_half_up_per_line(self, amount: str, rate: str, currency: str, tax: str) -> None:
        assert netsuite_line_tax(D(amount), D(rate), currency) == D(tax)

    def test_no_code_no_tax(self) -> None:
        assert netsuite_line_tax(D("45.00"), None, "USD") == D("0.00")

    def test_the_problem_names_both_amounts(self) -> None:
        assert tax_difference_problem("SKU SHIRT", D("3.60"), D("3.59"), D("0.01")) is None
        problem = tax_difference_problem("SKU SHIRT", D("3.70"), D("3.60"), D("0.01"))
        assert problem is not None and "3.70" in problem and "3.60" in problem and "SKU SHIRT" in problem


def _refund(*units: dict[str, str], refund: str, so_lines: tuple = (), **overrides: object) -> PostingPlan:
    return plan_posting(
        loop_return(*units, refund=refund),
        sales_order(*(so_lines or (so_line(quantity=3),))),
        {"SHIRT": [SHIRT]},
        {},
        settings(**overrides),
        upsell_paid_in_shopify=True,
        unit_costs={SHIRT: D("4.00")},
    )


# Three shirts at 10.05 with 8 %: Loop (Shopify) charged 0.80 a unit = 2.40; NetSuite computes 2.41 for the line.
THREE = tuple(unit(f"L{n}", price="10.05", discount="0.00", tax="0.80") for n in range(3))


class TestRoundingLine:
    def test_netsuite_tax_on_the_lines_and_the_cent_on_a_rounding_line(self) -> None:
        plan = _refund(*THREE, refund="32.55")
        assert plan.ok, plan.problems
        ra, cr = plan.record(RecordRole.RA), plan.record(RecordRole.CR)
        assert ra is not None and cr is not None
        assert [(line.amount, line.tax_amount, line.paid_tax) for line in ra.lines] == [(D("30.15"), D("2.41"), D("2.40"))]
        rounding = [line for line in cr.lines if line.kind is LineKind.TAX_ROUNDING]
        assert [(line.item_id, line.amount, line.tax_amount) for line in rounding] == [(TAX_ROUNDING, D("-0.01"), D("0.00"))]
        assert cr.total == D("32.55")  # exactly what Loop refunded

    def test_tax_is_never_booked_to_revenue(self) -> None:
        plan = _refund(*THREE, refund="32.55")
        cr_gl = {(e.account_role, e.debit, e.credit) for e in plan.gl_preview if e.record_role is RecordRole.CR}
        assert cr_gl == {
            (AccountRole.SALES_RETURNS, D("30.15"), D("0.00")),
            (AccountRole.TAX_PAYABLE, D("2.41"), D("0.00")),
            (AccountRole.TAX_ROUNDING, D("0.00"), D("0.01")),
            (AccountRole.CASH, D("0.00"), D("32.55")),
        }

    def test_no_difference_no_rounding_line(self) -> None:
        plan = _refund(unit("L1", price="50.00", discount="5.00", tax="3.60"), refund="48.60")
        cr = plan.record(RecordRole.CR)
        assert cr is not None and all(line.kind is not LineKind.TAX_ROUNDING for line in cr.lines)

    def test_without_a_rounding_item_the_return_waits_naming_the_setting(self) -> None:
        plan = _refund(*THREE, refund="32.55", tax_rounding_item_id=None)
        assert not plan.ok
        assert any("StoreSettings.tax_rounding_item_id" in problem for problem in plan.problems)


class TestBeyondTolerance:
    def test_quarantined_with_both_amounts(self) -> None:
        units = tuple(unit(f"L{n}", price="10.05", discount="0.00", tax="1.00") for n in range(3))
        plan = _refund(*units, refund="33.15")
        assert not plan.ok and plan.checks["tax_matches_netsuite"] is False
        assert any("Loop charged 3.00 but NetSuite computes 2.41" in problem for problem in plan.problems)

    def test_a_wider_tolerance_books_it(self) -> None:
        units = tuple(unit(f"L{n}", price="10.05", discount="0.00", tax="0.81") for n in range(3))
        assert not _refund(*units, refund="32.58").ok
        assert _refund(*units, refund="32.58", tolerance=D("0.05")).ok

    def test_a_code_without_a_readable_rate_is_a_reason(self) -> None:
        plan = _refund(*THREE, refund="32.55", so_lines=(so_line(quantity=3, tax_code="77", tax_rate=None),))
        assert any("tax code 77" in problem and "no rate" in problem for problem in plan.problems)

    def test_shipping_is_taxed_with_the_orders_shipping_line(self) -> None:
        ret = loop_return(unit("L1"), refund="54.00", refund_shipping_total="5.00", refund_shipping_tax_total="0.40")
        with_line = plan_posting(
            ret, sales_order(so_line(), so_line(2, SHIPPING, None, 1)), {"SHIRT": [SHIRT]}, {}, settings(),
            upsell_paid_in_shopify=True,
        )  # fmt: skip
        shipping = [line for line in with_line.records[-1].lines if line.kind is LineKind.SHIPPING]
        assert [(line.tax_amount, line.tax_code) for line in shipping] == [(D("0.40"), "TAX-8")]
        without = plan_posting(ret, sales_order(so_line()), {"SHIRT": [SHIRT]}, {}, settings(), upsell_paid_in_shopify=True)
        assert any("NetSuite computes 0.00" in problem for problem in without.problems)


def test_the_module_examples_hold() -> None:
    import doctest

    import returns_sync.domain.tax as tax

    assert doctest.testmod(tax).failed == 0


class TestPriceDifference:
    def test_a_downsell_difference_is_taxed_with_the_exchanged_lines_code(self) -> None:
        ret = loop_return(
            unit("L1", outcome="exchange"),
            refund="10.80",
            exchanges=[{"exchange_id": "E1", "sku": "SHIRT-L", "exchange_order_name": "#1001-EXC"}],
        )
        plan = plan_posting(ret, sales_order(), {"SHIRT": [SHIRT]}, {}, settings(), upsell_paid_in_shopify=True)
        assert plan.ok, plan.problems
        difference = [line for line in plan.records[-1].lines if line.kind is LineKind.PRICE_ADJUSTMENT]
        assert [(line.amount, line.tax_amount, line.tax_code) for line in difference] == [(D("10.00"), D("0.80"), "TAX-8")]
