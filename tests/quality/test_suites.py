"""The Great Expectations suites: each rule fails exactly the rows it should, with a plain-language reason."""

from __future__ import annotations

import sys
from dataclasses import replace
from decimal import Decimal

import pytest

from returns_sync.quality import RefundCheck, ReturnLineCheck, validate_refunds, validate_return_lines

D = Decimal


def good_row(**changes) -> ReturnLineCheck:
    row = ReturnLineCheck(
        loop_return_id="r-1",
        store="north",
        sku="SHIRT-M-BLU",
        quantity=1,
        sku_field="itemid",
        item_ids=(812,),
        order_name="#1001",
        sales_order_ids=(5001,),
        sales_order_tranids=("SO1001",),
        ordered_quantity=2,
        already_returned=0,
        loop_currency="USD",
        so_currency="USD",
        unit_amount=D("45.00"),
        tax_amount=D("3.60"),
        plan_total=D("48.60"),
        expected_total=D("48.60"),
        plan_tax=D("3.60"),
        expected_tax=D("3.60"),
        line_count=1,
    )
    return replace(row, **changes)


def test_empty_batch_does_not_import_great_expectations(monkeypatch):
    monkeypatch.delitem(sys.modules, "great_expectations", raising=False)
    report = validate_return_lines([])
    assert report.checked_records == 0 and report.failures == {}
    assert "great_expectations" not in sys.modules


def test_clean_batch_passes():
    report = validate_return_lines([good_row(), good_row(loop_return_id="r-2", sku="PANT-32")])
    assert report.checked_records == 2
    assert report.failures == {}


@pytest.mark.parametrize(
    ("changes", "rule", "reason"),
    [
        ({"item_ids": ()}, "sku_unknown", "SKU SHIRT-M-BLU is not in NetSuite: no active item has itemid = 'SHIRT-M-BLU'"),
        ({"item_ids": (812, 977)}, "sku_ambiguous", "SKU SHIRT-M-BLU matches items 812 and 977 in NetSuite"),
        (
            {
                "sales_order_ids": (),
                "sales_order_tranids": (),
                "ordered_quantity": None,
                "already_returned": None,
                "so_currency": None,
            },
            "order_not_in_netsuite",
            "Order #1001 is not in NetSuite yet: no sales order carries its Shopify order id or name",
        ),
        (
            {"sales_order_ids": (1, 2), "sales_order_tranids": ("SO1", "SO2")},
            "order_ambiguous",
            "Order #1001 matches 2 sales orders in NetSuite (SO1 and SO2)",
        ),
        (
            {"quantity": 2, "already_returned": 1},
            "quantity_exceeds_returnable",
            "2 × SHIRT-M-BLU returned but only 1 remain returnable on SO1001 (ordered 2, already on other returns 1)",
        ),
        ({"so_currency": "CAD"}, "currency_mismatch", "Loop return is in USD but sales order SO1001 is in CAD"),
        (
            {"unit_amount": D("-1.00")},
            "negative_amount",
            "Line SHIRT-M-BLU has a negative amount (-1.00 USD per unit, tax 3.60 USD)",
        ),
        (
            {"plan_total": D("48.62")},
            "total_mismatch",
            "Planned lines total 48.62 USD but Loop says 48.60 USD (difference 0.02 USD, tolerance 0.01 USD)",
        ),
        (
            {"plan_tax": D("3.50")},
            "tax_mismatch",
            "Planned tax 3.50 USD but Loop says 3.60 USD (difference 0.10 USD, tolerance 0.01 USD)",
        ),
    ],
)
def test_each_rule_quarantines_only_the_bad_return(changes, rule, reason):
    report = validate_return_lines([good_row(loop_return_id="bad", **changes), good_row(loop_return_id="good")])
    assert set(report.failures) == {"bad"}
    assert [(f.rule, f.reason) for f in report.failures["bad"]] == [(rule, reason)]


def test_tolerance_is_per_line_and_inclusive():
    rows = [good_row(loop_return_id="r", sku=f"S{i}", line_count=3, plan_total=D("48.63")) for i in range(3)]
    assert validate_return_lines(rows).failures == {}
    rows = [replace(r, plan_total=D("48.64")) for r in rows]
    failures = validate_return_lines(rows).failures["r"]
    assert [f.rule for f in failures] == ["total_mismatch"]  # reported once, not once per row


def test_money_with_too_many_decimals_is_refused():
    with pytest.raises(ValueError, match="more decimals"):
        validate_return_lines([good_row(unit_amount=D("45.005"))])


def refund_row(**changes) -> RefundCheck:
    row = RefundCheck(
        loop_return_id="r-1",
        store="north",
        loop_currency="USD",
        so_currency="USD",
        document_total=D("43.60"),
        expected_document_total=D("43.60"),
        store_credit_total=D("0"),
        expected_store_credit=D("0"),
        deposit_total=D("0"),
        expected_deposit=D("0"),
        line_count=2,
    )
    return replace(row, **changes)


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({}, None),
        ({"document_total": D("43.62")}, None),  # two lines: 0.02 is within tolerance
        ({"document_total": D("43.70")}, "total_mismatch"),
        ({"document_total": D("-1.00"), "expected_document_total": D("-1.00")}, "negative_amount"),
        ({"so_currency": "CAD"}, "currency_mismatch"),
        ({"store_credit_total": D("53.60"), "expected_store_credit": D("48.60")}, "store_credit_mismatch"),
        ({"deposit_total": D("0"), "expected_deposit": D("25.00")}, "deposit_mismatch"),
    ],
)
def test_refund_suite(changes, rule):
    report = validate_refunds([refund_row(**changes)])
    assert [f.rule for f in report.failures.get("r-1", [])] == ([rule] if rule else [])
