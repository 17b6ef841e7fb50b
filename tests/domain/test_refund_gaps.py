"""POSTING.md's shipping row without a shipping item, and "Partial receipt, then Loop refunds anyway", on Order #1001."""

from __future__ import annotations

from decimal import Decimal

from posting_factory import SHIPPING, SHIRT, TAX_ROUNDING, loop_return, sales_order, settings, so_line, unit

from returns_sync.domain.netsuite import LineKind, RecordRole
from returns_sync.domain.posting import plan_posting

SHIPPING_LINE = so_line(2, item_id=SHIPPING, sku=None, quantity=1, tax_code="TAX-8", tax_rate=Decimal("0.08"))
WITH_SHIPPING = {"refund": "54.00", "refund_shipping_total": "5.00", "refund_shipping_tax_total": "0.40"}


class TestShippingLeftOut:
    def test_without_shipping_item_the_document_leaves_shipping_out_and_the_plan_says_how_much(self) -> None:
        so = sales_order(so_line(), SHIPPING_LINE)
        plan = plan_posting(
            loop_return(**WITH_SHIPPING), so, {"SHIRT": [SHIRT]}, {}, settings(shipping_item_id=None), upsell_paid_in_shopify=True
        )
        refund = plan.record(RecordRole.CR)
        assert refund is not None
        assert refund.total == Decimal("48.60")
        assert not [line for line in refund.lines if line.kind is LineKind.SHIPPING]
        assert plan.shipping_left_out == Decimal("5.40")
        assert plan.ok, plan.problems  # reported, never a quarantine

    def test_with_shipping_item_nothing_is_left_out(self) -> None:
        so = sales_order(so_line(), SHIPPING_LINE)
        plan = plan_posting(loop_return(**WITH_SHIPPING), so, {"SHIRT": [SHIRT]}, {}, settings(), upsell_paid_in_shopify=True)
        assert plan.record(RecordRole.CR).total == Decimal("54.00")  # type: ignore[union-attr]
        assert plan.shipping_left_out == 0

    def test_credit_memo_customer_refund_pays_out_only_what_the_memo_credits(self) -> None:
        so = sales_order(so_line(), SHIPPING_LINE, billing="invoice")
        plan = plan_posting(
            loop_return(**WITH_SHIPPING), so, {"SHIRT": [SHIRT]}, {}, settings(shipping_item_id=None), upsell_paid_in_shopify=True
        )
        assert plan.record(RecordRole.CM).total == Decimal("48.60")  # type: ignore[union-attr]
        assert plan.record(RecordRole.CREF).total == Decimal("48.60")  # type: ignore[union-attr]


class TestRefundedNotReceived:
    def _plan(self, received: dict[int, int], **fields: str):  # type: ignore[no-untyped-def]
        ret = loop_return(unit("L1", received=False), unit("L2", received=False), refund="97.20", **fields)
        return plan_posting(
            ret, sales_order(), {"SHIRT": [SHIRT]}, {}, settings(), upsell_paid_in_shopify=True, received_in_netsuite=received
        )

    def test_received_units_credit_the_ra_line_and_the_missing_one_an_ra_less_line(self) -> None:
        plan = self._plan({0: 1})
        refund = plan.record(RecordRole.CR)
        assert refund is not None
        items = [line for line in refund.lines if line.kind is LineKind.ITEM]
        assert [(line.quantity, line.ra_index, line.amount, line.tax_amount) for line in items] == [
            (1, 0, Decimal("45.00"), Decimal("3.60")),
            (1, None, Decimal("45.00"), Decimal("3.60")),
        ]
        assert refund.total == Decimal("97.20")  # exactly Loop's refund
        assert [(u.sku, u.quantity, u.amount) for u in plan.refunded_not_received] == [("SHIRT", 1, Decimal("45.00"))]
        assert plan.ok, plan.problems

    def test_split_tax_rounding_is_rebalanced_on_the_rounding_line(self) -> None:
        # 3 units at 33.33 with 8 %: NetSuite taxes 99.99 as 8.00 on one line, 33.33 (2.67) + 66.66 (5.33) split.
        units = [unit(f"L{i}", price="33.33", discount="0.00", tax="2.67", received=False) for i in range(3)]
        ret = loop_return(*units, refund="108.00")
        so = sales_order(so_line(quantity=3))
        plan = plan_posting(ret, so, {"SHIRT": [SHIRT]}, {}, settings(), upsell_paid_in_shopify=True, received_in_netsuite={0: 1})
        refund = plan.record(RecordRole.CR)
        assert refund is not None and refund.total == Decimal("108.00")
        rounding = [line for line in refund.lines if line.kind is LineKind.TAX_ROUNDING]
        assert [line.item_id for line in rounding] == [TAX_ROUNDING] or not rounding
        assert plan.ok, plan.problems

    def test_all_received_changes_nothing(self) -> None:
        plan = self._plan({0: 2})
        assert plan.refunded_not_received == []
        assert [line.quantity for line in plan.record(RecordRole.CR).lines] == [2]  # type: ignore[union-attr]


class TestLoopRefundedFewerUnits:
    """POSTING.md's worked example, 2 shirts at 45.00 + 3.60 tax on the RA; Loop refunds one (48.60) or 30.00."""

    def _plan(self, refund: str, received: dict[int, int] | None, billing: str = "cash_sale"):  # type: ignore[no-untyped-def]
        ret = loop_return(unit("L1", received=False), unit("L2", received=False), refund=refund)
        return plan_posting(
            ret,
            sales_order(billing=billing),
            {"SHIRT": [SHIRT]},
            {},
            settings(),
            upsell_paid_in_shopify=True,
            received_in_netsuite=received,
        )

    def test_only_the_received_unit_refunded_credits_that_unit_on_its_ra_line(self) -> None:
        plan = self._plan("48.60", {0: 1})
        refund = plan.record(RecordRole.CR)
        assert refund is not None
        assert [(line.kind, line.quantity, line.ra_index, line.amount, line.tax_amount) for line in refund.lines] == [
            (LineKind.ITEM, 1, 0, Decimal("45.00"), Decimal("3.60"))
        ]
        assert refund.total == Decimal("48.60")
        assert plan.refunded_not_received == []
        assert [(u.sku, u.quantity, u.amount) for u in plan.not_refunded] == [("SHIRT", 1, Decimal("45.00"))]
        assert plan.ok, plan.problems

    def test_gl_is_one_shirt_dr_sales_returns_and_tax_cr_cash(self) -> None:
        plan = self._plan("48.60", {0: 1})
        money = {(e.account_role.value, e.debit, e.credit) for e in plan.gl_preview if e.record_role is RecordRole.CR}
        assert money == {
            ("sales_returns", Decimal("45.00"), Decimal("0.00")),
            ("tax_payable", Decimal("3.60"), Decimal("0.00")),
            ("cash", Decimal("0.00"), Decimal("48.60")),
        }

    def test_before_the_receipt_is_known_the_plan_already_passes_its_checks(self) -> None:
        # post_batch plans without NetSuite's receipts: a short refund by whole units is no unexplained difference.
        plan = self._plan("48.60", None, billing="invoice")
        memo = plan.record(RecordRole.CM)
        assert memo is not None and memo.total == Decimal("48.60")
        assert plan.record(RecordRole.CREF).total == Decimal("48.60")  # type: ignore[union-attr]
        assert plan.ok, plan.problems

    def test_an_amount_no_whole_units_explain_stays_a_quarantine(self) -> None:
        plan = self._plan("30.00", {0: 1})
        assert not plan.ok
        assert plan.not_refunded == []
        assert any("30.00" in problem or "difference" in problem for problem in plan.problems), plan.problems
