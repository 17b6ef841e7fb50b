"""Grouping Loop's per-unit lines into RA lines (SO-line matching, returnable quantities, rounding) and receipts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from posting_factory import DAMAGED, MAIN, SHIRT, loop_return, sales_order, settings, so_line, unit

from returns_sync.domain.lines import (
    group_return_lines,
    line_amount,
    plan_item_receipt,
    plan_item_receipts,
    received_in_loop,
    unit_rate,
)
from returns_sync.domain.plan import PlanningError
from returns_sync.domain.posting import plan_return_authorization

MATCH = {"SHIRT": [SHIRT]}


class TestGrouping:
    def test_units_of_one_sku_become_one_group(self) -> None:
        [group] = group_return_lines(loop_return(unit("L1"), unit("L2")), sales_order(), MATCH, {})
        assert (group.sku, group.item_id, group.order_line, group.quantity) == ("SHIRT", SHIRT, 1, 2)
        assert (group.amount, group.tax, group.unit_rate, group.returnable) == (
            Decimal("90.00"),
            Decimal("7.20"),
            Decimal("45.00"),
            2,
        )
        assert group.loop_line_item_ids == ["L1", "L2"]
        assert (group.tax_code, group.problems, group.exceeds_returnable) == ("TAX-8", [], False)

    def test_exchanged_and_refunded_units_of_one_line_stay_apart(self) -> None:
        ret = loop_return(unit("L1", outcome="refund"), unit("L2", outcome="exchange"))
        groups = group_return_lines(ret, sales_order(), MATCH, {})
        assert [(g.order_line, g.is_exchange, g.loop_line_item_ids) for g in groups] == [(1, False, ["L1"]), (1, True, ["L2"])]

    def test_groups_are_ordered_by_sales_order_line(self) -> None:
        so = sales_order(so_line(1, 555, "HAT", 1), so_line(2))
        ret = loop_return(unit("L1"), unit("L2", sku="HAT", price="20.00", discount="0.00", tax="1.60"))
        groups = group_return_lines(ret, so, {"SHIRT": [SHIRT], "HAT": [555]}, {})
        assert [(g.sku, g.order_line) for g in groups] == [("HAT", 1), ("SHIRT", 2)]


class TestReturnableQuantity:
    """Several returns on one order: each draws the SO line down; exceeding it is a quarantine reason."""

    def test_second_return_fits_in_what_is_left(self) -> None:
        [group] = group_return_lines(loop_return(unit("L9"), id="7002"), sales_order(), MATCH, {1: 1})
        assert (group.quantity, group.returnable, group.exceeds_returnable, group.problems) == (1, 1, False, [])

    def test_exceeding_what_is_left_is_detected(self) -> None:
        [group] = group_return_lines(loop_return(unit("L8"), unit("L9"), id="7002"), sales_order(), MATCH, {1: 1})
        assert group.exceeds_returnable is True
        assert group.problems == [
            "SKU SHIRT: 2 units returned but only 1 returnable on sales order SO1001 line 1 "
            "(2 ordered, 1 already on other return authorizations)"
        ]

    def test_nothing_left_after_earlier_returns(self) -> None:
        [group] = group_return_lines(loop_return(unit("L9"), id="7003"), sales_order(), MATCH, {1: 2})
        assert (group.returnable, group.exceeds_returnable) == (0, True)


class TestSkuOnTwoLines:
    def test_units_fill_the_line_with_remaining_returnable_quantity_first(self) -> None:
        so = sales_order(so_line(1, quantity=1), so_line(3, quantity=2))
        groups = group_return_lines(loop_return(unit("L1"), unit("L2")), so, MATCH, {1: 1})
        assert [(g.order_line, g.quantity, g.returnable) for g in groups] == [(3, 2, 2)]

    def test_units_spill_over_to_the_next_line(self) -> None:
        so = sales_order(so_line(1, quantity=1), so_line(3, quantity=2))
        groups = group_return_lines(loop_return(unit("L1"), unit("L2")), so, MATCH, {})
        assert [(g.order_line, g.loop_line_item_ids) for g in groups] == [(1, ["L1"]), (3, ["L2"])]
        assert not any(g.problems for g in groups)

    def test_more_units_than_both_lines_hold_stay_on_the_last_line(self) -> None:
        so = sales_order(so_line(1, quantity=1), so_line(3, quantity=1))
        groups = group_return_lines(loop_return(unit("L1"), unit("L2"), unit("L3")), so, MATCH, {})
        assert [(g.order_line, g.quantity, g.exceeds_returnable) for g in groups] == [(1, 1, False), (3, 2, True)]

    def test_the_shopify_line_id_wins_when_the_sales_order_has_it(self) -> None:
        so = sales_order(so_line(1, quantity=2), so_line(3, quantity=2, shopify_line_id="shop-line-3"))
        groups = group_return_lines(loop_return(unit("L1", provider_line_item_id="shop-line-3")), so, MATCH, {})
        assert [(g.order_line, g.quantity) for g in groups] == [(3, 1)]


class TestMatchingProblems:
    def test_unknown_and_ambiguous_skus(self) -> None:
        ret = loop_return(unit("L1"), unit("L2", sku="CAP"))
        so = sales_order(so_line(), so_line(2, 600, "CAP", 1))
        groups = group_return_lines(ret, so, {"CAP": [977, 600]}, {})
        assert [g.problems for g in groups] == [
            ["SKU SHIRT matches no active item in NetSuite"],
            ["SKU CAP matches items 600 and 977 in NetSuite"],
        ]
        assert all(g.blocking for g in groups)

    def test_unit_without_sku(self) -> None:
        [group] = group_return_lines(loop_return(unit("L1", sku=None)), sales_order(), MATCH, {})
        assert group.problems[0] == "a returned line has no SKU"


class TestRounding:
    def test_three_units_sharing_a_ten_dollar_discount(self) -> None:
        shares = [("3.33", "2.13"), ("3.33", "2.13"), ("3.34", "2.14")]
        units = [unit(f"L{i}", price="30.00", discount=d, tax=t) for i, (d, t) in enumerate(shares)]
        so = sales_order(so_line(quantity=3))
        ret = loop_return(*units, refund="86.40")
        [group] = group_return_lines(ret, so, MATCH, {})
        assert (group.amount, group.tax, group.unit_rate) == (Decimal("80.00"), Decimal("6.40"), Decimal("26.667"))
        [line] = plan_return_authorization(ret, so, [group], settings()).lines
        assert (str(line.rate), str(line.amount), str(line.tax_amount)) == ("26.667", "80.00", "6.40")

    def test_yen_has_no_decimals(self) -> None:
        shares = [("333", "267"), ("333", "267"), ("334", "266")]
        units = [unit(f"L{i}", price="3000", discount=d, tax=t) for i, (d, t) in enumerate(shares)]
        so = sales_order(so_line(quantity=3), currency="JPY")
        ret = loop_return(*units, currency="JPY", refund="8800")
        [group] = group_return_lines(ret, so, MATCH, {})
        assert (str(group.amount), str(group.tax), str(group.unit_rate)) == ("8000", "800", "2666.7")
        assert line_amount(group.unit_rate, 3, "JPY") == Decimal("8000")

    @pytest.mark.parametrize(
        ("total", "quantity", "currency", "rate"),
        [
            ("90.00", 2, "USD", "45.00"),
            ("80.00", 3, "USD", "26.667"),
            ("100.00", 7, "USD", "14.286"),
            ("10.000", 3, "KWD", "3.3333"),
            ("0.00", 4, "USD", "0.00"),
        ],
    )
    def test_unit_rate_is_the_shortest_exact_rate(self, total: str, quantity: int, currency: str, rate: str) -> None:
        got = unit_rate(Decimal(total), quantity, currency)
        assert str(got) == rate
        assert line_amount(got, quantity, currency) == Decimal(total)

    def test_unit_rate_needs_units(self) -> None:
        with pytest.raises(ValueError, match="quantity must be positive, not 0"):
            unit_rate(Decimal("1.00"), 0, "USD")


def _ra_lines(*units, so=None, **fields):
    ret = loop_return(*units, **fields)
    so = so or sales_order(so_line(quantity=3))
    return ret, plan_return_authorization(ret, so, group_return_lines(ret, so, MATCH, {}), settings()).lines


def _restocked(line_item_id: str, outcome: str | None, **extra):
    return unit(line_item_id, disposition={"disposition_outcome": outcome} if outcome else None, **extra)


class TestItemReceipts:
    def test_everything_received_at_main(self) -> None:
        ret, lines = _ra_lines(_restocked("L1", "restock"), _restocked("L2", None))
        receipt = plan_item_receipt(ret, lines, None, settings())
        assert (str(receipt.external_id), receipt.location_id) == ("loop-north-7001-ir-1", MAIN)
        assert [(ln.order_line, ln.ra_index, ln.quantity, ln.location_id) for ln in receipt.lines] == [(1, 0, 2, MAIN)]

    @pytest.mark.parametrize(
        ("disposition", "location"),
        [("restock", MAIN), ("Restock", MAIN), ("dispose", DAMAGED), ("donate", DAMAGED), ("refurbish", 77), (None, MAIN)],
    )
    def test_disposition_map(self, disposition: str | None, location: int) -> None:
        ret, lines = _ra_lines(_restocked("L1", disposition))
        st = settings(disposition_locations={"restock": "main", "dispose": "damaged", "refurbish": 77})
        assert plan_item_receipt(ret, lines, None, st).lines[0].location_id == location

    @pytest.mark.parametrize(("disposition", "location"), [("restock", MAIN), (None, MAIN), ("dispose", DAMAGED)])
    def test_empty_map_restocks_at_main_and_the_rest_at_damaged(self, disposition: str | None, location: int) -> None:
        ret, lines = _ra_lines(_restocked("L1", disposition))
        assert plan_item_receipt(ret, lines, None, settings(disposition_locations={})).lines[0].location_id == location

    def test_without_a_damaged_location_everything_goes_to_main(self) -> None:
        ret, lines = _ra_lines(_restocked("L1", "dispose"))
        st = settings(disposition_locations={}, damaged_location_id=None)
        assert plan_item_receipt(ret, lines, None, st).lines[0].location_id == MAIN

    def test_one_line_split_across_locations_needs_two_receipts(self) -> None:
        ret, lines = _ra_lines(_restocked("L1", "dispose"), _restocked("L2", "restock"))
        receipts = plan_item_receipts(ret, lines, None, settings(), n=2)
        assert [(str(r.external_id), [(ln.location_id, ln.loop_line_item_ids) for ln in r.lines]) for r in receipts] == [
            ("loop-north-7001-ir-2", [(MAIN, ["L2"])]),
            ("loop-north-7001-ir-3", [(DAMAGED, ["L1"])]),
        ]
        with pytest.raises(PlanningError, match="units of one RA line go to several locations"):
            plan_item_receipt(ret, lines, None, settings())

    def test_two_skus_at_two_locations_fit_one_receipt(self) -> None:
        so = sales_order(so_line(), so_line(2, 555, "HAT", 1))
        ret = loop_return(_restocked("L1", "restock"), _restocked("L2", "dispose", sku="HAT"))
        groups = group_return_lines(ret, so, {"SHIRT": [SHIRT], "HAT": [555]}, {})
        lines = plan_return_authorization(ret, so, groups, settings()).lines
        receipt = plan_item_receipt(ret, lines, None, settings())
        assert [(ln.sku, ln.location_id) for ln in receipt.lines] == [("SHIRT", MAIN), ("HAT", DAMAGED)]

    def test_partial_receipt_by_sku_takes_units_loop_saw_arrive(self) -> None:
        ret, lines = _ra_lines(unit("L1", received=False), unit("L2"))
        receipt = plan_item_receipt(ret, lines, {"SHIRT": 1}, settings())
        assert [(ln.quantity, ln.loop_line_item_ids) for ln in receipt.lines] == [(1, ["L2"])]

    def test_received_by_sales_order_line(self) -> None:
        ret, lines = _ra_lines(unit("L1"), unit("L2"))
        assert plan_item_receipt(ret, lines, {1: 2}, settings()).lines[0].quantity == 2

    def test_received_in_loop_counts_units_with_returned_at(self) -> None:
        ret, lines = _ra_lines(unit("L1"), unit("L2", received=False), unit("L3"))
        assert received_in_loop(ret, lines) == {1: 2}

    def test_more_received_than_the_ra_holds(self) -> None:
        ret, lines = _ra_lines(unit("L1"), unit("L2"))
        with pytest.raises(PlanningError, match=r"received more units than the RA holds \(1 of SHIRT\)"):
            plan_item_receipts(ret, lines, {"SHIRT": 3}, settings())

    def test_nothing_received(self) -> None:
        ret, lines = _ra_lines(unit("L1"))
        assert plan_item_receipts(ret, lines, {}, settings()) == []
        with pytest.raises(PlanningError, match="no units received"):
            plan_item_receipt(ret, lines, {}, settings())
